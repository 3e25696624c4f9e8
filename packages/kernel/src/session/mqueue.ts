// Messages waiting for a window slot or for the client to come back. Bounded by
// zone max_mqueue_len (0 = unbounded); when full the oldest is dropped, as EMQX does.
import type { Message } from '../types.js';

export class Queued {
  constructor(
    public readonly msg: Message,
    public readonly qos: number,
    public readonly retain: boolean,
    public readonly subids: number[] | undefined,
  ) {}
}

/** shared by every empty queue until its first push */
const NONE: Queued[] = [];

export class MQueue {
  private items: Queued[] = NONE;
  private head = 0;
  dropped = 0;

  constructor(public max: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** returns the entry pushed out to make room, if any */
  push(q: Queued): Queued | undefined {
    if (this.items === NONE) this.items = [];
    let out: Queued | undefined;
    if (this.max > 0 && this.length >= this.max) {
      out = this.shift();
      this.dropped++;
    }
    this.items.push(q);
    return out;
  }

  /** backpressure: an online session keeps a message from a publisher it just held (pressure.ts) */
  pushOver(q: Queued): void {
    if (this.items === NONE) this.items = [];
    this.items.push(q);
  }

  shift(): Queued | undefined {
    if (this.head >= this.items.length) return undefined;
    const q = this.items[this.head]!;
    (this.items as (Queued | undefined)[])[this.head] = undefined;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return q;
  }

  clear(): Queued[] {
    const rest = this.items.slice(this.head);
    this.items = NONE;
    this.head = 0;
    return rest;
  }
}
