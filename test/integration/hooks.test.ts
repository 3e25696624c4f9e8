import * as net from 'node:net';
// Hook points seen by an embedding user: auth, ACL, message folds, error isolation.
import { startBroker, connect, closeAll, collect, waitFor, sleep, type TestBroker } from './helpers';

let b: TestBroker;
beforeEach(async () => {
  b = await startBroker();
});
afterEach(async () => {
  await closeAll();
  await b.stop();
});

test('client.authenticate decides: bad password gets 0x86 (v5) / 4 (v3.1.1), good one connects', async () => {
  b.node.tap('test_auth', 'client.authenticate', async (ci: any) => {
    if (ci.username !== 'u') return undefined;
    return ci.password?.toString() === 'p' ? { auth_result: 'success', is_superuser: false } : { auth_result: 'bad_username_or_password' };
  });
  await expect(connect(b.url, { protocolVersion: 5, username: 'u', password: 'no' })).rejects.toMatchObject({ code: 0x86 });
  await expect(connect(b.url, { protocolVersion: 4, username: 'u', password: 'no' })).rejects.toMatchObject({ code: 4 });
  const ok = await connect(b.url, { protocolVersion: 5, username: 'u', password: 'p' });
  expect(ok.connected).toBe(true);
  expect(b.node.metrics['packets.connack.auth_error']).toBe(2);
});

test('allow_anonymous = false rejects clients no plugin accepts with 0x87 / 5', async () => {
  await b.stop();
  b = await startBroker({ zone: { allowAnonymous: false } });
  await expect(connect(b.url, { protocolVersion: 5 })).rejects.toMatchObject({ code: 0x87 });
  await expect(connect(b.url, { protocolVersion: 4 })).rejects.toMatchObject({ code: 5 });
});

test('client.check_acl deny: SUBACK 0x87 and PUBACK 0x87 (v5), nothing routed', async () => {
  b.node.tap('test_acl', 'client.check_acl', async (_ci: any, _action: string, topic: string) => (topic.startsWith('secret') ? 'deny' : undefined));
  const c = await connect(b.url, { protocolVersion: 5 });
  const subacks: number[][] = [];
  c.on('packetreceive', (p: any) => { if (p.cmd === 'suback') subacks.push(p.granted); });
  await c.subscribeAsync({ 'secret/a': { qos: 1 }, 'open/a': { qos: 1 } }).catch(() => undefined);
  await waitFor(() => subacks.length === 1);
  expect(subacks[0]).toEqual([0x87, 1]);
  const watcher = await connect(b.url, { protocolVersion: 5 });
  const seen = collect(watcher);
  await watcher.subscribeAsync('#', { qos: 0 });
  const acks: number[] = [];
  c.on('packetreceive', (p: any) => { if (p.cmd === 'puback') acks.push(p.reasonCode ?? 0); });
  await c.publishAsync('secret/b', 'x', { qos: 1 }).catch(() => undefined);
  await c.publishAsync('open/b', 'y', { qos: 1 });
  await waitFor(() => seen.length === 1 && acks.length === 2);
  expect(acks[0]).toBe(0x87);
  expect(seen.map((m) => m.topic)).toEqual(['open/b']);
});

test('message.publish fold rewrites a message; allow_publish = false drops it', async () => {
  b.node.tap('test_fold', 'message.publish', (msg: any) => {
    if (msg.topic === 'drop/me') msg.headers.allow_publish = false;
    if (msg.topic === 'rewrite/me') msg.payload = Buffer.from('rewritten');
    return msg;
  });
  const c = await connect(b.url, { protocolVersion: 5 });
  const got = collect(c);
  await c.subscribeAsync(['drop/me', 'rewrite/me'], { qos: 0 });
  await c.publishAsync('drop/me', 'a');
  await c.publishAsync('rewrite/me', 'b');
  await waitFor(() => got.length === 1);
  await sleep(50);
  expect(got.map((m) => [m.topic, m.payload])).toEqual([['rewrite/me', 'rewritten']]);
});

