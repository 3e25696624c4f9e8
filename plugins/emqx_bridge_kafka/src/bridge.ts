// The drain side: hooks append records to a bounded queue (sync, no IO, no promise per
// record); a loop takes batches of up to batch_size records / max_batch_bytes and hands
// them to Kafka, one produce call per batch. A batch Kafka did not take goes back to the
// head of the queue and is sent again once Kafka answers; while Kafka is away the queue
// keeps the newest replayq_max_total_bytes and counts what it drops.
import type { Settings } from './config.js';
import { BoundedQueue } from '@nemq/sdk';
import { encodeValue, recordKey, type Rec } from './records.js';
import type { Strategy } from './config.js';

/** One Kafka record as handed to the sender; `s` tells the partitioner the rule's strategy. */
export interface OutMessage {
  key: string | null;
  value: string;
  s: Strategy;
}

export interface TopicBatch {
  topic: string;
  messages: OutMessage[];
}

/** Kafka refused the records themselves (too large, topic invalid or not authorized): sending them again cannot help. */
export class RecordsRejected extends Error {}

/** What the bridge needs from a Kafka client (kafkajs in production, a fake in unit tests). */
export interface Sender {
  connect(): Promise<void>;
  /** rejects with RecordsRejected when Kafka refuses the records, with any other error when it cannot be reached */
  send(batch: TopicBatch[]): Promise<void>;
  disconnect(): Promise<void>;
  /** produce requests put on the wire so far */
  requests(): number;
  /** bytes written to Kafka connections but not yet taken by the kernel */
  unsent(): number;
}

export type Status = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface BridgeStats {
  status: Status;
  buffered: number;
  buffered_bytes: number;
  max_buffer_bytes: number;
  inflight: number;
  unsent_bytes: number;
  enqueued: number;
  sent: number;
  dropped: number;
  batches: number;
  requests: number;
  failed_batches: number;
  rejected: number;
  last_error: string;
}

export interface BridgeLog {
  info(msg: string): void;
  warning(msg: string): void;
  debug(msg: string): void;
}

type Timer = ReturnType<typeof setTimeout>;

export class Bridge {
  readonly queue: BoundedQueue<Rec>;
  private status: Status = 'disconnected';
  private inflight = 0;
  private readonly maxInflight: number;
  private scheduled = false;
  private timer: Timer | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private connecting: Promise<void> | undefined;
  private failures = 0;
  private lastError = '';
  private enqueued = 0;
  private sent = 0;
  private batches = 0;
  private failedBatches = 0;
  private readonly pumpFn = (): void => this.pump();
  private idleWaiters: Array<() => void> = [];
  private rejected = 0;
  private lastRejection = '';
  private lingering = false;
  private reportedDown = false;
  /** a batch this big is sent without lingering */
  private readonly readyBytes: number;

  constructor(
    private readonly sender: Sender,
    private readonly s: Settings,
    private readonly node: string,
    private readonly log: BridgeLog,
  ) {
    this.queue = new BoundedQueue<Rec>(s.maxTotalBytes);
    // sync: wait for each produce call before the next; async: max_send_ahead more may be on the wire
    this.maxInflight = s.produce === 'sync' ? 1 : s.maxSendAhead + 1;
    this.readyBytes = s.minBatchBytes > 0 ? Math.min(s.minBatchBytes, s.maxBatchBytes) : s.maxBatchBytes;
  }

  /** Hot path (called from hooks): O(1), never blocks, never throws. */
  enqueue(r: Rec): void {
    if (this.status === 'stopped') return;
    this.enqueued++;
    const q = this.queue;
    q.push(r);
    if (!this.scheduled) this.schedule(0);
    else if (this.lingering && (q.length >= this.s.batchSize || q.bytes >= this.readyBytes)) this.schedule(0);
  }

  start(): void {
    this.schedule(0);
  }

  stats(): BridgeStats {
    return {
      status: this.status,
      buffered: this.queue.length,
      buffered_bytes: this.queue.bytes,
      max_buffer_bytes: this.queue.maxBytes,
      inflight: this.inflight,
      unsent_bytes: this.sender.unsent(),
      enqueued: this.enqueued,
      sent: this.sent,
      dropped: this.queue.dropped,
      batches: this.batches,
      requests: this.sender.requests(),
      failed_batches: this.failedBatches,
      rejected: this.rejected,
      last_error: this.lastError,
    };
  }

  /** resolves when nothing is buffered or in flight (or after `ms`); true if drained */
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

  /**
   * Stops the loop: tries for up to `flushMs` to hand over what is buffered, then
   * disconnects. Returns the number of records given up (counted as dropped).
   */
  async stop(flushMs: number): Promise<number> {
    if (this.status === 'stopped') return 0;
    if (flushMs > 0 && this.status === 'connected') await this.drain(flushMs);
    this.status = 'stopped';
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    const lost = this.queue.clear();
    this.queue.dropped += lost;
    try {
      await this.sender.disconnect();
    } catch (err) {
      this.log.debug(`disconnect: ${msgOf(err)}`);
    }
    return lost;
  }

