// The MySQL driver of the shared backend layer (mysql2). A batch is one transaction on one
// connection; consecutive mqtt_msg rows go in one multi-row INSERT.
import { backend, parseServer, tlsConnectOptions, type BackendTls, type QoS } from '@nemq/sdk';
import { createPool, type Pool, type PoolConnection, type PoolOptions, type RowDataPacket } from 'mysql2/promise';

type StoredMessage = backend.StoredMessage;
type WriteOp = backend.WriteOp;

export interface MysqlOptions {
  server: string;
  poolSize: number;
  user: string;
  password: string;
  database: string;
  /** ms for one batch or lookup */
  queryTimeout: number;
  ssl?: BackendTls | undefined;
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

export function toStoreError(err: unknown): backend.StoreError {
  if (err instanceof backend.StoreError) return err;
  const e = err as { code?: string; fatal?: boolean; message?: string };
  const retry = e?.code === undefined || NETWORK.has(e.code) || e.fatal === true;
  return new backend.StoreError(e?.message ?? String(err), retry);
}

const CONNECTED =
  'INSERT INTO mqtt_client (clientid, state, node, online_at, offline_at) VALUES (?, 1, ?, ?, NULL) ' +
  'ON DUPLICATE KEY UPDATE state = 1, node = VALUES(node), online_at = VALUES(online_at), offline_at = NULL';
const DISCONNECTED = 'UPDATE mqtt_client SET state = 0, offline_at = ? WHERE clientid = ?';
const MESSAGE = 'INSERT INTO mqtt_msg (msgid, topic, sender, node, qos, retain, payload, arrived) VALUES ';
const RETAIN =
  'INSERT INTO mqtt_retain (topic, msgid, sender, node, qos, payload, arrived) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
  'ON DUPLICATE KEY UPDATE msgid = VALUES(msgid), sender = VALUES(sender), node = VALUES(node), qos = VALUES(qos), payload = VALUES(payload), arrived = VALUES(arrived)';
const RETAIN_DELETE = 'DELETE FROM mqtt_retain WHERE topic = ?';
// the mark moves to the acknowledged message's row; a message not stored leaves it alone
const ACKED =
  'INSERT INTO mqtt_acked (clientid, topic, mid, created) SELECT ?, ?, id, NOW() FROM mqtt_msg WHERE msgid = ? ORDER BY id DESC LIMIT 1 ' +
  'ON DUPLICATE KEY UPDATE mid = VALUES(mid), created = VALUES(created)';
const SUBS = 'SELECT topic, qos FROM mqtt_sub WHERE clientid = ?';
const MARK = 'SELECT mid FROM mqtt_acked WHERE clientid = ? AND topic = ?';
const FIRST_MARK =
  'INSERT INTO mqtt_acked (clientid, topic, mid, created) SELECT ?, ?, COALESCE(MAX(id), 0), NOW() FROM mqtt_msg WHERE topic = ? ' +
  'ON DUPLICATE KEY UPDATE clientid = clientid';
const FETCH = 'SELECT msgid, topic, sender, node, qos, retain, payload, arrived FROM mqtt_msg WHERE topic = ? AND id > ? AND qos > 0';
const RETAINED = 'SELECT msgid, topic, sender, node, qos, payload, arrived FROM mqtt_retain WHERE topic = ?';

function row(r: RowDataPacket, retain: boolean | undefined): StoredMessage {
  const p = r.payload;
  return {
    msgid: String(r.msgid ?? ''), topic: String(r.topic), sender: String(r.sender ?? ''), node: String(r.node ?? ''),
    qos: (Number(r.qos) === 2 ? 2 : Number(r.qos) === 1 ? 1 : 0) as QoS,
    retain: retain ?? Number(r.retain) === 1,
    payload: Buffer.isBuffer(p) ? p : Buffer.from(p == null ? '' : String(p)),
    arrived: r.arrived instanceof Date ? r.arrived.getTime() : Date.now(),
  };
}

export class MysqlStore implements backend.BackendStore {
  private readonly pool: Pool;
  private readonly host: string;

  constructor(private readonly o: MysqlOptions) {
    const { host, port } = parseServer(o.server, 'backend.mysql.<pool>.server', 3306);
    this.host = host;
    const opts: PoolOptions = {
      host, port, user: o.user, password: o.password, database: o.database,
      connectionLimit: o.poolSize, maxIdle: o.poolSize, enableKeepAlive: true, waitForConnections: true,
      connectTimeout: Math.min(o.queryTimeout, 10_000),
      // mqtt_client / mqtt_msg times are DATETIME in the server's local time, as EMQX writes NOW()
      timezone: 'local',
    };
    if (o.ssl) opts.ssl = tlsConnectOptions(o.ssl, host) as PoolOptions['ssl'];
    this.pool = createPool(opts);
    // an idle connection that dies is dropped by the pool
    this.pool.pool.on('connection', (c) => c.on('error', () => undefined));
  }

