// emqx_bridge_rabbit end to end: a real broker with the plugin loaded from dist/, real mqtt.js
// clients (v3.1.1 and v5), a real rabbitmq-server (test/services) read back with amqplib.
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';
import { requireServices, startService, type Service } from '../../../test/services/index';
import { sleep, waitFor, spawnNode } from '../../../test/integration/helpers';

const ROOT = join(__dirname, '../../..');

requireServices('rabbitmq');

let rabbit: Service;
let dir: string;
let node: BrokerNode;
let url: string;
const clients: MqttClient[] = [];

function conf(extra: string[] = [], onlyPublish = false): string {
  const head = [
    `bridge.rabbit.1.server = 127.0.0.1:${rabbit.env.AMQP_PORT}`,
    'bridge.rabbit.1.pool_size = 2',
    `bridge.rabbit.1.username = ${rabbit.env.AMQP_USER}`,
    `bridge.rabbit.1.password = ${rabbit.env.AMQP_PASSWORD}`,
    'bridge.rabbit.1.virtual_host = /',
    'bridge.rabbit.1.heartbeat = 5',
    'bridge.rabbit.1.reconnect_wait = 300ms',
  ];
  if (onlyPublish) return [...head, 'bridge.rabbit.hook.message.publish.2 = {"topic": "#", "rabbit": 1, "exchange": "topic:emq.pub"}', ...extra].join('\n') + '\n';
  return [
    ...head,
    'bridge.rabbit.hook.client.connected.1 = {"action": "on_client_connected", "rabbit": 1, "exchange": "direct:emq.connected"}',
    'bridge.rabbit.hook.client.disconnected.1 = {"action": "on_client_disconnected", "rabbit": 1, "exchange": "direct:emq.connected"}',
    'bridge.rabbit.hook.client.subscribe.1 = {"action": "on_client_subscribe", "rabbit": 1, "exchange": "direct:emq.subscription"}',
    'bridge.rabbit.hook.client.unsubscribe.1 = {"action": "on_client_unsubscribe", "rabbit": 1, "exchange": "direct:emq.unsubscription"}',
    'bridge.rabbit.hook.session.subscribed.1 = {"topic": "news/#", "rabbit": 1, "exchange": "direct:emq.session"}',
    'bridge.rabbit.hook.message.publish.1 = {"topic": "$SYS/#", "action": "on_message_publish", "rabbit": 1, "exchange": "topic:emq.$sys"}',
    'bridge.rabbit.hook.message.publish.2 = {"topic": "#", "action": "on_message_publish", "rabbit": 1, "exchange": "topic:emq.pub"}',
    'bridge.rabbit.hook.message.publish.3 = {"topic": "json/#", "rabbit": 1, "exchange": "topic:emq.json", "format": "json"}',
    'bridge.rabbit.hook.message.delivered.1 = {"topic": "ack/#", "rabbit": 1, "exchange": "topic:emq.delivered"}',
    'bridge.rabbit.hook.message.acked.1 = {"topic": "#", "action": "on_message_acked", "rabbit": 1, "exchange": "topic:emq.acked"}',
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

async function ctl(...args: string[]): Promise<string> {
  return (await node.ctl.run(args)).output;
}

async function stats(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await ctl('rabbit', 'stats')).split('\n').slice(1)) {
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

interface Got {
  exchange: string;
  routingKey: string;
  headers: Record<string, unknown>;
  body: Buffer;
}

/** an amqplib consumer: one queue per binding, every message kept */
class Reader {
  readonly got: Got[] = [];
  private conn: amqp.ChannelModel | undefined;
  constructor(private readonly bindings: Array<[exchange: string, type: string, key: string]>, private readonly queue?: string) {}
  async start(): Promise<void> {
    this.conn = await amqp.connect(rabbit.env.AMQP_URL!);
    this.conn.on('error', () => undefined);
    const ch = await this.conn.createChannel();
    ch.on('error', () => undefined);
    for (const [ex, type, key] of this.bindings) {
      await ch.assertExchange(ex, type, { durable: true });
      const q = this.queue ?? '';
      const { queue } = await ch.assertQueue(q, this.queue ? { durable: true } : { exclusive: true });
      await ch.bindQueue(queue, ex, key);
      await ch.consume(queue, (m) => {
        if (m) this.got.push({ exchange: m.fields.exchange, routingKey: m.fields.routingKey, headers: m.properties.headers ?? {}, body: m.content });
      }, { noAck: true });
    }
  }
  of(pred: (g: Got) => boolean): Got[] {
    return this.got.filter(pred);
  }
  async wait(pred: (g: Got) => boolean, n = 1, ms = 15000): Promise<Got[]> {
    await waitFor(() => this.of(pred).length >= n, ms, `${n} AMQP message(s)`);
    return this.of(pred);
  }
  async stop(): Promise<void> {
    await this.conn?.close().catch(() => undefined);
  }
}

/** established TCP connections this process holds to `port` (our socket inodes ∩ /proc/net/tcp*) */
function connectionsTo(port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  let n = 0;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length >= 10 && c[3] === '01' && parseInt(c[2]!.split(':')[1]!, 16) === port && inodes.has(c[9]!)) n++;
    }
  }
  return n;
}

