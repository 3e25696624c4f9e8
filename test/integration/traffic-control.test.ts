// Traffic control (docs/traffic-control.md): max_conn_rate, rate_limit.* and
// quota.* slow a client down; nothing is dropped and nobody is disconnected.
import { defaultZone, type Zone } from '@nemq/kernel';
import { closeAll, collect, connect, startBroker, waitFor, type TestBroker } from './helpers';

let b: TestBroker | undefined;
afterEach(async () => {
  await closeAll();
  await b?.stop();
  b = undefined;
});

async function brokerWith(over: Partial<Zone>): Promise<TestBroker> {
  const z = defaultZone('external', over);
  return (b = await startBroker({ zones: { external: z, default: z } }));
}

/** ms between the first and last message the subscriber got, once it has all n */
async function span(got: Array<{ payload: string }>, n: number, at: number[], ms = 15000): Promise<number> {
  await waitFor(() => got.length >= n, ms, `${n} messages`);
  expect(got.map((m) => Number(m.payload.slice(0, 8)))).toEqual(Array.from({ length: n }, (_, i) => i));
  return at[n - 1]! - at[0]!;
}

function stamps(c: ReturnType<typeof collect> extends unknown ? any : never): number[] {
  const at: number[] = [];
  c.on('message', () => at.push(Date.now()));
  return at;
}

const pad = (i: number, size = 8): string => String(i).padStart(8, '0') + 'x'.repeat(size - 8);

describe('traffic control', () => {
  it('rate_limit.conn_messages_in: 100 QoS 0 messages under 40/s take over a second, none lost', async () => {
    const t = await brokerWith({ rateLimit: { connMessagesIn: { limit: 40, periodMs: 1000 } } });
    const sub = await connect(t.url, { clientId: 'sub' });
    await sub.subscribeAsync('t');
    const at = stamps(sub);
    const pub = await connect(t.url, { clientId: 'pub' });
    for (let i = 0; i < 100; i++) pub.publish('t', pad(i), { qos: 0 });
    // 40 at once, the other 60 at 40/s
    expect(await span(collect(sub), 100, at)).toBeGreaterThanOrEqual(1200);
    expect(pub.connected).toBe(true);
  });

  it('rate_limit.conn_bytes_in: 30 KB of QoS 1 under 10KB/s takes seconds, none lost', async () => {
    const t = await brokerWith({ rateLimit: { connBytesIn: { limit: 10240, periodMs: 1000 } } });
    const sub = await connect(t.url, { clientId: 'sub' });
    await sub.subscribeAsync('t', { qos: 1 });
    const at = stamps(sub);
    const pub = await connect(t.url, { clientId: 'pub' });
    // one at a time: each PUBLISH is its own socket read
    for (let i = 0; i < 30; i++) await pub.publishAsync('t', pad(i, 1000), { qos: 1 });
    expect(await span(collect(sub), 30, at)).toBeGreaterThanOrEqual(1500);
    expect(pub.connected).toBe(true);
  });

  it('quota.conn_messages_routing: each PUBLISH costs 1 + its deliveries', async () => {
    const t = await brokerWith({ quota: { connMessagesRouting: { limit: 40, periodMs: 1000 } } });
    const sub = await connect(t.url, { clientId: 'sub' });
    await sub.subscribeAsync('t');
    const at = stamps(sub);
    const pub = await connect(t.url, { clientId: 'pub' });
    // 50 messages × 2 = 100 tokens: 40 at once, 60 at 40/s
    for (let i = 0; i < 50; i++) pub.publish('t', pad(i), { qos: 0 });
    expect(await span(collect(sub), 50, at)).toBeGreaterThanOrEqual(1200);
  });

  it('quota.overall_messages_routing is shared by the connections of the zone', async () => {
    const t = await brokerWith({ quota: { overallMessagesRouting: { limit: 40, periodMs: 1000 } } });
    const sub = await connect(t.url, { clientId: 'sub' });
    await sub.subscribeAsync('t/+');
    const at: number[] = [];
    sub.on('message', () => at.push(Date.now()));
    const got = collect(sub);
    const p1 = await connect(t.url, { clientId: 'p1' });
    const p2 = await connect(t.url, { clientId: 'p2' });
    // 2 × 25 messages × 2 = 100 tokens from one bucket
    for (let i = 0; i < 25; i++) {
      p1.publish('t/1', pad(i), { qos: 0 });
      p2.publish('t/2', pad(i), { qos: 0 });
    }
    await waitFor(() => got.length >= 50, 15000, '50 messages');
    for (const topic of ['t/1', 't/2']) {
      expect(got.filter((m) => m.topic === topic).map((m) => Number(m.payload.slice(0, 8)))).toEqual(Array.from({ length: 25 }, (_, i) => i));
    }
    expect(at[49]! - at[0]!).toBeGreaterThanOrEqual(1200);
  });

  it('max_conn_rate: a storm of clients connects at the rate, every one of them', async () => {
    const z = defaultZone('external');
    b = await startBroker({
      zones: { external: z, default: z },
      listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000, maxConnRate: 4 }],
    });
    const gate = b.node.listeners[0]!.gate!;
    const t0 = Date.now();
    const done: number[] = [];
    await Promise.all(Array.from({ length: 12 }, (_, i) => connect(b!.url, { clientId: `c${i}` }).then(() => void done.push(Date.now() - t0))));
    // 4 at once, 8 more at 4/s
    expect(Math.max(...done)).toBeGreaterThanOrEqual(1500);
    expect(gate.delayed).toBeGreaterThan(0);
    expect(gate.closed).toBe(0);
  });

  it('no max_conn_rate: the same storm all connects', async () => {
    b = await startBroker({});
    expect(b.node.listeners[0]!.gate).toBeUndefined();
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => connect(b!.url, { clientId: `c${i}` })));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
  });
});
