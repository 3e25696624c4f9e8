// emqx_backend_redis end to end: a real broker with the plugin loaded from dist/, real mqtt.js
// clients (v3.1.1 and v5) and a real redis-server (test/services), read back with ioredis.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';
import { requireServices, startService, type Service } from '../../../test/services/index';
import { sleep, waitFor, spawnNode } from '../../../test/integration/helpers';

const ROOT = join(__dirname, '../../..');

requireServices('redis');

let redis: Service;
let db: Redis;
let dir: string;
let node: BrokerNode;
let url: string;
const clients: MqttClient[] = [];

const RULES = [
  'backend.redis.hook.client.connected.1    = {"action": {"function": "on_client_connected"}, "pool": "pool1"}',
  'backend.redis.hook.client.connected.2    = {"action": {"function": "on_subscribe_lookup"}, "pool": "pool1"}',
  'backend.redis.hook.client.connected.3    = {"action": {"commands": ["SET conn:${clientid} clientid"]}, "pool": "pool1"}',
  'backend.redis.hook.client.disconnected.1 = {"action": {"function": "on_client_disconnected"}, "pool": "pool1"}',
  'backend.redis.hook.session.subscribed.1  = {"topic": "queue/#", "action": {"function": "on_message_fetch_for_queue"}, "pool": "pool1"}',
  'backend.redis.hook.session.subscribed.2  = {"topic": "pubsub/#", "action": {"function": "on_message_fetch_for_pubsub"}, "pool": "pool1"}',
  'backend.redis.hook.session.subscribed.3  = {"action": {"function": "on_retain_lookup"}, "pool": "pool1"}',
  'backend.redis.hook.session.subscribed.4  = {"topic": "keep/#", "action": {"function": "on_client_subscribe"}, "pool": "pool1"}',
  'backend.redis.hook.session.unsubscribed.1 = {"topic": "keep/#", "action": {"function": "on_client_unsubscribe"}, "pool": "pool1"}',
  'backend.redis.hook.message.publish.1     = {"topic": "#", "action": {"function": "on_message_publish"}, "pool": "pool1"}',
  'backend.redis.hook.message.publish.2     = {"topic": "#", "action": {"function": "on_message_retain"}, "pool": "pool1"}',
  'backend.redis.hook.message.publish.3     = {"topic": "#", "action": {"function": "on_retain_delete"}, "pool": "pool1"}',
  'backend.redis.hook.message.publish.4     = {"topic": "raw/#", "action": {"commands": ["RPUSH pub:${topic} ${msgid}", "SET last:${clientid} ${payload}"]}, "pool": "pool1"}',
  'backend.redis.hook.message.acked.1       = {"topic": "queue/#", "action": {"function": "on_message_acked_for_queue"}, "pool": "pool1"}',
  'backend.redis.hook.message.acked.2       = {"topic": "pubsub/#", "action": {"function": "on_message_acked_for_pubsub"}, "pool": "pool1"}',
];

function conf(extra: string[] = [], rules = RULES): string {
  return [
    `backend.redis.pool1.server = 127.0.0.1:${redis.env.REDIS_PORT}`,
    'backend.redis.pool1.pool_size = 8',
    'backend.redis.pool1.database = 1',
    'backend.redis.pool1.channel = mqtt_channel',
    'backend.redis.msg.expired_after = 600',
    ...rules,
    ...extra,
  ].join('\n') + '\n';
}

