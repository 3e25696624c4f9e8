// Sessions across nodes: takeover with messages queued and in flight (DISCONNECT 0x8E on
// the old node), discard and kick across nodes, and what survives a node's crash.
import type { MqttClient } from 'mqtt';
import { startService, type Service } from '../services';
import { closeAll, collect, connect } from '../integration/helpers';
import { startNode, stopNodes, waitFor, waitRoute, waitStatus, type ClusterProc } from './harness';

jest.setTimeout(60000);

let redis: Service;
let n1: ClusterProc, n2: ClusterProc, n3: ClusterProc;
const N1 = 'emqx1@127.0.0.1', N2 = 'emqx2@127.0.0.1', N3 = 'emqx3@127.0.0.1';

beforeAll(async () => {
  redis = await startService('redis');
  const url = `${redis.env.REDIS_HOST}:${redis.env.REDIS_PORT}`;
  // static discovery: each node joins the seeds that are up, no ctl needed
  const seeds = { EMQX_CLUSTER__DISCOVERY: 'static', EMQX_CLUSTER__STATIC__SEEDS: `${N1},${N2}` };
  n1 = await startNode(N1, url, seeds);
  [n2, n3] = await Promise.all([startNode(N2, url, seeds), startNode(N3, url, seeds)]);
  await waitStatus(n1, [N1, N2, N3], []);
});

afterAll(async () => {
  await closeAll();
  await stopNodes([n1, n2, n3].filter(Boolean));
  await redis?.stop();
});

/** resolves with the DISCONNECT reason code the broker sent */
function disconnectCode(c: MqttClient): Promise<number | undefined> {
  return new Promise((r) => {
    c.once('disconnect', (p) => r(p.reasonCode));
    c.once('close', () => r(undefined));
  });
}

const v5 = (clientId: string, clean = false, extra: object = {}) =>
  ({ clientId, protocolVersion: 5 as const, clean, properties: { sessionExpiryInterval: 300 }, ...extra });

const present = (c: MqttClient): boolean | undefined => (c as unknown as { connackPacket?: { sessionPresent: boolean } }).connackPacket?.sessionPresent;

