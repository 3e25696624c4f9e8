// emqx_management's HTTP API v4 against `bin/emqx foreground` with the shipped etc/ (the plugin is
// loaded by default), with real MQTT clients on the other side of every call.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { closeAll, collect, connect, spawnNode, waitFor, type NodeProcess } from './helpers';

let node: NodeProcess;
let dir: string;
let base: string;
const ADMIN = 'Basic ' + Buffer.from('admin:public').toString('base64');

interface Res {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

async function http(method: string, path: string, body?: unknown, auth: string | null = ADMIN, raw?: string): Promise<Res> {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  const r = await fetch(base + path, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, text, json, headers: r.headers };
}
const get = (p: string): Promise<any> => http('GET', p).then((r) => r.json);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-mgmt-'));
  node = await spawnNode({ EMQX_NODE__DATA_DIR: dir, EMQX_LOG__LEVEL: 'info' });
  base = `http://127.0.0.1:${node.ports.mgmt}`;
  await waitFor(() => node.output().includes(`listener on 127.0.0.1:${node.ports.mgmt}`), 10000, 'management listener');
}, 30000);
afterEach(() => closeAll());
afterAll(async () => {
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
});

const url = (): string => `mqtt://127.0.0.1:${node.ports.tcp}`;

describe('auth', () => {
  test('GET /status answers without credentials; non-GET is refused', async () => {
    const r = await http('GET', '/status', undefined, null);
    expect(r.status).toBe(200);
    expect(r.text).toBe('Node emqx@127.0.0.1 is started\nemqx is running');
    expect((await http('POST', '/status', undefined, null)).status).toBe(400);
  });

  test('no credentials, a wrong secret or an unknown app: 401 with a Basic challenge', async () => {
    for (const auth of [null, 'Basic ' + Buffer.from('admin:wrong').toString('base64'), 'Basic ' + Buffer.from('nobody:public').toString('base64'), 'Bearer x']) {
      const r = await http('GET', '/api/v4/brokers', undefined, auth);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Basic Realm="minirest-server"');
    }
  });

  test('GET /api/v4/ lists the endpoints; unknown paths are 404', async () => {
    const r = await get('/api/v4/');
    expect(r.code).toBe(0);
    expect(r.data).toEqual(expect.arrayContaining([{ name: 'list_clients', method: 'GET', path: '/clients', descr: expect.any(String) }]));
    // /apps is served by the dashboard listener only, as EMQX
    expect(r.data.find((e: any) => e.path === '/apps')).toBeUndefined();
    expect((await http('GET', '/api/v4/apps')).status).toBe(404);
    expect((await http('GET', '/api/v4/nope')).status).toBe(404);
    expect((await http('GET', '/api/v4/nodes/nobody@nowhere')).text).toBe('Not found.');
  });

  test('emqx_ctl mgmt: an inserted app authenticates, a disabled or deleted one does not', async () => {
    const out = await node.ctl('mgmt', 'insert', 'ops', 'Operations');
    const secret = /^AppSecret: (\S+)$/m.exec(out)?.[1];
    expect(secret).toBeDefined();
    const auth = 'Basic ' + Buffer.from(`ops:${secret}`).toString('base64');
    expect((await http('GET', '/api/v4/stats', undefined, auth)).json.code).toBe(0);
    expect(await node.ctl('mgmt', 'list')).toContain(`app_id: ops, secret: ${secret}, name: Operations`);
    expect(await node.ctl('mgmt', 'update', 'ops', 'false')).toBe('update successfully.\n');
    expect((await http('GET', '/api/v4/stats', undefined, auth)).status).toBe(401);
    expect(await node.ctl('mgmt', 'delete', 'ops')).toBe('ok\n');
    expect(await node.ctl('mgmt', 'lookup', 'ops')).toBe('Not Found.\n');
  });
});

describe('nodes', () => {
  test('/brokers, /nodes, /stats and /metrics describe this node', async () => {
    const brokers = await get('/api/v4/brokers');
    expect(brokers.data).toEqual([expect.objectContaining({ node: 'emqx@127.0.0.1', node_status: 'Running', version: '4.3.0', sysdescr: expect.any(String) })]);
    const c = await connect(url(), { clientId: 'stats-1' });
    const nodes = await get('/api/v4/nodes');
    expect(nodes.data[0]).toEqual(expect.objectContaining({ node: 'emqx@127.0.0.1', connections: expect.any(Number), memory_used: expect.any(Number), load1: expect.any(Number) }));
    expect(nodes.data[0].connections).toBeGreaterThanOrEqual(1);
    const stats = await get('/api/v4/stats');
    expect(stats.data[0].node).toBe('emqx@127.0.0.1');
    expect(stats.data[0].stats['connections.count']).toBeGreaterThanOrEqual(1);
    const one = await get('/api/v4/nodes/emqx@127.0.0.1/metrics');
    expect(one.data['packets.connect.received']).toBeGreaterThanOrEqual(1);
    c.end(true);
  });
});