test('a tap that throws is isolated, logged and counted; later taps and delivery go on', async () => {
  const seen: string[] = [];
  b.node.tap('bad_plugin', 'message.publish', () => {
    throw new Error('boom');
  });
  b.node.tap('good_plugin', 'message.publish', (msg: any) => {
    seen.push(msg.topic);
    return msg;
  });
  b.node.tap('bad_auth', 'client.authenticate', async () => {
    throw new Error('db down');
  });
  const c = await connect(b.url, { protocolVersion: 5 });
  const got = collect(c);
  await c.subscribeAsync('iso/t', { qos: 1 });
  await c.publishAsync('iso/t', 'still here', { qos: 1 });
  await waitFor(() => got.length === 1);
  expect(seen).toContain('iso/t');
  expect(b.node.registry.errorCounts('bad_plugin').get('message.publish')).toBeGreaterThanOrEqual(1);
  expect(b.node.registry.errorCounts('bad_auth').get('client.authenticate')).toBe(1);
  expect(b.node.registry.errorCounts('good_plugin').size).toBe(0);
});

test('session and client notification hooks fire in order', async () => {
  const events: string[] = [];
  for (const p of ['client.connected', 'client.disconnected', 'session.created', 'session.subscribed', 'session.unsubscribed', 'session.terminated'] as const) {
    b.node.tap('test_events', p, () => void events.push(p));
  }
  const c = await connect(b.url, { protocolVersion: 5 });
  await c.subscribeAsync('ev/t');
  await c.unsubscribeAsync('ev/t');
  await c.endAsync();
  await waitFor(() => events.includes('session.terminated'));
  expect(events).toEqual(['session.created', 'client.connected', 'session.subscribed', 'session.unsubscribed', 'client.disconnected', 'session.terminated']);
});

test('[MQTT-3.1.4-3] a second connection with the same client id takes over: the first gets DISCONNECT 0x8E', async () => {
  const first = await connect(b.url, { protocolVersion: 5, clientId: 'same', clean: false, properties: { sessionExpiryInterval: 30 } });
  const reasons: number[] = [];
  first.on('disconnect', (p: any) => reasons.push(p.reasonCode));
  await first.subscribeAsync('to/t', { qos: 1 });
  const second = await connect(b.url, { protocolVersion: 5, clientId: 'same', clean: false, properties: { sessionExpiryInterval: 30 } });
  await waitFor(() => reasons.length === 1);
  expect(reasons).toEqual([0x8e]);
  expect((second as any).connackPacket?.sessionPresent ?? true).toBe(true);
  const got = collect(second);
  const pub = await connect(b.url, { protocolVersion: 5 });
  await pub.publishAsync('to/t', 'kept subscription', { qos: 1 });
  await waitFor(() => got.length === 1);
});

test('graceful stop sends DISCONNECT 0x8B to v5 clients and publishes wills', async () => {
  const watcher = await connect(b.url, { protocolVersion: 4, clientId: 'watcher' });
  const c = await connect(b.url, { protocolVersion: 5, will: { topic: 'w/stop', payload: Buffer.from('bye'), qos: 0, retain: false } });
  const reasons: number[] = [];
  c.on('disconnect', (p: any) => reasons.push(p.reasonCode));
  const seen: string[] = [];
  b.node.tap('test_will', 'message.publish', (m: any) => { seen.push(m.topic); return m; });
  await watcher.subscribeAsync('w/#');
  await b.stop();
  await waitFor(() => reasons.length === 1);
  expect(reasons).toEqual([0x8b]);
  expect(seen).toContain('w/stop');
});

test('keepalive: a silent client is dropped after 1.5x its keepalive with DISCONNECT 0x8D [MQTT-3.1.2-22]', async () => {
  const sock = net.connect(b.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  sock.on('data', (d) => chunks.push(d));
  // CONNECT v5, clean start, keepalive 1 s, client id "ka"
  sock.write(Buffer.from([0x10, 0x0f, 0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 0x02, 0, 1, 0, 0, 2, 0x6b, 0x61]));
  const t0 = Date.now();
  await new Promise((r) => sock.on('close', r));
  const elapsed = Date.now() - t0;
  const data = Buffer.concat(chunks);
  expect(data[0]).toBe(0x20);
  const i = data.indexOf(0xe0, 2);
  expect(data[i + 2]).toBe(0x8d);
  expect(elapsed).toBeGreaterThanOrEqual(1400);
});
