// One pool's write path: hooks append to a bounded buffer (O(1), no promise per message); one
// drain loop writes what has gathered as one batch. While the database is down the batch stays
// at the head and the loop retries with a growing backoff; past `maxBuffer` the OLDEST writes are
// dropped and counted (the Kafka bridge's design).
import type { Logger } from '../plugin.js';
import { StoreError, type BackendStore, type WriteOp } from './store.js';

export interface PoolOptions {
  /** most writes in one batch */
  readonly batchSize: number;
  /** most writes held while the database is slow or down */
  readonly maxBuffer: number;
  /** first and longest wait between retries, ms */
  readonly retryMin: number;
  readonly retryMax: number;
}

export interface PoolStats {
  status: 'connected' | 'disconnected' | 'stopped';
  buffered: number;
  max_buffer: number;
  enqueued: number;
  written: number;
  batches: number;
  /** dropped because the buffer was full */
  dropped: number;
  /** refused by the database (a bad statement), not retried */
  failed: number;
  retries: number;
  lookups: number;
  lookup_errors: number;
  last_error: string;
}

export class BackendPool {
  private items: Array<WriteOp | undefined> = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private endSleep: (() => void) | undefined;
  readonly stats: PoolStats;

  constructor(readonly name: string, readonly store: BackendStore, readonly o: PoolOptions, private readonly logger: Logger) {
    this.stats = { status: 'connected', buffered: 0, max_buffer: o.maxBuffer, enqueued: 0, written: 0, batches: 0, dropped: 0, failed: 0, retries: 0, lookups: 0, lookup_errors: 0, last_error: '' };
  }

  get length(): number {
    return this.items.length - this.head;
  }

  start(): void {
    this.loop = this.drain();
  }

  /** appends a write; drops the oldest when the buffer is full */
  enqueue(op: WriteOp): void {
    if (this.stopping) return;
    this.items.push(op);
    this.stats.enqueued++;
    if (this.items.length - this.head > this.o.maxBuffer) {
      this.items[this.head++] = undefined;
      this.stats.dropped++;
    }
    const w = this.wake;
    if (w !== undefined) {
      this.wake = undefined;
      w();
    }
  }

  /** a read for a hook (subscriptions, offline messages, retained): failures are counted and logged, never thrown */
  async read<T>(what: string, fn: (s: BackendStore) => Promise<T>): Promise<T | undefined> {
    this.stats.lookups++;
    try {
      return await fn(this.store);
    } catch (err) {
      this.stats.lookup_errors++;
      this.stats.last_error = (err as Error).message;
      this.logger.warning(`${this.name}: ${what} failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  private take(n: number): WriteOp[] {
    const end = Math.min(this.items.length, this.head + n);
    const out = this.items.slice(this.head, end) as WriteOp[];
    for (let i = this.head; i < end; i++) this.items[i] = undefined;
    this.head = end;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** puts a batch back at the head, then applies the bound (dropping the oldest) */
  private putBack(batch: WriteOp[]): void {
    this.items = [...batch, ...this.items.slice(this.head)];
    this.head = 0;
    const over = this.items.length - this.o.maxBuffer;
    if (over > 0) {
      this.items.splice(0, over);
      this.stats.dropped += over;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(resolve, ms);
      this.endSleep = resolve;
    });
  }

  private async drain(): Promise<void> {
    let backoff = this.o.retryMin;
    while (true) {
      if (this.length === 0) {
        if (this.stopping) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const batch = this.take(this.o.batchSize);
      try {
        await this.store.write(batch);
        this.stats.written += batch.length;
        this.stats.batches++;
        if (this.stats.status === 'disconnected') this.logger.info(`${this.name}: database reachable again, ${this.length} writes buffered`);
        this.stats.status = 'connected';
        backoff = this.o.retryMin;
      } catch (err) {
        const e = err instanceof StoreError ? err : new StoreError(String((err as Error)?.message ?? err), false);
        this.stats.last_error = e.message;
        if (e.retry) {
          if (this.stopping) {
            this.stats.dropped += batch.length + this.length;
            this.take(this.length);
            return;
          }
          if (this.stats.status === 'connected') this.logger.warning(`${this.name}: database unreachable (${e.message}); buffering up to ${this.o.maxBuffer} writes`);
          this.stats.status = 'disconnected';
          this.stats.retries++;
          this.putBack(batch);
          await this.sleep(backoff);
          backoff = Math.min(backoff * 2, this.o.retryMax);
        } else {
          await this.oneByOne(batch);
        }
      }
    }
  }

  /** a refused batch: each write alone, so one bad statement costs only itself */
  private async oneByOne(batch: WriteOp[]): Promise<void> {
    for (let i = 0; i < batch.length; i++) {
      try {
        await this.store.write([batch[i]!]);
        this.stats.written++;
      } catch (err) {
        const e = err instanceof StoreError ? err : new StoreError(String((err as Error)?.message ?? err), false);
        if (e.retry) {
          this.putBack(batch.slice(i));
          return;
        }
        this.stats.failed++;
        this.stats.last_error = e.message;
        this.logger.warning(`${this.name}: write refused: ${e.message}`);
      }
    }
  }

  /** stops taking writes, flushes what is buffered for up to `ms`, then closes the store */
  async stop(ms: number): Promise<void> {
    this.stopping = true;
    const w = this.wake;
    this.wake = undefined;
    if (this.timer) clearTimeout(this.timer);
    w?.();
    this.endSleep?.();
    let t: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([this.loop?.then(() => true), new Promise<boolean>((r) => (t = setTimeout(() => r(false), ms)))]);
    clearTimeout(t);
    if (!flushed) {
      const n = this.length;
      if (n > 0) {
        this.stats.dropped += n;
        this.take(n);
        this.logger.warning(`${this.name}: stopped with ${n} writes unwritten (dropped)`);
      }
    }
    this.stats.status = 'stopped';
    await this.store.close().catch(() => undefined);
  }
}