  async open(): Promise<void> {
    const c = await this.pool.getConnection().catch((err: unknown) => {
      throw toStoreError(err);
    });
    c.release();
  }

  /** runs fn on one connection, bounded by query_timeout (the connection is dropped on a timeout) */
  private async withConn<T>(fn: (c: PoolConnection) => Promise<T>): Promise<T> {
    let conn: PoolConnection | undefined;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const work = (async () => {
      conn = await this.pool.getConnection();
      if (timedOut) {
        conn.release();
        throw new backend.StoreError('timed out', true);
      }
      try {
        return await fn(conn);
      } finally {
        if (!timedOut) conn.release();
      }
    })();
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        conn?.destroy();
        reject(new backend.StoreError(`timed out after ${this.o.queryTimeout} ms`, true));
      }, this.o.queryTimeout);
    });
    try {
      return await Promise.race([work, limit]);
    } catch (err) {
      throw toStoreError(err);
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
    }
  }

  write(batch: readonly WriteOp[]): Promise<void> {
    return this.withConn(async (c) => {
      await c.beginTransaction();
      try {
        for (let i = 0; i < batch.length; ) {
          const op = batch[i]!;
          if (op.kind === 'message') {
            let j = i;
            const values: unknown[] = [];
            let text = MESSAGE;
            while (j < batch.length && batch[j]!.kind === 'message') {
              const m = (batch[j] as { m: StoredMessage }).m;
              text += j === i ? '(?, ?, ?, ?, ?, ?, ?, ?)' : ', (?, ?, ?, ?, ?, ?, ?, ?)';
              values.push(m.msgid, m.topic, m.sender, m.node, m.qos, m.retain ? 1 : 0, m.payload, new Date(m.arrived));
              j++;
            }
            await c.query(text, values);
            i = j;
            continue;
          }
          await this.one(c, op);
          i++;
        }
        await c.commit();
      } catch (err) {
        await c.rollback().catch(() => undefined);
        throw err;
      }
    });
  }

  private async one(c: PoolConnection, op: WriteOp): Promise<void> {
    switch (op.kind) {
      case 'connected':
        await c.execute(CONNECTED, [op.clientid, op.node, new Date(op.at)]);
        return;
      case 'disconnected':
        await c.execute(DISCONNECTED, [new Date(op.at), op.clientid]);
        return;
      case 'retain': {
        const m = op.m;
        await c.execute(RETAIN, [m.topic, m.msgid, m.sender, m.node, m.qos, m.payload, new Date(m.arrived)]);
        return;
      }
      case 'retain_delete':
        await c.execute(RETAIN_DELETE, [op.topic]);
        return;
      case 'acked':
        await c.execute(ACKED, [op.clientid, op.topic, op.msgid]);
        return;
      case 'sql':
        for (const t of op.sql) {
          const { text, values } = backend.bindSql(t, op.vars, () => '?');
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
    return this.withConn(async (c) => {
      const [rows] = await c.execute<RowDataPacket[]>(SUBS, [clientid]);
      return rows.filter((r) => typeof r.topic === 'string' && r.topic !== '').map((r) => ({ topic: String(r.topic), qos: Number(r.qos) as QoS }));
    });
  }

  fetch(clientid: string, topic: string, o: backend.FetchOptions): Promise<StoredMessage[]> {
    return this.withConn(async (c) => {
      const [marks] = await c.execute<RowDataPacket[]>(MARK, [clientid, topic]);
      if (marks.length === 0 || marks[0]!.mid === null) {
        await c.execute(FIRST_MARK, [clientid, topic, topic]);
        return [];
      }
      let text = FETCH;
      const values: unknown[] = [topic, Number(marks[0]!.mid)];
      if (o.since !== undefined) {
        text += ' AND arrived >= ?';
        values.push(new Date(o.since));
      }
      text += ' ORDER BY id';
      if (o.maxReturned !== undefined) text += ` LIMIT ${Math.floor(o.maxReturned)}`;
      const [rows] = await c.query<RowDataPacket[]>(text, values);
      return rows.map((r) => row(r, undefined));
    });
  }

  retained(topic: string): Promise<StoredMessage[]> {
    return this.withConn(async (c) => {
      const [rows] = await c.execute<RowDataPacket[]>(RETAINED, [topic]);
      return rows.map((r) => row(r, true));
    });
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  toString(): string {
    return `mysql://${this.host}`;
  }
}
