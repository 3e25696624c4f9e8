// The bounded buffer between the hooks and RabbitMQ (the Kafka bridge's design): push() is
// O(1); past `maxBytes` the OLDEST records are dropped and counted.

export interface Sized {
  readonly size: number;
}

export class BoundedQueue<T extends Sized> {
  private items: Array<T | undefined> = [];
  private head = 0;
  /** bytes held (sum of size) */
  bytes = 0;
  /** records dropped because the buffer was full (or given up on unload), ever */
  dropped = 0;

  constructor(public maxBytes: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** appends; returns how many old records this dropped */
  push(r: T): number {
    this.items.push(r);
    this.bytes += r.size;
    return this.bytes > this.maxBytes ? this.trim() : 0;
  }

  /** takes up to `max` records from the head */
  take(max: number): T[] {
    const n = Math.min(max, this.length);
    const out = new Array<T>(n);
    const items = this.items;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const r = items[this.head]!;
      items[this.head++] = undefined;
      bytes += r.size;
      out[i] = r;
    }
    this.bytes -= bytes;
    this.compact();
    return out;
  }

  /** puts records taken earlier back at the head (a batch RabbitMQ did not confirm), then applies the bound */
  unshift(rs: readonly T[]): number {
    if (rs.length === 0) return 0;
    let bytes = 0;
    for (const r of rs) bytes += r.size;
    if (this.head >= rs.length) {
      this.head -= rs.length;
      for (let i = 0; i < rs.length; i++) this.items[this.head + i] = rs[i];
    } else {
      this.items = [...rs, ...this.items.slice(this.head)];
      this.head = 0;
    }
    this.bytes += bytes;
    return this.bytes > this.maxBytes ? this.trim() : 0;
  }

  /** removes everything; returns how many records there were */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return n;
  }

  private trim(): number {
    let n = 0;
    const items = this.items;
    // the newest record stays even when it alone is over the bound
    while (this.bytes > this.maxBytes && items.length - this.head > 1) {
      this.bytes -= items[this.head]!.size;
      items[this.head++] = undefined;
      n++;
    }
    this.dropped += n;
    this.compact();
    return n;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
