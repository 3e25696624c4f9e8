// One RabbitMQ server's side of the bridge: hooks append records to a bounded queue (sync, no
// IO); a drain loop hands batches to the pool's confirm channels, one batch per channel at a
// time, and counts a batch sent only when RabbitMQ has confirmed every message in it. A batch
// whose channel failed goes back to the head of the queue and is sent again (at least once:
// a message RabbitMQ took but could not confirm before the failure is sent twice).
import type { Server } from './config.js';
import { BoundedQueue } from './queue.js';
import type { Rec } from './records.js';

/** One open connection with a confirm channel (amqplib in production, a fake in unit tests). */
export interface Link {
  /** publishes the batch; calls done(null) once all are confirmed, done(err) on a nack or a closed channel */
  send(batch: readonly Rec[], done: (err: Error | null) => void): void;
  close(): Promise<void>;
}

export interface Connector {
  /** opens a link; `onClose` is called once if it closes by itself (server gone, heartbeat missed) */
  open(onClose: (err: Error) => void): Promise<Link>;
}

export type Status = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface BridgeStats {
  status: Status;
  connections: number;
  pool_size: number;
  buffered: number;
  buffered_bytes: number;
  max_buffer_bytes: number;
  inflight: number;
  enqueued: number;
  sent: number;
  dropped: number;
  batches: number;
  failed_batches: number;
  reconnects: number;
  last_error: string;
}

export interface BridgeLog {
  info(msg: string): void;
  warning(msg: string): void;
  debug(msg: string): void;
}

type Timer = ReturnType<typeof setTimeout>;

class Slot {
  link: Link | undefined;
  connecting = false;
  busy = false;
  failures = 0;
  timer: Timer | undefined;
}

export interface BridgeOptions {
  maxBufferBytes: number;
  batchSize: number;
}

