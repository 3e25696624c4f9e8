// The Sender on top of kafkajs: one producer, a partitioner that follows each rule's
// "strategy", produce-request counting from kafkajs' instrumentation, logs routed to ours.
import './kafkajs-patch.js'; // first: before kafkajs loads
import * as net from 'node:net';
import { CompressionTypes, Kafka, logLevel, Partitioners, type ISocketFactoryArgs, type LogEntry, type PartitionerArgs, type Producer } from 'kafkajs';
import type { Settings, Strategy } from './config.js';
import { RecordsRejected, type OutMessage, type Sender, type TopicBatch } from './bridge.js';

export interface SenderLog {
  warning(msg: string): void;
  debug(msg: string): void;
}

/**
 * Partitions per rule strategy (EMQX: random | roundrobin | first_key_dispatch).
 * first_key_dispatch hashes the record key with Kafka's murmur2 (kafkajs' default
 * partitioner); a record without a key goes to a random partition.
 */
export function createPartitioner(): () => (args: PartitionerArgs) => number {
  return () => {
    const keyed = Partitioners.DefaultPartitioner();
    const next = new Map<string, number>();
    return (args: PartitionerArgs) => {
      const parts = args.partitionMetadata;
      const n = parts.length;
      if (n <= 1) return parts[0]?.partitionId ?? 0;
      const s: Strategy = (args.message as unknown as OutMessage).s ?? 'random';
      if (s === 'roundrobin') {
        const i = next.get(args.topic) ?? 0;
        next.set(args.topic, (i + 1) % n);
        return parts[i % n]!.partitionId;
      }
      if (s === 'first_key_dispatch' && args.message.key !== null && args.message.key !== undefined) return keyed(args);
      return parts[Math.floor(Math.random() * n)]!.partitionId;
    };
  };
}

/** Kafka error codes that refuse the records themselves: sending them again cannot succeed */
const REFUSALS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_TOPIC_EXCEPTION', 'TOPIC_AUTHORIZATION_FAILED', 'CORRUPT_MESSAGE', 'INVALID_RECORD', 'INVALID_TIMESTAMP']);

/** the refusal behind a kafkajs error (it wraps them in KafkaJSNonRetriableError's cause), if any */
export function refusal(err: unknown): string | undefined {
  for (let e = err as { type?: unknown; message?: string; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.type === 'string' && REFUSALS.has(e.type)) return `${e.type}: ${e.message ?? ''}`;
  }
  return undefined;
}

export class KafkajsSender implements Sender {
  private readonly producer: Producer;
  private produceRequests = 0;
  private pendingDisconnect: Promise<void> | undefined;
  private readonly compression: CompressionTypes;
  /** the producer's sockets: kafkajs does not wait for a socket to drain (with acks = 0 a send ends at write) */
  private readonly sockets = new Set<net.Socket>();
  /** unsent bytes a socket may hold before the next produce call waits for it to drain */
  private readonly wireLimit: number;

  constructor(private readonly s: Settings, clientId: string, log: SenderLog) {
    const kafka = new Kafka({
      clientId,
      brokers: s.servers,
      // one fast attempt per produce call: the bridge does its own back-off and keeps the records
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 },
      connectionTimeout: Math.min(s.syncTimeout, 3000),
      requestTimeout: s.syncTimeout,
      logLevel: logLevel.WARN,
      socketFactory: ({ host, port, onConnect }: ISocketFactoryArgs) => {
        const socket = net.connect({ host, port }, onConnect);
        socket.setKeepAlive(true, 60_000);
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        return socket;
      },
      // kafkajs' own complaints go to debug: the bridge logs Kafka going away and coming back once each
      logCreator: () => (e: LogEntry) => log.debug(`kafkajs: ${e.log.message}${e.log.error ? `: ${String(e.log.error)}` : ''}`),
    });
    this.producer = kafka.producer({
      createPartitioner: createPartitioner(),
      allowAutoTopicCreation: true,
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.producer.on(this.producer.events.REQUEST, (e: { payload: { apiName: string } }) => {
      if (e.payload.apiName === 'Produce') this.produceRequests++;
    });
    if (s.compression === 'snappy') log.warning('bridge.kafka.producer.compression = snappy needs a codec kafkajs does not ship; sending uncompressed');
    this.compression = s.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    this.wireLimit = Math.max(s.maxBatchBytes, 1 << 20);
  }

  async connect(): Promise<void> {
    if (this.pendingDisconnect) await this.pendingDisconnect;
    await this.producer.connect();
  }

  async send(batch: TopicBatch[]): Promise<void> {
    try {
      await this.producer.sendBatch({
        topicMessages: batch as unknown as Array<{ topic: string; messages: Array<{ key: string | null; value: string }> }>,
        acks: this.s.acks,
        timeout: this.s.ackTimeout,
        compression: this.compression,
      });
    } catch (err) {
      const why = refusal(err);
      throw why === undefined ? err : new RecordsRejected(why);
    }
    await this.drained();
  }

  /** bytes written to the Kafka sockets that the kernel has not taken yet */
  unsent(): number {
    let n = 0;
    for (const so of this.sockets) n += so.writableLength;
    return n;
  }

  /**
   * Backpressure: when Kafka stops reading, its socket's unsent bytes grow in Node's memory
   * (kafkajs ends an acks = 0 send at write). Wait for such a socket to drain, at most
   * produce.sync_timeout, else fail the call like a request timeout.
   */
  private async drained(): Promise<void> {
    const deadline = Date.now() + this.s.syncTimeout;
    for (;;) {
      let full: net.Socket | undefined;
      for (const so of this.sockets) if (so.writableLength > this.wireLimit && !so.destroyed) full = so;
      if (!full) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Kafka is not reading: ${full.writableLength} bytes unsent after ${this.s.syncTimeout} ms`);
      const so = full;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          so.off('drain', done);
          so.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, left);
        so.once('drain', done);
        so.once('close', done);
      });
    }
  }

  /** kafkajs' disconnect, at most 2 s (a stalled Kafka must not hold an unload), then no socket is left open */
  disconnect(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const p = Promise.race([
      this.producer.disconnect().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 2000);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      for (const so of this.sockets) so.destroy();
      if (this.pendingDisconnect === p) this.pendingDisconnect = undefined;
    });
    this.pendingDisconnect = p;
    return p;
  }

  requests(): number {
    return this.produceRequests;
  }
}
