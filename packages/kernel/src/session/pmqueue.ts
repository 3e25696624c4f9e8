// The session queue when zone mqueue_priorities is set (EMQX 4.3 emqx_mqueue with a
// priority table). One FIFO band per priority; a topic not in the table gets
// mqueue_default_priority (lowest = 0, highest = above every number).
//  - push: max_mqueue_len bounds each band, not the total: a full band drops its own
//    oldest message; the other bands are untouched.
//  - shift: the first band goes first. After taking one message at priority P the
//    next P * 10 come from the first band too (whichever that is by then); then the
//    first band is moved to the end, so lower priorities get out now and then.
import { MQueue, type Queued } from './mqueue.js';

/** the count EMQX gives the `highest` priority */
const HIGHEST_COUNT = 1_000_000;
const MULTIPLIER = 10;

class Band {
  readonly q = new MQueue(0);
  constructor(readonly p: number) {}
}

export class PMQueue {
  /** non-empty bands; highest first, until a rotation reorders them */
  private bands: Band[] = [];
  private len = 0;
  /** messages still to take from the first band before rotating; -1 = start afresh */
  private counter = -1;
  dropped = 0;

  constructor(
    public max: number,
    private readonly table: ReadonlyMap<string, number>,
    private readonly defaultP: number,
  ) {}

  get length(): number {
    return this.len;
  }

  priority(topic: string): number {
    const p = this.table.get(topic);
    return p === undefined ? this.defaultP : p;
  }

  /** returns the entry pushed out to make room, if any */
  push(q: Queued): Queued | undefined {
    const band = this.band(this.priority(q.msg.topic));
    if (this.max > 0 && band.q.length >= this.max) {
      const out = band.q.shift();
      band.q.pushOver(q);
      this.dropped++;
      return out;
    }
    band.q.pushOver(q);
    this.len++;
    return undefined;
  }

  /** backpressure (pressure.ts): kept even above max_mqueue_len */
  pushOver(q: Queued): void {
    this.band(this.priority(q.msg.topic)).q.pushOver(q);
    this.len++;
  }

  shift(): Queued | undefined {
    if (this.len === 0) return undefined;
    if (this.counter === 0) {
      // let the next band out: the first goes to the end
      if (this.bands.length > 1) this.bands.push(this.bands.shift()!);
      this.counter = -1;
    }
    const first = this.bands[0]!;
    if (this.counter < 0) {
      const p = first.p === Infinity ? HIGHEST_COUNT : first.p;
      this.counter = p * MULTIPLIER;
    } else {
      this.counter--;
    }
    const q = first.q.shift()!;
    if (first.q.length === 0) this.bands.shift();
    this.len--;
    return q;
  }

  clear(): Queued[] {
    const rest: Queued[] = [];
    for (const b of this.bands) rest.push(...b.q.clear());
    this.bands = [];
    this.len = 0;
    this.counter = -1;
    return rest;
  }

  /** the band of `p`; a new one is put in priority order, as EMQX's pqueue does */
  private band(p: number): Band {
    const bands = this.bands;
    for (let i = 0; i < bands.length; i++) if (bands[i]!.p === p) return bands[i]!;
    const b = new Band(p);
    if (p === Infinity) {
      bands.unshift(b);
    } else if (bands.length > 0 && bands[0]!.p === Infinity) {
      // a leading `highest` band stays first; the rest is sorted again
      const rest = bands.slice(1);
      rest.push(b);
      this.bands = [bands[0]!, ...sorted(rest)];
    } else {
      bands.push(b);
      this.bands = sorted(bands);
    }
    return b;
  }
}

/** highest first; a `highest` band that is not first sorts last (Erlang: numbers before atoms) */
function sorted(bands: Band[]): Band[] {
  return bands.sort((a, b) => (a.p === b.p ? 0 : a.p === Infinity ? 1 : b.p === Infinity ? -1 : b.p - a.p));
}