export class Bridge {
  readonly queue: BoundedQueue<Rec>;
  private readonly slots: Slot[] = [];
  private stopped = false;
  private scheduled = false;
  private readonly pumpFn = (): void => this.pump();
  private enqueued = 0;
  private sent = 0;
  private batches = 0;
  private failedBatches = 0;
  private reconnects = 0;
  private inflight = 0;
  private lastError = '';
  private reportedDown = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly server: Server,
    private readonly connector: Connector,
    private readonly opts: BridgeOptions,
    private readonly log: BridgeLog,
  ) {
    this.queue = new BoundedQueue<Rec>(opts.maxBufferBytes);
    for (let i = 0; i < server.poolSize; i++) this.slots.push(new Slot());
  }

  get name(): string {
    return `${this.server.host}:${this.server.port}`;
  }

  /** Hot path (called from hooks): O(1), never blocks, never throws. */
  enqueue(r: Rec): void {
    if (this.stopped) return;
    this.enqueued++;
    this.queue.push(r);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.pumpFn);
    }
  }

  start(): void {
    for (const s of this.slots) this.connect(s);
  }

  stats(): BridgeStats {
    const connections = this.slots.filter((s) => s.link !== undefined).length;
    let status: Status = 'disconnected';
    if (this.stopped) status = 'stopped';
    else if (connections > 0) status = 'connected';
    else if (this.slots.some((s) => s.connecting)) status = 'connecting';
    return {
      status,
      connections,
      pool_size: this.slots.length,
      buffered: this.queue.length,
      buffered_bytes: this.queue.bytes,
      max_buffer_bytes: this.queue.maxBytes,
      inflight: this.inflight,
      enqueued: this.enqueued,
      sent: this.sent,
      dropped: this.queue.dropped,
      batches: this.batches,
      failed_batches: this.failedBatches,
      reconnects: this.reconnects,
      last_error: this.lastError,
    };
  }

  /** resolves true when nothing is buffered or in flight, false after `ms` */
  async drain(ms: number): Promise<boolean> {
    const idle = (): boolean => this.queue.length === 0 && this.inflight === 0;
    if (idle()) return true;
    let timer: Timer | undefined;
    const ok = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return ok || idle();
  }

  /** tries for up to `flushMs` to hand over what is buffered, then closes; returns the records given up */
  async stop(flushMs: number): Promise<number> {
    if (this.stopped) return 0;
    if (flushMs > 0 && this.slots.some((s) => s.link)) await this.drain(flushMs);
    this.stopped = true;
    const lost = this.queue.clear() + this.inflight;
    this.queue.dropped += lost;
    const closing: Array<Promise<void>> = [];
    for (const s of this.slots) {
      clearTimeout(s.timer);
      if (s.link) closing.push(s.link.close().catch((err: unknown) => this.log.debug(`close: ${msgOf(err)}`)));
      s.link = undefined;
    }
    await Promise.all(closing);
    return lost;
  }

  private pump(): void {
    this.scheduled = false;
    if (this.stopped) return;
    const q = this.queue;
    for (const s of this.slots) {
      if (q.length === 0) break;
      if (s.link && !s.busy) this.sendOn(s, s.link, q.take(this.opts.batchSize));
    }
    this.checkIdle();
  }

  private sendOn(s: Slot, link: Link, batch: Rec[]): void {
    s.busy = true;
    this.inflight += batch.length;
    let finished = false;
    const done = (err: Error | null): void => {
      if (finished) return;
      finished = true;
      s.busy = false;
      this.inflight -= batch.length;
      if (this.stopped) return;
      if (err === null) {
        this.sent += batch.length;
        this.batches++;
        s.failures = 0;
      } else {
        this.failedBatches++;
        this.queue.unshift(batch);
        this.lost(s, link, err);
      }
      if (this.queue.length > 0 && !this.scheduled) {
        this.scheduled = true;
        setImmediate(this.pumpFn);
      }
      this.checkIdle();
    };
    try {
      link.send(batch, done);
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private connect(s: Slot): void {
    if (this.stopped || s.connecting || s.link) return;
    s.connecting = true;
    let link: Link | undefined;
    this.connector.open((err) => {
      if (link) this.lost(s, link, err);
    }).then(
      (l) => {
        s.connecting = false;
        if (this.stopped) {
          l.close().catch(() => undefined);
          return;
        }
        link = l;
        s.link = l;
        s.failures = 0;
        if (this.reportedDown) this.log.info(`RabbitMQ ${this.name} is reachable again; sending ${this.queue.length} buffered messages`);
        this.reportedDown = false;
        this.pump();
      },
      (err: unknown) => {
        s.connecting = false;
        if (this.stopped) return;
        this.retry(s, err);
      },
    );
  }

  /** a link failed: drop it, back off, connect again */
  private lost(s: Slot, link: Link, err: unknown): void {
    if (s.link !== link) return;
    s.link = undefined;
    link.close().catch(() => undefined);
    if (this.stopped) return;
    this.retry(s, err);
  }

  private retry(s: Slot, err: unknown): void {
    const m = msgOf(err);
    if (!this.reportedDown || m !== this.lastError) {
      this.log.warning(`RabbitMQ ${this.name} unreachable: ${m}; buffering up to ${this.queue.maxBytes} bytes, oldest dropped past that`);
    }
    this.reportedDown = true;
    this.lastError = m;
    s.failures++;
    this.reconnects++;
    const wait = Math.min(this.server.reconnectMs, 100 * 2 ** Math.min(s.failures - 1, 10));
    clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      s.timer = undefined;
      this.connect(s);
    }, wait);
    s.timer.unref?.();
  }

  private checkIdle(): void {
    if (this.queue.length === 0 && this.inflight === 0 && this.idleWaiters.length > 0) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of ws) w();
    }
  }
}

function msgOf(err: unknown): string {
  const e = err as { message?: string } | undefined;
  return e?.message ?? String(err);
}
