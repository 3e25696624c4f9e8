// /brokers, /nodes, /stats, /metrics: one node's or every node's (stopped ones listed by name).
import { ok } from '@nemq/sdk';
import { call, everyNode, runningNode, type Env } from '../env.js';
import type { NodeInfo } from '@nemq/sdk';

const broker = (i: NodeInfo): Record<string, unknown> => ({
  node: i.node, node_status: i.node_status, otp_release: i.otp_release, sysdescr: i.sysdescr, uptime: i.uptime, version: i.version, datetime: i.datetime,
});

export function nodeRoutes(env: Env): void {
  const r = env.route;
  r({ name: 'list_brokers', method: 'GET', path: '/brokers', descr: 'A list of brokers in the cluster' },
    async () => ok((await everyNode(env, 'node_info', {})).map(([, i]) => broker(i))));
  r({ name: 'lookup_broker', method: 'GET', path: '/brokers/:node', descr: 'Lookup info of a broker' },
    async (q) => ok(broker(await call(env, runningNode(env, q.params.node!), 'node_info', {}))));
  r({ name: 'list_nodes', method: 'GET', path: '/nodes', descr: 'A list of nodes in the cluster' }, async () => {
    const running = (await everyNode(env, 'node_info', {})).map(([, i]) => i as unknown);
    // EMQX lists stopped members by `name`
    const stopped = env.ctx.admin.nodes().stopped.map((n) => ({ name: n, node_status: 'Stopped' }));
    return ok([...running, ...stopped]);
  });
  r({ name: 'lookup_node', method: 'GET', path: '/nodes/:node', descr: 'Lookup a node in the cluster' },
    async (q) => ok(await call(env, runningNode(env, q.params.node!), 'node_info', {})));
  r({ name: 'list_stats', method: 'GET', path: '/stats', descr: 'A list of stats of all nodes in the cluster' },
    async () => ok((await everyNode(env, 'stats', {})).map(([node, stats]) => ({ node, stats }))));
  r({ name: 'lookup_node_stats', method: 'GET', path: '/nodes/:node/stats', descr: 'A list of stats of a node' },
    async (q) => ok(await call(env, runningNode(env, q.params.node!), 'stats', {})));
  r({ name: 'list_all_metrics', method: 'GET', path: '/metrics', descr: 'A list of metrics of all nodes in the cluster' },
    async () => ok((await everyNode(env, 'metrics', {})).map(([node, metrics]) => ({ node, metrics }))));
  r({ name: 'list_node_metrics', method: 'GET', path: '/nodes/:node/metrics', descr: 'A list of metrics of a node' },
    async (q) => ok(await call(env, runningNode(env, q.params.node!), 'metrics', {})));
}
