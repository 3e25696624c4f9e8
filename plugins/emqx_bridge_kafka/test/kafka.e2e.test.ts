// emqx_bridge_kafka end to end: a real broker with the plugin loaded from dist/, real
// mqtt.js clients, and librdkafka's mock cluster (test/services) read back with kafkajs.
// The mock speaks the Kafka protocol but is NOT a real Kafka: no replication, no disk.
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';
import { requireServices, startService, type Service } from '../../../test/services/index';
import { waitFor, sleep } from '../../../test/integration/helpers';

const ROOT = join(__dirname, '../../..');
const MOCK = '(librdkafka mock cluster, not a real Kafka)';
const TOPICS = ['message_publish:3', 'filtered', 'client_connected', 'client_disconnected', 'session_subscribed', 'session_unsubscribed', 'message_delivered', 'message_acked'];

requireServices('kafka');

let kafka: Service;
let dir: string;
let node: BrokerNode;
let url: string;
const clients: MqttClient[] = [];

function conf(extra: string[] = []): string {
  return [
    `bridge.kafka.servers = ${kafka.env.KAFKA_BROKERS}`,
    'bridge.kafka.producer.required_acks = leader_only',
    'bridge.kafka.reconnect_interval = 200ms',
    'bridge.kafka.hook.client.connected.1     = {"topic": "client_connected"}',
    'bridge.kafka.hook.client.disconnected.1  = {"topic": "client_disconnected"}',
    'bridge.kafka.hook.session.subscribed.1   = {"filter": "#",  "topic": "session_subscribed"}',
    'bridge.kafka.hook.session.unsubscribed.1 = {"filter": "#",  "topic": "session_unsubscribed"}',
    'bridge.kafka.hook.message.publish.1      = {"filter": "sensor/#", "topic": "message_publish", "key": "${clientid}", "strategy": "first_key_dispatch"}',
    'bridge.kafka.hook.message.publish.2      = {"filter": "plain/+/x", "topic": "filtered"}',
    'bridge.kafka.hook.message.delivered.1    = {"filter": "sensor/#", "topic": "message_delivered"}',
    'bridge.kafka.hook.message.acked.1        = {"filter": "sensor/#", "topic": "message_acked"}',
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
  for (const line of (await ctl('kafka', 'stats')).split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}
const stat = async (k: string): Promise<number> => Number((await stats())[k]);

interface Got {
  topic: string;
  partition: number;
  key: string | null;
  json: Record<string, unknown>;
}

/** a kafkajs consumer that keeps every record of TOPICS it reads from the beginning */
class Reader {
  readonly got: Got[] = [];
  private consumer: Consumer | undefined;
  async start(): Promise<void> {
    const k = new Kafka({ clientId: 'e2e-reader', brokers: [kafka.env.KAFKA_BROKERS!], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 500 } });
    this.consumer = k.consumer({ groupId: `e2e-${Date.now()}-${Math.random()}`, sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: TOPICS.map((t) => t.split(':')[0]!), fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }: EachMessagePayload) => {
        this.got.push({ topic, partition, key: message.key?.toString() ?? null, json: JSON.parse(message.value!.toString()) as Record<string, unknown> });
      },
    });
  }
  of(topic: string, pred: (j: Record<string, unknown>) => boolean = () => true): Got[] {
    return this.got.filter((g) => g.topic === topic && pred(g.json));
  }
  async wait(topic: string, pred: (j: Record<string, unknown>) => boolean, n = 1, ms = 15000): Promise<Got[]> {
    await waitFor(() => this.of(topic, pred).length >= n, ms, `${n} record(s) in Kafka topic ${topic}`);
    return this.of(topic, pred);
  }
  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

/** TCP connections this process holds to PORTS (from /proc: our socket inodes ∩ established tcp entries) */
function connectionsTo(ports: number[]): number {
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
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10) continue;
      const remotePort = parseInt(c[2]!.split(':')[1]!, 16);
      if (c[3] === '01' && ports.includes(remotePort) && inodes.has(c[9]!)) n++;
    }
  }
  return n;
}

/** the mock's bootstrap port and its brokers' own ports (new ones after a restart: read from the env file it rewrites) */
function kafkaPorts(): number[] {
  const ports = [Number(kafka.env.KAFKA_PORT)];
  const now = /^KAFKA_MOCK_BROKERS=(.*)$/m.exec(readFileSync(join(kafka.dir, 'kafka.env'), 'utf8'))?.[1] ?? '';
  for (const b of now.split(',')) {
    const p = Number(b.split(':').pop());
    if (p > 0) ports.push(p);
  }
  return ports;
}

