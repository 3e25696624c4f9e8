// auth.mongo.* → the official driver's connection string and MongoClientOptions
// (EMQX's translation of emqx_auth_mongo.server into mongo_api:connect arguments).
import { backendTls, tlsConnectOptions, confString, type ConfValues } from '@nemq/sdk';
import type { MongoClientOptions } from 'mongodb';

export interface ClientSettings {
  /** mongodb://host1:port1,host2:port2/ (no credentials: they go in options.auth) */
  readonly uri: string;
  readonly options: MongoClientOptions;
  readonly database: string;
  /** per-query limit in ms */
  readonly queryTimeout: number;
}

/** EMQX's find_one limit when auth.mongo.query_timeout is unset */
export const DEFAULT_QUERY_TIMEOUT = 15_000;

// auth.mongo.topology.<name> → driver option (the ones EMQX renames, plus those the driver has)
const TOPOLOGY: Readonly<Record<string, keyof MongoClientOptions | null>> = {
  local_threshold_ms: 'localThresholdMS',
  connect_timeout_ms: 'connectTimeoutMS',
  socket_timeout_ms: 'socketTimeoutMS',
  server_selection_timeout_ms: 'serverSelectionTimeoutMS',
  wait_queue_timeout_ms: 'waitQueueTimeoutMS',
  heartbeat_frequency_ms: 'heartbeatFrequencyMS',
  min_heartbeat_frequency_ms: 'minHeartbeatFrequencyMS',
  // the Erlang driver's per-server worker pool: the Node driver has one pool (auth.mongo.pool)
  pool_size: null,
  max_overflow: null,
  overflow_ttl: null,
  overflow_check_period: null,
};

/** one `host[:port]` of auth.mongo.server; IPv6 in brackets */
function hostPort(s: string): string {
  const t = s.trim();
  if (/^\[[0-9a-fA-F:.]+\](:\d+)?$/.test(t) || /^[^:[\]\s,/]+(:\d+)?$/.test(t)) return t;
  throw new Error(`auth.mongo.server: bad host ${JSON.stringify(t)} (want host:port, comma separated)`);
}

export function clientSettings(c: ConfValues): ClientSettings {
  const hosts = String(c['auth.mongo.server'] ?? '127.0.0.1:27017').split(',').filter((h) => h.trim() !== '').map(hostPort);
  if (hosts.length === 0) throw new Error('auth.mongo.server is empty');
  const type = String(c['auth.mongo.type'] ?? 'single');
  const pool = Number(c['auth.mongo.pool'] ?? 8);
  if (!Number.isInteger(pool) || pool < 1) throw new Error(`auth.mongo.pool must be at least 1, got ${pool}`);
  const qt = c['auth.mongo.query_timeout'];
  const queryTimeout = typeof qt === 'number' && qt > 0 ? qt : DEFAULT_QUERY_TIMEOUT;

  const o: MongoClientOptions = { maxPoolSize: pool, serverSelectionTimeoutMS: queryTimeout, appName: 'nemq-emqx_auth_mongo' };
  if (type === 'single') o.directConnection = hosts.length === 1;
  else if (type === 'rs') o.replicaSet = confString(c, 'auth.mongo.rs_set_name') ?? 'mqtt';
  // sharded / unknown: the driver discovers the topology itself

  // auth.mongo.username wins over the older auth.mongo.login (EMQX)
  const user = confString(c, 'auth.mongo.username') ?? confString(c, 'auth.mongo.login');
  const password = confString(c, 'auth.mongo.password');
  if (user !== undefined) {
    o.auth = { username: user, ...(password !== undefined ? { password } : {}) };
    o.authSource = confString(c, 'auth.mongo.auth_source') ?? 'mqtt';
  }

  const w = confString(c, 'auth.mongo.w_mode');
  if (w === 'safe') o.writeConcern = { w: 1 };
  else if (w === 'unsafe') o.writeConcern = { w: 0 };
  const r = confString(c, 'auth.mongo.r_mode');
  if (r === 'master') o.readPreference = 'primary';
  else if (r === 'slave_ok') o.readPreference = 'secondaryPreferred';

  for (const [k, v] of Object.entries(c)) {
    if (!k.startsWith('auth.mongo.topology.') || v === undefined) continue;
    const name = k.slice('auth.mongo.topology.'.length);
    if (!(name in TOPOLOGY)) throw new Error(`${k}: unknown topology option`);
    const opt = TOPOLOGY[name];
    if (opt === null || opt === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${k} must be a non-negative integer, got ${String(v)}`);
    (o as Record<string, unknown>)[opt] = n;
  }

  // auth.mongo.ssl = on reads auth.mongo.ssl.*; the 4.0–4.2 form ssl = true reads auth.mongo.ssl_opts.*
  const ssl = c['auth.mongo.ssl'];
  const prefix = ssl === 'on' ? 'auth.mongo.ssl' : ssl === 'true' ? 'auth.mongo.ssl_opts' : undefined;
  if (prefix) {
    o.tls = true;
    // the SDK's reader of <prefix>.cacertfile/certfile/keyfile/verify/server_name_indication
    const t = backendTls(c, prefix);
    const tls = tlsConnectOptions(t, hosts[0]!);
    // unset: the driver checks each host's own name, not the first one's
    if (t.serverNameIndication === undefined) delete tls.servername;
    Object.assign(o, tls);
  }

  return { uri: `mongodb://${hosts.join(',')}/`, options: o, database: confString(c, 'auth.mongo.database') ?? 'mqtt', queryTimeout };
}
