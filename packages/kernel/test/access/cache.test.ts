import { AclCache } from '../../src/access/index.js';

function clock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('AclCache', () => {
  test('stores results per action and topic', () => {
    const c = new AclCache({ now: clock().now });
    c.put('publish', 't', 'allow');
    c.put('subscribe', 't', 'deny');
    expect(c.get('publish', 't')).toBe('allow');
    expect(c.get('subscribe', 't')).toBe('deny');
    expect(c.get('publish', 'other')).toBeUndefined();
    expect(c.size).toBe(2);
  });

  test('defaults follow EMQX: 32 entries, 1 minute', () => {
    const c = new AclCache();
    expect([c.maxSize, c.ttl]).toEqual([32, 60_000]);
  });

  test('an entry expires ttl ms after it was stored', () => {
    const k = clock();
    const c = new AclCache({ ttl: 100, now: k.now });
    c.put('publish', 't', 'allow');
    k.advance(99);
    expect(c.get('publish', 't')).toBe('allow');
    k.advance(1);
    expect(c.get('publish', 't')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  test('an expired hit also drops the other expired entries', () => {
    const k = clock();
    const c = new AclCache({ ttl: 100, now: k.now });
    c.put('publish', 'a', 'allow');
    c.put('publish', 'b', 'allow');
    k.advance(50);
    c.put('publish', 'c', 'allow');
    k.advance(60);
    expect(c.get('publish', 'a')).toBeUndefined();
    expect(c.list().map((e) => e.topic)).toEqual(['c']);
  });

  test('when full, the entry stored longest ago is evicted; a get does not keep it', () => {
    const k = clock();
    const c = new AclCache({ maxSize: 2, now: k.now });
    c.put('publish', 'a', 'allow');
    k.advance(1);
    c.put('publish', 'b', 'allow');
    expect(c.get('publish', 'a')).toBe('allow');
    k.advance(1);
    c.put('publish', 'c', 'deny');
    expect(c.get('publish', 'a')).toBeUndefined();
    expect(c.list().map((e) => e.topic)).toEqual(['b', 'c']);
  });

  test('storing a key again refreshes its time and position', () => {
    const k = clock();
    const c = new AclCache({ maxSize: 2, ttl: 100, now: k.now });
    c.put('publish', 'a', 'allow');
    c.put('publish', 'b', 'allow');
    k.advance(90);
    c.put('publish', 'a', 'deny');
    c.put('publish', 'c', 'allow'); // evicts b, now the oldest
    expect(c.list().map((e) => [e.topic, e.result])).toEqual([
      ['a', 'deny'],
      ['c', 'allow'],
    ]);
    k.advance(50);
    expect(c.get('publish', 'a')).toBe('deny'); // 50 ms after its refresh
  });

  test('when full and even the newest entry has expired, everything is dropped first', () => {
    const k = clock();
    const c = new AclCache({ maxSize: 2, ttl: 10, now: k.now });
    c.put('publish', 'a', 'allow');
    c.put('subscribe', 'b', 'allow');
    k.advance(20);
    c.put('publish', 'c', 'allow');
    expect(c.size).toBe(1);
  });

  test('clear empties; drain expires what was stored up to a time', () => {
    const k = clock();
    const c = new AclCache({ now: k.now });
    c.put('publish', 'a', 'allow');
    c.clear();
    expect(c.size).toBe(0);
    c.put('publish', 'old', 'allow');
    k.advance(5);
    c.drain();
    k.advance(5);
    c.put('publish', 'new', 'allow');
    expect(c.get('publish', 'old')).toBeUndefined();
    expect(c.get('publish', 'new')).toBe('allow');
  });

  test('list shows live entries oldest first with their action', () => {
    const c = new AclCache({ now: clock().now });
    c.put('subscribe', 'x/#', 'deny');
    c.put('publish', 'x/1', 'allow');
    expect(c.list()).toEqual([
      { action: 'subscribe', topic: 'x/#', result: 'deny', at: 1000 },
      { action: 'publish', topic: 'x/1', result: 'allow', at: 1000 },
    ]);
  });
});
