// The PostgreSQL driver of the shared backend layer (node-postgres). A batch is one
// transaction on one connection; consecutive mqtt_msg rows go in one multi-row INSERT.
// EMQX's schema keeps payloads as text: they are stored as UTF-8 text.
import { backend, parseServer, tlsConnectOptions, type BackendTls, type QoS } from '@nemq/sdk';
import pg from 'pg';

type StoredMessage = backend.StoredMessage;
type WriteOp = backend.WriteOp;

export interface PgsqlOptions {
  server: string;
  poolSize: number;
  username: string;
  password: string;
  database: string;
  /** ms for one statement */
  queryTimeout: number;
  ssl?: BackendTls | undefined;
}

/** SQLSTATE classes that mean "try again later": connection (08), shutdown (57P), serialization (40) */
export function toStoreError(err: unknown): backend.StoreError {
  if (err instanceof backend.StoreError) return err;
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  const retry = code === undefined || code.startsWith('08') || code.startsWith('57P') || code.startsWith('40') || code === '53300';
  return new backend.StoreError(e?.message ?? String(err), retry);
}

const CONNECTED =
  'INSERT INTO mqtt_client (clientid, state, node, online_at, offline_at, created) VALUES ($1, 1, $2, $3, NULL, now()) ' +
  'ON CONFLICT (clientid) DO UPDATE SET state = 1, node = EXCLUDED.node, online_at = EXCLUDED.online_at, offline_at = NULL';
const DISCONNECTED = 'UPDATE mqtt_client SET state = 0, offline_at = $1 WHERE clientid = $2';
const MESSAGE = 'INSERT INTO mqtt_msg (msgid, sender, topic, qos, retain, payload, arrived) VALUES ';
const RETAIN =
  'INSERT INTO mqtt_retain (topic, msgid, sender, qos, payload, arrived) VALUES ($1, $2, $3, $4, $5, $6) ' +
  'ON CONFLICT (topic) DO UPDATE SET msgid = EXCLUDED.msgid, sender = EXCLUDED.sender, qos = EXCLUDED.qos, payload = EXCLUDED.payload, arrived = EXCLUDED.arrived';
const RETAIN_DELETE = 'DELETE FROM mqtt_retain WHERE topic = $1';
// the mark moves to the acknowledged message's row; a message not stored leaves it alone
const ACKED =
  'INSERT INTO mqtt_acked (clientid, topic, mid, created) SELECT $1::varchar, $2::varchar, id, now() FROM mqtt_msg WHERE msgid = $3 ORDER BY id DESC LIMIT 1 ' +
  'ON CONFLICT (clientid, topic) DO UPDATE SET mid = EXCLUDED.mid, created = EXCLUDED.created';
const SUBS = 'SELECT topic, qos FROM mqtt_sub WHERE clientid = $1';
const MARK = 'SELECT mid FROM mqtt_acked WHERE clientid = $1 AND topic = $2';
const FIRST_MARK =
  'INSERT INTO mqtt_acked (clientid, topic, mid, created) SELECT $1::varchar, $2::varchar, COALESCE(MAX(id), 0), now() FROM mqtt_msg WHERE topic = $3 ' +
  'ON CONFLICT (clientid, topic) DO NOTHING';
const RETAINED = 'SELECT msgid, topic, sender, qos, payload, arrived FROM mqtt_retain WHERE topic = $1';

function toMessage(r: Record<string, unknown>, retain: boolean | undefined): StoredMessage {
  const qos = Number(r.qos);
  return {
    msgid: String(r.msgid ?? ''), topic: String(r.topic), sender: String(r.sender ?? ''), node: '',
    qos: (qos === 2 ? 2 : qos === 1 ? 1 : 0) as QoS,
    retain: retain ?? Number(r.retain) === 1,
    payload: Buffer.from(r.payload == null ? '' : String(r.payload)),
    arrived: r.arrived instanceof Date ? r.arrived.getTime() : Date.now(),
  };
}

const ignore = (): void => undefined;

export class PgsqlStore implements backend.BackendStore {
  private readonly pool: pg.Pool;

  constructor(o: PgsqlOptions) {
    const { host, port } = parseServer(o.server, 'backend.pgsql.<pool>.server', 5432);
    const cfg: pg.PoolConfig = {
      host, port, user: o.username, password: o.password, database: o.database, max: o.poolSize,
      connectionTimeoutMillis: Math.min(o.queryTimeout, 10_000), query_timeout: o.queryTimeout,
    };
    if (o.ssl) cfg.ssl = tlsConnectOptions(o.ssl, host);
    this.pool = new pg.Pool(cfg);
    // an idle connection that dies is dropped by the pool
    this.pool.on('error', () => undefined);
  }

