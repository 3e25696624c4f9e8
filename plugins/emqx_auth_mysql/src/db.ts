// The connection pool (EMQX: ecpool of `auth.mysql.pool` mysql-otp connections).
// Every query is a server-side prepared statement (mysql2 execute) with bind values;
// `auth.mysql.query_timeout` bounds one query, after which its connection is dropped.
import { QueryError, parseServer as parseServerAddress, tlsConnectOptions, type BackendTls, type Querier, type QueryResult } from '@nemq/sdk';
import { createPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2';

export { QueryError, type Querier, type QueryResult } from '@nemq/sdk';

export interface DbOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  size: number;
  /** ms for one query (EMQX default when unset: 300000) */
  queryTimeout: number;
  ssl?: BackendTls | undefined;
}

/** `auth.mysql.server` (the SDK's parser, default port 3306) */
export function parseServer(s: string): { host: string; port: number } {
  return parseServerAddress(s, 'auth.mysql.server', 3306);
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT']);

function toQueryError(err: unknown): QueryError {
  const e = err as { code?: string; fatal?: boolean; message?: string };
  const msg = e?.message ?? String(err);
  if (e?.code && (NETWORK.has(e.code) || e.fatal)) return new QueryError('disconnected', msg);
  if (e?.code) return new QueryError(e.code.toLowerCase(), msg);
  return new QueryError('mysql_error', msg);
}

export class Db implements Querier {
  private readonly pool: Pool;
  private closed = false;

  constructor(private readonly o: DbOptions) {
    const opts: PoolOptions = {
      host: o.host,
      port: o.port,
      user: o.user,
      password: o.password,
      database: o.database,
      connectionLimit: o.size,
      // keep every connection open, as ecpool does
      maxIdle: o.size,
      enableKeepAlive: true,
      waitForConnections: true,
      connectTimeout: Math.min(o.queryTimeout, 10000),
    };
    if (o.ssl) opts.ssl = tlsConnectOptions(o.ssl, o.host) as PoolOptions['ssl'];
    this.pool = createPool(opts);
    // a connection that dies while idle is dropped by the pool; nothing else to do
    this.pool.on('connection', (c) => c.on('error', () => undefined));
  }

  /** opens all `size` connections (EMQX's pool connects every worker at start and fails if it cannot) */
  async open(): Promise<void> {
    const conns = await Promise.allSettled(Array.from({ length: this.o.size }, () => this.acquire()));
    for (const c of conns) if (c.status === 'fulfilled') c.value.release();
    const failed = conns.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (failed) throw toQueryError(failed.reason);
  }

  private acquire(): Promise<PoolConnection> {
    return new Promise((resolve, reject) => this.pool.getConnection((err, c) => (err ? reject(err) : resolve(c))));
  }

  query(sql: string, params: readonly string[]): Promise<QueryResult> {
    if (this.closed) return Promise.reject(new QueryError('disconnected', 'pool is closed'));
    return new Promise((resolve, reject) => {
      let conn: PoolConnection | undefined;
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        // the connection may still be busy with the query: drop it, the pool opens a new one
        conn?.destroy();
        reject(new QueryError('timeout', `query timed out after ${this.o.queryTimeout} ms`));
      }, this.o.queryTimeout);
      const finish = (err: unknown, result?: QueryResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(toQueryError(err));
        else resolve(result!);
      };
      this.pool.getConnection((err, c) => {
        if (err) return finish(err);
        if (done) return c.release();
        conn = c;
        c.execute({ sql, rowsAsArray: true }, params as string[], (qerr, rows, fields) => {
          if (!done) c.release();
          if (qerr) return finish(qerr);
          const cols = Array.isArray(fields) ? fields.map((f) => f.name) : [];
          finish(null, { columns: cols, rows: Array.isArray(rows) ? (rows as unknown as unknown[][]) : [] });
        });
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.pool.end(() => resolve()));
  }
}
