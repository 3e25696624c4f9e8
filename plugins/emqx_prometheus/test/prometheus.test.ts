// emqx_prometheus in a node with real clients: the route served as the management listener
// serves it (the SDK's apiHandler on a real HTTP server), both formats, and the push loop
// against a real HTTP server standing in for the Push Gateway.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { apiHandler } from '@nemq/sdk';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';

const ROOT = join(__dirname, '../../..');
let node: BrokerNode;
let dir: string;
let api: Server;
let apiUrl: string;
let logged: string[];
const clients: MqttClient[] = [];
const servers: Server[] = [];

async function start(conf: string): Promise<void> {
  writeFileSync(join(dir, 'emqx_prometheus.conf'), conf);
  logged = [];
  node = await createBroker({
    logger: createLogger('warning', (l) => logged.push(l)), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  // a second start in the same dir has it back from data/loaded_plugins
  if (!node.plugins!.isLoaded('emqx_prometheus')) await node.plugins!.load('emqx_prometheus');
  // what emqx_management does with the node's route table
  const handle = apiHandler({ routes: node.apiRoutes, listener: 'management', authenticate: () => false, logger: node.logger });
  api = await listen((req, res) => {
    if (!handle(req, res)) res.writeHead(404).end();
  });
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v4`;
}

function listen(fn: Parameters<typeof createServer>[1]): Promise<Server> {
  const s = createServer(fn!);
  servers.push(s);
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(s)));
}

function client(id: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${node.listeners[0]!.port}`, { clientId: id, reconnectPeriod: 0 });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** a text exposition as name → [type, value] */
function parseText(text: string): Map<string, [string, number]> {
  const out = new Map<string, [string, number]>();
  let type: [string, string] | undefined;
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('# HELP ')) continue;
    const t = /^# TYPE (\S+) (gauge|counter)$/.exec(line);
    if (t) {
      type = [t[1]!, t[2]!];
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    if (type?.[0] !== m[1]) throw new Error(`${m[1]} has no # TYPE line`);
    out.set(m[1]!, [type[1], Number(m[2])]);
  }
  return out;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-prometheus-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  await node.stop();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => {
    s.close(r);
    s.closeAllConnections();
  })));
  rmSync(dir, { recursive: true, force: true });
});