  async open(): Promise<void> {
    try {
      (await this.pool.connect()).release();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  private async run<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let c: pg.PoolClient | undefined;
    let broken = false;
    try {
      c = await this.pool.connect();
      // a server that ends the connection mid-query also emits 'error' on the client: the query's rejection reports it
      c.on('error', ignore);
      return await fn(c);
    } catch (err) {
      const e = toStoreError(err);
      broken = e.retry;
      throw e;
    } finally {
      // a connection that failed is not handed out again
      c?.off('error', ignore);
      c?.release(broken ? true : undefined);
    }
  }

  write(batch: readonly WriteOp[]): Promise<void> {
    return this.run(async (c) => {
      await c.query('BEGIN');
      try {
        for (let i = 0; i < batch.length; ) {
          const op = batch[i]!;
          if (op.kind === 'message') {
            let j = i;
            const values: unknown[] = [];
            let text = MESSAGE;
            while (j < batch.length && batch[j]!.kind === 'message') {
              const m = (batch[j] as { m: StoredMessage }).m;
              const n = values.length;
              text += `${j === i ? '' : ', '}($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7})`;
              values.push(m.msgid, m.sender, m.topic, m.qos, m.retain ? 1 : 0, m.payload.toString(), new Date(m.arrived));
              j++;
            }
            await c.query(text, values);
            i = j;
            continue;
          }
          await this.one(c, op);
          i++;
        }
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  private async one(c: pg.PoolClient, op: WriteOp): Promise<void> {
    switch (op.kind) {
      case 'connected':
        await c.query(CONNECTED, [op.clientid, op.node, new Date(op.at)]);
        return;
      case 'disconnected':
        await c.query(DISCONNECTED, [new Date(op.at), op.clientid]);
        return;
      case 'retain': {
        const m = op.m;
        await c.query(RETAIN, [m.topic, m.msgid, m.sender, m.qos, m.payload.toString(), new Date(m.arrived)]);
        return;
      }
      case 'retain_delete':
        await c.query(RETAIN_DELETE, [op.topic]);
        return;
      case 'acked':
        await c.query(ACKED, [op.clientid, op.topic, op.msgid]);
        return;
      case 'sql':
        for (const t of op.sql) {
          const { text, values } = backend.bindSql(t, op.vars, (i) => `$${i + 1}`);
          await c.query(text, values);
        }
        return;
      case 'insert':
        throw new backend.StoreError('an insert of a document is for MongoDB', false);
      case 'message':
        return;
    }
  }

  subscriptions(clientid: string): Promise<Array<{ topic: string; qos: QoS }>> {
    return this.run(async (c) => (await c.query(SUBS, [clientid])).rows.filter((r: { topic: unknown }) => typeof r.topic === 'string' && r.topic !== '').map((r: { topic: string; qos: number }) => ({ topic: r.topic, qos: Number(r.qos) as QoS })));
  }

  fetch(clientid: string, topic: string, o: backend.FetchOptions): Promise<StoredMessage[]> {
    return this.run(async (c) => {
      const marks = await c.query(MARK, [clientid, topic]);
      if (marks.rows.length === 0 || marks.rows[0].mid === null) {
        await c.query(FIRST_MARK, [clientid, topic, topic]);
        return [];
      }
      let text = 'SELECT msgid, topic, sender, qos, retain, payload, arrived FROM mqtt_msg WHERE topic = $1 AND id > $2 AND qos > 0';
      const values: unknown[] = [topic, Number(marks.rows[0].mid)];
      if (o.since !== undefined) {
        values.push(new Date(o.since));
        text += ` AND arrived >= $${values.length}`;
      }
      text += ' ORDER BY id';
      if (o.maxReturned !== undefined) text += ` LIMIT ${Math.floor(o.maxReturned)}`;
      return (await c.query(text, values)).rows.map((r: Record<string, unknown>) => toMessage(r, undefined));
    });
  }

  retained(topic: string): Promise<StoredMessage[]> {
    return this.run(async (c) => (await c.query(RETAINED, [topic])).rows.map((r: Record<string, unknown>) => toMessage(r, true)));
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