let reader: Reader;

beforeAll(async () => {
  kafka = await startService('kafka', { env: { KAFKA_TOPICS: TOPICS.join(',') } });
  dir = mkdtempSync(join(tmpdir(), 'nemq-kafka-e2e-'));
  writeFileSync(join(dir, 'emqx_bridge_kafka.conf'), conf());
  node = await createBroker({
    logger: createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  url = `mqtt://127.0.0.1:${node.listeners[0]!.port}`;
  await node.plugins!.load('emqx_bridge_kafka');
  await waitFor(async () => (await stats()).status === 'connected', 10000, 'the bridge to connect');
  reader = new Reader();
  await reader.start();
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
  await reader?.stop();
  await node?.stop();
  await kafka?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

test(`an MQTT PUBLISH arrives in Kafka as EMQX's message_publish JSON, payload base64, key = client id ${MOCK}`, async () => {
  const c = await client({ clientId: 'pub-json', username: 'alice', protocolVersion: 4 });
  const t0 = Date.now();
  await c.publishAsync('sensor/1/temp', 'hello kafka', { qos: 1 });
  const [rec] = await reader.wait('message_publish', (j) => j.client_id === 'pub-json');
  expect(rec!.json).toEqual({ client_id: 'pub-json', username: 'alice', topic: 'sensor/1/temp', payload: Buffer.from('hello kafka').toString('base64'), qos: 1, node: node.nodeName, ts: expect.any(Number) });
  expect(rec!.json.ts as number).toBeGreaterThanOrEqual(t0 - 1000);
  expect(rec!.json.ts as number).toBeLessThanOrEqual(Date.now());
  expect(rec!.key).toBe('pub-json');
}, 30_000);

test(`emqx_ctl kafka: usage without a sub-command, the rules, and stats with the buffer bound ${MOCK}`, async () => {
  expect(await ctl('kafka')).toBe(
    'kafka stats # Show the Kafka bridge status, buffer and counters\n' +
    'kafka rules # Show the bridge rules: hook, MQTT filter, Kafka topic\n');
  const rules = await ctl('kafka', 'rules');
  expect(rules).toContain('bridge.kafka.hook.message.publish.1: hook=message.publish, filter=sensor/#, topic=message_publish, key=${clientid}, strategy=first_key_dispatch\n');
  expect(rules).toContain('bridge.kafka.hook.client.connected.1: hook=client.connected, filter=-, topic=client_connected, key=-, strategy=random\n');
  expect(rules.trim().split('\n')).toHaveLength(8);
  const st = await stats();
  expect(Object.keys(st)).toEqual(['status', 'buffered', 'buffered_bytes', 'max_buffer_bytes', 'inflight', 'unsent_bytes', 'enqueued', 'sent', 'dropped', 'batches', 'requests', 'failed_batches', 'rejected', 'last_error']);
  expect(st).toMatchObject({ status: 'connected', max_buffer_bytes: String(64 * 1024 * 1024), dropped: '0', rejected: '0' });
});

test(`first_key_dispatch with key \${clientid}: one client's records stay on one partition ${MOCK}`, async () => {
  const c = await client({ clientId: 'pub-keyed', protocolVersion: 5 });
  for (let i = 0; i < 20; i++) c.publish(`sensor/k/${i}`, `v${i}`, { qos: 0 });
  const recs = await reader.wait('message_publish', (j) => j.client_id === 'pub-keyed', 20);
  expect(new Set(recs.map((r) => r.partition)).size).toBe(1);
}, 30_000);

test(`client.connected and client.disconnected arrive as EMQX JSON (client_id, username, reason, node, ts) ${MOCK}`, async () => {
  const c = await client({ clientId: 'ev-client', username: 'bob', protocolVersion: 5 });
  const [conn] = await reader.wait('client_connected', (j) => j.client_id === 'ev-client');
  expect(conn!.json).toEqual({ client_id: 'ev-client', username: 'bob', node: node.nodeName, ts: expect.any(Number) });
  await new Promise<void>((r) => c.end(false, {}, () => r()));
  const [disc] = await reader.wait('client_disconnected', (j) => j.client_id === 'ev-client');
  expect(disc!.json).toEqual({ client_id: 'ev-client', username: 'bob', reason: expect.any(String), node: node.nodeName, ts: expect.any(Number) });
  expect(disc!.json.reason).not.toBe('');
}, 30_000);

test(`session.subscribed / session.unsubscribed arrive with topic and qos ${MOCK}`, async () => {
  const c = await client({ clientId: 'ev-sub', protocolVersion: 4 });
  await c.subscribeAsync('news/+/today', { qos: 1 });
  await c.unsubscribeAsync('news/+/today');
  const [sub] = await reader.wait('session_subscribed', (j) => j.client_id === 'ev-sub');
  expect(sub!.json).toEqual({ client_id: 'ev-sub', topic: 'news/+/today', qos: 1, node: node.nodeName, ts: expect.any(Number) });
  const [unsub] = await reader.wait('session_unsubscribed', (j) => j.client_id === 'ev-sub');
  expect(unsub!.json).toMatchObject({ client_id: 'ev-sub', topic: 'news/+/today', node: node.nodeName });
}, 30_000);

test(`rule filters pick the messages: sensor/# → message_publish, plain/+/x → filtered, others nowhere ${MOCK}`, async () => {
  const c = await client({ clientId: 'pub-filter', protocolVersion: 5 });
  await c.publishAsync('other/1', 'o', { qos: 1 });
  await c.publishAsync('plain/a/y', 'no', { qos: 1 });
  await c.publishAsync('plain/a/x', 'yes', { qos: 1 });
  await c.publishAsync('sensor/done', 'end', { qos: 1 });
  await reader.wait('message_publish', (j) => j.client_id === 'pub-filter' && j.topic === 'sensor/done');
  const [f] = await reader.wait('filtered', (j) => j.client_id === 'pub-filter');
  await sleep(300);
  expect(reader.of('filtered', (j) => j.client_id === 'pub-filter').map((g) => g.json.topic)).toEqual(['plain/a/x']);
  expect(f!.key).toBeNull();
  expect(reader.of('message_publish', (j) => j.client_id === 'pub-filter').map((g) => g.json.topic)).toEqual(['sensor/done']);
}, 30_000);

test(`message.delivered and message.acked carry the receiver as client_id and the publisher as from ${MOCK}`, async () => {
  const sub = await client({ clientId: 'rx', username: 'carol', protocolVersion: 5 });
  await sub.subscribeAsync('sensor/ack/#', { qos: 1 });
  const got = new Promise<void>((r) => sub.once('message', () => r()));
  const pub = await client({ clientId: 'tx', protocolVersion: 4 });
  await pub.publishAsync('sensor/ack/1', 'ping', { qos: 1 });
  await got;
  const want = { client_id: 'rx', username: 'carol', from: 'tx', topic: 'sensor/ack/1', payload: Buffer.from('ping').toString('base64'), qos: 1, node: node.nodeName, ts: expect.any(Number) };
  const [d] = await reader.wait('message_delivered', (j) => j.client_id === 'rx');
  expect(d!.json).toEqual(want);
  const [a] = await reader.wait('message_acked', (j) => j.client_id === 'rx');
  expect(a!.json).toEqual(want);
}, 30_000);

test(`batching: 3000 QoS 0 publishes reach Kafka in far fewer produce requests ${MOCK}`, async () => {
  const c = await client({ clientId: 'pub-batch', protocolVersion: 4 });
  const before = await stats();
  for (let i = 0; i < 3000; i++) c.publish('sensor/batch', `m${i}`, { qos: 0 });
  await reader.wait('message_publish', (j) => j.client_id === 'pub-batch', 3000, 30000);
  const after = await stats();
  const requests = Number(after.requests) - Number(before.requests);
  const batches = Number(after.batches) - Number(before.batches);
  expect(Number(after.sent) - Number(before.sent)).toBeGreaterThanOrEqual(3000);
  // one produce request per batch and partition leader; 3000 records, batch_size 1000
  expect(batches).toBeGreaterThanOrEqual(3);
  expect(requests).toBeLessThan(300);
  const payloads = new Set(reader.of('message_publish', (j) => j.client_id === 'pub-batch').map((g) => Buffer.from(g.json.payload as string, 'base64').toString()));
  expect(payloads.size).toBe(3000);
}, 60_000);

test(`Kafka stalls (its process stopped with SIGSTOP, connections open) with required_acks = none: unsent socket bytes and the buffer stay bounded, drops are counted, MQTT keeps working, delivery resumes on SIGCONT ${MOCK}`, async () => {
  writeFileSync(join(dir, 'emqx_bridge_kafka.conf'), conf(['bridge.kafka.producer.required_acks = none', 'bridge.kafka.producer.replayq_max_total_bytes = 256KB', 'bridge.kafka.produce.sync_timeout = 1s']));
  expect(await ctl('plugins', 'reload', 'emqx_bridge_kafka')).toBe('Plugin emqx_bridge_kafka reloaded successfully.\n');
  await waitFor(async () => (await stats()).status === 'connected', 10000, 'the bridge to connect');
  const pids = kafka.pids();
  expect(pids.length).toBeGreaterThan(0);
  const pub = await client({ clientId: 'stall-pub', protocolVersion: 4 });
  const payload = Buffer.alloc(2048, 0x62);
  // warm up: the producer knows the topic's leader and holds a connection to it
  const sent0 = await stat('sent');
  await pub.publishAsync('sensor/stall', payload, { qos: 1 });
  await waitFor(async () => (await stat('sent')) > sent0 && (await stat('buffered')) === 0, 10000, 'the warm-up record');
  try {
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    // publish at a pace the bridge keeps up with until it has to drop: first the kernel's socket
    // buffers towards the stopped Kafka fill, then Node's (unsent_bytes), then the bridge waits
    // for them to drain and its own buffer fills
    let n = 0;
    let peakUnsent = 0;
    const dropped0 = await stat('dropped');
    while ((await stat('dropped')) === dropped0) {
      if (n >= 100_000) throw new Error('no drops after 100000 publishes');
      for (let i = 0; i < 40; i++, n++) pub.publish('sensor/stall', payload, { qos: 0 });
      await new Promise<void>((r) => pub.publish('sensor/stall', payload, { qos: 1 }, () => r()));
      n++;
      await sleep(2);
      peakUnsent = Math.max(peakUnsent, await stat('unsent_bytes'));
    }
    const st = await stats();
    expect(Number(st.buffered_bytes)).toBeLessThanOrEqual(256 * 1024);
    // the bridge waits for a socket holding over max(max_batch_bytes, 1MB) to drain: one batch more at most
    expect(peakUnsent).toBeGreaterThan(0);
    expect(peakUnsent).toBeLessThanOrEqual(2 * 1024 * 1024 + 1024 * 1024);
    expect(Number(st.unsent_bytes)).toBeLessThanOrEqual(3 * 1024 * 1024);
    // MQTT is served meanwhile
    const sub = await client({ clientId: 'stall-sub', protocolVersion: 5 });
    await sub.subscribeAsync('stall/check', { qos: 1 });
    const got = new Promise<string>((r) => sub.once('message', (_t, p) => r(p.toString())));
    await pub.publishAsync('stall/check', 'still here', { qos: 1 });
    expect(await got).toBe('still here');
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
  await waitFor(async () => (await stats()).status === 'connected' && (await stat('buffered')) === 0 && (await stat('unsent_bytes')) === 0, 30000, 'the bridge to drain after SIGCONT');
  await pub.publishAsync('sensor/stall/after', 'resumed', { qos: 1 });
  await reader.wait('message_publish', (j) => j.client_id === 'stall-pub' && j.topic === 'sensor/stall/after', 1, 30000);
}, 120_000);

test(`Kafka down: the buffer stays within replayq_max_total_bytes, the oldest are dropped and counted, MQTT keeps working; after Kafka returns new messages flow ${MOCK}`, async () => {
  writeFileSync(join(dir, 'emqx_bridge_kafka.conf'), conf(['bridge.kafka.producer.replayq_max_total_bytes = 20KB']));
  expect(await ctl('plugins', 'reload', 'emqx_bridge_kafka')).toBe('Plugin emqx_bridge_kafka reloaded successfully.\n');
  await waitFor(async () => (await stats()).status === 'connected', 10000, 'the bridge to connect');
  expect((await stats()).max_buffer_bytes).toBe(String(20 * 1024));
  await reader.stop();

  await kafka.down();
  const sub = await client({ clientId: 'down-sub', protocolVersion: 5 });
  await sub.subscribeAsync('sensor/down/#', { qos: 1 });
  let received = 0;
  sub.on('message', () => received++);
  const pub = await client({ clientId: 'down-pub', protocolVersion: 4 });
  for (let i = 0; i < 500; i++) await pub.publishAsync('sensor/down/x', `d${String(i).padStart(3, '0')}`, { qos: 1 });
  // the broker keeps serving: every publish was acknowledged and delivered
  await waitFor(() => received === 500, 10000, 'MQTT deliveries while Kafka is down');
  await waitFor(async () => (await stats()).status !== 'connected', 10000, 'the bridge to notice Kafka is gone');
  const st = await stats();
  expect(Number(st.dropped)).toBeGreaterThan(0);
  expect(Number(st.buffered_bytes)).toBeLessThanOrEqual(20 * 1024);
  expect(Number(st.buffered)).toBeGreaterThan(0);
  expect(st.last_error).not.toBe('');
  const dropped = Number(st.dropped);
  for (let i = 500; i < 520; i++) await pub.publishAsync('sensor/down/x', `d${i}`, { qos: 1 });
  await waitFor(async () => (await stat('dropped')) >= dropped + 20, 5000, 'more drops');

  await kafka.up();
  await waitFor(async () => (await stats()).status === 'connected' && (await stat('buffered')) === 0, 20000, 'the bridge to reconnect and drain');
  reader = new Reader();
  await reader.start();
  await pub.publishAsync('sensor/down/after', 'back', { qos: 1 });
  await reader.wait('message_publish', (j) => j.client_id === 'down-pub' && j.topic === 'sensor/down/after', 1, 30000);
  // what the buffer kept were the newest records: the last ones published while Kafka was down
  const kept = reader.of('message_publish', (j) => j.client_id === 'down-pub' && j.topic === 'sensor/down/x').map((g) => Buffer.from(g.json.payload as string, 'base64').toString());
  expect(kept).toContain('d519');
  expect(kept).not.toContain('d000');
}, 120_000);

test(`unload at run time stops the producer: taps, ctl command and Kafka connections are gone, no more records ${MOCK}`, async () => {
  await reader.stop();
  await waitFor(() => connectionsTo(kafkaPorts()) > 0, 5000, 'the bridge connection');
  expect(await ctl('plugins', 'unload', 'emqx_bridge_kafka')).toBe('Plugin emqx_bridge_kafka unloaded successfully.\n');
  expect(node.registry.tapCount('emqx_bridge_kafka')).toBe(0);
  expect((await node.ctl.run(['kafka', 'stats'])).code).toBe(1);
  await waitFor(() => connectionsTo(kafkaPorts()) === 0, 5000, 'the Kafka connections to close');
  const c = await client({ clientId: 'after-unload', protocolVersion: 4 });
  await c.publishAsync('sensor/unloaded', 'x', { qos: 1 });
  reader = new Reader();
  await reader.start();
  await reader.wait('message_publish', () => true, 1, 15000);
  await sleep(500);
  expect(reader.of('message_publish', (j) => j.client_id === 'after-unload')).toHaveLength(0);
}, 60_000);

test(`a bad rule fails the load with EMQX's error line and leaves nothing behind ${MOCK}`, async () => {
  writeFileSync(join(dir, 'emqx_bridge_kafka.conf'), conf(['bridge.kafka.hook.message.publish.9 = {"filter": "a/#/b", "topic": "t"}']));
  const r = await node.ctl.run(['plugins', 'load', 'emqx_bridge_kafka']);
  expect(r.code).toBe(1);
  expect(r.output.split('\n')[0]).toBe('Load plugin emqx_bridge_kafka error: start_failed.');
  expect(r.output).toContain('bridge.kafka.hook.message.publish.9: "filter" must be an MQTT topic filter');
  expect(node.plugins!.isLoaded('emqx_bridge_kafka')).toBe(false);
  expect(node.registry.tapCount('emqx_bridge_kafka')).toBe(0);
  expect((await node.ctl.run(['kafka', 'stats'])).code).toBe(1);
}, 30_000);

test(`unload while Kafka is stalled (SIGSTOP) does not hang: it ends within seconds and closes the plugin's Kafka connections ${MOCK}`, async () => {
  writeFileSync(join(dir, 'emqx_bridge_kafka.conf'), conf());
  expect(await ctl('plugins', 'load', 'emqx_bridge_kafka')).toBe('Plugin emqx_bridge_kafka loaded successfully.\n');
  await waitFor(async () => (await stats()).status === 'connected', 10000, 'the bridge to connect');
  await reader.stop();
  const pub = await client({ clientId: 'stalled-unload', protocolVersion: 4 });
  await pub.publishAsync('sensor/x', 'warm', { qos: 1 });
  await waitFor(async () => (await stat('buffered')) === 0 && (await stat('inflight')) === 0, 10000, 'the warm-up record');
  const pids = kafka.pids();
  try {
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    for (let i = 0; i < 50; i++) await pub.publishAsync('sensor/x', `s${i}`, { qos: 1 });
    const t0 = Date.now();
    expect(await ctl('plugins', 'unload', 'emqx_bridge_kafka')).toBe('Plugin emqx_bridge_kafka unloaded successfully.\n');
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(connectionsTo(kafkaPorts())).toBe(0);
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
}, 60_000);
