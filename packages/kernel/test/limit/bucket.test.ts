import { Bucket } from '../../src/limit/bucket';

describe('Bucket', () => {
  it('starts full and lets the limit through without a pause', () => {
    const b = new Bucket(10, 1000, 0);
    for (let i = 0; i < 10; i++) expect(b.take(1, 0)).toBe(0);
  });

  it('pauses for as long as the refill takes to pay a debt back', () => {
    const b = new Bucket(10, 1000, 0);
    expect(b.take(10, 0)).toBe(0);
    expect(b.take(1, 0)).toBe(100);
    // a whole read counted at once: 5 tokens short at 10/s is 500 ms
    const c = new Bucket(10, 1000, 0);
    expect(c.take(15, 0)).toBe(500);
  });

  it('refills at limit/period, never above the limit', () => {
    const b = new Bucket(10, 1000, 0);
    b.take(10, 0);
    expect(b.wait(1, 0)).toBe(100);
    expect(b.wait(1, 100)).toBe(0);
    expect(b.wait(5, 100)).toBe(400);
    expect(b.wait(10, 5000)).toBe(0);
    expect(b.wait(11, 5000)).toBe(100);
  });

  it('wait does not take', () => {
    const b = new Bucket(2, 1000, 0);
    expect(b.wait(2, 0)).toBe(0);
    expect(b.take(2, 0)).toBe(0);
  });
});
