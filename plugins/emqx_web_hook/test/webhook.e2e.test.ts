// emqx_web_hook end to end: a broker with the plugin loaded from dist/, real mqtt.js clients
// (v3.1.1 and v5) and a real node:http server that records every request it gets.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';
import { waitFor, sleep } from '../../../test/integration/helpers';

const ROOT = join(__dirname, '../../..');

interface Req {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  json: Record<string, unknown>;
}

/** the recording server: answers 200 at once, or holds every answer while `hold` is on */
class Recorder {
  readonly got: Req[] = [];
  hold = false;
  private held: ServerResponse[] = [];
  private server: Server | undefined;
  port = 0;
  async start(port = 0): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.got.push({ method: req.method!, url: req.url!, headers: req.headers, raw, json: JSON.parse(raw) as Record<string, unknown> });
        if (this.hold) this.held.push(res);
        else res.end('ok');
      });
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }
  release(): void {
    this.hold = false;
    for (const res of this.held.splice(0)) res.end('ok');
  }
  async stop(): Promise<void> {
    this.release();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  of(action: string, pred: (j: Record<string, unknown>) => boolean = () => true): Req[] {
    return this.got.filter((g) => g.json.action === action && pred(g.json));
  }
  async wait(action: string, pred: (j: Record<string, unknown>) => boolean = () => true, n = 1, ms = 10000): Promise<Req[]> {
    await waitFor(() => this.of(action, pred).length >= n, ms, `${n} ${action} request(s)`);
    return this.of(action, pred);
  }
}

let http: Recorder;
let dir: string;
let node: BrokerNode;
let url: string;
const clients: MqttClient[] = [];

const RULES = [
  'web.hook.rule.client.connect.1       = {"action": "on_client_connect"}',
  'web.hook.rule.client.connack.1       = {"action": "on_client_connack"}',
  'web.hook.rule.client.connected.1     = {"action": "on_client_connected"}',
  'web.hook.rule.client.disconnected.1  = {"action": "on_client_disconnected"}',
  'web.hook.rule.client.subscribe.1     = {"action": "on_client_subscribe", "topic": "sensor/#"}',
  'web.hook.rule.client.unsubscribe.1   = {"action": "on_client_unsubscribe", "topic": "sensor/#"}',
  'web.hook.rule.session.subscribed.1   = {"action": "on_session_subscribed", "topic": "sensor/#"}',
  'web.hook.rule.session.unsubscribed.1 = {"action": "on_session_unsubscribed", "topic": "sensor/#"}',
  'web.hook.rule.session.terminated.1   = {"action": "on_session_terminated"}',
  'web.hook.rule.message.publish.1      = {"action": "on_message_publish", "topic": "sensor/#"}',
  'web.hook.rule.message.publish.2      = {"action": "on_message_publish", "topic": "load/#"}',
  'web.hook.rule.message.delivered.1    = {"action": "on_message_delivered", "topic": "sensor/#"}',
  'web.hook.rule.message.acked.1        = {"action": "on_message_acked", "topic": "sensor/#"}',
  'web.hook.rule.message.dropped.1      = {"action": "on_message_dropped", "topic": "nobody/#"}',
];

async function loadWith(extra: string[], target = `http://127.0.0.1:${http.port}/hook?from=nemq`): Promise<void> {
  if (node.plugins!.isLoaded('emqx_web_hook')) await node.plugins!.unload('emqx_web_hook');
  writeFileSync(join(dir, 'emqx_web_hook.conf'), [
    `web.hook.url = ${target}`,
    'web.hook.headers.content-type = application/json',
    'web.hook.headers.x-token = s3cret',
    'web.hook.reconnect_interval = 100ms',
    ...RULES, ...extra,
  ].join('\n') + '\n');
  await node.plugins!.load('emqx_web_hook');
}

function client(opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function stats(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await node.ctl.run(['webhook', 'stats'])).output.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}
const stat = async (k: string): Promise<number> => Number((await stats())[k]);

