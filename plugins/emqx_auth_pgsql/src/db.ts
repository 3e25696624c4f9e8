// The connection pool (EMQX: ecpool of `auth.pgsql.pool` epgsql connections), node-postgres.
import { QueryError, parseServer as parseServerAddress, tlsConnectOptions, type BackendTls, type Querier, type QueryResult } from '@nemq/sdk';
import pg from 'pg';

export interface DbOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  size: number;
  ssl?: BackendTls | undefined;
}

/** `auth.pgsql.server` (the SDK's parser, default port 5432) */
export function parseServer(s: string): { host: string; port: number } {
  return parseServerAddress(s, 'auth.pgsql.server', 5432);
}

function toQueryError(err: unknown): QueryError {
  const e = err as { code?: string; message?: string };
  const msg = e?.message ?? String(err);
  // SQLSTATE codes are 5 characters; anything else is a network failure
  if (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return new QueryError(`pgsql_${e.code.toLowerCase()}`, msg);
  return new QueryError('disconnected', msg);
}

export class Db implements Querier {
  private readonly pool: pg.Pool;
  private closed = false;
  /** each query text is a named prepared statement: parsed once per connection, then only bound */
  private readonly names = new Map<string, string>();

  constructor(private readonly o: DbOptions) {
    const cfg: pg.PoolConfig = { host: o.host, port: o.port, user: o.user, password: o.password, database: o.database, max: o.size, connectionTimeoutMillis: 10_000 };
    if (o.ssl) cfg.ssl = tlsConnectOptions(o.ssl, o.host);
    this.pool = new pg.Pool(cfg);
    // an idle connection that dies is dropped by the pool
    this.pool.on('error', () => undefined);
  }

  /** EMQX connects the pool at start and fails if it cannot */
  async open(): Promise<void> {
    try {
      const c = await this.pool.connect();
      c.release();
    } catch (err) {
      throw toQueryError(err);
    }
  }

  async query(sql: string, params: readonly string[]): Promise<QueryResult> {
    if (this.closed) throw new QueryError('disconnected', 'pool is closed');
    try {
      let name = this.names.get(sql);
      if (name === undefined) this.names.set(sql, (name = `nemq_${this.names.size}`));
      const r = await this.pool.query({ name, text: sql, values: [...params], rowMode: 'array' });
      return { columns: r.fields.map((f) => f.name), rows: r.rows as unknown[][] };
    } catch (err) {
      throw toQueryError(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
