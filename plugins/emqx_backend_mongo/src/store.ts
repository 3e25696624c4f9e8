// The MongoDB driver of the shared backend layer (the official `mongodb` package), with EMQX's
// collections: mqtt_client, mqtt_sub, mqtt_msg, mqtt_retain, mqtt_acked (times in seconds).
// Consecutive mqtt_msg documents of a batch go in one ordered insertMany.
import { backend, type QoS } from '@nemq/sdk';
import { Binary, MongoClient, type Db, type Document } from 'mongodb';
import type { MongoSettings } from './options.js';

type StoredMessage = backend.StoredMessage;
type WriteOp = backend.WriteOp;

const RETRY_NAMES = /Network|ServerSelection|Topology|PoolCleared|NotConnected|Timeout|ServerClosed/;
const RETRY_TEXT = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|connection .*closed|Topology is closed|timed out/i;

export function toStoreError(err: unknown): backend.StoreError {
  if (err instanceof backend.StoreError) return err;
  const e = err as { name?: string; message?: string; hasErrorLabel?: (l: string) => boolean };
  // a bulk write the server never saw (MongoBulkWriteError around a network error) is retried too
  const retry = e?.name === undefined || RETRY_NAMES.test(e.name) || e.hasErrorLabel?.('RetryableWriteError') === true || RETRY_TEXT.test(e.message ?? '');
  return new backend.StoreError(`${e?.name ?? "Error"}: ${e?.message ?? String(err)}`, retry);
}

const secs = (ms: number): number => Math.floor(ms / 1000);

/** the index of the document an ordered insertMany stopped at for a duplicate _id (E11000), if that is why it failed */
export function duplicateAt(err: unknown): number | undefined {
  const e = err as { code?: number; writeErrors?: unknown };
  const list = Array.isArray(e?.writeErrors) ? e.writeErrors : e?.writeErrors !== undefined ? [e.writeErrors] : [];
  const first = list[0] as { code?: number; index?: number; err?: { code?: number; index?: number } } | undefined;
  const code = first?.code ?? first?.err?.code;
  const index = first?.index ?? first?.err?.index;
  return list.length === 1 && code === 11000 && typeof index === 'number' ? index : undefined;
}

/** the payload field: JSON documents as documents (mongo_json), UTF-8 text as a string, other bytes as binary */
export function payloadValue(p: Buffer, json: boolean): unknown {
  const text = p.toString('utf8');
  const utf8 = Buffer.byteLength(text) === p.length && !text.includes('\ufffd');
  if (!utf8) return new Binary(p);
  if (json && (text.startsWith('{') || text.startsWith('['))) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      /* not JSON: the text */
    }
  }
  return text;
}

function payloadBytes(v: unknown): Buffer {
  if (v instanceof Binary) return Buffer.from(v.buffer);
  if (typeof v === 'string') return Buffer.from(v);
  if (v === null || v === undefined) return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(v));
}

function toMessage(d: Document, retain: boolean | undefined): StoredMessage {
  const qos = Number(d.qos);
  return {
    msgid: String(d.msgid ?? ''), topic: String(d.topic), sender: String(d.sender ?? ''), node: String(d.node ?? ''),
    qos: (qos === 2 ? 2 : qos === 1 ? 1 : 0) as QoS, retain: retain ?? d.retain === true,
    payload: payloadBytes(d.payload), arrived: typeof d.arrived === 'number' ? d.arrived * 1000 : Date.now(),
  };
}

// mqtt_msg `_id` is an integer, as EMQX documents it (and mqtt_acked.mongo_id with it): time in µs,
// kept increasing within the process, so sorting by _id is arrival order
let lastId = 0;
export function nextMsgId(): number {
  lastId = Math.max(lastId + 1, Date.now() * 1000);
  return lastId;
}

function msgDoc(m: StoredMessage, json: boolean): Document {
  return { topic: m.topic, msgid: m.msgid, sender: m.sender, node: m.node, qos: m.qos, retain: m.retain, payload: payloadValue(m.payload, json), arrived: secs(m.arrived) };
}

export class MongoStore implements backend.BackendStore {
  private readonly client: MongoClient;
  private readonly db: Db;
  private readonly ids = new WeakMap<object, number>();

  constructor(s: MongoSettings) {
    this.client = new MongoClient(s.uri, s.options);
    this.db = this.client.db(s.database);
  }

