// /subscriptions and /routes.
import { ApiCode, fail, ok, pageOf, paginate, type ApiRequest, type QoS, type SubscriptionQuery } from '@nemq/sdk';
import { call, pageAcross, runningNode, type Env } from '../env.js';

function subQuery(q: Readonly<Record<string, string>>): SubscriptionQuery | Record<string, unknown> {
  const out: SubscriptionQuery = {};
  if (q.clientid !== undefined) out.clientid = q.clientid;
  if (q.topic !== undefined) out.topic = q.topic;
  if (q.share !== undefined) out.share = q.share;
  if (q._match_topic !== undefined) out._match_topic = q._match_topic;
  if (q.qos !== undefined) {
    if (!['0', '1', '2'].includes(q.qos)) return fail(ApiCode.BAD_QOS, 'qos must be 0, 1 or 2');
    out.qos = Number(q.qos) as QoS;
  }
  return out;
}

export function subscriptionRoutes(env: Env): void {
  const r = env.route;
  const list = async (req: ApiRequest, nodes: string[], clientid?: string): Promise<unknown> => {
    const q = subQuery(req.query);
    if ('code' in q) return q;
    if (clientid !== undefined) q.clientid = clientid;
    const { page, limit } = pageOf(req.query, env.maxRows);
    const res = await pageAcross(nodes, page, limit, q, (n, s) => call(env, n, 'subscriptions', s));
    // EMQX answers one client's subscriptions without paging
    if (clientid !== undefined) return ok(res.rows);
    return ok(res.rows, { page, limit, count: res.count, hasnext: page * limit < res.count });
  };
  r({ name: 'list_subscriptions', method: 'GET', path: '/subscriptions', descr: 'A list of subscriptions in the cluster' },
    (q) => list(q, env.ctx.admin.nodes().running));
  r({ name: 'list_node_subscriptions', method: 'GET', path: '/nodes/:node/subscriptions', descr: 'A list of subscriptions on a node' },
    (q) => list(q, [runningNode(env, q.params.node!)]));
  r({ name: 'lookup_client_subscriptions', method: 'GET', path: '/subscriptions/:clientid', descr: 'A list of subscriptions of a client' },
    (q) => list(q, env.ctx.admin.nodes().running, q.params.clientid!));
  r({ name: 'lookup_client_subscriptions_with_node', method: 'GET', path: '/nodes/:node/subscriptions/:clientid', descr: 'A list of subscriptions of a client on the node' },
    (q) => list(q, [runningNode(env, q.params.node!)], q.params.clientid!));
  // the route table is the same on every node: this node's copy answers
  const self = (): string => env.ctx.admin.nodes().running[0]!;
  r({ name: 'list_routes', method: 'GET', path: '/routes', descr: 'List routes' }, async (q) => {
    const rows = await call(env, self(), 'routes', {});
    const p = paginate(rows, q.query, env.maxRows);
    return ok(p.data, p.meta);
  });
  r({ name: 'lookup_routes', method: 'GET', path: '/routes/:topic', descr: 'Lookup routes to a topic' },
    async (q) => ok(await call(env, self(), 'routes', { topic: q.params.topic! })));
}
