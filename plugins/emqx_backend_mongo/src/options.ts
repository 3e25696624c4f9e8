// backend.mongo.<pool>.* → the official driver's connection string and options.
import { backendTls, tlsConnectOptions, type ConfValue, type ConfValues } from '@nemq/sdk';
import type { MongoClientOptions } from 'mongodb';

export interface MongoSettings {
  readonly uri: string;
  readonly options: MongoClientOptions;
  readonly database: string;
}

// backend.mongo.topology.<name> → driver option; null: the Erlang driver's worker pool, no effect here
const TOPOLOGY: Readonly<Record<string, keyof MongoClientOptions | null>> = {
  local_threshold_ms: 'localThresholdMS',
  connect_timeout_ms: 'connectTimeoutMS',
  socket_timeout_ms: 'socketTimeoutMS',
  server_selection_timeout_ms: 'serverSelectionTimeoutMS',
  wait_queue_timeout_ms: 'waitQueueTimeoutMS',
  heartbeat_frequency_ms: 'heartbeatFrequencyMS',
  min_heartbeat_frequency_ms: 'minHeartbeatFrequencyMS',
  pool_size: null,
  max_overflow: null,
  overflow_ttl: null,
  overflow_check_period: null,
};

function hostPort(s: string, key: string): string {
  const t = s.trim();
  if (/^\[[0-9a-fA-F:.]+\](:\d+)?$/.test(t) || /^[^:[\]\s,/]+(:\d+)?$/.test(t)) return t;
  throw new Error(`${key}: bad host ${JSON.stringify(t)} (want host:port, comma separated)`);
}

const str = (v: ConfValue | undefined): string | undefined => (v === undefined || v === '' ? undefined : String(v));

/** one pool's settings; `c` is the whole conf (for backend.mongo.topology.* and TLS keys) */
export function mongoSettings(pool: string, k: ReadonlyMap<string, ConfValue>, c: ConfValues, queryTimeout: number): MongoSettings {
  const p = `backend.mongo.${pool}`;
  const hosts = String(k.get('server') ?? '127.0.0.1:27017').split(',').filter((h) => h.trim() !== '').map((h) => hostPort(h, `${p}.server`));
  if (hosts.length === 0) throw new Error(`${p}.server is empty`);
  const size = Number(k.get('c_pool_size') ?? k.get('pool_size') ?? 8);
  const o: MongoClientOptions = { maxPoolSize: size, serverSelectionTimeoutMS: queryTimeout, socketTimeoutMS: queryTimeout, appName: 'nemq-emqx_backend_mongo' };
  const type = String(k.get('type') ?? 'single');
  if (type === 'single') o.directConnection = hosts.length === 1;
  else if (type === 'rs') o.replicaSet = str(k.get('rs_set_name')) ?? 'mqtt';
  const user = str(k.get('login')) ?? str(k.get('username'));
  if (user !== undefined) {
    const password = str(k.get('password'));
    o.auth = { username: user, ...(password !== undefined ? { password } : {}) };
    o.authSource = str(k.get('auth_source')) ?? 'mqtt';
  }
  const w = str(k.get('w_mode'));
  if (w === 'safe') o.writeConcern = { w: 1 };
  else if (w === 'unsafe') o.writeConcern = { w: 0 };
  const r = str(k.get('r_mode'));
  if (r === 'master') o.readPreference = 'primary';
  else if (r === 'slave_ok') o.readPreference = 'secondaryPreferred';
  for (const [key, v] of Object.entries(c)) {
    if (!key.startsWith('backend.mongo.topology.') || v === undefined) continue;
    const opt = TOPOLOGY[key.slice('backend.mongo.topology.'.length)];
    if (opt === undefined) throw new Error(`${key}: unknown topology option`);
    if (opt === null) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${key} must be a non-negative integer, got ${String(v)}`);
    (o as Record<string, unknown>)[opt] = n;
  }
  const ssl = k.get('ssl');
  if (ssl === true || ssl === 'true' || ssl === 'on') {
    o.tls = true;
    // EMQX's keys sit beside ssl: backend.mongo.pool1.cacertfile / certfile / keyfile
    const t = backendTls(c, p);
    const tls = tlsConnectOptions(t, hosts[0]!.replace(/:\d+$/, ''));
    if (t.serverNameIndication === undefined) delete tls.servername;
    Object.assign(o, tls);
  }
  return { uri: `mongodb://${hosts.join(',')}/`, options: o, database: str(k.get('database')) ?? 'mqtt' };
}
