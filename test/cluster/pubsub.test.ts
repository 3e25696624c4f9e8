// Three nodes joined with `emqx_ctl cluster join` through a real redis-server: the
// guide's walk-through output, then delivery across nodes for every QoS and wildcard,
// shared groups spanning nodes, $SYS/brokers and the cluster-wide routes table.
import { startService, type Service } from '../services';
import { closeAll, collect, connect } from '../integration/helpers';
import { startNode, stopNodes, waitFor, waitRoute, waitStatus, type ClusterProc } from './harness';

jest.setTimeout(60000);

let redis: Service;
let n1: ClusterProc, n2: ClusterProc, n3: ClusterProc;
const N1 = 'emqx1@127.0.0.1', N2 = 'emqx2@127.0.0.1', N3 = 'emqx3@127.0.0.1';
const STRATEGIES = ['random', 'round_robin', 'sticky', 'hash_clientid', 'hash_topic', 'local'] as const;
// round robin by default; group `g_<strategy>` uses that strategy (broker.<group>.shared_subscription_strategy)
const ENV: Record<string, string> = {
  EMQX_BROKER__SYS_INTERVAL: '1s', EMQX_BROKER__SYS_HEARTBEAT: '1s', EMQX_BROKER__SHARED_SUBSCRIPTION_STRATEGY: 'round_robin',
  ...Object.fromEntries(STRATEGIES.map((st) => [`EMQX_BROKER__G_${st.toUpperCase()}__SHARED_SUBSCRIPTION_STRATEGY`, st])),
};

beforeAll(async () => {
  redis = await startService('redis');
  const url = `${redis.env.REDIS_HOST}:${redis.env.REDIS_PORT}`;
  [n1, n2, n3] = await Promise.all([
    startNode(N1, url, ENV),
    startNode(N2, url, ENV),
    startNode(N3, url, ENV),
  ]);
});

afterAll(async () => {
  await closeAll();
  await stopNodes([n1, n2, n3].filter(Boolean));
  await redis?.stop();
});

describe('emqx_ctl cluster (EMQX 4.3 output)', () => {
  test('a node not yet joined is a cluster of one', async () => {
    expect(await n1.ctl('cluster', 'status')).toBe(`Cluster status: #{running_nodes => ['${N1}'],stopped_nodes => []}\n`);
  });

  test('join: itself is ignored, an unknown node is down', async () => {
    expect(await n2.ctl('cluster', 'join', N2)).toBe('Ignore.\n');
    expect(await n2.ctl('cluster', 'join', 'emqx9@127.0.0.1')).toBe("Failed to join the cluster: {node_down,'emqx9@127.0.0.1'}\n");
    expect(await n2.ctl('cluster', 'leave')).toBe('Failed to leave the cluster: node_not_in_cluster\n');
  });

  test('join prints success and the status, wrapped as Erlang prints it', async () => {
    // retained messages from before the join: each node's are merged into the cluster's table
    const p1 = await connect(n1.url, { clientId: 'pre-1' });
    await p1.publishAsync('pre/one', 'from node 1', { qos: 1, retain: true });
    const p2 = await connect(n2.url, { clientId: 'pre-2' });
    await p2.publishAsync('pre/two', 'from node 2', { qos: 1, retain: true });
    expect(await n2.ctl('cluster', 'join', N1)).toBe(
      'Join the cluster successfully.\n' +
      `Cluster status: #{running_nodes => ['${N1}','${N2}'],\n` +
      '                  stopped_nodes => []}\n');
    expect(await n3.ctl('cluster', 'join', N2)).toContain('Join the cluster successfully.');
    await waitStatus(n1, [N1, N2, N3], []);
    expect(await n3.ctl('cluster', 'join', N1)).toBe(`Failed to join the cluster: {already_in_cluster,'${N1}'}\n`);
  });

  test('usage', async () => {
    expect(await n1.ctl('cluster')).toContain('cluster join <Node>');
  });
});

