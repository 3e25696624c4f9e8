// Failures with real parts: Redis killed and restarted mid-traffic (delivery goes on over the
// cached routes; every node writes its rows again), a node SIGKILLed mid-traffic (no QoS 1
// message acknowledged to the publisher is lost to a surviving subscriber), a peer link cut
// (re-dialled; what it lost is counted in messages.forward.dropped).
import * as net from 'node:net';
import { Redis } from 'ioredis';
import { startService, type Service } from '../services';
import { closeAll, collect, connect } from '../integration/helpers';
import { startNode, stopNodes, waitFor, waitRoute, waitStatus, type ClusterProc } from './harness';

jest.setTimeout(90000);

let redis: Service;
let url: string;
let n1: ClusterProc, n2: ClusterProc;
const N1 = 'emqx1@127.0.0.1', N2 = 'emqx2@127.0.0.1';

beforeAll(async () => {
  redis = await startService('redis');
  url = `${redis.env.REDIS_HOST}:${redis.env.REDIS_PORT}`;
  // cluster.autoclean: a member down this long is removed (EMQX's ekka_autoclean)
  [n1, n2] = await Promise.all([startNode(N1, url, { EMQX_CLUSTER__AUTOCLEAN: '3s' }), startNode(N2, url, { EMQX_CLUSTER__AUTOCLEAN: '3s' })]);
  expect(await n2.ctl('cluster', 'join', N1)).toContain('Join the cluster successfully.');
});

afterAll(async () => {
  await closeAll();
  await stopNodes([n1, n2].filter(Boolean));
  await redis?.stop();
});

const metric = async (n: ClusterProc, name: string): Promise<number> =>
  Number(new RegExp(`^${name.replace(/\./g, '\\.')}\\s*:\\s*(\\d+)`, 'm').exec(await n.ctl('broker', 'metrics'))![1]);

test('Redis down: delivery goes on; Redis back empty: every node re-asserts its rows', async () => {
  const sub = await connect(n2.url, { clientId: 'rd-sub' });
  await sub.subscribeAsync('rd/t', { qos: 1 });
  await waitRoute(n1, 'rd/t', N2);
  const pub = await connect(n1.url, { clientId: 'rd-pub' });
  let acked = 0;
  for (let i = 0; i < 20; i++, acked++) await pub.publishAsync('rd/t', String(i), { qos: 1 });
  await redis.down();
  for (let i = 20; i < 60; i++, acked++) await pub.publishAsync('rd/t', String(i), { qos: 1 });
  await waitFor(() => collect(sub).length === acked, 5000, `${acked} deliveries while Redis is down`);
  // a subscription made while Redis is down reaches the peers once it is back
  const late = await connect(n2.url, { clientId: 'rd-late' });
  await late.subscribeAsync('rd/late', { qos: 1 });
  await redis.up();
  await waitRoute(n1, 'rd/late', N2, true, 10000);
  await pub.publishAsync('rd/late', 'back', { qos: 1 });
  await waitFor(() => collect(late).length === 1, 5000, 'delivery after the restart');
  await waitStatus(n1, [N1, N2], []);
  expect(collect(sub).map((m) => Number(m.payload))).toEqual(Array.from({ length: 60 }, (_, i) => i));
});

test('a node SIGKILLed mid-traffic: the surviving subscriber loses no acknowledged QoS 1 message', async () => {
  const n3 = await startNode('emqx3@127.0.0.1', url);
  expect(await n3.ctl('cluster', 'join', N1)).toContain('Join the cluster successfully.');
  const survivor = await connect(n2.url, { clientId: 'kill-survivor' });
  const victim = await connect(n3.url, { clientId: 'kill-victim', reconnectPeriod: 0 });
  victim.on('error', () => undefined);
  await survivor.subscribeAsync('kill/#', { qos: 1 });
  await victim.subscribeAsync('kill/#', { qos: 1 });
  await waitRoute(n1, 'kill/#', N2);
  await waitRoute(n1, 'kill/#', 'emqx3@127.0.0.1');
  const pub = await connect(n1.url, { clientId: 'kill-pub' });
  const acked: number[] = [];
  let i = 0;
  let stop = false;
  const pumping = (async () => {
    while (!stop) {
      const k = i++;
      await pub.publishAsync('kill/t', String(k), { qos: 1 });
      acked.push(k);
    }
  })();
  await waitFor(() => acked.length > 100, 5000, 'traffic');
  await n3.kill();
  await waitStatus(n1, [N1, N2], ['emqx3@127.0.0.1']);
  await waitFor(() => acked.length > 300, 5000, 'more traffic');
  stop = true;
  await pumping;
  await waitFor(() => collect(survivor).length >= acked.length, 5000, `${acked.length} deliveries`);
  const got = new Set(collect(survivor).map((m) => Number(m.payload)));
  expect(acked.filter((k) => !got.has(k))).toEqual([]);
  // autoclean takes it out of the member list after 3 s down
  await waitStatus(n2, [N1, N2], []);
  expect(await n1.ctl('cluster', 'force-leave', 'emqx3@127.0.0.1')).toBe('Failed to remove the node from cluster: node_not_in_cluster\n');
  await stopNodes([n3]);
});