  async open(): Promise<void> {
    try {
      await this.client.connect();
      await this.db.command({ ping: 1 });
    } catch (err) {
      throw toStoreError(err);
    }
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  write(batch: readonly WriteOp[]): Promise<void> {
    return this.guard(async () => {
      for (let i = 0; i < batch.length; ) {
        const op = batch[i]!;
        if (op.kind === 'message') {
          const docs: Document[] = [];
          while (i < batch.length && batch[i]!.kind === 'message') {
            const o = batch[i] as { m: StoredMessage; json: boolean };
            // the same _id when a batch is written again: a row the server already took is refused, not doubled
            let id = this.ids.get(o);
            if (id === undefined) this.ids.set(o, (id = nextMsgId()));
            docs.push({ _id: id, ...msgDoc(o.m, o.json) } as Document);
            i++;
          }
          await this.insertMessages(docs);
          continue;
        }
        await this.one(op);
        i++;
      }
    });
  }

  /** in order; a document the server already has (its _id: a batch written again) is skipped */
  private async insertMessages(docs: Document[]): Promise<void> {
    let rest = docs;
    while (rest.length > 0) {
      try {
        await this.db.collection('mqtt_msg').insertMany(rest, { ordered: true });
        return;
      } catch (err) {
        const i = duplicateAt(err);
        if (i === undefined) throw err;
        rest = rest.slice(i + 1);
      }
    }
  }

  private async one(op: WriteOp): Promise<void> {
    switch (op.kind) {
      case 'connected':
        await this.db.collection('mqtt_client').updateOne({ clientid: op.clientid }, { $set: { clientid: op.clientid, state: 1, node: op.node, online_at: secs(op.at), offline_at: null } }, { upsert: true });
        return;
      case 'disconnected':
        await this.db.collection('mqtt_client').updateOne({ clientid: op.clientid }, { $set: { state: 0, offline_at: secs(op.at) } });
        return;
      case 'retain': {
        const { retain: _r, node: _n, ...doc } = msgDoc(op.m, op.json);
        await this.db.collection('mqtt_retain').updateOne({ topic: op.m.topic }, { $set: doc }, { upsert: true });
        return;
      }
      case 'retain_delete':
        await this.db.collection('mqtt_retain').deleteMany({ topic: op.topic });
        return;
      case 'acked': {
        const m = await this.db.collection('mqtt_msg').findOne({ msgid: op.msgid }, { projection: { _id: 1 } });
        // a message not stored leaves the mark alone. nemq keeps the msgid beside mongo_id: msgids
        // sort by arrival time, so the mark works whatever the server made of _id
        if (m) await this.db.collection('mqtt_acked').updateOne({ clientid: op.clientid, topic: op.topic }, { $set: { clientid: op.clientid, topic: op.topic, mongo_id: m._id, msgid: op.msgid } }, { upsert: true });
        return;
      }
      case 'sql':
        throw new backend.StoreError('MongoDB has no SQL actions', false);
      case 'insert':
        await this.db.collection(op.collection).insertOne({ ...op.doc });
        return;
      case 'message':
        return;
    }
  }

  subscriptions(clientid: string): Promise<Array<{ topic: string; qos: QoS }>> {
    return this.guard(async () => {
      const docs = await this.db.collection('mqtt_sub').find({ clientid }).toArray();
      return docs.filter((d) => typeof d.topic === 'string').map((d) => ({ topic: d.topic as string, qos: Number(d.qos) as QoS }));
    });
  }

  fetch(clientid: string, topic: string, o: backend.FetchOptions): Promise<StoredMessage[]> {
    return this.guard(async () => {
      const acked = this.db.collection('mqtt_acked');
      const mark = await acked.findOne({ clientid, topic });
      const msgs = this.db.collection('mqtt_msg');
      if (!mark) {
        const [newest] = await msgs.find({ topic }, { projection: { _id: 1, msgid: 1 } }).sort({ msgid: -1 }).limit(1).toArray();
        await acked.updateOne({ clientid, topic }, { $setOnInsert: { clientid, topic, mongo_id: newest?._id ?? null, msgid: newest?.msgid ?? '' } }, { upsert: true });
        return [];
      }
      const q: Document = { topic, qos: { $gt: 0 } };
      let order: Document = { msgid: 1 };
      if (typeof mark.msgid === 'string') q.msgid = { $gt: mark.msgid };
      else if (mark.mongo_id != null) {
        // a mark without msgid (written by EMQX): by the integer _id
        q._id = { $gt: mark.mongo_id };
        order = { _id: 1 };
      }
      if (o.since !== undefined) q.arrived = { $gte: secs(o.since) };
      let cur = msgs.find(q).sort(order);
      if (o.maxReturned !== undefined) cur = cur.limit(o.maxReturned);
      return (await cur.toArray()).map((d) => toMessage(d, undefined));
    });
  }

  retained(topic: string): Promise<StoredMessage[]> {
    return this.guard(async () => (await this.db.collection('mqtt_retain').find({ topic }).toArray()).map((d) => toMessage(d, true)));
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }
}
