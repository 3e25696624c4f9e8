// auth.redis.* → how to reach Redis: one server, a master through Sentinel, or a Cluster
// (EMQX's translation of emqx_auth_redis.server and emqx_auth_redis.options).
import { backendTls, parseServer, tlsConnectOptions, confString, type ConfValues } from '@nemq/sdk';
import type { ConnectionOptions } from 'node:tls';

export type RedisType = 'single' | 'sentinel' | 'cluster';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ClientSettings {
  readonly type: RedisType;
  /** single: one; sentinel: the sentinels; cluster: the seed nodes */
  readonly servers: readonly HostPort[];
  /** sentinel: the master name */
  readonly sentinel: string | undefined;
  /** connections (single, sentinel); Cluster keeps one per node */
  readonly pool: number;
  readonly database: number;
  /** Redis 6 ACL user (AUTH username password) */
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** limit of one command, and of the first connect, in ms */
  readonly queryTimeout: number;
  /** TLS to Redis (and to the sentinels), undefined: plain TCP */
  readonly tls: ConnectionOptions | undefined;
}

/** EMQX waits forever when auth.redis.query_timeout is unset; here a connect or command is bounded */
export const DEFAULT_QUERY_TIMEOUT = 5_000;

export function clientSettings(c: ConfValues): ClientSettings {
  const type = String(c['auth.redis.type'] ?? 'single') as RedisType;
  if (type !== 'single' && type !== 'sentinel' && type !== 'cluster') throw new Error(`auth.redis.type: unknown type ${String(type)}`);
  const text = String(c['auth.redis.server'] ?? '127.0.0.1:6379');
  const list = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new Error('auth.redis.server is empty');
  if (type === 'single' && list.length > 1) throw new Error('auth.redis.server: type single takes one server (sentinel or cluster take a list)');
  const servers = list.map((s) => parseServer(s, 'auth.redis.server', type === 'sentinel' ? 26379 : 6379));
  const sentinel = confString(c, 'auth.redis.sentinel');
  if (type === 'sentinel' && sentinel === undefined) throw new Error('auth.redis.sentinel: the master name is needed with type sentinel');

  const pool = Number(c['auth.redis.pool'] ?? 8);
  if (!Number.isInteger(pool) || pool < 1) throw new Error(`auth.redis.pool must be at least 1, got ${String(c['auth.redis.pool'])}`);
  const database = Number(c['auth.redis.database'] ?? 0);
  if (!Number.isInteger(database) || database < 0) throw new Error(`auth.redis.database must be a number >= 0, got ${String(c['auth.redis.database'])}`);
  const qt = c['auth.redis.query_timeout'];
  const queryTimeout = typeof qt === 'number' && qt > 0 ? qt : DEFAULT_QUERY_TIMEOUT;

  let tls: ConnectionOptions | undefined;
  const ssl = c['auth.redis.ssl'];
  if (ssl === true || ssl === 'on' || ssl === 'true') {
    // auth.redis.ssl.* wins over the 4.0–4.2 keys auth.redis.cafile / certfile / keyfile
    const now = backendTls(c, 'auth.redis.ssl');
    const old = backendTls(c, 'auth.redis');
    const t = { ...now, cacertfile: now.cacertfile ?? old.cacertfile, certfile: now.certfile ?? old.certfile, keyfile: now.keyfile ?? old.keyfile };
    tls = tlsConnectOptions(t, servers[0]!.host);
    // unset: each host is checked against its own name (sentinel / cluster hand out other hosts)
    if (t.serverNameIndication === undefined) delete tls.servername;
  }

  return { type, servers, sentinel, pool, database, username: confString(c, 'auth.redis.username'), password: confString(c, 'auth.redis.password'), queryTimeout, tls };
}