test('a peer link cut is re-dialled; forwards lost with it are counted as dropped', async () => {
  // node 1 reaches node 2 through a proxy the test can cut
  const socks = new Set<net.Socket>();
  let open = true;
  const proxy = net.createServer((c) => {
    if (!open) return c.destroy();
    const up = net.connect(n2.rpcPort, '127.0.0.1');
    socks.add(c).add(up);
    c.pipe(up).pipe(c);
    const end = (): void => {
      c.destroy();
      up.destroy();
    };
    c.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const port = (proxy.address() as net.AddressInfo).port;
  const admin = new Redis(url);
  try {
    await admin.hset('{nemq:emqxcl}:nodes', N2, JSON.stringify({ host: '127.0.0.1', port, started: 1 }));
    const sub = await connect(n2.url, { clientId: 'cut-sub' });
    await sub.subscribeAsync('cut/t', { qos: 1 });
    await waitRoute(n1, 'cut/t', N2);
    const pub = await connect(n1.url, { clientId: 'cut-pub' });
    // the link moves to the proxy within a heartbeat
    await waitFor(() => socks.size > 0, 5000, 'the link through the proxy');
    await pub.publishAsync('cut/t', 'before', { qos: 1 });
    await waitFor(() => collect(sub).length === 1, 5000, 'delivery through the proxy');
    const dropped0 = await metric(n1, 'messages.forward.dropped');
    open = false;
    for (const s of socks) s.destroy();
    socks.clear();
    for (let k = 0; k < 5; k++) await pub.publishAsync('cut/t', `lost${k}`, { qos: 1 });
    expect(await metric(n1, 'messages.forward.dropped')).toBeGreaterThan(dropped0);
    open = true;
    await waitFor(() => socks.size > 0, 8000, 'the link re-dialled');
    const t0 = Date.now();
    // forwards go again once the new link is up
    while (!collect(sub).some((m) => m.payload === 'after')) {
      await pub.publishAsync('cut/t', 'after', { qos: 1 });
      if (Date.now() - t0 > 8000) throw new Error('no delivery after the re-dial');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    admin.disconnect();
    for (const s of socks) s.destroy();
    proxy.close();
  }
});

test('a node whose Redis is not up yet starts, serves its own clients, and joins once Redis is there', async () => {
  const late = await startService('redis');
  try {
    await late.down();
    const a = await startNode('emqx7@127.0.0.1', `127.0.0.1:${late.port}`);
    const b = await startNode('emqx8@127.0.0.1', `127.0.0.1:${late.port}`);
    try {
      expect(a.output()).toMatch(/cluster: Redis at 127\.0\.0\.1:\d+: /);
      const sub = await connect(a.url, { clientId: 'early-sub' });
      await sub.subscribeAsync('early/t', { qos: 1 });
      const pub = await connect(a.url, { clientId: 'early-pub' });
      await pub.publishAsync('early/t', 'alone', { qos: 1 });
      await waitFor(() => collect(sub).length === 1, 5000, 'local delivery without Redis');
      await late.up();
      const t0 = Date.now();
      let out = '';
      while (!(out = await b.ctl('cluster', 'join', 'emqx7@127.0.0.1')).includes('successfully')) {
        if (Date.now() - t0 > 10000) throw new Error(`join failed: ${out}`);
      }
      await waitRoute(b, 'early/t', 'emqx7@127.0.0.1');
      const pub2 = await connect(b.url, { clientId: 'early-pub2' });
      await pub2.publishAsync('early/t', 'joined', { qos: 1 });
      await waitFor(() => collect(sub).length === 2, 5000, 'delivery from the node that joined');
    } finally {
      await stopNodes([a, b]);
    }
  } finally {
    await late.stop();
  }
});
