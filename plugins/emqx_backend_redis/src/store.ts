// One pool's Redis connection and its ordered command buffer. Hooks append commands (writes
// without a callback, lookups with one); a drain loop sends them in order as pipelines of up
// to batch_size commands, one round trip each. Because lookups ride in the same order as the
// writes, a lookup sees every write enqueued before it. While Redis is away writes stay
// buffered (bounded, oldest dropped and counted) and lookups fail at once.
import Redis from 'ioredis';
import type { Pool } from './config.js';
import { BoundedQueue } from './queue.js';

export type Arg = string | Buffer | number;

export class Op {
  constructor(
    readonly args: Arg[],
    readonly size: number,
    readonly cb: ((err: Error | null, res: unknown) => void) | undefined,
  ) {}
}

export interface StoreStats {
  status: string;
  buffered: number;
  buffered_bytes: number;
  max_buffer_bytes: number;
  inflight: number;
  enqueued: number;
  written: number;
  dropped: number;
  pipelines: number;
  failed_pipelines: number;
  errors: number;
  last_error: string;
}

export interface StoreLog {
  info(msg: string): void;
  warning(msg: string): void;
}

function opSize(args: Arg[]): number {
  let n = 32;
  for (const a of args) n += typeof a === 'number' ? 8 : a.length;
  return n;
}

