// The bounded backlog between the hooks and the HTTP server: push() is O(1); past `maxEvents`
// or `maxBytes` the OLDEST bodies go and are counted (the Kafka bridge's buffer design).

export class Backlog {
  private items: Array<string | undefined> = [];
  private head = 0;
  bytes = 0;
  /** bodies dropped because the backlog was full, ever */
  dropped = 0;

  constructor(readonly maxEvents: number, readonly maxBytes: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(body: string): void {
    this.items.push(body);
    this.bytes += body.length;
    if (this.length > this.maxEvents || this.bytes > this.maxBytes) this.trim();
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const b = this.items[this.head]!;
    this.items[this.head++] = undefined;
    this.bytes -= b.length;
    this.compact();
    return b;
  }

  /** puts a body that could not be sent back at the head */
  unshift(body: string): void {
    if (this.head > 0) this.items[--this.head] = body;
    else this.items.unshift(body);
    this.bytes += body.length;
    if (this.length > this.maxEvents || this.bytes > this.maxBytes) this.trim();
  }

  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return n;
  }

  private trim(): void {
    // keep the newest body even if it alone is over maxBytes
    while ((this.length > this.maxEvents || this.bytes > this.maxBytes) && this.length > 1) {
      this.bytes -= this.items[this.head]!.length;
      this.items[this.head++] = undefined;
      this.dropped++;
    }
    this.compact();
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
