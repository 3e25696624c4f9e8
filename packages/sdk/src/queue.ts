// The bounded in-memory buffer between a bridge's hooks and its drain loop (Kafka, RabbitMQ,
// Redis): push() is O(1) and never allocates more than the array slot; past `maxBytes` the
// OLDEST records are dropped and counted.

export interface Sized {
  readonly size: number;
}

export class BoundedQueue<T extends Sized> {
  private items: Array<T | undefined> = [];
  private head = 0;
  /** bytes held (sum of size) */
  bytes = 0;
  /** records dropped because the buffer was full, ever */
  dropped = 0;

  /** `onDrop` sees each record the bound drops */
  constructor(public maxBytes: number, private readonly onDrop?: (r: T) => void) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** the oldest record, if any */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** appends; returns how many old records this dropped */
  push(r: T): number {
    this.items.push(r);
    this.bytes += r.size;
    return this.bytes > this.maxBytes ? this.trim() : 0;
  }

  /** takes up to `maxCount` records and about `maxBytes` bytes from the head (at least one record) */
  take(maxCount: number, maxBytes = Infinity): T[] {
    const out: T[] = [];
    let bytes = 0;
    const items = this.items;
    while (this.head < items.length && out.length < maxCount) {
      const r = items[this.head]!;
      if (out.length > 0 && bytes + r.size > maxBytes) break;
      items[this.head++] = undefined;
      bytes += r.size;
      out.push(r);
    }
    this.bytes -= bytes;
    this.compact();
    return out;
  }

  /** puts records taken earlier back at the head (a batch the server did not take), then applies the bound */
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
    // keep the newest record even when it alone is over the bound
    while (this.bytes > this.maxBytes && items.length - this.head > 1) {
      const r = items[this.head]!;
      this.bytes -= r.size;
      items[this.head++] = undefined;
      n++;
      this.onDrop?.(r);
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