describe('delivery across nodes', () => {
  test.each([4, 5] as const)('QoS 0, 1 and 2 with + and # (MQTT %s)', async (v) => {
    const sub = await connect(n2.url, { clientId: `sub-${v}`, protocolVersion: v });
    await sub.subscribeAsync([`x${v}/+/q0`, `x${v}/#`], { qos: 2 });
    await waitRoute(n1, `x${v}/#`, N2);
    await waitRoute(n1, `x${v}/+/q0`, N2);
    const pub = await connect(n1.url, { clientId: `pub-${v}`, protocolVersion: v });
    await pub.publishAsync(`x${v}/a/q0`, 'zero', { qos: 0 });
    await pub.publishAsync(`x${v}/b`, 'one', { qos: 1 });
    await pub.publishAsync(`x${v}/c`, 'two', { qos: 2 });
    const got = collect(sub);
    // x/a/q0 matches both filters: one forward per (filter, node), as EMQX
    await waitFor(() => got.length >= 4, 5000, 'deliveries');
    const seen = got.map((m) => `${m.topic}:${m.payload}:${m.packet.qos}`).sort();
    expect(seen).toEqual([`x${v}/a/q0:zero:0`, `x${v}/a/q0:zero:0`, `x${v}/b:one:1`, `x${v}/c:two:2`]);
  });

  test('a subscriber on the publishing node and one on each other node all get it', async () => {
    const subs = await Promise.all([n1, n2, n3].map((n, i) => connect(n.url, { clientId: `all-${i}` })));
    await Promise.all(subs.map((s) => s.subscribeAsync('all/t', { qos: 1 })));
    await waitRoute(n1, 'all/t', N2);
    await waitRoute(n1, 'all/t', N3);
    const pub = await connect(n1.url, { clientId: 'all-pub' });
    await pub.publishAsync('all/t', 'x', { qos: 1 });
    await waitFor(() => subs.every((s) => collect(s).length === 1), 5000, 'three deliveries');
  });

  test('messages.forward counts one per remote (filter, node)', async () => {
    const before = Number(/messages\.forward\s*:\s*(\d+)/.exec(await n3.ctl('broker', 'metrics'))![1]);
    const sub = await connect(n1.url, { clientId: 'fw-sub' });
    await sub.subscribeAsync('fw/t', { qos: 0 });
    await waitRoute(n3, 'fw/t', N1);
    const pub = await connect(n3.url, { clientId: 'fw-pub' });
    for (let i = 0; i < 5; i++) await pub.publishAsync('fw/t', String(i), { qos: 1 });
    await waitFor(() => collect(sub).length === 5, 5000, 'five deliveries');
    const after = Number(/messages\.forward\s*:\s*(\d+)/.exec(await n3.ctl('broker', 'metrics'))![1]);
    expect(after - before).toBe(5);
  });

  test('routes list shows every node\'s rows; an unsubscribe removes them everywhere', async () => {
    const sub = await connect(n3.url, { clientId: 'rt-sub' });
    await sub.subscribeAsync('rt/only', { qos: 0 });
    await waitRoute(n1, 'rt/only', N3);
    expect(await n2.ctl('routes', 'list')).toContain(`rt/only -> ${N3}`);
    await sub.unsubscribeAsync('rt/only');
    await waitRoute(n1, 'rt/only', N3, false);
    expect(await n1.ctl('routes', 'show', 'rt/only')).toBe('Not Found.\n');
  });
});