beforeAll(async () => {
  http = new Recorder();
  await http.start();
  dir = mkdtempSync(join(tmpdir(), 'nemq-webhook-e2e-'));
  node = await createBroker({
    logger: createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  url = `mqtt://127.0.0.1:${node.listeners[0]!.port}`;
  await loadWith(['web.hook.body.encoding_of_payload_field = base64']);
}, 30_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
  await node?.stop();
  await http?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

const NODE = (): string => node.nodeName;

test.each([4, 5] as const)('MQTT v%s: every event reaches the server as EMQX 4.3 JSON, POSTed to web.hook.url with the headers', async (v) => {
  const id = `sub-v${v}`;
  const t0 = Date.now();
  const sub = await client({ clientId: id, username: 'alice', protocolVersion: v, keepalive: 30 });
  const [connect] = await http.wait('client_connect', (j) => j.clientid === id);
  expect(connect!.method).toBe('POST');
  expect(connect!.url).toBe('/hook?from=nemq');
  expect(connect!.headers['content-type']).toBe('application/json');
  expect(connect!.headers['x-token']).toBe('s3cret');
  // EMQX's keys come out sorted (an Erlang map): the bytes are the same
  expect(connect!.raw).toBe(`{"action":"client_connect","clientid":"${id}","ipaddress":"127.0.0.1","keepalive":30,"node":"${NODE()}","proto_ver":${v},"username":"alice"}`);
  const [connack] = await http.wait('client_connack', (j) => j.clientid === id);
  expect(connack!.json).toEqual({ action: 'client_connack', clientid: id, conn_ack: 'success', ipaddress: '127.0.0.1', keepalive: 30, node: NODE(), proto_ver: v, username: 'alice' });
  const [connected] = await http.wait('client_connected', (j) => j.clientid === id);
  expect(connected!.json).toEqual({ action: 'client_connected', clientid: id, connected_at: expect.any(Number), ipaddress: '127.0.0.1', keepalive: 30, node: NODE(), proto_ver: v, username: 'alice' });
  expect(connected!.json.connected_at as number).toBeGreaterThanOrEqual(t0 - 1000);

  await sub.subscribeAsync('sensor/#', { qos: 1 });
  await sub.subscribeAsync('other/#', { qos: 0 });
  const [cs] = await http.wait('client_subscribe', (j) => j.clientid === id);
  expect(cs!.json).toEqual({ action: 'client_subscribe', clientid: id, node: NODE(), opts: { nl: 0, qos: 1, rap: 0, rh: 0 }, topic: 'sensor/#', username: 'alice' });
  const [ss] = await http.wait('session_subscribed', (j) => j.clientid === id);
  expect(ss!.json).toMatchObject({ action: 'session_subscribed', clientid: id, node: NODE(), topic: 'sensor/#', username: 'alice' });
  expect(ss!.json.opts).toMatchObject({ nl: 0, qos: 1, rap: 0, rh: 0 });

  const pubId = `pub-v${v}`;
  const pub = await client({ clientId: pubId, protocolVersion: v });
  const got = new Promise<void>((r) => sub.once('message', () => r()));
  await pub.publishAsync('sensor/1/temp', 'hello hook', { qos: 1 });
  await got;
  const [mp] = await http.wait('message_publish', (j) => j.from_client_id === pubId);
  const payload = Buffer.from('hello hook').toString('base64');
  expect(mp!.raw).toBe(`{"action":"message_publish","from_client_id":"${pubId}","from_username":null,"node":"${NODE()}","payload":"${payload}","qos":1,"retain":false,"topic":"sensor/1/temp","ts":${mp!.json.ts as number}}`);
  const [md] = await http.wait('message_delivered', (j) => j.from_client_id === pubId);
  expect(md!.json).toEqual({ action: 'message_delivered', clientid: id, username: 'alice', from_client_id: pubId, from_username: null, node: NODE(), payload, qos: 1, retain: false, topic: 'sensor/1/temp', ts: mp!.json.ts });
  const [ma] = await http.wait('message_acked', (j) => j.from_client_id === pubId);
  expect(ma!.json).toEqual({ ...md!.json, action: 'message_acked' });

  // filtered out by the rules' topics: no request
  await pub.publishAsync('other/1', 'x', { qos: 1 });
  // no subscriber: message_dropped with EMQX's reason
  await pub.publishAsync(`nobody/${v}`, 'lost', { qos: 1 });
  const [mdr] = await http.wait('message_dropped', (j) => j.topic === `nobody/${v}`);
  expect(mdr!.json).toEqual({ action: 'message_dropped', from_client_id: pubId, from_username: null, node: NODE(), payload: Buffer.from('lost').toString('base64'), qos: 1, reason: 'no_subscribers', retain: false, topic: `nobody/${v}`, ts: expect.any(Number) });

  await sub.unsubscribeAsync('sensor/#');
  const [cu] = await http.wait('client_unsubscribe', (j) => j.clientid === id);
  expect(cu!.json).toMatchObject({ action: 'client_unsubscribe', clientid: id, node: NODE(), topic: 'sensor/#', username: 'alice' });
  const [su] = await http.wait('session_unsubscribed', (j) => j.clientid === id);
  expect(su!.raw).toBe(`{"action":"session_unsubscribed","clientid":"${id}","node":"${NODE()}","topic":"sensor/#","username":"alice"}`);

  await sub.endAsync();
  const [cd] = await http.wait('client_disconnected', (j) => j.clientid === id);
  expect(cd!.json).toEqual({ action: 'client_disconnected', clientid: id, disconnected_at: expect.any(Number), node: NODE(), reason: 'normal', username: 'alice' });
  const [st] = await http.wait('session_terminated', (j) => j.clientid === id);
  expect(st!.json).toMatchObject({ action: 'session_terminated', clientid: id, node: NODE(), username: 'alice' });

  expect(http.of('message_publish', (j) => j.topic === 'other/1')).toHaveLength(0);
  expect(http.of('client_subscribe', (j) => j.topic === 'other/#')).toHaveLength(0);
  expect(http.of('message_publish', (j) => j.from_client_id === pubId)).toHaveLength(1);
}, 30_000);

test('emqx_ctl webhook: usage, rules, stats', async () => {
  expect((await node.ctl.run(['webhook'])).output).toBe(
    'webhook stats # Show the web hook backlog and counters\n' +
    'webhook rules # Show the web hook rules: hook point and topic filter\n');
  const rules = (await node.ctl.run(['webhook', 'rules'])).output;
  expect(rules).toContain('web.hook.rule.message.publish.2: hook=message.publish, topic=load/#\n');
  expect(rules).toContain('web.hook.rule.client.connected.1: hook=client.connected, topic=-\n');
  expect(rules.trim().split('\n')).toHaveLength(RULES.length);
  const st = await stats();
  expect(st).toMatchObject({ status: 'connected', dropped: '0', failed: '0' });
  expect(Number(st['webhook.message_publish'])).toBeGreaterThanOrEqual(2);
});

test('a slow server never holds up MQTT: QoS 1 acks come at once, the backlog stays bounded, what it drops is counted', async () => {
  await loadWith(['web.hook.pool_size = 2', 'web.hook.enable_pipelining = false', 'web.hook.backlog.max_events = 50', 'web.hook.request_timeout = 30s']);
  http.hold = true;
  const before = http.of('message_publish', (j) => j.from_client_id === 'slow-pub').length;
  const pub = await client({ clientId: 'slow-pub', protocolVersion: 5 });
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 300 }, (_, i) => pub.publishAsync(`load/${i}`, `m${i}`, { qos: 1 })));
  const ackMs = Date.now() - t0;
  // 2 requests on the wire, held by the server; the backlog keeps the newest 50
  await waitFor(async () => (await stat('inflight')) === 2, 5000, 'two requests held by the server');
  const st = await stats();
  expect(Number(st.backlog)).toBeLessThanOrEqual(50);
  expect(Number(st.enqueued)).toBeGreaterThanOrEqual(300);
  expect(Number(st.dropped)).toBeGreaterThanOrEqual(300 - 50 - 2);
  expect(ackMs).toBeLessThan(3000);
  http.release();
  await waitFor(async () => (await stat('backlog')) === 0 && (await stat('inflight')) === 0, 10000, 'the backlog to drain');
  const s2 = await stats();
  const arrived = http.of('message_publish', (j) => j.from_client_id === 'slow-pub').length - before;
  // every event is either sent or counted as dropped (connect events of the client share the backlog)
  expect(Number(s2.sent) + Number(s2.dropped) + Number(s2.failed)).toBe(Number(s2.enqueued));
  expect(arrived).toBeLessThanOrEqual(52);
  expect(arrived).toBeGreaterThanOrEqual(48);
  // the newest survive
  expect(http.of('message_publish', (j) => j.topic === 'load/299')).toHaveLength(1);
}, 30_000);