  /** runs pump() after `delay` ms (0: on the next turn); an earlier request wins over a later one */
  private schedule(delay: number): void {
    if (this.status === 'stopped') return;
    if (this.scheduled) {
      if (delay > 0 || this.immediate) return;
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.scheduled = true;
    this.lingering = false;
    if (delay <= 0) {
      this.immediate = setImmediate(this.pumpFn);
    } else {
      this.timer = setTimeout(this.pumpFn, delay);
      this.timer.unref?.();
    }
  }

  private backoff(): number {
    return Math.min(this.s.reconnectMs, 100 * 2 ** Math.min(this.failures, 10));
  }

  private pump(): void {
    this.scheduled = false;
    this.lingering = false;
    this.immediate = undefined;
    this.timer = undefined;
    if (this.status === 'stopped') return;
    if (this.status !== 'connected') {
      // the connect attempt (or its back-off) calls pump again: hooks need not schedule meanwhile
      this.scheduled = true;
      this.connect();
      return;
    }
    const q = this.queue;
    while (this.inflight < this.maxInflight && q.length > 0) {
      if (this.s.lingerMs > 0 && q.length < this.s.batchSize && q.bytes < this.readyBytes) {
        const wait = q.peek()!.ts + this.s.lingerMs - Date.now();
        if (wait > 0) {
          this.schedule(wait);
          this.lingering = true;
          break;
        }
      }
      this.sendOne(q.take(this.s.batchSize, this.s.maxBatchBytes));
    }
    this.checkIdle();
  }

  private connect(): void {
    if (this.connecting) return;
    this.status = 'connecting';
    this.connecting = this.sender.connect().then(
      () => {
        this.connecting = undefined;
        if (this.status === 'stopped') return;
        if (this.reportedDown) this.log.info(`Kafka is reachable again (${this.s.servers.join(',')}); sending ${this.queue.length} buffered records`);
        this.reportedDown = false;
        this.status = 'connected';
        this.failures = 0;
        this.scheduled = false;
        this.schedule(0);
      },
      (err: unknown) => {
        this.connecting = undefined;
        if (this.status === 'stopped') return;
        this.down(err);
      },
    );
  }

  private down(err: unknown): void {
    const m = msgOf(err);
    if (!this.reportedDown || m !== this.lastError) {
      this.log.warning(`Kafka unreachable (${this.s.servers.join(',')}): ${m}; buffering up to ${this.queue.maxBytes} bytes, oldest records dropped past that`);
    }
    this.reportedDown = true;
    this.lastError = m;
    this.status = 'disconnected';
    this.failures++;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.scheduled = false;
    this.schedule(this.backoff());
  }

  private sendOne(batch: Rec[]): void {
    this.inflight++;
    const progress = { done: 0 };
    this.deliver(batch, progress).then(
      () => {
        this.inflight--;
        if (this.status !== 'connected') return;
        this.failures = 0;
        if (this.queue.length > 0) this.schedule(0);
        this.checkIdle();
      },
      (err: unknown) => {
        this.inflight--;
        this.failedBatches++;
        const rest = progress.done === 0 ? batch : batch.slice(progress.done);
        if (this.status === 'stopped') {
          this.queue.dropped += rest.length;
          return;
        }
        this.queue.unshift(rest);
        if (this.status === 'connected') {
          // start over with a fresh connection: kafkajs may hold brokers that are gone
          this.sender.disconnect().catch(() => undefined);
          this.down(err);
        }
      },
    );
  }

  /**
   * One produce call for `batch`. When Kafka refuses the records themselves (RecordsRejected,
   * e.g. MESSAGE_TOO_LARGE) the batch is halved until the refused records are alone; those are
   * dropped and counted, the rest is sent. `progress.done` counts the leading records finished,
   * so a connection failure part way puts back only the others.
   */
  private async deliver(batch: Rec[], progress: { done: number }): Promise<void> {
    try {
      await this.sender.send(this.topics(batch));
      this.sent += batch.length;
      this.batches++;
    } catch (err) {
      if (!(err instanceof RecordsRejected) || this.status === 'stopped') throw err;
      if (batch.length > 1) {
        const mid = batch.length >>> 1;
        await this.deliver(batch.slice(0, mid), progress);
        await this.deliver(batch.slice(mid), progress);
        return;
      }
      this.rejected++;
      if (err.message !== this.lastRejection) this.log.warning(`Kafka refused a record for topic ${batch[0]!.rule.topic} (${batch[0]!.rule.key}): ${err.message}; dropped`);
      this.lastRejection = err.message;
      this.lastError = err.message;
    }
    progress.done += batch.length;
  }

  /** the records as Kafka messages, grouped by Kafka topic */
  private topics(batch: Rec[]): TopicBatch[] {
    const byTopic = new Map<string, OutMessage[]>();
    for (const r of batch) {
      const t = r.rule.topic;
      let list = byTopic.get(t);
      if (!list) byTopic.set(t, (list = []));
      list.push({ key: recordKey(r), value: encodeValue(r, this.node), s: r.rule.strategy });
    }
    const out: TopicBatch[] = [];
    for (const [topic, messages] of byTopic) out.push({ topic, messages });
    return out;
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
  const e = err as { message?: string; name?: string } | undefined;
  return e?.message ?? String(err);
}
