// What the management plugins (HTTP API, dashboard, prometheus) may ask of a node: named
// operations with JSON arguments and results, run on this node or, in a cluster, on any
// running node over the cluster link (EMQX's rpc:call from emqx_mgmt).

import type { QoS } from './data.js';

/** `/nodes` row */
export interface NodeInfo {
  node: string;
  node_status: 'Running' | 'Stopped';
  otp_release: string;
  version: string;
  uptime: string;
  datetime: string;
  sysdescr: string;
  connections: number;
  load1: number;
  load5: number;
  load15: number;
  memory_total: number;
  memory_used: number;
  process_available: number;
  process_used: number;
  max_fds: number;
  /** node's CPU use in % of one core since the last call (not in EMQX) */
  cpu_use: number;
}

/** `/clients` row, EMQX's fields (times in ms here; the API formats them) */
export interface ClientRow {
  node: string;
  clientid: string;
  username: string | null;
  proto_name: string;
  proto_ver: number;
  ip_address: string;
  port: number;
  is_bridge: boolean;
  connected_at: number;
  disconnected_at?: number;
  connected: boolean;
  zone: string;
  keepalive: number;
  clean_start: boolean;
  expiry_interval: number;
  created_at: number;
  subscriptions_cnt: number;
  max_subscriptions: number;
  inflight: number;
  max_inflight: number;
  mqueue_len: number;
  max_mqueue: number;
  mqueue_dropped: number;
  awaiting_rel: number;
  max_awaiting_rel: number;
  recv_oct: number;
  recv_cnt: number;
  recv_pkt: number;
  recv_msg: number;
  send_oct: number;
  send_cnt: number;
  send_pkt: number;
  send_msg: number;
  mailbox_len: number;
  heap_size: number;
  reductions: number;
}

/** `/clients` filters as EMQX names them; all optional, every one given must match */
export interface ClientQuery {
  clientid?: string;
  username?: string;
  zone?: string;
  ip_address?: string;
  conn_state?: 'connected' | 'disconnected';
  clean_start?: boolean;
  proto_name?: string;
  proto_ver?: number;
  _like_clientid?: string;
  _like_username?: string;
  _gte_created_at?: number;
  _lte_created_at?: number;
  _gte_connected_at?: number;
  _lte_connected_at?: number;
  _gte_mqueue_len?: number;
  _lte_mqueue_len?: number;
  _gte_mqueue_dropped?: number;
  _lte_mqueue_dropped?: number;
}

export interface SubscriptionRow {
  node: string;
  clientid: string;
  /** shared ones as `$share/<group>/<filter>` */
  topic: string;
  qos: QoS;
}

export interface SubscriptionQuery {
  clientid?: string;
  topic?: string;
  qos?: QoS;
  share?: string;
  /** subscriptions whose filter matches this topic */
  _match_topic?: string;
}

export interface PluginRow {
  name: string;
  description: string;
  active: boolean;
  type: string;
  version: string;
}

export interface ListenerRow {
  protocol: string;
  listen_on: string;
  identifier: string;
  acceptors: number;
  max_conns: number;
  current_conns: number;
  shutdown_count: unknown[];
}

export interface AlarmRow {
  node: string;
  name: string;
  message: string;
  details: Record<string, unknown>;
  /** ms since the epoch */
  activate_at: number;
  /** set once deactivated */
  deactivate_at?: number;
  activated: boolean;
}

export interface AclCacheRow {
  access: 'publish' | 'subscribe';
  topic: string;
  result: 'allow' | 'deny';
  updated_time: number;
}

/** a running `emqx_ctl trace` (client = EMQX's clientid trace) */
export interface TraceRow {
  type: 'client' | 'topic';
  /** the client id or the topic filter */
  name: string;
  level: string;
  /** the file as given when it started */
  file: string;
}

/** the banned table (replicated across the cluster); times in seconds since the epoch */
export interface BanRow {
  who: string;
  as: 'clientid' | 'username' | 'peerhost';
  reason: string;
  by: string;
  at: number;
  until: number;
}

/** a page of rows from one node: `skip` rows passed over, then at most `limit` */
export interface Slice {
  skip: number;
  limit: number;
}

/** what goes wrong in a node operation, as the API reports it */
export type OpError = { error: string };

/** operation name → [arguments, result] */
export interface AdminOps {
  node_info: [Record<string, never>, NodeInfo];
  metrics: [Record<string, never>, Record<string, number>];
  stats: [Record<string, never>, Record<string, number>];
  /** `count`: rows that match on this node */
  clients: [ClientQuery & Slice, { rows: ClientRow[]; count: number }];
  client: [{ clientid: string }, ClientRow | null];
  kick: [{ clientid: string }, boolean];
  acl_cache: [{ clientid: string }, AclCacheRow[] | null];
  /** one client's, or every client's without `clientid` */
  clean_acl_cache: [{ clientid?: string }, boolean];
  subscriptions: [SubscriptionQuery & Slice, { rows: SubscriptionRow[]; count: number }];
  /** as SUBSCRIBE from the client; false: no session here */
  /** `nl`, `rap`, `rh` default 0 (emqx_mod_subscription sets them) */
  subscribe: [{ clientid: string; topic: string; qos: QoS; nl?: 0 | 1; rap?: 0 | 1; rh?: 0 | 1 | 2 }, boolean];
  unsubscribe: [{ clientid: string; topic: string }, boolean];
  /** the route table (cluster-wide): `[topic, node]` rows, or one topic's */
  routes: [{ topic?: string }, Array<{ topic: string; node: string }>];
  banned: [Record<string, never>, BanRow[]];
  ban: [BanRow, true];
  unban: [{ as: BanRow['as']; who: string }, boolean];
  plugins: [Record<string, never>, PluginRow[]];
  plugin: [{ name: string; action: 'load' | 'unload' | 'reload' }, true | OpError];
  listeners: [Record<string, never>, ListenerRow[]];
  listener: [{ identifier: string; action: 'stop' | 'restart' }, true | OpError];
  alarms: [{ activated?: boolean }, AlarmRow[]];
  alarm_deactivate: [{ name: string }, boolean];
  alarms_clear: [Record<string, never>, number];
  /** this node's traces */
  traces: [Record<string, never>, TraceRow[]];
  /** level: debug when unset; the error is EMQX's reason (bad level, already running, file not opened) */
  trace_start: [{ type: 'client' | 'topic'; name: string; file: string; level?: string }, true | OpError];
  trace_stop: [{ type: 'client' | 'topic'; name: string }, true | OpError];
}

export type AdminOp = keyof AdminOps;

export interface AdminApi {
  /** running members (this node first) and stopped ones */
  nodes(): { running: string[]; stopped: string[] };
  /** runs `op` on `node` (a running member); rejects when the node cannot be reached */
  call<K extends AdminOp>(node: string, op: K, args: AdminOps[K][0]): Promise<AdminOps[K][1]>;
}