describe('shared subscriptions across nodes', () => {
  test.each(['$share/g1/sh/t', '$queue/sh/q'])('%s: each message goes to exactly one member cluster-wide', async (filter) => {
    const topic = filter.startsWith('$queue') ? 'sh/q' : 'sh/t';
    const members = await Promise.all([n2, n3, n3].map((n, i) => connect(n.url, { clientId: `m-${topic}-${i}` })));
    await Promise.all(members.map((m) => m.subscribeAsync(filter, { qos: 1 })));
    // both nodes' rows reach node 1
    for (const owner of [N2, N3]) {
      const t0 = Date.now();
      while (!(await n1.ctl('routes', 'show', topic)).includes(owner)) if (Date.now() - t0 > 5000) throw new Error(`no ${owner} row`);
    }
    const pub = await connect(n1.url, { clientId: `sh-pub-${topic}` });
    for (let i = 0; i < 20; i++) await pub.publishAsync(topic, String(i), { qos: 1 });
    const total = (): number => members.reduce((k, m) => k + collect(m).length, 0);
    await waitFor(() => total() === 20, 5000, '20 deliveries');
    const all = members.flatMap((m) => collect(m).map((x) => x.payload)).sort((a, b) => Number(a) - Number(b));
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    // round robin over the nodes: both nodes' members got some
    expect(collect(members[0]!).length).toBeGreaterThan(0);
    expect(collect(members[1]!).length + collect(members[2]!).length).toBeGreaterThan(0);
  });
});

/** until `node` has `topic` in its retained store */
async function waitRetained(node: ClusterProc, topic: string, present = true): Promise<void> {
  const t0 = Date.now();
  while ((await node.ctl('retainer', 'topics')).split('\n').includes(topic) !== present) {
    if (Date.now() - t0 > 5000) throw new Error(`retained ${topic} ${present ? 'missing' : 'still there'} on ${node.name}`);
  }
}

describe('every shared-subscription strategy across nodes', () => {
  test.each(STRATEGIES)('%s: one member of the group cluster-wide gets each message', async (st) => {
    const group = `g_${st}`;
    const topic = `st/${st}`;
    // members on node 1 (the publisher's), node 2 and node 3
    const members = await Promise.all([n1, n2, n3].map((n, i) => connect(n.url, { clientId: `st-${st}-${i}` })));
    await Promise.all(members.map((m) => m.subscribeAsync(`$share/${group}/${topic}`, { qos: 1 })));
    for (const owner of [N2, N3]) await waitRoute(n1, topic, owner);
    const pub = await connect(n1.url, { clientId: `st-pub-${st}` });
    for (let i = 0; i < 12; i++) await pub.publishAsync(topic, String(i), { qos: 1 });
    const counts = (): number[] => members.map((m) => collect(m).length);
    await waitFor(() => counts().reduce((a, b) => a + b) === 12, 5000, '12 deliveries');
    const all = members.flatMap((m) => collect(m).map((x) => Number(x.payload))).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const busy = counts().filter((k) => k > 0).length;
    if (st === 'local') expect(counts()).toEqual([12, 0, 0]);
    // one publisher, one topic: the same member every time
    if (st === 'sticky' || st === 'hash_clientid' || st === 'hash_topic') expect(busy).toBe(1);
    if (st === 'round_robin') expect(busy).toBe(3);
  });
});