test('GET /api/v4/emqx_prometheus: JSON by default, the text format with type=prometheus, no credentials needed', async () => {
  await start('');
  const a = await client('a');
  const b = await client('b');
  await b.subscribeAsync('t/#', { qos: 1 });
  const got = new Promise((r) => b.once('message', r));
  await a.publishAsync('t/1', 'x', { qos: 1 });
  await got;

  const res = await fetch(`${apiUrl}/emqx_prometheus`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json');
  const body = (await res.json()) as { code: number; data: Record<string, Record<string, number>> };
  expect(body.code).toBe(0);
  expect(Object.keys(body.data).sort()).toEqual(['client', 'delivery', 'messages', 'metrics', 'packets', 'session', 'stats']);
  expect(body.data.stats!.emqx_connections_count).toBe(2);
  expect(body.data.stats!.emqx_connections_max).toBe(2);
  expect(body.data.stats!.emqx_subscriptions_count).toBe(1);
  expect(body.data.packets!.emqx_packets_connect).toBe(2);
  expect(body.data.packets!.emqx_packets_publish_received).toBe(1);
  expect(body.data.messages!.emqx_messages_qos1_received).toBe(1);
  expect(body.data.messages!.emqx_messages_dropped_expired).toBe(0);
  expect(body.data.client!.emqx_client_connected).toBe(2);
  expect(body.data.session!.emqx_session_created).toBe(2);
  expect(body.data.metrics!.emqx_vm_total_memory).toBeGreaterThan(0);
  expect(body.data.metrics!.emqx_vm_cpu_use! + body.data.metrics!.emqx_vm_cpu_idle!).toBeCloseTo(100, 1);
  expect(await (await fetch(`${apiUrl}/emqx_prometheus?type=json`)).json()).toMatchObject({ code: 0 });

  const text = await fetch(`${apiUrl}/emqx_prometheus?type=prometheus`);
  expect(text.status).toBe(200);
  expect(text.headers.get('content-type')).toBe('text/plain; version=0.0.4');
  const fams = parseText(await text.text());
  expect(fams.get('emqx_connections_count')).toEqual(['gauge', 2]);
  expect(fams.get('emqx_sessions_count')).toEqual(['gauge', 2]);
  expect(fams.get('emqx_cluster_nodes_running')).toEqual(['gauge', 1]);
  expect(fams.get('emqx_cluster_nodes_stopped')).toEqual(['gauge', 0]);
  expect(fams.get('emqx_packets_connect')).toEqual(['counter', 2]);
  expect(fams.get('emqx_packets_received')![0]).toBe('counter');
  expect(fams.get('emqx_messages_received')).toEqual(['counter', 1]);
  expect(fams.get('emqx_session_takeovered')).toEqual(['counter', 0]);
  expect(fams.get('emqx_vm_used_memory')![1]).toBeGreaterThan(0);
  expect(fams.get('process_resident_memory_bytes')![1]).toBeGreaterThan(0);
  // the JSON holds every emqx family the text has, but the cluster gauges (as EMQX)
  const inJson = new Set(Object.values(body.data).flatMap((g) => Object.keys(g)));
  const emqx = [...fams.keys()].filter((k) => k.startsWith('emqx_') && !k.startsWith('emqx_cluster_'));
  expect(emqx.filter((k) => !inJson.has(k))).toEqual([]);
  expect(emqx.length).toBe(inJson.size);

  // values move with the node
  await a.publishAsync('t/2', 'y', { qos: 0 });
  await waitFor(() => node.metrics['messages.received'] === 2, 'the second publish');
  const again = parseText(await (await fetch(`${apiUrl}/emqx_prometheus?type=prometheus`)).text());
  expect(again.get('emqx_messages_received')).toEqual(['counter', 2]);

  const bad = await fetch(`${apiUrl}/emqx_prometheus?type=xml`);
  expect(await bad.json()).toEqual({ code: 108, message: 'type must be json or prometheus, not xml' });
  // other routes still want credentials
  expect((await fetch(`${apiUrl}/`)).status).toBe(401);

  await node.plugins!.unload('emqx_prometheus');
  expect((await fetch(`${apiUrl}/emqx_prometheus`)).status).toBe(404);
});

test('the push gateway gets the text format every interval at /metrics/job/<name>/instance/<name>~<host>; failures are logged once a minute; unload stops it', async () => {
  const seen: Array<{ method: string; url: string; type: string; body: string }> = [];
  let status = 200;
  const gw = await listen((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, type: String(req.headers['content-type']), body });
      res.writeHead(status).end();
    });
  });
  await start(`prometheus.push.gateway.server = http://127.0.0.1:${(gw.address() as AddressInfo).port}/\nprometheus.interval = 50\n`);
  await client('pushed');
  await waitFor(() => seen.some((s) => s.body.includes('emqx_connections_count 1')), 'a push with the client counted');
  const first = seen[0]!;
  expect(first.method).toBe('POST');
  expect(first.url).toBe('/metrics/job/emqx/instance/emqx~127.0.0.1');
  expect(first.type).toBe('text/plain');
  expect(first.body).toContain('# TYPE emqx_packets_connect counter\n');

  // the gateway fails: one warning however many pushes fail
  status = 500;
  const failedFrom = seen.length;
  await waitFor(() => seen.length >= failedFrom + 3, 'three failed pushes');
  const warnings = logged.filter((l) => l.includes('push to'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('failed: HTTP 500');

  await node.plugins!.unload('emqx_prometheus');
  const n = seen.length;
  // nothing to await for an absence: six intervals pass without a request
  await new Promise((r) => setTimeout(r, 300));
  expect(seen.length).toBe(n);
});

test('an unreachable gateway or a bad server is logged, never thrown; the route still answers', async () => {
  const gone = await listen(() => undefined);
  const port = (gone.address() as AddressInfo).port;
  await new Promise((r) => gone.close(r));
  servers.splice(servers.indexOf(gone), 1);
  await start(`prometheus.push.gateway.server = http://127.0.0.1:${port}\nprometheus.interval = 20\n`);
  await waitFor(() => logged.some((l) => l.includes('push to')), 'the push warning');
  expect(logged.find((l) => l.includes('push to'))).toContain('ECONNREFUSED');
  expect((await fetch(`${apiUrl}/emqx_prometheus`)).status).toBe(200);
  await node.stop();

  // a gateway that never answers: the push gives up (after the interval, at least 1 s)
  const hang = await listen(() => undefined);
  await start(`prometheus.push.gateway.server = http://127.0.0.1:${(hang.address() as AddressInfo).port}\nprometheus.interval = 20\n`);
  await waitFor(() => logged.some((l) => l.includes('push to')), 'the timeout warning', 5000);
  expect(logged.find((l) => l.includes('push to'))).toContain('failed: timed out');
  await node.stop();

  await start('prometheus.push.gateway.server = ftp://example\n');
  expect(logged.some((l) => l.includes('prometheus.push.gateway.server must be http or https: ftp://example; not pushing'))).toBe(true);
  expect(node.plugins!.isLoaded('emqx_prometheus')).toBe(true);
  expect((await fetch(`${apiUrl}/emqx_prometheus?type=prometheus`)).status).toBe(200);
});