test('takeover to another node: session present, its queued messages once each, 0x8E to the old connection', async () => {
  const old = await connect(n1.url, v5('to-1'));
  await old.subscribeAsync('to/#', { qos: 2 });
  await waitRoute(n3, 'to/#', N1);
  const pub = await connect(n3.url, { clientId: 'to-pub' });
  // offline for a while: the messages queue on node 1
  old.end(true);
  await waitFor(() => !old.connected);
  for (let i = 0; i < 5; i++) await pub.publishAsync('to/q', `q${i}`, { qos: (1 + (i % 2)) as 1 | 2 });
  const moved = await connect(n2.url, v5('to-1'));
  expect(present(moved)).toBe(true);
  const got = collect(moved);
  await waitFor(() => got.length >= 5, 5000, 'queued messages');
  // the window the old node had sent (resent with DUP) comes before what it had queued
  expect(got.map((m) => m.payload).sort()).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
  await waitRoute(n3, 'to/#', N1, false);
  await waitRoute(n3, 'to/#', N2);
  // and back to node 1 while connected on node 2: the connection on node 2 gets 0x8E
  const kicked = disconnectCode(moved);
  const back = await connect(n1.url, v5('to-1'));
  expect(await kicked).toBe(0x8e);
  expect(present(back)).toBe(true);
  await waitRoute(n3, 'to/#', N1);
  for (let i = 0; i < 5; i++) await pub.publishAsync('to/q', `n${i}`, { qos: 2 });
  await waitFor(() => collect(back).length >= 5, 5000, 'new messages');
  expect(collect(back).map((m) => m.payload)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
  expect(got.length).toBe(5);
});

test('messages published while the takeover runs are not lost nor doubled (QoS 2)', async () => {
  const a = await connect(n1.url, v5('race-1'));
  await a.subscribeAsync('race/t', { qos: 2 });
  await waitRoute(n3, 'race/t', N1);
  const pub = await connect(n3.url, { clientId: 'race-pub' });
  let sent = 0;
  let stop = false;
  const pumping = (async () => {
    while (!stop) await pub.publishAsync('race/t', String(sent++), { qos: 2 });
  })();
  await waitFor(() => sent > 50, 5000, 'traffic');
  const b = await connect(n2.url, v5('race-1'));
  await waitFor(() => collect(b).length > 20, 5000, 'traffic on the new node');
  stop = true;
  await pumping;
  await waitFor(() => collect(a).length + collect(b).length >= sent, 5000, `all ${sent} messages`);
  const all = [...collect(a), ...collect(b)].map((m) => Number(m.payload));
  expect(all.length).toBe(sent);
  expect(new Set(all).size).toBe(sent);
});

test('clean start on another node discards the session there (0x8E), session present 0', async () => {
  const a = await connect(n2.url, v5('disc-1'));
  await a.subscribeAsync('disc/t', { qos: 1 });
  const code = disconnectCode(a);
  const b = await connect(n3.url, v5('disc-1', true));
  expect(await code).toBe(0x8e);
  expect(present(b)).toBe(false);
  await waitRoute(n1, 'disc/t', N2, false);
});

test('clients kick on one node reaches the client on another', async () => {
  const c = await connect(n3.url, { clientId: 'kick-me', protocolVersion: 5 });
  const code = disconnectCode(c);
  expect(await n1.ctl('clients', 'kick', 'kick-me')).toBe('ok\n');
  expect(await code).toBe(0x98);
  expect(await n1.ctl('clients', 'kick', 'nobody-here')).toBe('Not Found.\n');
});

test('a node killed with SIGKILL: stopped in status, its routes gone, its wills sent, persistent sessions resumable elsewhere', async () => {
  const url = `${redis.env.REDIS_HOST}:${redis.env.REDIS_PORT}`;
  const n4 = await startNode('emqx4@127.0.0.1', url);
  expect(await n4.ctl('cluster', 'join', N1)).toContain('Join the cluster successfully.');
  const watcher = await connect(n1.url, { clientId: 'will-watch' });
  await watcher.subscribeAsync('will/#', { qos: 1 });
  const dying = await connect(n4.url, { clientId: 'will-1', will: { topic: 'will/w1', payload: Buffer.from('gone'), qos: 1, retain: false } });
  const persistent = await connect(n4.url, v5('crash-1'));
  await persistent.subscribeAsync('crash/t', { qos: 1 });
  void dying;
  await waitRoute(n1, 'crash/t', 'emqx4@127.0.0.1');
  await n4.kill();
  await waitStatus(n1, [N1, N2, N3], ['emqx4@127.0.0.1']);
  await waitRoute(n1, 'crash/t', 'emqx4@127.0.0.1', false);
  await waitFor(() => collect(watcher).some((m) => m.topic === 'will/w1' && m.payload === 'gone'), 8000, 'the will of a client of the dead node');
  // beyond EMQX 4.3: the subscriptions of a persistent session are kept in Redis
  const back = await connect(n2.url, v5('crash-1'));
  expect(present(back)).toBe(true);
  await waitRoute(n1, 'crash/t', N2);
  const pub = await connect(n1.url, { clientId: 'crash-pub' });
  await pub.publishAsync('crash/t', 'after', { qos: 1 });
  await waitFor(() => collect(back).some((m) => m.payload === 'after'), 5000, 'delivery to the resumed session');
  expect(await n1.ctl('cluster', 'force-leave', 'emqx4@127.0.0.1')).toContain('Remove the node from cluster successfully.');
  await waitStatus(n2, [N1, N2, N3], []);
  await stopNodes([n4]);
});

test('leave and force-leave', async () => {
  expect(await n1.ctl('cluster', 'force-leave', N1)).toBe('Ignore.\n');
  expect(await n1.ctl('cluster', 'force-leave', 'emqx8@127.0.0.1')).toBe('Failed to remove the node from cluster: node_not_in_cluster\n');
  const out = await n3.ctl('cluster', 'leave');
  expect(out).toBe(`Leave the cluster successfully.\nCluster status: #{running_nodes => ['${N3}'],stopped_nodes => []}\n`);
  await waitStatus(n1, [N1, N2], []);
  expect(await n3.ctl('cluster', 'join', N1)).toContain('Join the cluster successfully.');
  await waitStatus(n1, [N1, N2, N3], []);
  const r = await n1.ctl('cluster', 'force-leave', N3);
  expect(r).toMatch(/^Remove the node from cluster successfully\.\nCluster status: #\{running_nodes => \['emqx1@127\.0\.0\.1','emqx2@127\.0\.0\.1'\],/);
  await waitStatus(n3, [N3], []);
});
