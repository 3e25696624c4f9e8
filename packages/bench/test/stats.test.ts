import { cpuPercent, latencySummary, median, percentile, ratio, summarize } from '../src/stats.js';
import { split } from '../src/loadgen.js';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  it('matches the textbook values on 1..100', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 90)).toBe(90);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
  });
  it('rounds the rank up', () => {
    const v = [10, 20, 30, 40, 50];
    expect(percentile(v, 50)).toBe(30); // rank ceil(2.5) = 3
    expect(percentile(v, 90)).toBe(50); // rank ceil(4.5) = 5
    expect(percentile(v, 20)).toBe(10);
    expect(percentile(v, 21)).toBe(20);
  });
  it('edge cases', () => {
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(percentile(new Float64Array([1, 2, 3]), 50)).toBe(2);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], NaN)).toThrow(RangeError);
  });
});

describe('median / summarize', () => {
  it('odd and even counts, unsorted input', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5])).toBe(5);
    expect(median([])).toBeNaN();
  });
  it('ignores non-finite values', () => {
    expect(median([NaN, 1, 3, Infinity])).toBe(2);
    expect(summarize([NaN, 5, 1, 9])).toEqual({ median: 5, min: 1, max: 9, n: 3 });
    expect(summarize([NaN])).toEqual({ median: NaN, min: NaN, max: NaN, n: 0 });
  });
  it('does not reorder its input', () => {
    const v = [3, 1, 2];
    median(v);
    expect(v).toEqual([3, 1, 2]);
  });
});

describe('latencySummary', () => {
  it('sorts a copy and reports percentiles, mean and max', () => {
    const samples = new Float64Array([500, 100, 300, 200, 400]);
    expect(latencySummary(samples)).toEqual({ count: 5, mean: 300, p50: 300, p90: 500, p99: 500, max: 500 });
    expect([...samples]).toEqual([500, 100, 300, 200, 400]);
  });
  it('empty sample', () => {
    const s = latencySummary([]);
    expect(s.count).toBe(0);
    expect(s.p50).toBeNaN();
  });
});

describe('ratio / cpuPercent / split', () => {
  it('ratio guards against missing values', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(NaN, 2)).toBeNaN();
  });
  it('cpuPercent is % of one core', () => {
    expect(cpuPercent(1, 2)).toBe(50);
    expect(cpuPercent(3, 2)).toBe(150);
    expect(cpuPercent(1, 0)).toBeNaN();
  });
  it('split spreads the remainder over the first parts', () => {
    expect(split(10, 3)).toEqual([4, 3, 3]);
    expect(split(2, 3)).toEqual([1, 1, 0]);
    expect(split(10_000, 2)).toEqual([5_000, 5_000]);
  });
});