test('the server going down and coming back: QoS 1 publishing goes on, the backlog is sent once it is back, nothing dropped', async () => {
  await loadWith(['web.hook.pool_size = 4']);
  const port = http.port;
  await http.stop();
  const pub = await client({ clientId: 'down-pub', protocolVersion: 4 });
  const t0 = Date.now();
  for (let i = 0; i < 100; i++) await pub.publishAsync(`load/down/${i}`, `d${i}`, { qos: 1 });
  expect(Date.now() - t0).toBeLessThan(3000);
  await waitFor(async () => (await stats()).status === 'disconnected', 5000, 'the sender to see the server down');
  expect(await stat('backlog')).toBeGreaterThan(0);
  await http.start(port);
  const got = await http.wait('message_publish', (j) => j.from_client_id === 'down-pub', 100, 15000);
  expect(new Set(got.map((g) => g.json.topic)).size).toBe(100);
  const st = await stats();
  expect(st).toMatchObject({ status: 'connected', dropped: '0', failed: '0', backlog: '0' });
  expect(Number(st.retried)).toBeGreaterThan(0);
}, 30_000);

test('unload with traffic flowing: clients keep publishing, no request after unload, load again works', async () => {
  await loadWith([]);
  const pub = await client({ clientId: 'flow-pub', protocolVersion: 5 });
  let acked = 0;
  let stop = false;
  const loop = (async () => {
    for (let i = 0; !stop; i++) {
      await pub.publishAsync(`load/flow/${i}`, 'f', { qos: 1 });
      acked++;
    }
  })();
  await waitFor(() => http.of('message_publish', (j) => j.from_client_id === 'flow-pub').length >= 20, 10000, 'traffic to the server');
  await node.plugins!.unload('emqx_web_hook');
  const atUnload = acked;
  const n = http.got.length;
  await waitFor(() => acked >= atUnload + 50, 10000, 'publishing to go on after unload');
  stop = true;
  await loop;
  // a request already on the wire may land just after unload returns; nothing new is made
  await sleep(100);
  expect(http.got.length - n).toBeLessThanOrEqual(32);
  expect(node.plugins!.isLoaded('emqx_web_hook')).toBe(false);
  await loadWith([]);
  await pub.publishAsync('load/again', 'x', { qos: 1 });
  await http.wait('message_publish', (j) => j.topic === 'load/again');
}, 30_000);

