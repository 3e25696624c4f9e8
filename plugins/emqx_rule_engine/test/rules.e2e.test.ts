// emqx_rule_engine end to end: a node with the plugin, real MQTT clients (v3.1.1 and v5),
// rules made through emqx_ctl and the HTTP API routes, a real HTTP server for data_to_webserver.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';

jest.setTimeout(20000);
const ROOT = join(__dirname, '../../..');
let node: BrokerNode;
let dir: string;
let url: string;
const clients: MqttClient[] = [];

async function start(conf = ''): Promise<void> {
  writeFileSync(join(dir, 'emqx_rule_engine.conf'), conf);
  node = await createBroker({
    logger: createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  url = `mqtt://127.0.0.1:${node.listeners[0]!.port}`;
  if (!node.plugins!.isLoaded('emqx_rule_engine')) await node.plugins!.load('emqx_rule_engine');
}

function client(opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, ...opts });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

/** messages on `filter`, resolved once `n` arrived (fails the test on timeout) */
async function collect(filter: string, n: number, opts: mqtt.IClientOptions = {}): Promise<{ done: Promise<Array<{ topic: string; payload: string; qos: number }>>; c: MqttClient }> {
  const c = await client(opts);
  const got: Array<{ topic: string; payload: string; qos: number }> = [];
  let resolve!: (v: typeof got) => void;
  const done = new Promise<typeof got>((r) => { resolve = r; });
  c.on('message', (topic, p, pkt) => {
    got.push({ topic, payload: p.toString(), qos: pkt.qos });
    if (got.length === n) resolve(got);
  });
  await c.subscribeAsync(filter, { qos: 1 });
  return { done, c };
}

async function ctl(...args: string[]): Promise<string> {
  return (await node.ctl.run(args)).output;
}

async function api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, query: Record<string, string> = {}): Promise<any> {
  const m = node.apiRoutes.match(method, path, 'management');
  if (!m) throw new Error(`no route ${method} ${path}`);
  return m.handler({ method, path, params: m.params, query, body, headers: {}, user: 'admin', listener: 'management' });
}

const ruleId = (out: string): string => /^Rule (rule:[0-9a-f]{8}) created\n$/.exec(out)![1]!;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-rules-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a rule made with emqx_ctl republishes transformed messages (v3.1.1 in, v5 out); metrics count', async () => {
  await start();
  const out = await ctl('rules', 'create', 'SELECT payload.x AS x, clientid FROM "t/#" WHERE payload.x > 10',
    '[{"name":"republish","params":{"target_topic":"out/${clientid}","target_qos":1,"payload_tmpl":"x=${x}"}}]', '-d', 'big x');
  const id = ruleId(out);
  const sub = await collect('out/#', 1);
  const pub = await client({ protocolVersion: 4, clientId: 'pub1' });
  await pub.publishAsync('t/1', JSON.stringify({ x: 5 }), { qos: 1 });
  await pub.publishAsync('t/2', JSON.stringify({ x: 20 }), { qos: 1 });
  await pub.publishAsync('other', JSON.stringify({ x: 30 }), { qos: 1 });
  expect(await sub.done).toEqual([{ topic: 'out/pub1', payload: 'x=20', qos: 1 }]);
  const show = await ctl('rules', 'show', id);
  expect(show).toMatch(new RegExp(`^rule\\(id='${id}', for='\\[<<"t/#">>\\]', rawsql='SELECT payload.x AS x, clientid FROM "t/#" WHERE payload.x > 10', actions=<<"\\[\\{\\\\"fallbacks\\\\":\\[\\],\\\\"id\\\\":\\\\"republish_[0-9a-f]{8}\\\\"`));
  expect(show).toContain("metrics=[#{exception => 0,failed => 0,matched => 2,no_result => 1,node => 'emqx@127.0.0.1',passed => 1,speed => 0,speed_last5m => 0,speed_max => 0}]");
  expect(show).toMatch(/enabled='true', description='big x'\)\n$/);
  expect(await ctl('rules', 'list')).toBe(show);
  expect(await ctl('rules', 'delete', id)).toBe('ok\n');
  expect(await ctl('rules', 'show', id)).toBe(`Cannot found ${id}\n`);
  expect(await ctl('rules', 'list')).toBe('');
});