describe('cluster-wide tables', () => {
  test('retained messages from before the join reach every node', async () => {
    for (const n of [n1, n2, n3]) for (const t of ['pre/one', 'pre/two']) await waitRetained(n, t);
    const s = await connect(n3.url, { clientId: 'pre-sub' });
    await s.subscribeAsync('pre/+', { qos: 1 });
    await waitFor(() => collect(s).length === 2, 5000, 'two retained messages');
    expect(collect(s).map((m) => [m.topic, m.payload, m.packet.retain]).sort()).toEqual([['pre/one', 'from node 1', true], ['pre/two', 'from node 2', true]]);
  });

  test('a retained message published on one node is there on every node; clearing it clears it everywhere', async () => {
    const pub = await connect(n2.url, { clientId: 'ret-pub' });
    await pub.publishAsync('ret/a', 'kept', { qos: 1, retain: true });
    await waitRetained(n1, 'ret/a');
    await waitRetained(n3, 'ret/a');
    const s = await connect(n1.url, { clientId: 'ret-sub', protocolVersion: 5 });
    await s.subscribeAsync('ret/#', { qos: 1 });
    await waitFor(() => collect(s).length === 1, 5000, 'the retained message');
    expect(collect(s)[0]).toMatchObject({ topic: 'ret/a', payload: 'kept' });
    expect(collect(s)[0]!.packet.retain).toBe(true);
    await pub.publishAsync('ret/a', '', { qos: 1, retain: true });
    await waitRetained(n3, 'ret/a', false);
    await waitRetained(n1, 'ret/a', false);
  });

  test('retainer clean on one node cleans every node', async () => {
    const pub = await connect(n3.url, { clientId: 'clean-pub' });
    await pub.publishAsync('cl/x', '1', { qos: 1, retain: true });
    await waitRetained(n1, 'cl/x');
    expect(await n1.ctl('retainer', 'clean', 'cl/#')).toBe('Cleaned 1 retained messages\n');
    await waitRetained(n3, 'cl/x', false);
  });

  test('a client banned on one node is refused on every node', async () => {
    expect(await n1.ctl('banned', 'add', 'clientid', 'bad-1')).toContain('ok');
    const t0 = Date.now();
    for (;;) {
      const err = await connect(n3.url, { clientId: 'bad-1', protocolVersion: 5 }).then((c) => (c.end(true), undefined), (e: Error & { code?: number }) => e);
      if (err?.code === 0x8a) break;
      if (Date.now() - t0 > 5000) throw new Error(`not refused on node 3: ${err?.message ?? 'connected'}`);
    }
    expect(await n2.ctl('banned', 'del', 'clientid', 'bad-1')).toContain('ok');
    const t1 = Date.now();
    for (;;) {
      const ok = await connect(n3.url, { clientId: 'bad-1', protocolVersion: 5 }).then((c) => (c.end(true), true), () => false);
      if (ok) break;
      if (Date.now() - t1 > 5000) throw new Error('still refused on node 3');
    }
  });
});

describe('the built-in user store (emqx_auth_mnesia) is one table for the cluster', () => {
  afterAll(async () => {
    for (const n of [n1, n2, n3]) await n.ctl('plugins', 'unload', 'emqx_auth_mnesia');
  });

  test('a user added on one node logs in on another; an ACL rule too; a delete reaches every node', async () => {
    for (const n of [n1, n2, n3]) expect(await n.ctl('plugins', 'load', 'emqx_auth_mnesia')).toContain('loaded successfully');
    expect(await n1.ctl('user', 'add', 'carol', 'pw1')).toBe('ok\n');
    expect(await n1.ctl('acl', 'add', 'username', 'carol', 'no/#', 'sub', 'deny')).toBe('ok\n');
    const login = (n: ClusterProc, password: string) =>
      connect(n.url, { clientId: `carol-${password}`, username: 'carol', password, protocolVersion: 5 }).then((c) => c, (e: Error & { code?: number }) => e.code);
    const t0 = Date.now();
    let c = await login(n3, 'pw1');
    while (typeof c !== 'object') {
      if (Date.now() - t0 > 5000) throw new Error(`carol refused on node 3: ${c}`);
      c = await login(n3, 'pw1');
    }
    await expect(c.subscribeAsync('no/x', { qos: 0 })).rejects.toThrow(/Not authorized/);
    expect(await login(n2, 'wrong')).toBe(0x86);
    expect(await n2.ctl('user', 'del', 'carol')).toBe('ok\n');
    const t1 = Date.now();
    while (!(await n3.ctl('user', 'list')).split('\n').every((l) => !l.includes('carol'))) if (Date.now() - t1 > 5000) throw new Error('carol still on node 3');
  });
});

describe('$SYS', () => {
  test('$SYS/brokers lists every running node, and each node\'s $SYS reaches every node', async () => {
    const s = await connect(n1.url, { clientId: 'sys-sub' });
    await s.subscribeAsync(['$SYS/brokers', '$SYS/brokers/+/uptime'], { qos: 0 });
    const got = collect(s);
    await waitFor(() => got.some((m) => m.topic === '$SYS/brokers' && m.payload === `${N1},${N2},${N3}`), 8000, '$SYS/brokers with all nodes');
    await waitFor(() => [N1, N2, N3].every((n) => got.some((m) => m.topic === `$SYS/brokers/${n}/uptime`)), 8000, 'uptime of every node');
  });
});
