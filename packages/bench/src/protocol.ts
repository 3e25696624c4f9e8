/** Shared definitions between the coordinator (main thread) and load workers. */
import type { QoS } from './mqtt.js';

/** Slots of the per-worker shared Float64Array of counters. */
export const S = {
  /** PUBLISH frames written by publishers. */
  SENT: 0,
  /** PUBLISH frames received by subscribers. */
  RECEIVED: 1,
  /** Connections that got a successful CONNACK (and SUBACK for subscribers). */
  CONNECTED: 2,
  /** Connections that failed before being established. */
  FAILED: 3,
  /** Socket errors seen. */
  ERRORS: 4,
  /** Established connections that closed unexpectedly. */
  DROPPED: 5,
  /** PUBACKs received by QoS 1 publishers. */
  ACKED: 6,
  /** Times the end-to-end window was reset because messages went missing. */
  RESYNCS: 7,
  /** ms since the shared time base when the first connect was attempted. */
  FIRST_CONNECT_MS: 8,
  /** ms since the shared time base of the last successful connection. */
  LAST_CONNACK_MS: 9,
  /** Latency samples recorded. */
  LAT_SAMPLES: 10,
  /** Bytes received. */
  BYTES_IN: 11,
  /** Subscriptions refused by the broker (SUBACK 0x80). */
  SUB_REFUSED: 12,
  /** Connections refused by CONNACK return code. */
  CONN_REFUSED: 13,
  /** Socket reads (read callbacks). */
  READS: 14,
  /** Socket writes. */
  WRITES: 15,
} as const;
export const STATS_SLOTS = 16;

export type Role = 'pub' | 'sub' | 'conn';

export interface WorkerConfig {
  role: Role;
  host: string;
  port: number;
  /** Number of connections this worker owns. */
  count: number;
  /** Index of the first connection (for client ids and %i in topics). */
  startIndex: number;
  clientIdPrefix: string;
  /** Topic; "%i" is replaced by the connection index. */
  topic: string;
  qos: QoS;
  /** Payload bytes (publishers). */
  payloadSize: number;
  keepalive: number;
  /** Loopback source addresses to spread connections over (round robin); empty = kernel default. */
  localAddresses?: string[];
  username?: string;
  password?: string;
  /** Concurrent connection attempts in flight. */
  connectConcurrency: number;
  /** Give up establishing connections after this long. */
  connectTimeoutMs: number;
  /** Publishers: messages per second in total for this worker, 0 = as fast as flow control allows. */
  rate: number;
  /** Publishers (flood mode): frames per socket write. */
  batch: number;
  /** Publishers, QoS 1: max PUBLISHes awaiting PUBACK per connection. */
  inflight: number;
  /**
   * Publishers: end-to-end window, max publishes sent but not yet seen by
   * the subscribers of `peers` (divided by `fanout`). 0 disables.
   */
  window: number;
  fanout: number;
  /** Stats buffers of subscriber workers, read for the end-to-end window. */
  peers: SharedArrayBuffer[];
  /**
   * Read coalescing: after a read that did not fill the read buffer, stop
   * reading the socket until the next tick of this period (ms). Trades a
   * little latency for far fewer syscalls; 0 reads as soon as data arrives.
   */
  coalesceMs: number;
  /** Put a send timestamp into each payload / record latency at the subscriber. */
  stamp: boolean;
  /** Subscribers: capacity of the latency sample buffer. */
  latencyCapacity: number;
  /** process.hrtime.bigint() of the coordinator, as a decimal string. */
  timeBase: string;
  stats: SharedArrayBuffer;
}

export type Command =
  | { cmd: 'go' }
  | { cmd: 'stop' }
  | { cmd: 'record'; on: boolean }
  | { cmd: 'collect' }
  | { cmd: 'close' };

export type WorkerMessage =
  | { type: 'ready'; connected: number; failed: number; error?: string }
  | { type: 'samples'; samples: Float64Array }
  | { type: 'closed' }
  | { type: 'note'; text: string }
  | { type: 'fatal'; error: string };