describe('clients', () => {
  let clients: MqttClient[];
  beforeEach(async () => {
    clients = [
      await connect(url(), { clientId: 'dev-a1', username: 'alice', protocolVersion: 4 }),
      await connect(url(), { clientId: 'dev-a2', username: 'alice', protocolVersion: 5 }),
      await connect(url(), { clientId: 'sensor-b', username: 'bob', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 60 } }),
    ];
  });

  test('list, page, fuzzy search, lookup by id and username', async () => {
    const all = await get('/api/v4/clients?_like_clientid=dev-');
    expect(all.data.map((c: any) => c.clientid).sort()).toEqual(['dev-a1', 'dev-a2']);
    const page1 = await get('/api/v4/clients?_like_clientid=-&_limit=2&_page=1');
    const page2 = await get('/api/v4/clients?_like_clientid=-&_limit=2&_page=2');
    expect(page1.meta).toEqual({ page: 1, limit: 2, count: 3, hasnext: true });
    expect(page2.meta).toEqual({ page: 2, limit: 2, count: 3, hasnext: false });
    expect([...page1.data, ...page2.data].map((c: any) => c.clientid).sort()).toEqual(['dev-a1', 'dev-a2', 'sensor-b']);
    const one = await get('/api/v4/clients/sensor-b');
    expect(one.data).toEqual([expect.objectContaining({
      clientid: 'sensor-b', username: 'bob', proto_ver: 5, proto_name: 'MQTT', connected: true, clean_start: false, expiry_interval: 60,
      ip_address: '127.0.0.1', zone: 'external', node: 'emqx@127.0.0.1', connected_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    })]);
    const byUser = await get('/api/v4/clients/username/alice');
    expect(byUser.data.map((c: any) => c.clientid).sort()).toEqual(['dev-a1', 'dev-a2']);
    expect((await get('/api/v4/clients?proto_ver=4&_like_clientid=dev')).data.map((c: any) => c.clientid)).toEqual(['dev-a1']);
    expect((await get('/api/v4/clients?proto_ver=x')).code).toBe(108);
    expect((await get('/api/v4/nodes/emqx@127.0.0.1/clients/dev-a1')).data[0].clientid).toBe('dev-a1');
  });

  test('DELETE /clients/:id kicks the client (v5 sees DISCONNECT 0x98); an unknown one answers 112', async () => {
    const reasons: number[] = [];
    clients[1]!.on('disconnect', (p: any) => reasons.push(p.reasonCode));
    expect((await http('DELETE', '/api/v4/clients/dev-a2')).json).toEqual({ code: 0 });
    await waitFor(() => reasons.length === 1);
    expect(reasons).toEqual([0x98]);
    expect((await http('DELETE', '/api/v4/clients/nobody')).json).toEqual({ code: 112, message: 'not_found' });
  });

  test('subscribe and publish for a client over HTTP; it receives the message', async () => {
    const c = clients[0]!;
    const got = collect(c);
    expect((await http('POST', '/api/v4/mqtt/subscribe', { topic: 'api/t/+', clientid: 'dev-a1', qos: 1 })).json).toEqual({ code: 0 });
    const subs = await get('/api/v4/subscriptions/dev-a1');
    expect(subs.data).toEqual([{ node: 'emqx@127.0.0.1', clientid: 'dev-a1', topic: 'api/t/+', qos: 1 }]);
    expect((await get('/api/v4/subscriptions?_match_topic=api/t/x')).data.map((s: any) => s.clientid)).toEqual(['dev-a1']);
    expect((await get('/api/v4/routes/api%2Ft%2F%2B')).data).toEqual([{ topic: 'api/t/+', node: 'emqx@127.0.0.1' }]);
    expect((await http('POST', '/api/v4/mqtt/publish', { topic: 'api/t/1', payload: 'hello', qos: 1, clientid: 'http' })).json).toEqual({ code: 0 });
    expect((await http('POST', '/api/v3/mqtt/publish', { topics: 'api/t/2,api/t/3', payload: Buffer.from('b64').toString('base64'), encoding: 'base64' })).json).toEqual({ code: 0 });
    await waitFor(() => got.length === 3);
    expect(got.map((m) => `${m.topic}=${m.payload}`).sort()).toEqual(['api/t/1=hello', 'api/t/2=b64', 'api/t/3=b64']);
    const batch = await http('POST', '/api/v4/mqtt/publish_batch', [{ topic: 'api/t/4', payload: 'x' }, { topic: 'bad/#', payload: 'y' }]);
    expect(batch.json.data.map((r: any) => r.code)).toEqual([0, 115]);
    expect((await http('POST', '/api/v4/mqtt/unsubscribe', { topic: 'api/t/+', clientid: 'dev-a1' })).json).toEqual({ code: 0 });
    expect((await get('/api/v4/subscriptions/dev-a1')).data).toEqual([]);
  });

  test('bad input: not JSON, bad topic, bad QoS, wrong types, offline client', async () => {
    const notJson = await http('POST', '/api/v4/mqtt/publish', undefined, ADMIN, '{"topic": ');
    expect(notJson.status).toBe(400);
    expect(notJson.json.code).toBe(109);
    expect((await http('POST', '/api/v4/mqtt/publish', { topic: 'a/#', payload: 'x' })).json.code).toBe(115);
    expect((await http('POST', '/api/v4/mqtt/publish', { topic: 'a', payload: 'x', qos: 3 })).json.code).toBe(116);
    expect((await http('POST', '/api/v4/mqtt/publish', { payload: 'x' })).json.code).toBe(107);
    expect((await http('POST', '/api/v4/mqtt/subscribe', { topic: 'a', clientid: 42 })).json).toEqual({ code: 108, message: 'bad clientid: must be string' });
    expect((await http('POST', '/api/v4/mqtt/subscribe', { topic: 'a', clientid: 'offline-x' })).json).toEqual({ code: 112, message: 'channel_not_found' });
    expect((await http('POST', '/api/v4/mqtt/subscribe', { topic: 'a/#/b', clientid: 'dev-a1' })).json.code).toBe(115);
    expect((await http('POST', '/api/v4/mqtt/publish', [1, 2])).json.code).toBe(109);
    // still serving
    expect((await get('/api/v4/brokers')).code).toBe(0);
  });

  test('ACL cache of a client, listed and cleaned', async () => {
    await clients[0]!.publishAsync('acl/cached', 'x', { qos: 1 });
    const cache = await get('/api/v4/clients/dev-a1/acl_cache');
    expect(cache.data).toEqual(expect.arrayContaining([expect.objectContaining({ access: 'publish', topic: 'acl/cached', result: 'allow' })]));
    expect((await http('DELETE', '/api/v4/clients/dev-a1/acl_cache')).json).toEqual({ code: 0 });
    expect((await get('/api/v4/clients/dev-a1/acl_cache')).data).toEqual([]);
    expect((await http('DELETE', '/api/v4/acl-cache')).json).toEqual({ code: 0 });
  });
});

