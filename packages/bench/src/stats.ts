/** Small, pure statistics helpers (unit tested). */

/**
 * Nearest-rank percentile of an ascending-sorted sample: the smallest value
 * such that at least p % of the sample is <= it. p in [0, 100].
 * Returns NaN for an empty sample.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} out of range`);
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[Math.min(n, rank) - 1] as number;
}

/** Median (mean of the two middle values for an even count); NaN if empty. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median, min and max of the finite values. */
export function summarize(values: readonly number[]): Summary {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Sorts a copy of the samples and reports the usual percentiles. */
export function latencySummary(samples: ArrayLike<number>): LatencySummary {
  const s = Float64Array.from(samples as ArrayLike<number>).sort();
  const n = s.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i] as number;
  return {
    count: n,
    mean: n ? sum / n : NaN,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: n ? (s[n - 1] as number) : NaN,
  };
}

/** a / b, or NaN when either is missing or b is 0. */
export function ratio(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return NaN;
  return a / b;
}

/** CPU use in percent of one core: cpu seconds over wall seconds. */
export function cpuPercent(cpuSeconds: number, wallSeconds: number): number {
  if (!(wallSeconds > 0)) return NaN;
  return (100 * cpuSeconds) / wallSeconds;
}