export class Store {
  readonly queue: BoundedQueue<Op>;
  readonly client: Redis;
  private stopped = false;
  private scheduled = false;
  private inflight = 0;
  private enqueued = 0;
  private written = 0;
  private pipelines = 0;
  private failedPipelines = 0;
  private errors = 0;
  private lastError = '';
  private reportedDown = false;
  private readonly flushFn = (): void => this.flush();
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly pool: Pool,
    private readonly batchSize: number,
    maxBufferBytes: number,
    private readonly log: StoreLog,
  ) {
    // a lookup the bound drops is answered with an error, so nobody waits for it
    this.queue = new BoundedQueue<Op>(maxBufferBytes, (op) => op.cb?.(new Error('dropped: buffer full'), undefined));
    const common = {
      db: pool.database,
      password: pool.password,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 5000,
      lazyConnect: true,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times - 1, 10), 2000),
    };
    this.client = pool.type === 'sentinel'
      ? new Redis({ ...common, sentinels: pool.servers.map((s) => ({ host: s.host, port: s.port })), name: pool.sentinel! })
      : new Redis({ ...common, host: pool.servers[0]!.host, port: pool.servers[0]!.port });
    this.client.on('ready', () => {
      if (this.reportedDown) this.log.info(`Redis ${pool.name} is reachable again; writing ${this.queue.length} buffered commands`);
      this.reportedDown = false;
      this.schedule();
    });
    this.client.on('error', (err: Error) => this.down(err));
    this.client.on('end', () => this.down(new Error('connection closed')));
  }

  start(): void {
    this.client.connect().catch((err: unknown) => this.down(err));
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** Hot path: appends a write; O(1), no IO, never throws. */
  write(args: Arg[]): void {
    if (this.stopped) return;
    this.enqueued++;
    this.queue.push(new Op(args, opSize(args), undefined));
    this.schedule();
  }

  /** a lookup, in order after the writes enqueued so far; rejects at once while Redis is away */
  read<T>(args: Arg[]): Promise<T> {
    if (this.stopped || !this.ready) return Promise.reject(new Error(`Redis ${this.pool.name} is not connected`));
    return new Promise<T>((resolve, reject) => {
      this.queue.push(new Op(args, opSize(args), (err, res) => (err ? reject(err) : resolve(res as T))));
      this.schedule();
    });
  }

  stats(): StoreStats {
    return {
      status: this.stopped ? 'stopped' : this.ready ? 'connected' : this.client.status,
      buffered: this.queue.length,
      buffered_bytes: this.queue.bytes,
      max_buffer_bytes: this.queue.maxBytes,
      inflight: this.inflight,
      enqueued: this.enqueued,
      written: this.written,
      dropped: this.queue.dropped,
      pipelines: this.pipelines,
      failed_pipelines: this.failedPipelines,
      errors: this.errors,
      last_error: this.lastError,
    };
  }

  async drain(ms: number): Promise<boolean> {
    const idle = (): boolean => this.queue.length === 0 && this.inflight === 0;
    if (idle()) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ok = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return ok || idle();
  }

  /** writes what it can within `flushMs`, then disconnects; returns the commands given up */
  async stop(flushMs: number): Promise<number> {
    if (this.stopped) return 0;
    if (flushMs > 0 && this.ready) await this.drain(flushMs);
    this.stopped = true;
    let lost = 0;
    for (const op of this.queue.take(this.queue.length)) {
      if (op.cb) op.cb(new Error('unloaded'), undefined);
      else lost++;
    }
    this.queue.dropped += lost;
    this.client.disconnect();
    return lost;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped || this.inflight > 0) return;
    this.scheduled = true;
    setImmediate(this.flushFn);
  }

  private down(err: unknown): void {
    const m = (err as Error | undefined)?.message ?? String(err);
    if (this.stopped) return;
    if (!this.reportedDown || m !== this.lastError) this.log.warning(`Redis ${this.pool.name} unreachable: ${m}; buffering up to ${this.queue.maxBytes} bytes of writes`);
    this.reportedDown = true;
    this.lastError = m;
    // lookups waiting in the buffer cannot be answered now
    if (!this.ready) this.failReads();
  }

  private failReads(): void {
    if (this.queue.length === 0) return;
    const ops = this.queue.take(this.queue.length);
    const keep: Op[] = [];
    for (const op of ops) {
      if (op.cb) op.cb(new Error(`Redis ${this.pool.name} is not connected`), undefined);
      else keep.push(op);
    }
    this.queue.unshift(keep);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.stopped || this.inflight > 0 || this.queue.length === 0) return this.checkIdle();
    if (!this.ready) return; // the 'ready' event schedules again
    const batch = this.queue.take(this.batchSize);
    this.inflight = batch.length;
    let exec: Promise<Array<[Error | null, unknown]> | null>;
    try {
      const p = this.client.pipeline();
      for (const op of batch) {
        const [cmd, ...rest] = op.args;
        // any Redis command by name; lookups that need the bytes use ioredis' Buffer variant
        if (cmd === 'hgetallBuffer') p.hgetallBuffer(String(rest[0]));
        else p.call(String(cmd), ...rest);
      }
      exec = p.exec();
    } catch (err) {
      exec = Promise.reject(err);
    }
    exec.then(
      (results) => {
        this.inflight = 0;
        this.pipelines++;
        const retry: Op[] = [];
        for (let i = 0; i < batch.length; i++) {
          const op = batch[i]!;
          const [err, res] = results?.[i] ?? [new Error('no reply'), undefined];
          if (err && !isReplyError(err)) {
            // the connection went away before the reply: write again, fail a lookup
            if (op.cb) op.cb(err, undefined);
            else retry.push(op);
            continue;
          }
          if (err) {
            this.errors++;
            this.lastError = err.message;
          } else if (!op.cb) this.written++;
          op.cb?.(err, res);
        }
        if (retry.length > 0) {
          this.failedPipelines++;
          this.queue.unshift(retry);
        }
        this.schedule();
        this.checkIdle();
      },
      (err: unknown) => {
        this.inflight = 0;
        this.failedPipelines++;
        const keep: Op[] = [];
        for (const op of batch) {
          if (op.cb) op.cb(err as Error, undefined);
          else keep.push(op);
        }
        this.queue.unshift(keep);
        this.down(err);
        this.schedule();
      },
    );
  }

  private checkIdle(): void {
    if (this.queue.length === 0 && this.inflight === 0 && this.idleWaiters.length > 0) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of ws) w();
    }
  }
}

function isReplyError(err: Error): boolean {
  return err.name === 'ReplyError';
}