function client(opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

const end = (c: MqttClient): Promise<void> => new Promise((r) => c.end(false, {}, () => r()));

async function ctl(...args: string[]): Promise<string> {
  return (await node.ctl.run(args)).output;
}

async function stats(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await ctl('backend_redis', 'stats')).split('\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}
const stat = async (k: string): Promise<number> => Number((await stats())[k]);
const idle = async (): Promise<boolean> => {
  const s = await stats();
  return s.status === 'connected' && s.buffered === '0' && s.inflight === '0';
};

/** messages a client receives, as [topic, payload, retain] */
function collect(c: MqttClient): Array<[string, string, boolean]> {
  const got: Array<[string, string, boolean]> = [];
  c.on('message', (t, p, packet) => got.push([t, p.toString(), packet.retain]));
  return got;
}

beforeAll(async () => {
  redis = await startService('redis');
  db = new Redis({ host: '127.0.0.1', port: Number(redis.env.REDIS_PORT), db: 1, maxRetriesPerRequest: 1 });
  db.on('error', () => undefined);
  dir = mkdtempSync(join(tmpdir(), 'nemq-backend-redis-e2e-'));
  writeFileSync(join(dir, 'emqx_backend_redis.conf'), conf());
  node = await createBroker({
    logger: createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  url = `mqtt://127.0.0.1:${node.listeners[0]!.port}`;
  expect(await ctl('plugins', 'load', 'emqx_backend_redis')).toBe('Plugin emqx_backend_redis loaded successfully.\n');
  await waitFor(async () => (await stats()).status === 'connected', 10000, 'the backend to connect');
}, 60_000);

// a test that failed while Redis was down must not take the next ones with it
afterEach(() => redis.up().catch(() => undefined));

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
  await node?.stop();
  db?.disconnect();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

test('client online/offline: mqtt:client:<clientid> state, online_at, offline_at; mqtt:node:<node>; a raw command', async () => {
  const t0 = Math.floor(Date.now() / 1000);
  const c = await client({ clientId: 'status-1', protocolVersion: 4 });
  await waitFor(async () => (await db.hget('mqtt:client:status-1', 'state')) === '1', 10000, 'state 1');
  const on = await db.hgetall('mqtt:client:status-1');
  expect(on).toEqual({ state: '1', online_at: expect.stringMatching(/^\d+$/), offline_at: 'undefined' });
  expect(Number(on.online_at)).toBeGreaterThanOrEqual(t0);
  expect(await db.hget(`mqtt:node:${node.nodeName}`, 'status-1')).toBe(on.online_at);
  expect(await db.get('conn:status-1')).toBe('clientid');
  await end(c);
  await waitFor(async () => (await db.hget('mqtt:client:status-1', 'state')) === '0', 10000, 'state 0');
  const off = await db.hgetall('mqtt:client:status-1');
  expect(off.online_at).toBe(on.online_at);
  expect(Number(off.offline_at)).toBeGreaterThanOrEqual(Number(on.online_at));
  expect(await db.hexists(`mqtt:node:${node.nodeName}`, 'status-1')).toBe(0);
}, 30_000);

test.each([4, 5] as const)('subscriptions in mqtt:sub:<clientid> are restored on connect (MQTT v%s)', async (v) => {
  const cid = `restore-${v}`;
  await db.hset(`mqtt:sub:${cid}`, 'restore/a', '1', 'restore/+/b', '2');
  const c = await client({ clientId: cid, protocolVersion: v });
  const got = collect(c);
  const pub = await client({ clientId: `restore-pub-${v}`, protocolVersion: 4 });
  await waitFor(async () => {
    await pub.publishAsync('restore/x/b', 'w', { qos: 1 });
    return got.length > 0;
  }, 10000, 'the restored subscription');
  await pub.publishAsync('restore/a', 'exact', { qos: 1 });
  await waitFor(() => got.some((g) => g[0] === 'restore/a'), 10000, 'restore/a');
  const subs = (await node.admin.call(node.nodeName, 'subscriptions', { clientid: cid, skip: 0, limit: 10 })) as { rows: Array<{ topic: string; qos: number }> };
  expect(subs.rows.map((r) => [r.topic, r.qos]).sort()).toEqual([['restore/+/b', 2], ['restore/a', 1]]);
}, 30_000);

test('on_client_subscribe / on_client_unsubscribe keep mqtt:sub:<clientid> as HSET topic qos', async () => {
  const c = await client({ clientId: 'keeper', protocolVersion: 5 });
  await c.subscribeAsync({ 'keep/1': { qos: 1 }, 'keep/+/x': { qos: 2 }, 'other/1': { qos: 0 } });
  await waitFor(async () => (await db.hlen('mqtt:sub:keeper')) === 2, 10000, 'mqtt:sub:keeper');
  expect(await db.hgetall('mqtt:sub:keeper')).toEqual({ 'keep/1': '1', 'keep/+/x': '2' });
  await c.unsubscribeAsync('keep/1');
  await waitFor(async () => (await db.hlen('mqtt:sub:keeper')) === 1, 10000, 'the HDEL');
  expect(await db.hgetall('mqtt:sub:keeper')).toEqual({ 'keep/+/x': '2' });
}, 30_000);

test('on_message_publish stores QoS 1/2 messages: mqtt:msg:<id> hash with EMQX fields and TTL, mqtt:msg:<topic> sorted set; QoS 0 is not stored', async () => {
  const c = await client({ clientId: 'storer', protocolVersion: 4 });
  await c.publishAsync('store/a', 'zero', { qos: 0 });
  await c.publishAsync('store/a', 'one', { qos: 1 });
  await c.publishAsync('store/a', Buffer.from([0, 255, 1]), { qos: 2 });
  await waitFor(async () => (await db.zcard('mqtt:msg:store/a')) === 2, 10000, 'two stored messages');
  const ids = await db.zrange('mqtt:msg:store/a', 0, -1);
  const h = await db.hgetall(`mqtt:msg:${ids[0]}`);
  expect(h).toEqual({ id: ids[0], from: 'storer', qos: '1', topic: 'store/a', retain: 'false', payload: 'one', ts: expect.stringMatching(/^\d+$/) });
  expect((await db.hgetallBuffer(`mqtt:msg:${ids[1]}`)).payload).toEqual(Buffer.from([0, 255, 1]));
  const ttl = await db.ttl(`mqtt:msg:${ids[0]}`);
  expect(ttl).toBeGreaterThan(590);
  expect(ttl).toBeLessThanOrEqual(600);
}, 30_000);

test('queue/#: a message stored while nobody listens is fetched on SUBSCRIBE and deleted from Redis once acknowledged', async () => {
  const pub = await client({ clientId: 'q-pub', protocolVersion: 5 });
  await pub.publishAsync('queue/jobs', 'job-1', { qos: 1 });
  await pub.publishAsync('queue/jobs', 'job-2', { qos: 1 });
  await waitFor(async () => (await db.zcard('mqtt:msg:queue/jobs')) === 2, 10000, 'stored jobs');
  const ids = await db.zrange('mqtt:msg:queue/jobs', 0, -1);
  const sub = await client({ clientId: 'q-sub', protocolVersion: 4 });
  const got = collect(sub);
  await sub.subscribeAsync('queue/#', { qos: 1 });
  await waitFor(() => got.length === 2, 10000, 'the fetched jobs');
  expect(got).toEqual([['queue/jobs', 'job-1', false], ['queue/jobs', 'job-2', false]]);
  await waitFor(async () => (await db.zcard('mqtt:msg:queue/jobs')) === 0, 10000, 'the acks to delete the jobs');
  expect(await db.exists(`mqtt:msg:${ids[0]}`, `mqtt:msg:${ids[1]}`)).toBe(0);
}, 30_000);

test('pubsub/#: each subscriber gets what it has not acknowledged yet (mqtt:acked:<clientid>:<topic>)', async () => {
  const pub = await client({ clientId: 'ps-pub', protocolVersion: 4 });
  for (const p of ['a', 'b', 'c']) await pub.publishAsync('pubsub/news', p, { qos: 1 });
  await waitFor(async () => (await db.zcard('mqtt:msg:pubsub/news')) === 3, 10000, 'stored news');
  const ids = await db.zrange('mqtt:msg:pubsub/news', 0, -1);
  let s1 = await client({ clientId: 'ps-1', protocolVersion: 5 });
  let got = collect(s1);
  await s1.subscribeAsync('pubsub/news', { qos: 1 });
  await waitFor(() => got.length === 3, 10000, 'the fetched news');
  expect(got.map((g) => g[1])).toEqual(['a', 'b', 'c']);
  await waitFor(async () => (await db.get('mqtt:acked:ps-1:pubsub/news')) === ids[2], 10000, 'the last ack');
  await end(s1);
  await pub.publishAsync('pubsub/news', 'd', { qos: 1 });
  // the messages stay for other subscribers
  await waitFor(async () => (await db.zcard('mqtt:msg:pubsub/news')) === 4, 10000, 'stored d');
  s1 = await client({ clientId: 'ps-1', protocolVersion: 5 });
  got = collect(s1);
  await s1.subscribeAsync('pubsub/+', { qos: 1 });
  await waitFor(() => got.length >= 1, 10000, 'the unread news');
  await sleep(200);
  expect(got.map((g) => g[1])).toEqual(['d']);
  const s2 = await client({ clientId: 'ps-2', protocolVersion: 4 });
  const got2 = collect(s2);
  await s2.subscribeAsync('pubsub/#', { qos: 1 });
  await waitFor(() => got2.length === 4, 10000, 'all news for a new reader');
  expect(got2.map((g) => g[1])).toEqual(['a', 'b', 'c', 'd']);
}, 30_000);

test('retained messages: stored in mqtt:retain:<topic>, delivered from Redis on SUBSCRIBE (exact and wildcard), an empty retained message deletes it', async () => {
  const pub = await client({ clientId: 'r-pub', protocolVersion: 4 });
  await pub.publishAsync('retain/x', 'keep me', { qos: 1, retain: true });
  await pub.publishAsync('retain/y/z', 'me too', { qos: 0, retain: true });
  await waitFor(async () => (await db.exists('mqtt:retain:retain/x', 'mqtt:retain:retain/y/z')) === 2, 10000, 'mqtt:retain keys');
  expect(await db.hgetall('mqtt:retain:retain/x')).toEqual({ id: expect.any(String), from: 'r-pub', qos: '1', topic: 'retain/x', retain: 'true', payload: 'keep me', ts: expect.stringMatching(/^\d+$/) });
  const s = await client({ clientId: 'r-sub', protocolVersion: 5 });
  const got = collect(s);
  await s.subscribeAsync('retain/x', { qos: 1 });
  await waitFor(() => got.length === 1, 10000, 'the retained message');
  expect(got[0]).toEqual(['retain/x', 'keep me', true]);
  await s.subscribeAsync('retain/#', { qos: 1 });
  await waitFor(() => got.length === 3, 10000, 'retained messages for retain/#');
  expect(got.slice(1).map((g) => g[1]).sort()).toEqual(['keep me', 'me too']);
  // MQTT 5 retain handling 2: none
  const s2 = await client({ clientId: 'r-sub2', protocolVersion: 5 });
  const got2 = collect(s2);
  await s2.subscribeAsync('retain/x', { qos: 1, rh: 2 });
  await pub.publishAsync('retain/x', '', { qos: 1, retain: true });
  await waitFor(async () => (await db.exists('mqtt:retain:retain/x')) === 0, 10000, 'the DEL');
  await sleep(100);
  expect(got2.filter((g) => g[2])).toEqual([]);
}, 30_000);

test('the channel: PUBLISH mqtt_channel {"type": "subscribe"|"unsubscribe", ...} subscribes a client of this node', async () => {
  const c = await client({ clientId: 'chan-c', protocolVersion: 4 });
  const got = collect(c);
  const pub = await client({ clientId: 'chan-pub', protocolVersion: 4 });
  await db.publish('mqtt_channel', JSON.stringify({ type: 'subscribe', topic: 'chan/t', clientid: 'chan-c', qos: '1' }));
  await waitFor(async () => {
    await pub.publishAsync('chan/t', 'via redis', { qos: 1 });
    return got.length > 0;
  }, 10000, 'the channel subscription');
  await db.publish('mqtt_channel', JSON.stringify({ type: 'unsubscribe', topic: 'chan/t', clientid: 'chan-c' }));
  await waitFor(async () => {
    const r = (await node.admin.call(node.nodeName, 'subscriptions', { clientid: 'chan-c', skip: 0, limit: 10 })) as { rows: unknown[] };
    return r.rows.length === 0;
  }, 10000, 'the channel unsubscribe');
  // bad requests are logged, not fatal
  await db.publish('mqtt_channel', 'not json');
  await db.publish('mqtt_channel', '{"type": "subscribe"}');
  await pub.publishAsync('chan/alive', 'x', { qos: 1 });
}, 30_000);

test('raw commands: ${topic}, ${msgid} and ${payload} fill whole arguments, never split them', async () => {
  const c = await client({ clientId: 'raw c', protocolVersion: 5 });
  await c.publishAsync('raw/1', 'a b  c', { qos: 1 });
  await waitFor(async () => (await db.llen('pub:raw/1')) === 1, 10000, 'RPUSH');
  expect(await db.get('last:raw c')).toBe('a b  c');
  const [id] = await db.lrange('pub:raw/1', 0, -1);
  expect(await db.hget(`mqtt:msg:${id}`, 'payload')).toBe('a b  c');
}, 30_000);

test('batched writes: 2000 QoS 1 publishes are written in far fewer pipelines', async () => {
  const c = await client({ clientId: 'batcher', protocolVersion: 4 });
  const before = await stats();
  const acks: Array<Promise<unknown>> = [];
  for (let i = 0; i < 2000; i++) acks.push(c.publishAsync('batch/x', `m${i}`, { qos: 1 }));
  await Promise.all(acks);
  await waitFor(async () => (await db.zcard('mqtt:msg:batch/x')) === 2000, 20000, '2000 stored');
  const after = await stats();
  // 3 commands a message: HSET, EXPIRE, ZADD
  expect(Number(after.written) - Number(before.written)).toBeGreaterThanOrEqual(6000);
  expect(Number(after.pipelines) - Number(before.pipelines)).toBeLessThan(600);
}, 60_000);

test('emqx_ctl backend_redis: usage, rules and stats', async () => {
  expect(await ctl('backend_redis')).toBe(
    'backend_redis stats # Show each Redis pool: status, buffer and counters\n' +
    'backend_redis rules # Show the backend rules: hook, MQTT filter, action, pool\n');
  const rules = await ctl('backend_redis', 'rules');
  expect(rules).toContain('backend.redis.hook.session.subscribed.1: hook=session.subscribed, topic=queue/#, action=on_message_fetch_for_queue, pool=pool1\n');
  expect(rules).toContain('backend.redis.hook.message.publish.4: hook=message.publish, topic=raw/#, action=commands(2), pool=pool1\n');
  expect(rules.trim().split('\n')).toHaveLength(RULES.length);
  expect(await stats()).toMatchObject({ status: 'connected', dropped: '0', errors: '0', max_buffer_bytes: String(32 * 1024 * 1024) });
});

test('Redis restarts while a client publishes QoS 1: writes made while it is away are buffered and land once it is back, nothing dropped', async () => {
  const c = await client({ clientId: 'down-pub', protocolVersion: 4 });
  let n = 0;
  const some = async (k: number): Promise<void> => {
    for (let i = 0; i < k; i++, n++) await c.publishAsync('down/x', `d${n}`, { qos: 1 });
  };
  await some(50);
  await waitFor(idle, 10000, 'the first writes');
  // the test Redis keeps no data over a restart (--save ''): the first 50 go with it
  await redis.down();
  await some(100);
  await waitFor(async () => (await stats()).status !== 'connected', 10000, 'the backend to see Redis gone');
  expect(await stat('buffered')).toBeGreaterThan(0);
  await redis.up();
  await some(50);
  await waitFor(idle, 20000, 'the backend to reconnect and drain');
  expect(await stat('dropped')).toBe(0);
  await waitFor(async () => (await db.zcard('mqtt:msg:down/x').catch(() => -1)) >= 150, 10000, '150 stored');
  const ids = await db.zrange('mqtt:msg:down/x', 0, -1);
  const payloads = new Set(await Promise.all(ids.map((id) => db.hget(`mqtt:msg:${id}`, 'payload'))));
  for (let i = 50; i < 200; i++) expect(payloads.has(`d${i}`)).toBe(true);
}, 60_000);

test('Redis down with a small buffer: the oldest writes are dropped and counted, MQTT keeps working', async () => {
  writeFileSync(join(dir, 'emqx_backend_redis.conf'), conf(['backend.redis.max_buffer_bytes = 8KB']));
  expect(await ctl('plugins', 'reload', 'emqx_backend_redis')).toBe('Plugin emqx_backend_redis reloaded successfully.\n');
  await waitFor(async () => (await stats()).status === 'connected', 10000, 'the backend to connect');
  await redis.down();
  const sub = await client({ clientId: 'small-sub', protocolVersion: 5 });
  await sub.subscribeAsync('small/#', { qos: 1 });
  let received = 0;
  sub.on('message', () => received++);
  const pub = await client({ clientId: 'small-pub', protocolVersion: 4 });
  for (let i = 0; i < 300; i++) await pub.publishAsync('small/x', `s${String(i).padStart(3, '0')}`, { qos: 1 });
  await waitFor(() => received === 300, 10000, 'MQTT deliveries while Redis is down');
  const st = await stats();
  expect(Number(st.dropped)).toBeGreaterThan(0);
  expect(Number(st.buffered_bytes)).toBeLessThanOrEqual(8 * 1024);
  // the lost connection is reported when ioredis notices it, which a loaded machine can delay
  await waitFor(async () => (await stats()).last_error !== '', 10000, 'the backend to report the lost connection');
  await redis.up();
  await waitFor(idle, 20000, 'the backend to reconnect and drain');
  const ids = await db.zrange('mqtt:msg:small/x', 0, -1);
  expect(ids.length).toBeGreaterThan(0);
  expect(ids.length).toBeLessThan(300);
  const last = await db.hget(`mqtt:msg:${ids[ids.length - 1]}`, 'payload');
  expect(last).toBe('s299');
}, 60_000);

test('unload with traffic flowing: returns promptly, taps and ctl command are gone, MQTT keeps working, no more writes', async () => {
  const pub = await client({ clientId: 'unload-pub', protocolVersion: 5 });
  let stop = false;
  let n = 0;
  const flowing = (async () => {
    while (!stop) await pub.publishAsync('flow/x', `f${n++}`, { qos: 1 });
  })();
  await waitFor(async () => (await db.zcard('mqtt:msg:flow/x')) > 20, 10000, 'flow stored');
  const t0 = Date.now();
  expect(await ctl('plugins', 'unload', 'emqx_backend_redis')).toBe('Plugin emqx_backend_redis unloaded successfully.\n');
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(node.registry.tapCount('emqx_backend_redis')).toBe(0);
  expect((await node.ctl.run(['backend_redis', 'stats'])).code).toBe(1);
  const stored = await db.zcard('mqtt:msg:flow/x');
  const before = n;
  await waitFor(() => n > before + 20, 10000, 'MQTT publishes after the unload');
  stop = true;
  await flowing;
  await sleep(200);
  expect(await db.zcard('mqtt:msg:flow/x')).toBe(stored);
  const clientsList = (await db.call('CLIENT', 'LIST')) as string;
  // only the test's own connection is left
  expect(clientsList.trim().split('\n')).toHaveLength(1);
}, 60_000);

test('a bad rule fails the load with a clear error and leaves nothing behind', async () => {
  writeFileSync(join(dir, 'emqx_backend_redis.conf'), conf(['backend.redis.hook.message.publish.9 = {"action": {"function": "on_client_connected"}, "pool": "pool1"}']));
  const r = await node.ctl.run(['plugins', 'load', 'emqx_backend_redis']);
  expect(r.code).toBe(1);
  expect(r.output).toContain('backend.redis.hook.message.publish.9: "function" must be one of on_message_publish, on_message_retain, on_retain_delete for message.publish');
  expect(node.plugins!.isLoaded('emqx_backend_redis')).toBe(false);
  expect(node.registry.tapCount('emqx_backend_redis')).toBe(0);
}, 30_000);

test('Redis stalled (SIGSTOP): MQTT keeps working and unload ends within seconds; after SIGCONT it stores again', async () => {
  writeFileSync(join(dir, 'emqx_backend_redis.conf'), conf());
  expect(await ctl('plugins', 'load', 'emqx_backend_redis')).toBe('Plugin emqx_backend_redis loaded successfully.\n');
  await waitFor(async () => (await stats()).status === 'connected', 10000, 'the backend to connect');
  const pub = await client({ clientId: 'stall-pub', protocolVersion: 5 });
  const pids = redis.pids();
  expect(pids.length).toBeGreaterThan(0);
  try {
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    for (let i = 0; i < 50; i++) await pub.publishAsync('stall/x', `s${i}`, { qos: 1 });
    await waitFor(async () => (await stat('inflight')) > 0 || (await stat('buffered')) > 0, 10000, 'writes waiting for Redis');
    const t0 = Date.now();
    expect(await ctl('plugins', 'unload', 'emqx_backend_redis')).toBe('Plugin emqx_backend_redis unloaded successfully.\n');
    expect(Date.now() - t0).toBeLessThan(5000);
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
  expect(await ctl('plugins', 'load', 'emqx_backend_redis')).toBe('Plugin emqx_backend_redis loaded successfully.\n');
  await waitFor(async () => (await stats()).status === 'connected', 10000, 'the backend to connect after SIGCONT');
  await pub.publishAsync('stall/after', 'resumed', { qos: 1 });
  await waitFor(async () => (await db.zcard('mqtt:msg:stall/after')) === 1, 10000, 'the message stored after SIGCONT');
  expect(await ctl('plugins', 'unload', 'emqx_backend_redis')).toBe('Plugin emqx_backend_redis unloaded successfully.\n');
}, 60_000);

test('a real node (bin/emqx, shipped etc/plugins/emqx_backend_redis.conf with EMQX_* overrides) loads it with emqx_ctl plugins load and stores', async () => {
  const data = mkdtempSync(join(tmpdir(), 'nemq-backend-redis-node-'));
  const n = await spawnNode({
    EMQX_NODE__DATA_DIR: data,
    EMQX_BACKEND__REDIS__POOL1__SERVER: `127.0.0.1:${redis.env.REDIS_PORT}`,
    EMQX_BACKEND__REDIS__POOL1__DATABASE: '1',
  });
  try {
    expect(await n.ctl('plugins', 'load', 'emqx_backend_redis')).toBe('Plugin emqx_backend_redis loaded successfully.\n');
    await waitFor(async () => /status *: connected\n/.test(await n.ctl('backend_redis', 'stats')), 10000, 'the pool to connect');
    const c = mqtt.connect(`mqtt://127.0.0.1:${n.ports.tcp}`, { clientId: 'node-client', protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(c);
    await new Promise<void>((res, rej) => { c.once('connect', () => res()); c.once('error', rej); });
    await waitFor(async () => (await db.hget('mqtt:client:node-client', 'state')) === '1', 10000, 'mqtt:client:node-client');
    await c.publishAsync('node/1', 'stored by a real node', { qos: 1 });
    await waitFor(async () => (await db.zcard('mqtt:msg:node/1')) === 1, 10000, 'the stored message');
    expect(await n.ctl('plugins', 'unload', 'emqx_backend_redis')).toBe('Plugin emqx_backend_redis unloaded successfully.\n');
  } finally {
    await n.stop();
    rmSync(data, { recursive: true, force: true });
  }
}, 60_000);
