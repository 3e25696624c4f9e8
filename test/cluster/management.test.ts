// The HTTP API across a cluster: /nodes lists every member (a stopped one as EMQX does),
// /clients and /subscriptions page across nodes, and a call on one node kicks, subscribes or
// publishes for a client connected to another.
import { startService, type Service } from '../services';
import { closeAll, collect, connect } from '../integration/helpers';
import { startNode, stopNodes, waitFor, waitRoute, waitStatus, type ClusterProc } from './harness';

jest.setTimeout(60000);

let redis: Service;
let n1: ClusterProc, n2: ClusterProc;
const N1 = 'emqx1@127.0.0.1', N2 = 'emqx2@127.0.0.1';
const AUTH = { authorization: 'Basic ' + Buffer.from('admin:public').toString('base64') };

async function api(n: ClusterProc, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`http://127.0.0.1:${n.ports.mgmt}/api/v4${path}`, { method, headers: AUTH, body: body === undefined ? undefined : JSON.stringify(body) });
  return r.json();
}

beforeAll(async () => {
  redis = await startService('redis');
  const url = `${redis.env.REDIS_HOST}:${redis.env.REDIS_PORT}`;
  [n1, n2] = await Promise.all([startNode(N1, url), startNode(N2, url)]);
  expect(await n2.ctl('cluster', 'join', N1)).toContain('successfully');
  await waitStatus(n1, [N1, N2], []);
});

afterAll(async () => {
  await closeAll();
  await stopNodes([n1, n2].filter(Boolean));
  await redis?.stop();
});

test('/nodes and /brokers list both members from either node', async () => {
  for (const n of [n1, n2]) {
    const nodes = await api(n, 'GET', '/nodes');
    expect(nodes.data.map((x: any) => x.node).sort()).toEqual([N1, N2]);
    expect((await api(n, 'GET', '/brokers')).data.map((x: any) => x.node_status)).toEqual(['Running', 'Running']);
  }
  expect((await api(n1, 'GET', `/nodes/${N2}`)).data.node).toBe(N2);
});

test('/clients pages across nodes; kick, subscribe and publish reach the node holding the client', async () => {
  const on1 = await Promise.all([1, 2, 3].map((i) => connect(n1.url, { clientId: `c1-${i}` })));
  const on2 = await Promise.all([1, 2].map((i) => connect(n2.url, { clientId: `c2-${i}`, protocolVersion: 5 })));
  const seen: string[] = [];
  for (let page = 1; page <= 3; page++) {
    const r = await api(n1, 'GET', `/clients?_limit=2&_page=${page}`);
    expect(r.meta).toEqual({ page, limit: 2, count: 5, hasnext: page < 3 });
    seen.push(...r.data.map((c: any) => `${c.clientid}@${c.node}`));
  }
  expect(seen.sort()).toEqual(['c1-1@' + N1, 'c1-2@' + N1, 'c1-3@' + N1, 'c2-1@' + N2, 'c2-2@' + N2]);
  expect((await api(n1, 'GET', `/nodes/${N2}/clients`)).data.map((c: any) => c.clientid).sort()).toEqual(['c2-1', 'c2-2']);
  expect((await api(n1, 'GET', '/clients/c2-1')).data[0].node).toBe(N2);

  // subscribe a client of node 2 through node 1, then publish through node 1
  const got = collect(on2[0]!);
  expect(await api(n1, 'POST', '/mqtt/subscribe', { clientid: 'c2-1', topic: 'x/+', qos: 1 })).toEqual({ code: 0 });
  expect((await api(n1, 'GET', '/subscriptions')).data).toEqual([{ node: N2, clientid: 'c2-1', topic: 'x/+', qos: 1 }]);
  await waitRoute(n1, 'x/+', N2);
  expect(await api(n1, 'POST', '/mqtt/publish', { topic: 'x/1', payload: 'over', qos: 1 })).toEqual({ code: 0 });
  await waitFor(() => got.length === 1);
  expect(got[0]!.payload).toBe('over');

  const reasons: number[] = [];
  on2[1]!.on('disconnect', (p: any) => reasons.push(p.reasonCode));
  expect(await api(n1, 'DELETE', '/clients/c2-2')).toEqual({ code: 0 });
  await waitFor(() => reasons.length === 1);
  expect(reasons).toEqual([0x98]);
  for (const c of on1) c.end(true);
});

test('a member that goes down is listed as Stopped', async () => {
  await n2.kill();
  await waitStatus(n1, [N1], [N2]);
  const nodes = await api(n1, 'GET', '/nodes');
  expect(nodes.data).toEqual([expect.objectContaining({ node: N1, node_status: 'Running' }), { name: N2, node_status: 'Stopped' }]);
  expect((await api(n1, 'GET', '/clients')).data.every((c: any) => c.node === N1)).toBe(true);
});