describe('plugins, listeners, banned, alarms, data', () => {
  test('plugins: list, unload and load again; loading a loaded one answers 110', async () => {
    const list = await get('/api/v4/plugins');
    const mine = list.data[0].plugins.find((p: any) => p.name === 'emqx_retainer');
    expect(mine).toEqual(expect.objectContaining({ active: true, type: 'feature', version: expect.any(String) }));
    expect((await http('PUT', '/api/v4/nodes/emqx@127.0.0.1/plugins/emqx_retainer/unload')).json).toEqual({ code: 0 });
    expect((await get('/api/v4/nodes/emqx@127.0.0.1/plugins')).data.find((p: any) => p.name === 'emqx_retainer').active).toBe(false);
    expect((await http('PUT', '/api/v4/nodes/emqx@127.0.0.1/plugins/emqx_retainer/unload')).json.code).toBe(111);
    expect((await http('PUT', '/api/v4/nodes/emqx@127.0.0.1/plugins/emqx_retainer/load')).json).toEqual({ code: 0 });
    expect((await http('PUT', '/api/v4/nodes/emqx@127.0.0.1/plugins/emqx_retainer/load')).json.code).toBe(110);
    expect((await http('PUT', '/api/v4/plugins/emqx_retainer/reload')).json).toEqual({ code: 0 });
    expect((await http('PUT', '/api/v4/nodes/emqx@127.0.0.1/plugins/no_such/load')).json).toEqual({ code: 102, message: 'not_found' });
  });

  test('listeners: list and restart; clients reconnect to the restarted one', async () => {
    const l = await get('/api/v4/nodes/emqx@127.0.0.1/listeners');
    expect(l.data).toEqual(expect.arrayContaining([expect.objectContaining({ identifier: 'mqtt:tcp:external', listen_on: `127.0.0.1:${node.ports.tcp}`, protocol: 'mqtt:tcp' })]));
    expect((await http('PUT', '/api/v4/listeners/mqtt:ws:external/restart')).json).toEqual({ code: 0 });
    const c = await connect(`ws://127.0.0.1:${node.ports.ws}/mqtt`);
    expect(c.connected).toBe(true);
    expect((await http('PUT', '/api/v4/listeners/mqtt:tcp:nope/restart')).json).toEqual({ code: 102, message: 'not_found' });
  });

  test('banned: a created ban refuses the client until deleted', async () => {
    const r = await http('POST', '/api/v4/banned', { who: 'evil', as: 'clientid', reason: 'test' });
    expect(r.json.code).toBe(0);
    expect((await get('/api/v4/banned')).data).toEqual([expect.objectContaining({ who: 'evil', as: 'clientid', reason: 'test', by: 'admin' })]);
    await expect(connect(url(), { clientId: 'evil', reconnectPeriod: 0 })).rejects.toThrow(/[Bb]anned|Not authorized/);
    expect((await http('DELETE', '/api/v4/banned/clientid/evil')).json).toEqual({ code: 0 });
    expect((await get('/api/v4/banned')).data).toEqual([]);
    expect((await http('POST', '/api/v4/banned', { who: 'x', as: 'nickname' })).json.code).toBe(108);
  });

  test('alarms: the lists answer per node', async () => {
    const a = await get('/api/v4/alarms/activated');
    expect(a.data).toEqual([{ node: 'emqx@127.0.0.1', alarms: expect.any(Array) }]);
    expect((await http('POST', '/api/v4/alarms/deactivated', { name: 'no_such_alarm' })).json.code).toBe(102);
    expect((await http('DELETE', '/api/v4/alarms/deactivated')).json).toEqual({ code: 0 });
  });

  test('data export writes a file that import takes back', async () => {
    await http('POST', '/api/v4/banned', { who: 'exported', as: 'username' });
    const ex = (await http('POST', '/api/v4/data/export')).json;
    expect(ex.data.filename).toMatch(/^emqx-export-.*\.json$/);
    await http('DELETE', '/api/v4/banned/username/exported');
    expect((await get('/api/v4/data/export')).data.map((f: any) => f.filename)).toContain(ex.data.filename);
    expect((await http('POST', '/api/v4/data/import', { filename: ex.data.filename })).json).toEqual({ code: 0 });
    expect((await get('/api/v4/banned')).data.map((b: any) => b.who)).toEqual(['exported']);
    await http('DELETE', '/api/v4/banned/username/exported');
  });
});

