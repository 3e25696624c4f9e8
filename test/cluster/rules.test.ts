// Rules across a cluster: two `bin/emqx foreground` nodes joined through a real redis-server share
// the rule_engine table, as EMQX replicates its rules and resources.
import { startService, type Service } from '../services';
import { closeAll, connect } from '../integration/helpers';
import { startNode, stopNodes, waitStatus, type ClusterProc } from './harness';
import type { MqttClient } from 'mqtt';

jest.setTimeout(60000);

let redis: Service;
let n1: ClusterProc, n2: ClusterProc;
const N1 = 'emqx1@127.0.0.1', N2 = 'emqx2@127.0.0.1';

beforeAll(async () => {
  redis = await startService('redis');
  const url = `${redis.env.REDIS_HOST}:${redis.env.REDIS_PORT}`;
  [n1, n2] = await Promise.all([startNode(N1, url), startNode(N2, url)]);
});
afterAll(async () => {
  await closeAll();
  await stopNodes([n1, n2].filter(Boolean));
  await redis?.stop();
});

/** until `node`'s `rules list` has (or has not) `id` */
async function waitRule(node: ClusterProc, id: string, present = true): Promise<void> {
  const t0 = Date.now();
  while ((await node.ctl('rules', 'list')).includes(`id='${id}'`) !== present) {
    if (Date.now() - t0 > 5000) throw new Error(`rule ${id} ${present ? 'missing' : 'still there'} on ${node.name}`);
  }
}

function next(c: MqttClient): Promise<string> {
  return new Promise((r) => c.once('message', (_t, p) => r(p.toString())));
}

test('a rule made before the join reaches the other node; later ones too; delete anywhere deletes everywhere', async () => {
  const rule = (id: string, to: string): Promise<string> => n1.ctl('rules', 'create', 'SELECT payload FROM "c/#"',
    JSON.stringify([{ name: 'republish', params: { target_topic: to } }]), '-i', id);
  expect(await rule('rule:before01', 'c2/before')).toBe('Rule rule:before01 created\n');
  expect(await n2.ctl('cluster', 'join', N1)).toContain('Join the cluster successfully.');
  await waitStatus(n1, [N1, N2], []);
  await waitRule(n2, 'rule:before01');
  expect(await rule('rule:after001', 'c2/after')).toBe('Rule rule:after001 created\n');
  await waitRule(n2, 'rule:after001');
  // the copy runs on node 2 for messages published there
  const sub = await connect(n2.url, { clientId: 'rules-sub' });
  await sub.subscribeAsync('c2/after', { qos: 1 });
  const got = next(sub);
  const pub = await connect(n2.url, { clientId: 'rules-pub' });
  await pub.publishAsync('c/x', 'hi', { qos: 1 });
  expect(await got).toBe('hi');
  // each node's counters, one entry per node (node 2's as of its last 5 s sample)
  const metricsOn1 = async (): Promise<any[]> => {
    const r = await fetch(`http://127.0.0.1:${n1.ports.mgmt}/api/v4/rules/rule:after001`, { headers: { authorization: 'Basic ' + Buffer.from('admin:public').toString('base64') } });
    return ((await r.json()) as any).data.metrics;
  };
  for (let m = await metricsOn1(); !(m.length === 2 && m[1].matched === 1); m = await metricsOn1()) await new Promise((r) => setTimeout(r, 100));
  expect((await metricsOn1()).map((m) => [m.node, m.matched])).toEqual([[N1, 0], [N2, 1]]);
  expect(await n2.ctl('rules', 'delete', 'rule:before01')).toBe('ok\n');
  await waitRule(n1, 'rule:before01', false);
});
