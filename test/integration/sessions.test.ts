// Session lifetime: expiry, will delay, shared members offline, clean start discards.
import { startBroker, connect, closeAll, collect, waitFor, sleep, type TestBroker } from './helpers';

let b: TestBroker;
beforeAll(async () => {
  b = await startBroker();
});
afterEach(closeAll);
afterAll(() => b.stop());

const v5 = 5 as const;

test('[MQTT-3.1.2-23] the session ends after its expiry interval and is not present afterwards', async () => {
  const opts = { protocolVersion: v5, clientId: 'exp-s', clean: false, properties: { sessionExpiryInterval: 1 } };
  const c = await connect(b.url, opts);
  await c.subscribeAsync('se/t', { qos: 1 });
  await c.endAsync();
  expect(b.node.cm.sessions.has('exp-s')).toBe(true);
  await waitFor(() => !b.node.cm.sessions.has('exp-s'), 3000, 'session expiry');
  const again = await connect(b.url, opts);
  expect((again as any).connackPacket?.sessionPresent ?? false).toBe(false);
});

test('a session expiry beyond the 24.8-day timer limit does not end the session at once', async () => {
  const c = await connect(b.url, { protocolVersion: v5, clientId: 'long-exp', clean: false, properties: { sessionExpiryInterval: 99999 } });
  await c.subscribeAsync('le/t', { qos: 1 });
  await c.endAsync(false, { properties: { sessionExpiryInterval: 999999999 } } as any);
  await sleep(200);
  expect(b.node.cm.sessions.has('long-exp')).toBe(true);
});

test('[MQTT-3.1.2-6] clean start discards the old session', async () => {
  const c = await connect(b.url, { protocolVersion: v5, clientId: 'cs', clean: false, properties: { sessionExpiryInterval: 60 } });
  await c.subscribeAsync('cs/t', { qos: 1 });
  await c.endAsync();
  const fresh = await connect(b.url, { protocolVersion: v5, clientId: 'cs', clean: true });
  expect(fresh.connected).toBe(true);
  expect(b.node.cm.sessions.get('cs')!.subscriptions.size).toBe(0);
});

test('[MQTT-3.1.3-9] a delayed will is not sent when the client comes back in time, and is sent otherwise', async () => {
  const watcher = await connect(b.url, { protocolVersion: v5 });
  const got = collect(watcher);
  await watcher.subscribeAsync('wd/#', { qos: 1 });
  const will = (t: string) => ({ topic: t, payload: Buffer.from(t), qos: 1 as const, retain: false, properties: { willDelayInterval: 1 } });
  const back = await connect(b.url, { protocolVersion: v5, clientId: 'wd-back', clean: false, properties: { sessionExpiryInterval: 60 }, will: will('wd/back') });
  (back as any).stream.destroy();
  await sleep(200);
  await connect(b.url, { protocolVersion: v5, clientId: 'wd-back', clean: false, properties: { sessionExpiryInterval: 60 } });
  const gone = await connect(b.url, { protocolVersion: v5, clientId: 'wd-gone', clean: false, properties: { sessionExpiryInterval: 60 }, will: will('wd/gone') });
  (gone as any).stream.destroy();
  await sleep(300);
  expect(got).toHaveLength(0);
  await waitFor(() => got.length === 1, 3000, 'delayed will');
  await sleep(300);
  expect(got.map((m) => m.topic)).toEqual(['wd/gone']);
});

test('a shared subscription whose members are all offline queues for a persistent member', async () => {
  const opts = { protocolVersion: v5, clientId: 'shp', clean: false, properties: { sessionExpiryInterval: 60 } };
  const m = await connect(b.url, opts);
  await m.subscribeAsync('$share/g/shq', { qos: 1 });
  await m.endAsync();
  const pub = await connect(b.url, { protocolVersion: v5 });
  await pub.publishAsync('shq', 'queued', { qos: 1 });
  const back = await connect(b.url, opts);
  const got = collect(back);
  await waitFor(() => got.length === 1);
  expect(got[0]!.payload).toBe('queued');
});

test('[MQTT-4.6.0-2] QoS 1 messages keep their order through a small inflight window', async () => {
  await b.stop();
  b = await startBroker({ zone: { maxInflight: 2 } });
  const sub = await connect(b.url, { protocolVersion: 4 });
  const got = collect(sub);
  await sub.subscribeAsync('order/t', { qos: 1 });
  const pub = await connect(b.url, { protocolVersion: 4 });
  await Promise.all(Array.from({ length: 200 }, (_, i) => pub.publishAsync('order/t', String(i), { qos: 1 })));
  await waitFor(() => got.length === 200);
  expect(got.map((x) => Number(x.payload))).toEqual(Array.from({ length: 200 }, (_, i) => i));
});