describe('trace', () => {
  test('POST /trace starts a client trace that records its packets; DELETE stops it', async () => {
    const file = join(dir, 'traces', 'api-traced.log');
    expect(await node.ctl('log', 'primary-level', 'debug')).toBe('debug\n');
    try {
      expect((await http('POST', '/api/v4/trace', { type: 'client', name: 'api-traced', file })).json).toEqual({ code: 0 });
      expect((await get('/api/v4/trace')).data[0].traces).toEqual([expect.objectContaining({ type: 'client', name: 'api-traced', file })]);
      const c = await connect(url(), { clientId: 'api-traced' });
      await c.subscribeAsync('traced/x', { qos: 0 });
      expect((await http('DELETE', '/api/v4/trace/client/api-traced')).json).toEqual({ code: 0 });
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('RECV CONNECT(Q0, R0, D0, ClientId=api-traced');
      expect(text).toMatch(/RECV SUBSCRIBE\(.*traced\/x/);
      expect((await get('/api/v4/trace')).data[0].traces).toEqual([]);
      expect((await http('POST', '/api/v4/trace', { type: 'nope', name: 'x', file })).json.code).toBe(108);
      expect((await http('DELETE', '/api/v4/trace/client/never-traced')).json.code).toBe(102);
    } finally {
      await node.ctl('log', 'primary-level', 'info');
    }
  });
});
