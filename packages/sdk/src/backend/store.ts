// What a database driver gives the shared backend layer: batched writes and three reads.
// The layer (engine.ts) decides what to store and when; the driver only speaks its database.
import type { QoS } from '../data.js';
import type { SqlTemplate } from './rules.js';

/** a message as the mqtt_msg / mqtt_retain rows hold it */
export interface StoredMessage {
  /** EMQX's message id (a GUID, hex) */
  readonly msgid: string;
  readonly topic: string;
  /** publisher client id */
  readonly sender: string;
  readonly node: string;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly payload: Buffer;
  /** ms since the epoch */
  readonly arrived: number;
}

/** one queued write; a batch is written in order (in one transaction where the database has them) */
export type WriteOp =
  | { readonly kind: 'connected'; readonly clientid: string; readonly node: string; readonly at: number }
  | { readonly kind: 'disconnected'; readonly clientid: string; readonly at: number }
  /** mqtt_msg (on_message_publish / on_message_store) */
  | { readonly kind: 'message'; readonly m: StoredMessage; readonly json: boolean }
  /** mqtt_retain upsert (on_message_retain) */
  | { readonly kind: 'retain'; readonly m: StoredMessage; readonly json: boolean }
  /** mqtt_retain delete (on_retain_delete) */
  | { readonly kind: 'retain_delete'; readonly topic: string }
  /** mqtt_acked: the client's last acknowledged message of `topic` is `msgid` */
  | { readonly kind: 'acked'; readonly clientid: string; readonly topic: string; readonly msgid: string }
  /** an `"action": {"sql": [...]}` rule, or a rule engine data_to_mysql / data_to_pgsql action */
  | { readonly kind: 'sql'; readonly sql: readonly SqlTemplate[]; readonly vars: Readonly<Record<string, string | number>> }
  /** a rule engine data_to_mongo action: one document */
  | { readonly kind: 'insert'; readonly collection: string; readonly doc: Readonly<Record<string, unknown>> };

/**
 * Thrown by a driver: `retry` true when the database is unreachable (the batch is kept and
 * written again after a backoff), false when the database refused a statement.
 */
export class StoreError extends Error {
  constructor(message: string, readonly retry: boolean) {
    super(message);
  }
}

export interface FetchOptions {
  readonly maxReturned: number | undefined;
  /** only messages that arrived at or after this time (ms) */
  readonly since: number | undefined;
}

export interface BackendStore {
  /** connects (EMQX connects its pool at start: unreachable → the load fails) */
  open(): Promise<void>;
  /** writes the batch in order; throws StoreError */
  write(batch: readonly WriteOp[]): Promise<void>;
  /** mqtt_sub rows of a client (on_subscribe_lookup) */
  subscriptions(clientid: string): Promise<Array<{ topic: string; qos: QoS }>>;
  /**
   * on_message_fetch: the QoS 1/2 messages of `topic` after the client's mqtt_acked mark, oldest
   * first. A client with no mark yet gets none, and its mark is set to the newest message.
   */
  fetch(clientid: string, topic: string, o: FetchOptions): Promise<StoredMessage[]>;
  /** on_retain_lookup: the mqtt_retain row of `topic` */
  retained(topic: string): Promise<StoredMessage[]>;
  close(): Promise<void>;
}

/** the SQL text and values of a template, with `placeholder(i)` for the i-th bind parameter (0-based) */
export function bindSql(t: SqlTemplate, vars: Readonly<Record<string, string | number>>, placeholder: (i: number) => string): { text: string; values: Array<string | number | null> } {
  let text = t.parts[0]!;
  const values: Array<string | number | null> = [];
  for (let i = 0; i < t.vars.length; i++) {
    values.push(vars[t.vars[i]!] ?? null);
    text += placeholder(i) + t.parts[i + 1]!;
  }
  return { text, values };
}
