// A token bucket as EMQX 4.3's limiter uses it (`N,Period`): it holds up to
// `limit` tokens and refills at limit/period. Taking more than it holds leaves
// a debt; the caller pauses for as long as the refill takes to pay it back, so
// the average rate is kept even when a whole socket read is counted at once.

export class Bucket {
  private tokens: number;
  private last: number;
  /** tokens per ms */
  private readonly rate: number;

  constructor(readonly limit: number, readonly periodMs: number, now = Date.now()) {
    this.tokens = limit;
    this.last = now;
    this.rate = limit / periodMs;
  }

  /** take n tokens; returns how long to pause (ms), 0 when there were enough */
  take(n: number, now = Date.now()): number {
    this.refill(now);
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens / this.rate);
  }

  /** ms until n tokens are there, without taking them */
  wait(n: number, now = Date.now()): number {
    this.refill(now);
    return this.tokens >= n ? 0 : Math.ceil((n - this.tokens) / this.rate);
  }

  private refill(now: number): void {
    const t = this.tokens + (now - this.last) * this.rate;
    this.tokens = t > this.limit ? this.limit : t;
    this.last = now;
  }
}