const CERTS = join(ROOT, 'etc/certs');

test('https: web.hook.ssl.cacertfile and verify = true reach a TLS server; without the CA every request fails and is counted', async () => {
  const got: string[] = [];
  const tls = createHttpsServer({ cert: readFileSync(join(CERTS, 'cert.pem')), key: readFileSync(join(CERTS, 'key.pem')) }, (req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => { got.push(b); res.end(); });
  });
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  const port = (tls.address() as AddressInfo).port;
  try {
    await loadWith([`web.hook.ssl.cacertfile = ${join(CERTS, 'cacert.pem')}`, 'web.hook.ssl.verify = true'], `https://localhost:${port}/tls`);
    const p = await client({ clientId: 'tls-pub', protocolVersion: 5 });
    await p.publishAsync('sensor/tls', 'over tls', { qos: 1 });
    await waitFor(() => got.some((b) => b.includes('"from_client_id":"tls-pub"')), 10000, 'the event over TLS');
    expect(JSON.parse(got.find((b) => b.includes('"from_client_id":"tls-pub"'))!)).toMatchObject({ action: 'message_publish', topic: 'sensor/tls', payload: 'over tls' });

    await loadWith(['web.hook.ssl.verify = true'], `https://localhost:${port}/tls`);
    const n = got.length;
    await p.publishAsync('sensor/tls', 'refused', { qos: 1 });
    await waitFor(async () => (await stat('failed')) >= 1, 10000, 'a failed request');
    expect((await stats()).last_error).toMatch(/^UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*certificate/);
    expect(await stat('backlog')).toBe(0);
    expect(got.length).toBe(n);
  } finally {
    tls.closeAllConnections();
    await new Promise<void>((r) => tls.close(() => r()));
  }
}, 30_000);

