import { loopbackSources, sourceFor } from '../src/srcaddr';

describe('loopback source spreading', () => {
  it('uses the default source for small runs', () => {
    expect(loopbackSources(25_000)).toEqual([]);
    expect(sourceFor(7, [])).toBeUndefined();
  });
  it('spreads 100k over 4 addresses, round robin', () => {
    const s = loopbackSources(100_000);
    expect(s).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']);
    expect(sourceFor(0, s)).toBe('127.0.0.1');
    expect(sourceFor(5, s)).toBe('127.0.0.2');
  });
});
