// The cluster on a Redis Sentinel set (a master, a replica, three sentinels, all real): the
// master is SIGKILLed mid-traffic, the sentinels promote the replica, the nodes follow it.
// Delivery never stops, and a route made after the failover reaches the peer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startService, type Service } from '../services';
import { closeAll, collect, connect } from '../integration/helpers';
import { startNode, stopNodes, waitFor, waitRoute, waitStatus, type ClusterProc } from './harness';

jest.setTimeout(90000);

let svc: Service;
let n1: ClusterProc, n2: ClusterProc;
const N1 = 'emqx1@127.0.0.1', N2 = 'emqx2@127.0.0.1';

beforeAll(async () => {
  svc = await startService('redis-sentinel');
  const env = { EMQX_CLUSTER__REDIS__TYPE: 'sentinel', EMQX_CLUSTER__REDIS__SENTINEL: svc.env.REDIS_MASTER_NAME!, EMQX_CLUSTER__DISCOVERY: 'static', EMQX_CLUSTER__STATIC__SEEDS: N1 };
  n1 = await startNode(N1, svc.env.REDIS_SENTINELS!, env);
  n2 = await startNode(N2, svc.env.REDIS_SENTINELS!, env);
  await waitStatus(n1, [N1, N2], []);
});

afterAll(async () => {
  await closeAll();
  await stopNodes([n1, n2].filter(Boolean));
  await svc?.stop();
});

test('the master dies mid-traffic: delivery goes on, the promoted replica takes new routes', async () => {
  const sub = await connect(n2.url, { clientId: 'sn-sub' });
  await sub.subscribeAsync('sn/t', { qos: 1 });
  await waitRoute(n1, 'sn/t', N2);
  const pub = await connect(n1.url, { clientId: 'sn-pub' });
  const acked: number[] = [];
  let stop = false;
  let i = 0;
  const pumping = (async () => {
    while (!stop) {
      const k = i++;
      await pub.publishAsync('sn/t', String(k), { qos: 1 });
      acked.push(k);
    }
  })();
  await waitFor(() => acked.length > 50, 5000, 'traffic');
  process.kill(Number(readFileSync(join(svc.dir, 'redis-sentinel.pid'), 'utf8').trim()), 'SIGKILL');
  // a subscription made after the failover must reach node 1 through the new master
  const late = await connect(n2.url, { clientId: 'sn-late' });
  await late.subscribeAsync('sn/late', { qos: 1 });
  await waitRoute(n1, 'sn/late', N2, true, 60000);
  stop = true;
  await pumping;
  await waitFor(() => collect(sub).length >= acked.length, 5000, `${acked.length} deliveries`).catch((e: Error) => {
    throw new Error(`${e.message}: ${collect(sub).length} delivered`);
  });
  const got = new Set(collect(sub).map((m) => Number(m.payload)));
  expect(acked.filter((k) => !got.has(k))).toEqual([]);
  await pub.publishAsync('sn/late', 'x', { qos: 1 });
  await waitFor(() => collect(late).length === 1, 5000, 'delivery on the new route');
  await waitStatus(n1, [N1, N2], []);
});