test('enable_pipelining: with one connection, several requests are on the wire before the first answer', async () => {
  // a raw TCP server: counts the requests it has read per socket and answers only once 4 are in
  const sockets: Array<{ s: Socket; seen: number }> = [];
  const raw = createTcpServer((s) => {
    const me = { s, seen: 0 };
    sockets.push(me);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      // each request: headers, then a body of content-length bytes
      for (;;) {
        const h = buf.indexOf('\r\n\r\n');
        if (h < 0) break;
        const len = Number(/content-length: *(\d+)/i.exec(buf.slice(0, h))?.[1] ?? 0);
        if (buf.length < h + 4 + len) break;
        buf = buf.slice(h + 4 + len);
        me.seen++;
        if (me.seen % 4 === 0) s.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'.repeat(4));
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const port = (raw.address() as AddressInfo).port;
  try {
    await loadWith(['web.hook.pool_size = 1', 'web.hook.enable_pipelining = true', 'web.hook.pipelining_depth = 4'], `http://127.0.0.1:${port}/p`);
    const p = await client({ clientId: 'pipe-pub', protocolVersion: 4 });
    for (let i = 0; i < 9; i++) p.publish(`load/pipe/${i}`, 'x', { qos: 0 });
    await waitFor(async () => (await stat('sent')) >= 12, 10000, 'the events to be answered'); // 3 connect events + 9
    expect(sockets).toHaveLength(1);
    // without pipelining the server would never have seen 4 at once and never answered
    expect(sockets[0]!.seen).toBe(12);
  } finally {
    for (const x of sockets) x.s.destroy();
    await new Promise<void>((r) => raw.close(() => r()));
  }
}, 30_000);

test.each([
  ['plain', Buffer.from('héllo'), 'héllo'],
  // ff fe 00 | 35: 63 63 56 0 | 13 and 2 bits of 1
  ['base62', Buffer.from([0xff, 0xfe, 0x00, 0x35]), '9C9C4ANB'],
] as const)('encoding_of_payload_field = %s', async (enc, payload, want) => {
  await loadWith([`web.hook.body.encoding_of_payload_field = ${enc}`]);
  const p = await client({ clientId: `enc-${enc}`, protocolVersion: 4 });
  await p.publishAsync('sensor/enc', payload, { qos: 1 });
  const [r] = await http.wait('message_publish', (j) => j.from_client_id === `enc-${enc}`);
  expect(r!.json.payload).toBe(want);
});

test('a bad conf refuses the load with the key at fault; the broker goes on', async () => {
  if (node.plugins!.isLoaded('emqx_web_hook')) await node.plugins!.unload('emqx_web_hook');
  writeFileSync(join(dir, 'emqx_web_hook.conf'), 'web.hook.url = http://127.0.0.1:1/\nweb.hook.rule.message.publish.1 = {"action": "on_client_connected"}\n');
  const out = (await node.ctl.run(['plugins', 'load', 'emqx_web_hook'])).output;
  expect(out).toContain('web.hook.rule.message.publish.1: "action" must be "on_message_publish"');
  expect(node.plugins!.isLoaded('emqx_web_hook')).toBe(false);
  const c = await client({ clientId: 'after-bad-conf', protocolVersion: 5 });
  await c.publishAsync('t/ok', 'still up', { qos: 1 });
});