test('bad SQL or an unknown action is refused with a clear message; the node keeps serving', async () => {
  await start();
  expect(await ctl('rules', 'create', 'SELECT FROM "t"', '[]')).toMatch(/^Invalid options: .*expected a value/);
  expect(await ctl('rules', 'create', 'SELECT * FROM "t"', '[{"name":"nope"}]')).toBe('Invalid options: Action nope Not Found\n');
  expect(await ctl('rules', 'create', 'SELECT * FROM "t"', 'not json')).toMatch(/^Invalid options: \{invalid_action_params/);
  expect(await ctl('rules', 'create', 'SELECT * FROM "t"', '[{"name":"republish","params":{"target_topic":"a/#"}}]')).toMatch(/^Invalid options: .*bad target_topic/);
  expect(await ctl('rules')).toContain('rules list');
  const c = await client();
  expect(c.connected).toBe(true);
});

test('an exception in a rule (division by zero) is counted; messages still flow', async () => {
  await start();
  const id = ruleId(await ctl('rules', 'create', 'SELECT 1 / payload.z AS v FROM "e/#"', '[{"name":"do_nothing"}]'));
  const sub = await collect('e/#', 1);
  const pub = await client();
  await pub.publishAsync('e/1', '{"z":0}', { qos: 1 });
  await sub.done;
  const r = (await api('GET', `/rules/${id}`)).data;
  expect(r.metrics[0]).toMatchObject({ matched: 1, exception: 1, passed: 0 });
});

test('FOREACH ... DO ... INCASE republishes one message per item', async () => {
  await start();
  await ctl('rules', 'create', 'FOREACH payload.sensors AS s DO s.name AS name, clientid INCASE s.v > 1 FROM "f/#"',
    '[{"name":"republish","params":{"target_topic":"each/${name}","payload_tmpl":"${clientid}"}}]');
  const sub = await collect('each/#', 2);
  const pub = await client({ clientId: 'fe' });
  await pub.publishAsync('f/1', JSON.stringify({ sensors: [{ name: 'a', v: 1 }, { name: 'b', v: 2 }, { name: 'c', v: 3 }] }), { qos: 1 });
  expect((await sub.done).map((m) => [m.topic, m.payload])).toEqual([['each/b', 'fe'], ['each/c', 'fe']]);
});

test('republishing onto a topic the rule reads is stopped after one hop', async () => {
  await start();
  const id = ruleId(await ctl('rules', 'create', 'SELECT payload FROM "loop/#"', '[{"name":"republish","params":{"target_topic":"loop/again"}}]'));
  const sub = await collect('loop/#', 2);
  const pub = await client();
  await pub.publishAsync('loop/start', 'p', { qos: 1 });
  const got = await sub.done;
  // the rule runs inside message.publish, before the original is routed (as EMQX)
  expect(got.map((m) => m.topic).sort()).toEqual(['loop/again', 'loop/start']);
  // the second run of the action is refused (recursive republish) and counted as failed
  const r = (await api('GET', `/rules/${id}`)).data;
  expect(r.actions[0].metrics[0]).toMatchObject({ taken: 2, success: 1, failed: 1 });
});

test('event topics: $events/client_connected, session_subscribed, message_delivered, message_acked, message_dropped, client_disconnected', async () => {
  await start();
  const mk = (from: string, to: string): Promise<string> => ctl('rules', 'create', `SELECT * FROM "${from}" WHERE clientid = 'evc'`, JSON.stringify([{ name: 'republish', params: { target_topic: to, payload_tmpl: '' } }]));
  for (const e of ['client_connected', 'client_disconnected', 'session_subscribed', 'session_unsubscribed', 'message_delivered', 'message_acked', 'message_dropped']) {
    ruleId(await mk(`$events/${e}`, `ev/${e}`));
  }
  const need = ['client_connected', 'session_subscribed', 'session_unsubscribed', 'message_delivered', 'message_acked', 'message_dropped', 'client_disconnected'];
  const watch = await collect('ev/#', 1);
  const rows: Record<string, any> = {};
  let all!: () => void;
  const allSeen = new Promise<void>((r) => { all = r; });
  watch.c.removeAllListeners('message');
  watch.c.on('message', (t, p) => {
    rows[t.slice(3)] ??= JSON.parse(p.toString());
    if (need.every((k) => rows[k])) all();
  });
  const a = await client({ clientId: 'evc', username: 'evu', protocolVersion: 4 });
  await a.subscribeAsync('x/y', { qos: 1 });
  await a.unsubscribeAsync('x/y');
  await a.subscribeAsync('d/t', { qos: 1 });
  await a.publishAsync('d/t', 'hello', { qos: 1 });
  await a.publishAsync('nobody/here', 'lost', { qos: 0 });
  await a.endAsync();
  await allSeen;
  expect(Object.keys(rows).sort()).toEqual([...need].sort());
  expect(rows.client_connected).toMatchObject({ event: 'client.connected', node: 'emqx@127.0.0.1', proto_ver: 4, proto_name: 'MQTT', clean_start: true, keepalive: 60, is_bridge: false });
  expect(typeof rows.client_connected.connected_at).toBe('number');
  const sub = rows.session_subscribed;
  expect(sub).toMatchObject({ event: 'session.subscribed', clientid: 'evc', username: 'evu', topic: 'x/y', qos: 1 });
  expect(rows.session_unsubscribed).toMatchObject({ event: 'session.unsubscribed', clientid: 'evc', topic: 'x/y' });
  expect(rows.message_delivered).toMatchObject({ event: 'message.delivered', from_clientid: 'evc', clientid: 'evc', topic: 'd/t', payload: 'hello', qos: 1 });
  expect(rows.message_acked).toMatchObject({ event: 'message.acked', clientid: 'evc', topic: 'd/t', payload: 'hello' });
  expect(rows.message_dropped).toMatchObject({ event: 'message.dropped', clientid: 'evc', topic: 'nobody/here', payload: 'lost', reason: 'no_subscribers' });
  expect(rows.client_disconnected).toMatchObject({ event: 'client.disconnected', clientid: 'evc', username: 'evu', reason: 'normal' });
});

test('rule_engine.events.client_connected = on, qos1 publishes $events/client_connected as JSON', async () => {
  await start('rule_engine.events.client_connected = on, qos1\n');
  const watch = await collect('$events/client_connected', 1);
  await client({ clientId: 'ev-on', username: 'u' });
  const [m] = await watch.done;
  expect(m!.qos).toBe(1);
  expect(JSON.parse(m!.payload)).toMatchObject({ event: 'client.connected', clientid: 'ev-on', username: 'u', proto_ver: 5 });
});

test('HTTP API: create, list, show, update, test SQL, delete; actions, resource types and events', async () => {
  await start();
  const created = await api('POST', '/rules', { rawsql: 'SELECT payload.t AS t FROM "a/#" WHERE t > 1', actions: [{ name: 'republish', params: { target_topic: 'api/out', payload_tmpl: '${t}' } }], description: 'api rule' });
  expect(created.code).toBe(0);
  const id: string = created.data.id;
  expect(created.data).toMatchObject({ for: ['a/#'], enabled: true, on_action_failed: 'continue', description: 'api rule' });
  const sub = await collect('api/out', 1);
  const pub = await client();
  await pub.publishAsync('a/1', '{"t": 2}', { qos: 1 });
  expect((await sub.done)[0]!.payload).toBe('2');
  const list = await api('GET', '/rules');
  expect(list.data.map((r: any) => r.id)).toEqual([id]);
  expect(list.meta).toMatchObject({ page: 1, count: 1 });
  expect((await api('PUT', `/rules/${id}`, { enabled: false })).data.enabled).toBe(false);
  expect((await api('GET', `/rules/${id}`)).data.enabled).toBe(false);
  expect(await api('PUT', `/rules/${id}`, { enabled: 'yes' })).toMatchObject({ code: 400 });
  expect(await api('GET', '/rules/rule:nope')).toEqual({ code: 404, message: 'Not Found' });
  expect(await api('POST', '/rules', { rawsql: 'SELECT * FROM "t"', actions: [{ name: 'nope' }] })).toEqual({ code: 400, message: 'Bad Arguments: Action nope Not Found' });
  expect(await api('POST', '/rules', { rawsql: 'SELECT payload.x AS x FROM "t/#" WHERE x > 1', ctx: { payload: '{"x": 3}' } }, { test: 'true' })).toEqual({ code: 0, data: { x: 3 } });
  expect(await api('POST', '/rules', { rawsql: 'SELECT payload.x AS x FROM "t/#" WHERE x > 1', ctx: { payload: '{"x": 0}' } }, { test: 'true' })).toEqual({ code: 404, message: 'SQL Not Match' });
  expect(await api('DELETE', `/rules/${id}`)).toEqual({ code: 0 });
  expect((await api('GET', '/rules')).data).toEqual([]);
  const actions = (await api('GET', '/actions')).data.map((a: any) => a.name);
  expect(actions).toEqual(expect.arrayContaining(['republish', 'inspect', 'do_nothing', 'data_to_webserver']));
  expect((await api('GET', '/actions/republish')).data).toMatchObject({ name: 'republish', app: 'emqx_rule_engine', types: [] });
  expect((await api('GET', '/resource_types')).data.map((t: any) => t.name).sort()).toEqual(['built_in', 'web_hook']);
  expect((await api('GET', '/rule_events')).data.map((e: any) => e.event)).toContain('client.connected');
  expect(await ctl('rule-actions', 'show', 'republish')).toBe("action(name='republish', app='emqx_rule_engine', for='$any', types=[], title ='Republish', description='Republish a MQTT message to another topic')\n");
  expect(await ctl('resource-types', 'list')).toContain("resource_type(name='web_hook', provider='emqx_rule_engine', title ='WebHook', description='WebHook')\n");
});

test('data_to_webserver on a web_hook resource posts each result to a real HTTP server', async () => {
  const bodies: Array<{ url: string; body: string; ct: string | undefined }> = [];
  let notify!: () => void;
  const two = new Promise<void>((r) => { notify = r; });
  const server: Server = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => { b += d; });
    req.on('end', () => {
      bodies.push({ url: req.url!, body: b, ct: req.headers['content-type'] });
      res.end('ok');
      if (bodies.length === 2) notify();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await start();
    const port = (server.address() as { port: number }).port;
    const res = await ctl('resources', 'create', 'web_hook', '-c', JSON.stringify({ url: `http://127.0.0.1:${port}/hook` }), '-d', 'my hook');
    const resId = /^Resource (resource:[0-9a-f]{8}) created\n$/.exec(res)![1]!;
    expect(await ctl('resources', 'show', resId)).toBe(`resource(id='${resId}', type='web_hook', config=#{<<"url">> => <<"http://127.0.0.1:${port}/hook">>}, status=[#{is_alive => true,node => 'emqx@127.0.0.1'}], description='my hook')\n`);
    await ctl('rules', 'create', 'SELECT clientid, payload.v AS v FROM "w/#"', JSON.stringify([{ name: 'data_to_webserver', params: { $resource: resId, path: '/${clientid}' } }]));
    await ctl('rules', 'create', 'SELECT topic FROM "w/#"', JSON.stringify([{ name: 'data_to_webserver', params: { $resource: resId, body: 'topic=${topic}' } }]));
    const pub = await client({ clientId: 'web1' });
    await pub.publishAsync('w/1', '{"v": 7}', { qos: 1 });
    await two;
    const sorted = bodies.sort((a, b) => a.url.localeCompare(b.url));
    expect(sorted).toEqual([
      { url: '/hook', body: 'topic=w/1', ct: 'application/json' },
      { url: '/hook/web1', body: '{"clientid":"web1","v":7}', ct: 'application/json' },
    ]);
    expect(await ctl('resources', 'delete', resId)).toMatch(/^Cannot delete resource as Found rules \["rule:/);
  } finally {
    server.close();
  }
});

test('rules survive a node restart (data_dir) and stop with unload while traffic flows', async () => {
  await start();
  await ctl('rules', 'create', 'SELECT upper(payload) AS p FROM "r/#"', '[{"name":"republish","params":{"target_topic":"r2/out","payload_tmpl":"${p}"}}]', '-i', 'rule:keepme1');
  await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  await node.stop();
  await start();
  expect(await ctl('rules', 'show', 'rule:keepme1')).toMatch(/^rule\(id='rule:keepme1'/);
  const sub = await collect('r2/out', 1);
  const pub = await client();
  await pub.publishAsync('r/1', 'abc', { qos: 1 });
  expect((await sub.done)[0]!.payload).toBe('ABC');
  // unload while publishing: no more republishing, the publisher stays connected
  const flowing = (async () => { for (let i = 0; i < 50; i++) await pub.publishAsync('r/2', `m${i}`, { qos: 1 }); })();
  await node.plugins!.unload('emqx_rule_engine');
  await flowing;
  // the barrier: the same subscriber also gets r/3 itself; a rule would have republished before it
  const late: string[] = [];
  let seen!: () => void;
  const barrier = new Promise<void>((r) => { seen = r; });
  sub.c.on('message', (_t, p) => { late.push(p.toString()); if (p.toString() === 'after2') seen(); });
  await sub.c.subscribeAsync('r/3', { qos: 1 });
  await pub.publishAsync('r/3', 'after', { qos: 1 });
  await pub.publishAsync('r/3', 'after2', { qos: 1 });
  await barrier;
  expect(late).not.toContain('AFTER');
  expect(late).not.toContain('AFTER2');
  expect(pub.connected).toBe(true);
  expect((await node.ctl.run(['rules', 'list'])).output).not.toContain('rule(');
});
