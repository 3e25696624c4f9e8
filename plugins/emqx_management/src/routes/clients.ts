// /clients: paged across nodes, filters as EMQX's (emqx_mgmt_api_clients), kick, ACL cache.
import { ApiCode, fail, ok, pageOf, type ApiRequest, type ClientQuery, type ClientRow } from '@nemq/sdk';
import { call, datetime, everyNode, pageAcross, runningNode, type Env } from '../env.js';

/** EMQX's client object: times as `YYYY-MM-DD HH:mm:ss` */
export function clientJson(c: ClientRow): Record<string, unknown> {
  const out: Record<string, unknown> = { ...c, connected_at: datetime(c.connected_at), created_at: datetime(c.created_at) };
  if (c.disconnected_at !== undefined) out.disconnected_at = datetime(c.disconnected_at);
  return out;
}

/** a time filter: epoch seconds, epoch ms or a date string */
function when(v: string): number | undefined {
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    return n < 1e11 ? n * 1000 : n;
  }
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** the filters of the query string; a bad value → the error reply */
export function clientQuery(q: Readonly<Record<string, string>>): ClientQuery | Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['clientid', 'username', 'zone', 'ip_address', 'proto_name', '_like_clientid', '_like_username'] as const) if (q[k] !== undefined) out[k] = q[k];
  if (q.conn_state !== undefined) {
    if (q.conn_state !== 'connected' && q.conn_state !== 'disconnected') return fail(ApiCode.PARAMETER_TYPE_ERROR, 'conn_state must be connected or disconnected');
    out.conn_state = q.conn_state;
  }
  if (q.clean_start !== undefined) out.clean_start = q.clean_start === 'true';
  if (q.proto_ver !== undefined) {
    const v = Number(q.proto_ver);
    if (!Number.isInteger(v)) return fail(ApiCode.PARAMETER_TYPE_ERROR, 'proto_ver must be an integer');
    out.proto_ver = v;
  }
  for (const k of ['_gte_created_at', '_lte_created_at', '_gte_connected_at', '_lte_connected_at'] as const) {
    if (q[k] === undefined) continue;
    const t = when(q[k]!);
    if (t === undefined) return fail(ApiCode.PARAMETER_TYPE_ERROR, `${k} must be a timestamp`);
    out[k] = t;
  }
  for (const k of ['_gte_mqueue_len', '_lte_mqueue_len', '_gte_mqueue_dropped', '_lte_mqueue_dropped'] as const) {
    if (q[k] === undefined) continue;
    const n = Number(q[k]);
    if (!Number.isFinite(n)) return fail(ApiCode.PARAMETER_TYPE_ERROR, `${k} must be a number`);
    out[k] = n;
  }
  return out as ClientQuery;
}

export function clientRoutes(env: Env): void {
  const r = env.route;
  const list = async (req: ApiRequest, nodes: string[], extra: ClientQuery = {}): Promise<unknown> => {
    const q = clientQuery(req.query);
    if ('code' in q) return q;
    const { page, limit } = pageOf(req.query, env.maxRows);
    const res = await pageAcross(nodes, page, limit, { ...q, ...extra }, (n, s) => call(env, n, 'clients', s));
    return ok(res.rows.map(clientJson), { page, limit, count: res.count, hasnext: page * limit < res.count });
  };
  const one = async (nodes: string[], clientid: string): Promise<unknown> => {
    for (const n of nodes) {
      const c = await call(env, n, 'client', { clientid });
      if (c) return ok([clientJson(c)]);
    }
    return ok([]);
  };
  r({ name: 'list_clients', method: 'GET', path: '/clients', descr: 'A list of clients on current node' },
    (q) => list(q, env.ctx.admin.nodes().running));
  r({ name: 'list_node_clients', method: 'GET', path: '/nodes/:node/clients', descr: 'A list of clients on a node' },
    (q) => list(q, [runningNode(env, q.params.node!)]));
  r({ name: 'lookup_client', method: 'GET', path: '/clients/:clientid', descr: 'Lookup a client in the cluster' },
    (q) => one(env.ctx.admin.nodes().running, q.params.clientid!));
  r({ name: 'lookup_node_client', method: 'GET', path: '/nodes/:node/clients/:clientid', descr: 'Lookup a client on the node' },
    (q) => one([runningNode(env, q.params.node!)], q.params.clientid!));
  r({ name: 'lookup_client_via_username', method: 'GET', path: '/clients/username/:username', descr: 'Lookup a client via username in the cluster' },
    (q) => list(q, env.ctx.admin.nodes().running, { username: q.params.username! }));
  r({ name: 'lookup_node_client_via_username', method: 'GET', path: '/nodes/:node/clients/username/:username', descr: 'Lookup a client via username on the node' },
    (q) => list(q, [runningNode(env, q.params.node!)], { username: q.params.username! }));
  r({ name: 'kickout_client', method: 'DELETE', path: '/clients/:clientid', descr: 'Kick out the client in the cluster' }, async (q) => {
    for (const [, kicked] of await everyNode(env, 'kick', { clientid: q.params.clientid! })) if (kicked) return ok();
    return fail(ApiCode.CLIENT_OFFLINE, 'not_found');
  });
  r({ name: 'list_acl_cache', method: 'GET', path: '/clients/:clientid/acl_cache', descr: 'List the ACL cache of a specified client in the cluster' }, async (q) => {
    for (const [, rows] of await everyNode(env, 'acl_cache', { clientid: q.params.clientid! })) if (rows) return ok(rows);
    return fail(ApiCode.CLIENT_OFFLINE, 'not_found');
  });
  r({ name: 'clean_acl_cache', method: 'DELETE', path: '/clients/:clientid/acl_cache', descr: 'Clean ACL cache of a specified client in the cluster' }, async (q) => {
    for (const [, done] of await everyNode(env, 'clean_acl_cache', { clientid: q.params.clientid! })) if (done) return ok();
    return fail(ApiCode.CLIENT_OFFLINE, 'not_found');
  });
  r({ name: 'clean_acl_cache_all', method: 'DELETE', path: '/acl-cache', descr: 'Clean acl cache on all nodes' }, async () => {
    await everyNode(env, 'clean_acl_cache', {});
    return ok();
  });
  r({ name: 'clean_acl_cache_node', method: 'DELETE', path: '/nodes/:node/acl-cache', descr: 'Clean acl cache on specific node' }, async (q) => {
    await call(env, runningNode(env, q.params.node!), 'clean_acl_cache', {});
    return ok();
  });
}