let reader: Reader;

beforeAll(async () => {
  rabbit = await startService('rabbitmq');
  dir = mkdtempSync(join(tmpdir(), 'nemq-rabbit-e2e-'));
  writeFileSync(join(dir, 'emqx_bridge_rabbit.conf'), conf());
  node = await createBroker({
    logger: createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  url = `mqtt://127.0.0.1:${node.listeners[0]!.port}`;
  expect(await ctl('plugins', 'load', 'emqx_bridge_rabbit')).toBe('Plugin emqx_bridge_rabbit loaded successfully.\n');
  await waitFor(async () => (await stats()).connections === '2', 15000, 'the bridge to connect');
  reader = new Reader([
    ['emq.pub', 'topic', '#'], ['emq.json', 'topic', '#'], ['emq.acked', 'topic', '#'], ['emq.delivered', 'topic', '#'],
    ['emq.subscription', 'direct', 'subscribe'], ['emq.unsubscription', 'direct', 'unsubscribe'],
    ['emq.connected', 'direct', 'connected'], ['emq.connected', 'direct', 'disconnected'],
    ['emq.session', 'direct', 'subscribed'],
  ]);
  await reader.start();
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
  await reader?.stop();
  await node?.stop();
  await rabbit?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

test('an MQTT PUBLISH (v3.1.1 and v5) arrives on the topic exchange with EMQX routing key, headers and the raw payload', async () => {
  const c4 = await client({ clientId: 'pub-v4', username: 'alice', protocolVersion: 4 });
  const c5 = await client({ clientId: 'pub-v5', protocolVersion: 5 });
  await c4.publishAsync('sensor/1/temp', 'hello rabbit', { qos: 1 });
  await c5.publishAsync('sensor/2/temp', Buffer.from([0, 1, 2, 255]), { qos: 0 });
  const [a] = await reader.wait((g) => g.exchange === 'emq.pub' && g.headers['x-emq-client-id'] === 'pub-v4');
  expect(a!.routingKey).toBe('sensor.1.temp');
  expect(a!.body.toString()).toBe('hello rabbit');
  expect(a!.headers).toEqual({
    'x-emq-publish-qos': 1, 'x-emq-client-id': 'pub-v4', 'x-emq-publish-msgid': expect.stringMatching(/^[0-9A-Za-z]+$/), 'x-emqx-topic': 'sensor/1/temp',
  });
  const [b] = await reader.wait((g) => g.exchange === 'emq.pub' && g.headers['x-emq-client-id'] === 'pub-v5');
  expect(b!.routingKey).toBe('sensor.2.temp');
  expect([...b!.body]).toEqual([0, 1, 2, 255]);
  expect(b!.headers['x-emq-publish-qos']).toBe(0);
}, 30_000);

test('"format": "json" sends EMQX\'s JSON fields with the payload in base64', async () => {
  const c = await client({ clientId: 'pub-json', username: 'u1', protocolVersion: 5 });
  await c.publishAsync('json/a', 'x1', { qos: 1 });
  const [g] = await reader.wait((x) => x.exchange === 'emq.json');
  expect(g!.routingKey).toBe('json.a');
  expect(JSON.parse(g!.body.toString())).toEqual({ client_id: 'pub-json', username: 'u1', topic: 'json/a', payload: Buffer.from('x1').toString('base64'), qos: 1, node: node.nodeName, ts: expect.any(Number) });
}, 30_000);

test('SUBSCRIBE and UNSUBSCRIBE: routing keys subscribe / unsubscribe, x-emq-client-id, JSON bodies as EMQX', async () => {
  const c = await client({ clientId: 'ev-sub', protocolVersion: 4 });
  await c.subscribeAsync({ 'a/+/b': { qos: 1 }, 'news/today': { qos: 2 } });
  await c.unsubscribeAsync(['a/+/b', 'news/today']);
  const [s] = await reader.wait((g) => g.routingKey === 'subscribe' && g.headers['x-emq-client-id'] === 'ev-sub');
  expect(s!.exchange).toBe('emq.subscription');
  expect(JSON.parse(s!.body.toString())).toEqual({ 'a/+/b': 1, 'news/today': 2 });
  const [u] = await reader.wait((g) => g.routingKey === 'unsubscribe' && g.headers['x-emq-client-id'] === 'ev-sub');
  expect(u!.exchange).toBe('emq.unsubscription');
  expect(JSON.parse(u!.body.toString())).toEqual(['a/+/b', 'news/today']);
  // session.subscribed with a topic filter: only news/today
  const ss = await reader.wait((g) => g.exchange === 'emq.session' && g.headers['x-emq-client-id'] === 'ev-sub');
  expect(ss.map((g) => JSON.parse(g.body.toString()))).toEqual([{ client_id: 'ev-sub', username: null, topic: 'news/today', qos: 2, node: node.nodeName, ts: expect.any(Number) }]);
}, 30_000);

test('client.connected / client.disconnected: JSON with client_id, username, reason', async () => {
  const c = await client({ clientId: 'ev-conn', username: 'bob', protocolVersion: 5 });
  const [a] = await reader.wait((g) => g.routingKey === 'connected' && g.headers['x-emq-client-id'] === 'ev-conn');
  expect(JSON.parse(a!.body.toString())).toEqual({ client_id: 'ev-conn', username: 'bob', node: node.nodeName, ts: expect.any(Number) });
  await new Promise<void>((r) => c.end(false, {}, () => r()));
  const [d] = await reader.wait((g) => g.routingKey === 'disconnected' && g.headers['x-emq-client-id'] === 'ev-conn');
  const j = JSON.parse(d!.body.toString()) as Record<string, unknown>;
  expect(j).toMatchObject({ client_id: 'ev-conn', username: 'bob', node: node.nodeName });
  expect(j.reason).not.toBe('');
}, 30_000);

test('message.acked: routing key puback, x-emq-msg-acked = the receiver, body = the base62 message id of the publish; delivered as JSON', async () => {
  const sub = await client({ clientId: 'rx', protocolVersion: 5 });
  await sub.subscribeAsync('ack/1', { qos: 1 });
  const got = new Promise<void>((r) => sub.once('message', () => r()));
  const pub = await client({ clientId: 'tx', protocolVersion: 4 });
  await pub.publishAsync('ack/1', 'ping', { qos: 1 });
  await got;
  const [p] = await reader.wait((g) => g.exchange === 'emq.pub' && g.headers['x-emq-client-id'] === 'tx');
  const [a] = await reader.wait((g) => g.exchange === 'emq.acked' && g.headers['x-emq-msg-acked'] === 'rx');
  expect(a!.routingKey).toBe('puback');
  expect(a!.body.toString()).toBe(p!.headers['x-emq-publish-msgid']);
  const [d] = await reader.wait((g) => g.exchange === 'emq.delivered');
  expect(d!.routingKey).toBe('ack.1');
  expect(JSON.parse(d!.body.toString())).toEqual({ client_id: 'rx', username: null, from: 'tx', topic: 'ack/1', payload: Buffer.from('ping').toString('base64'), qos: 1, node: node.nodeName, ts: expect.any(Number) });
}, 30_000);

test('emqx_ctl rabbit: usage, rules and stats', async () => {
  expect(await ctl('rabbit')).toBe(
    'rabbit stats # Show each RabbitMQ server: status, buffer and counters\n' +
    'rabbit rules # Show the bridge rules: hook, MQTT filter, server, exchange\n');
  const rules = await ctl('rabbit', 'rules');
  expect(rules).toContain('bridge.rabbit.hook.message.publish.2: hook=message.publish, topic=#, rabbit=1, exchange=topic:emq.pub\n');
  expect(rules.trim().split('\n')).toHaveLength(10);
  const out = await ctl('rabbit', 'stats');
  expect(out.split('\n')[0]).toBe(`rabbit 1 (127.0.0.1:${rabbit.env.AMQP_PORT}):`);
  expect(await stats()).toMatchObject({ status: 'connected', connections: '2', pool_size: '2', dropped: '0', max_buffer_bytes: String(64 * 1024 * 1024) });
});

test('RabbitMQ restarts while a client publishes QoS 1: every acknowledged message reaches a durable queue (at least once), none dropped', async () => {
  const durable = new Reader([['emq.pub', 'topic', 'restart.#']], `restart-${Date.now()}`);
  await durable.start();
  await durable.stop();
  const pub = await client({ clientId: 'restart-pub', protocolVersion: 4 });
  let acked = 0;
  const publishSome = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++, acked++) await pub.publishAsync('restart/x', `m${acked}`, { qos: 1 });
  };
  await publishSome(100);
  const reconnects0 = await stat('reconnects');
  const down = rabbit.down();
  await publishSome(100); // while RabbitMQ stops
  await down;
  await publishSome(100); // while it is away
  await waitFor(async () => (await stats()).status === 'disconnected', 10000, 'the bridge to see RabbitMQ gone');
  expect(await stat('reconnects')).toBeGreaterThan(reconnects0);
  expect(await stat('buffered')).toBeGreaterThan(0);
  const up = rabbit.up();
  await publishSome(100); // while it starts again
  await up;
  await publishSome(100);
  await waitFor(idle, 30000, 'the bridge to reconnect and drain');
  expect(await stat('dropped')).toBe(0);
  const again = new Reader([['emq.pub', 'topic', 'restart.#']], durable['queue']);
  await again.start();
  await again.wait(() => true, 500, 20000);
  await sleep(300);
  const seen = new Set(again.got.map((g) => g.body.toString()));
  const missing: string[] = [];
  for (let i = 0; i < acked; i++) if (!seen.has(`m${i}`)) missing.push(`m${i}`);
  expect(missing).toEqual([]);
  await again.stop();
  // the other reader's connection died with the restart: start a new one for the next tests
  await reader.stop();
  reader = new Reader([['emq.pub', 'topic', '#']]);
  await reader.start();
}, 120_000);

test('RabbitMQ down with a small buffer (only a message.publish rule): the oldest messages are dropped and counted, MQTT keeps working, the newest arrive after it returns', async () => {
  writeFileSync(join(dir, 'emqx_bridge_rabbit.conf'), conf(['bridge.rabbit.max_buffer_bytes = 20KB'], true));
  expect(await ctl('plugins', 'reload', 'emqx_bridge_rabbit')).toBe('Plugin emqx_bridge_rabbit reloaded successfully.\n');
  await waitFor(async () => (await stats()).connections === '2', 15000, 'the bridge to connect');
  const q = `small-${Date.now()}`;
  const durable = new Reader([['emq.pub', 'topic', 'small.#']], q);
  await durable.start();
  await durable.stop();
  await reader.stop();
  await rabbit.down();
  const sub = await client({ clientId: 'small-sub', protocolVersion: 5 });
  await sub.subscribeAsync('small/#', { qos: 1 });
  let received = 0;
  sub.on('message', () => received++);
  const pub = await client({ clientId: 'small-pub', protocolVersion: 4 });
  for (let i = 0; i < 300; i++) await pub.publishAsync('small/x', `s${String(i).padStart(3, '0')}`, { qos: 1 });
  await waitFor(() => received === 300, 10000, 'MQTT deliveries while RabbitMQ is down');
  const st = await stats();
  expect(Number(st.dropped)).toBeGreaterThan(0);
  expect(Number(st.buffered_bytes)).toBeLessThanOrEqual(20 * 1024);
  expect(st.last_error).not.toBe('');
  const dropped = Number(st.dropped);
  await rabbit.up();
  await waitFor(idle, 30000, 'the bridge to reconnect and drain');
  expect(await stat('dropped')).toBe(dropped);
  const back = new Reader([['emq.pub', 'topic', 'small.#']], q);
  await back.start();
  await back.wait(() => true, 300 - dropped, 20000);
  const kept = new Set(back.got.map((g) => g.body.toString()));
  expect(kept.has('s299')).toBe(true);
  expect(kept.has('s000')).toBe(false);
  // every message was either confirmed into the queue or counted as dropped
  expect(kept.size + dropped).toBeGreaterThanOrEqual(300);
  await back.stop();
  reader = new Reader([['emq.pub', 'topic', '#']]);
  await reader.start();
}, 120_000);

test('unload with traffic flowing: returns promptly, taps, ctl command and AMQP connections are gone, MQTT keeps working', async () => {
  const pub = await client({ clientId: 'unload-pub', protocolVersion: 5 });
  let stop = false;
  let n = 0;
  const flowing = (async () => {
    while (!stop) {
      await pub.publishAsync('flow/x', `f${n++}`, { qos: 1 });
    }
  })();
  await reader.wait((g) => g.routingKey === 'flow.x', 20, 15000);
  const port = Number(rabbit.env.AMQP_PORT);
  // the bridge's pool (2) and the test's reader (1)
  expect(connectionsTo(port)).toBe(3);
  const t0 = Date.now();
  expect(await ctl('plugins', 'unload', 'emqx_bridge_rabbit')).toBe('Plugin emqx_bridge_rabbit unloaded successfully.\n');
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(node.registry.tapCount('emqx_bridge_rabbit')).toBe(0);
  expect((await node.ctl.run(['rabbit', 'stats'])).code).toBe(1);
  await waitFor(() => connectionsTo(port) === 1, 5000, 'the bridge connections to close');
  const before = n;
  await waitFor(() => n > before + 20, 10000, 'MQTT publishes after the unload');
  stop = true;
  await flowing;
  const count = reader.of((g) => g.routingKey === 'flow.x').length;
  await sleep(300);
  expect(reader.of((g) => g.routingKey === 'flow.x').length).toBe(count);
  expect(count).toBeLessThanOrEqual(before + 1);
}, 60_000);

test('a bad rule fails the load with a clear error and leaves nothing behind', async () => {
  writeFileSync(join(dir, 'emqx_bridge_rabbit.conf'), conf(['bridge.rabbit.hook.message.publish.9 = {"topic": "a/#/b", "exchange": "topic:x"}']));
  const r = await node.ctl.run(['plugins', 'load', 'emqx_bridge_rabbit']);
  expect(r.code).toBe(1);
  expect(r.output).toContain('bridge.rabbit.hook.message.publish.9: "topic" must be an MQTT topic filter');
  expect(node.plugins!.isLoaded('emqx_bridge_rabbit')).toBe(false);
  expect(node.registry.tapCount('emqx_bridge_rabbit')).toBe(0);
}, 30_000);

test('RabbitMQ stalled (SIGSTOP): unconfirmed batches fail after confirm_timeout, MQTT keeps working, unload ends within seconds and closes the sockets; after SIGCONT it bridges again', async () => {
  writeFileSync(join(dir, 'emqx_bridge_rabbit.conf'), conf(['bridge.rabbit.confirm_timeout = 1s'], true));
  expect(await ctl('plugins', 'load', 'emqx_bridge_rabbit')).toBe('Plugin emqx_bridge_rabbit loaded successfully.\n');
  await waitFor(async () => (await stats()).connections === '2', 15000, 'the bridge to connect');
  await reader.stop();
  const port = Number(rabbit.env.AMQP_PORT);
  await waitFor(() => connectionsTo(port) === 2, 5000, 'only the bridge connected');
  const pub = await client({ clientId: 'stall-pub', protocolVersion: 4 });
  const pids = rabbit.pids();
  expect(pids.length).toBeGreaterThan(0);
  try {
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    for (let i = 0; i < 50; i++) await pub.publishAsync('stall/x', `s${i}`, { qos: 1 });
    await waitFor(async () => (await stat('failed_batches')) > 0, 10000, 'a batch to time out');
    expect((await stats()).last_error).toContain('no publisher confirms within 1000 ms');
    const sub = await client({ clientId: 'stall-sub', protocolVersion: 5 });
    await sub.subscribeAsync('stall/check', { qos: 1 });
    const got = new Promise<string>((r) => sub.once('message', (_t, p) => r(p.toString())));
    await pub.publishAsync('stall/check', 'still here', { qos: 1 });
    expect(await got).toBe('still here');
    const t0 = Date.now();
    expect(await ctl('plugins', 'unload', 'emqx_bridge_rabbit')).toBe('Plugin emqx_bridge_rabbit unloaded successfully.\n');
    expect(Date.now() - t0).toBeLessThan(8000);
    await waitFor(() => connectionsTo(port) === 0, 5000, 'the sockets to close');
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
  writeFileSync(join(dir, 'emqx_bridge_rabbit.conf'), conf([], true));
  expect(await ctl('plugins', 'load', 'emqx_bridge_rabbit')).toBe('Plugin emqx_bridge_rabbit loaded successfully.\n');
  await waitFor(async () => (await stats()).connections === '2', 20000, 'the bridge to connect after SIGCONT');
  reader = new Reader([['emq.pub', 'topic', 'stall.#']]);
  await reader.start();
  await pub.publishAsync('stall/after', 'resumed', { qos: 1 });
  await reader.wait((g) => g.routingKey === 'stall.after', 1, 15000);
  expect(await ctl('plugins', 'unload', 'emqx_bridge_rabbit')).toBe('Plugin emqx_bridge_rabbit unloaded successfully.\n');
}, 90_000);

test('a real node (bin/emqx, shipped etc/plugins/emqx_bridge_rabbit.conf with EMQX_* overrides) loads it with emqx_ctl plugins load and bridges', async () => {
  const data = mkdtempSync(join(tmpdir(), 'nemq-rabbit-node-'));
  const n = await spawnNode({
    EMQX_NODE__DATA_DIR: data,
    EMQX_BRIDGE__RABBIT__1__SERVER: `127.0.0.1:${rabbit.env.AMQP_PORT}`,
    EMQX_BRIDGE__RABBIT__1__USERNAME: rabbit.env.AMQP_USER!,
    EMQX_BRIDGE__RABBIT__1__PASSWORD: rabbit.env.AMQP_PASSWORD!,
  });
  const r = new Reader([['emq.pub', 'topic', 'node.#']]);
  try {
    expect(await n.ctl('plugins', 'load', 'emqx_bridge_rabbit')).toBe('Plugin emqx_bridge_rabbit loaded successfully.\n');
    await r.start();
    await waitFor(async () => /connections *: 4\n/.test(await n.ctl('rabbit', 'stats')), 15000, 'the pool of 4');
    const c = mqtt.connect(`mqtt://127.0.0.1:${n.ports.tcp}`, { clientId: 'node-pub', protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(c);
    await new Promise<void>((res, rej) => { c.once('connect', () => res()); c.once('error', rej); });
    await c.publishAsync('node/1', 'from a real node', { qos: 1 });
    const [g] = await r.wait((x) => x.routingKey === 'node.1');
    expect(g!.body.toString()).toBe('from a real node');
    expect(await n.ctl('plugins', 'unload', 'emqx_bridge_rabbit')).toBe('Plugin emqx_bridge_rabbit unloaded successfully.\n');
  } finally {
    await r.stop();
    await n.stop();
    rmSync(data, { recursive: true, force: true });
  }
}, 60_000);
