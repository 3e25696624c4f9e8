// emqx_modules end to end: a broker with the plugin loaded from dist/, real mqtt.js clients
// (v3.1.1 and v5), emqx_ctl through node.ctl and the HTTP API routes through the node's route table.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';
import { waitFor } from '../../../test/integration/helpers';

const ROOT = join(__dirname, '../../..');
let dir: string;
let node: BrokerNode;
let url: string;
const clients: MqttClient[] = [];

const CONF = [
  'module.presence.qos = 1',
  'module.subscription.1.topic = dev/%c/cmd',
  'module.subscription.1.qos = 1',
  'module.subscription.2.topic = user/%u/#',
  'module.subscription.2.qos = 2',
  'module.subscription.2.nl = 1',
  'module.rewrite.pub.rule.1 = x/# ^x/y/(.+)$ z/y/$1',
  'module.rewrite.sub.rule.1 = y/+/z/# ^y/(.+)/z/(.+)$ y/z/$2',
].join('\n') + '\n';

async function start(): Promise<void> {
  node = await createBroker({
    logger: createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  url = `mqtt://127.0.0.1:${node.listeners[0]!.port}`;
  // the retainer too: a delayed retained message is retained when it is published
  if (!node.plugins!.isLoaded('emqx_retainer')) await node.plugins!.load('emqx_retainer');
  if (!node.plugins!.isLoaded('emqx_modules')) await node.plugins!.load('emqx_modules');
}

async function stopNode(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
  await node.stop();
}

function client(opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

/** a client that keeps every message it gets */
async function watcher(opts: IClientOptions = {}): Promise<{ c: MqttClient; got: Array<{ topic: string; payload: string; at: number }> }> {
  const c = await client({ protocolVersion: 5, ...opts });
  const got: Array<{ topic: string; payload: string; at: number }> = [];
  c.on('message', (topic, p) => got.push({ topic, payload: p.toString(), at: Date.now() }));
  return { c, got };
}

const ctl = async (...args: string[]): Promise<string> => (await node.ctl.run(args)).output;

async function callApi(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const m = node.apiRoutes.match(method, path, 'management');
  if (!m) throw new Error(`no route ${method} ${path}`);
  return (await m.handler({ method: method as 'GET', path, params: m.params, query: {}, body, headers: {}, user: 'test', listener: 'management' })) as Record<string, unknown>;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-modules-e2e-'));
  writeFileSync(join(dir, 'emqx_modules.conf'), CONF);
  writeFileSync(join(dir, 'emqx_retainer.conf'), '');
  await start();
}, 30_000);

afterAll(async () => {
  await stopNode();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

test("no loaded_modules: EMQX's defaults, written to <data_dir>/loaded_modules; modules list prints EMQX's lines", async () => {
  expect(await ctl('modules', 'list')).toBe(
    'Module(emqx_mod_acl_internal, description=EMQ X Internal ACL Module, active=true)\n' +
    'Module(emqx_mod_presence, description=EMQ X Presence Module, active=true)\n' +
    'Module(emqx_mod_subscription, description=EMQ X Subscription Module, active=false)\n' +
    'Module(emqx_mod_rewrite, description=EMQ X Topic Rewrite Module, active=false)\n' +
    'Module(emqx_mod_delayed, description=EMQ X Delayed Publish Module, active=false)\n' +
    'Module(emqx_mod_topic_metrics, description=EMQ X Topic Metrics Module, active=false)\n');
  expect(readFileSync(join(dir, 'loaded_modules'), 'utf8')).toBe(
    '{emqx_mod_acl_internal, true}.\n{emqx_mod_presence, true}.\n{emqx_mod_subscription, false}.\n' +
    '{emqx_mod_rewrite, false}.\n{emqx_mod_delayed, false}.\n{emqx_mod_topic_metrics, false}.\n');
});

test('emqx_ctl modules: usage and EMQX error strings', async () => {
  expect(await ctl('modules')).toBe(
    'modules list            # Show loaded modules\n' +
    'modules load <Module>   # Load module\n' +
    'modules unload <Module> # Unload module\n' +
    'modules reload <Module> # Reload module\n');
  expect(await ctl('modules', 'load', 'emqx_mod_nope')).toBe('Load module emqx_mod_nope error: not_found.\n');
  expect(await ctl('modules', 'load', 'emqx_mod_presence')).toBe('Load module emqx_mod_presence error: already_started.\n');
  expect(await ctl('modules', 'unload', 'emqx_mod_delayed')).toBe('Unload module emqx_mod_delayed error: not_started.\n');
  expect(await ctl('modules', 'reload', 'emqx_mod_delayed')).toBe('Module emqx_mod_delayed is not a acl module, and does not support reload.\n');
});

test('emqx_mod_presence: the $SYS connected event stops while unloaded and comes back when loaded', async () => {
  const w = await watcher({ clientId: 'presence-watch' });
  await w.c.subscribeAsync([`$SYS/brokers/+/clients/+/connected`, 'marker/#'], { qos: 1 });
  const pres = (id: string): unknown[] => w.got.filter((g) => g.topic === `$SYS/brokers/${node.nodeName}/clients/${id}/connected`);
  await client({ clientId: 'pr1', protocolVersion: 4 });
  await waitFor(() => pres('pr1').length === 1, 5000, 'the presence event of pr1');
  expect(JSON.parse((pres('pr1')[0] as { payload: string }).payload)).toMatchObject({ clientid: 'pr1', proto_ver: 4 });

  expect(await ctl('modules', 'unload', 'emqx_mod_presence')).toBe('Module emqx_mod_presence unloaded successfully.\n');
  const c2 = await client({ clientId: 'pr2', protocolVersion: 4 });
  // the presence event would be published before pr2's CONNACK: a marker sent after it comes later
  await c2.publishAsync('marker/pr2', 'm', { qos: 1 });
  await waitFor(() => w.got.some((g) => g.topic === 'marker/pr2'), 5000, 'the marker');
  expect(pres('pr2')).toHaveLength(0);
  expect(readFileSync(join(dir, 'loaded_modules'), 'utf8')).toContain('{emqx_mod_presence, false}.\n');

  expect(await ctl('modules', 'load', 'emqx_mod_presence')).toBe('Module emqx_mod_presence loaded successfully.\n');
  await client({ clientId: 'pr3', protocolVersion: 5 });
  await waitFor(() => pres('pr3').length === 1, 5000, 'the presence event of pr3');
});

test('emqx_mod_subscription: %c and %u subscriptions at connect, options for MQTT 5 (No Local), v3.1.1 keeps %u without a username', async () => {
  expect(await ctl('modules', 'load', 'emqx_mod_subscription')).toBe('Module emqx_mod_subscription loaded successfully.\n');
  const c5 = await watcher({ clientId: 'c5', username: 'bob', protocolVersion: 5 });
  await waitFor(async () => (await ctl('subscriptions', 'show', 'c5')).split('\n').filter(Boolean).length === 2, 5000, 'c5 subscribed by the broker');
  expect((await ctl('subscriptions', 'show', 'c5')).split('\n').filter(Boolean).sort()).toEqual(['c5 -> dev/c5/cmd:1', 'c5 -> user/bob/#:2']);
  const other = await client({ clientId: 'sender', protocolVersion: 4 });
  await other.publishAsync('dev/c5/cmd', 'reboot', { qos: 1 });
  await waitFor(() => c5.got.some((g) => g.topic === 'dev/c5/cmd' && g.payload === 'reboot'), 5000, 'c5 to get its command');
  // No Local: c5's own message to user/bob/x is not sent back; the sender's to user/bob/y is
  await c5.c.publishAsync('user/bob/x', 'own', { qos: 1 });
  await other.publishAsync('user/bob/y', 'theirs', { qos: 1 });
  await waitFor(() => c5.got.some((g) => g.topic === 'user/bob/y'), 5000, 'c5 to get user/bob/y');
  expect(c5.got.filter((g) => g.topic === 'user/bob/x')).toHaveLength(0);

  await client({ clientId: 'c4', protocolVersion: 4 });
  await waitFor(async () => (await ctl('subscriptions', 'show', 'c4')).split('\n').filter(Boolean).length === 2, 5000, 'c4 subscribed by the broker');
  expect((await ctl('subscriptions', 'show', 'c4')).split('\n').filter(Boolean).sort()).toEqual(['c4 -> dev/c4/cmd:1', 'c4 -> user/%u/#:2']);

  expect(await ctl('modules', 'unload', 'emqx_mod_subscription')).toBe('Module emqx_mod_subscription unloaded successfully.\n');
  await client({ clientId: 'c6', protocolVersion: 5 });
  await client({ clientId: 'c6-after', protocolVersion: 5 });
  // c6's subscription would be made on the turn after its CONNACK; one later client's round trip is past it
  expect(await ctl('subscriptions', 'show', 'c6')).toBe('Not Found.\n');
});

test('emqx_mod_rewrite: publish and subscribe topics rewritten by the first matching rule, $N from the regex', async () => {
  expect(await ctl('modules', 'load', 'emqx_mod_rewrite')).toBe('Module emqx_mod_rewrite loaded successfully.\n');
  const w = await watcher({ clientId: 'rw-sub' });
  await w.c.subscribeAsync('z/y/#', { qos: 1 });
  await w.c.subscribeAsync('y/a/z/b', { qos: 1 }); // → y/z/b
  expect((await ctl('subscriptions', 'show', 'rw-sub')).split('\n').filter(Boolean).sort()).toEqual(['rw-sub -> y/z/b:1', 'rw-sub -> z/y/#:1']);
  const p = await client({ clientId: 'rw-pub', protocolVersion: 4 });
  await p.publishAsync('x/y/1', 'one', { qos: 1 }); // → z/y/1
  await p.publishAsync('x/q', 'no-regex-match', { qos: 1 }); // filter matches, regex not: stays x/q
  await p.publishAsync('y/z/b', 'two', { qos: 1 });
  await waitFor(() => w.got.length >= 2, 5000, 'two rewritten messages');
  expect(w.got.map((g) => [g.topic, g.payload])).toEqual([['z/y/1', 'one'], ['y/z/b', 'two']]);
  expect(await ctl('modules', 'unload', 'emqx_mod_rewrite')).toBe('Module emqx_mod_rewrite unloaded successfully.\n');
  const w2 = await watcher({ clientId: 'rw-sub2' });
  await w2.c.subscribeAsync('x/y/#', { qos: 1 });
  await p.publishAsync('x/y/2', 'plain', { qos: 1 });
  await waitFor(() => w2.got.length === 1, 5000, 'the message under its own topic');
  expect(w2.got[0]!.topic).toBe('x/y/2');
});

test('emqx_mod_topic_metrics through the API: register, counts in/out/qos/dropped, wildcards refused, unregister', async () => {
  expect(await callApi('GET', '/topic-metrics')).toEqual({ code: 102, message: 'Topic metrics module not loaded' });
  expect(await callApi('PUT', '/modules/emqx_mod_topic_metrics/load')).toEqual({ code: 0 });
  expect(await callApi('POST', '/topic-metrics', { topic: 'tm/a' })).toEqual({ code: 0 });
  expect(await callApi('POST', '/topic-metrics', { topic: 'tm/+' })).toEqual({ code: 115, message: 'Topic with wildcards is not supported' });
  expect(await callApi('POST', '/topic-metrics', { topic: 'tm/a' })).toMatchObject({ code: 102 });
  const p = await client({ clientId: 'tm-pub', protocolVersion: 5 });
  await p.publishAsync('tm/a', 'nobody', { qos: 0 }); // no subscriber yet: dropped
  const w = await watcher({ clientId: 'tm-sub' });
  await w.c.subscribeAsync('tm/#', { qos: 2 });
  for (let i = 0; i < 3; i++) await p.publishAsync('tm/a', `m${i}`, { qos: 1 });
  await p.publishAsync('tm/b', 'unregistered', { qos: 1 });
  await waitFor(() => w.got.length === 4, 5000, 'four messages');
  const one = await callApi('GET', '/topic-metrics/tm%2Fa');
  expect(one.code).toBe(0);
  expect(one.data).toMatchObject({
    'messages.in.count': 4, 'messages.qos0.in.count': 1, 'messages.qos1.in.count': 3, 'messages.qos2.in.count': 0,
    'messages.out.count': 3, 'messages.qos1.out.count': 3, 'messages.dropped.count': 1,
  });
  expect(Object.keys(one.data as object)).toHaveLength(18);
  const all = await callApi('GET', '/topic-metrics');
  expect(all.data).toEqual([{ topic: 'tm/a', create_time: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/), metrics: expect.objectContaining({ 'messages.in.count': 4 }) }]);
  expect(await callApi('DELETE', '/topic-metrics/tm%2Fa')).toEqual({ code: 0 });
  expect(await callApi('GET', '/topic-metrics/tm%2Fa')).toEqual({ code: 115, message: 'Topic not found' });
  expect(await callApi('DELETE', '/topic-metrics')).toEqual({ code: 0 });
  expect(await callApi('PUT', '/modules/emqx_mod_topic_metrics/unload')).toEqual({ code: 0 });
  expect(await callApi('PUT', '/modules/emqx_mod_topic_metrics/unload')).toEqual({ code: 102, message: 'not_started' });
});

test('GET /modules and /nodes/:node/modules list the modules of this node', async () => {
  const r = await callApi('GET', '/modules');
  expect(r.code).toBe(0);
  const [row] = r.data as Array<{ node: string; modules: Array<{ name: string; active: boolean }> }>;
  expect(row!.node).toBe(node.nodeName);
  expect(row!.modules.map((m) => m.name)).toContain('emqx_mod_delayed');
  expect(await callApi('GET', `/nodes/${encodeURIComponent(node.nodeName)}/modules`)).toMatchObject({ code: 0, data: row!.modules });
});

test('emqx_mod_delayed: $delayed/<seconds>/<topic> is published after the delay, and survives a restart', async () => {
  expect(await ctl('modules', 'load', 'emqx_mod_delayed')).toBe('Module emqx_mod_delayed loaded successfully.\n');
  const w = await watcher({ clientId: 'dl-sub' });
  await w.c.subscribeAsync('later/#', { qos: 1 });
  const p = await client({ clientId: 'dl-pub', protocolVersion: 4 });
  const t0 = Date.now();
  await p.publishAsync('$delayed/1/later/one', 'after 1s', { qos: 1 });
  await waitFor(() => w.got.length === 1, 5000, 'the delayed message');
  expect(w.got[0]).toMatchObject({ topic: 'later/one', payload: 'after 1s' });
  expect(w.got[0]!.at - t0).toBeGreaterThanOrEqual(950);

  // held across a restart: the file in data_dir keeps it; the module is loaded again from loaded_modules
  await p.publishAsync('$delayed/2/later/two', 'after restart', { qos: 1, retain: true });
  await waitFor(() => existsSync(join(dir, 'delayed_messages.json')) && readFileSync(join(dir, 'delayed_messages.json'), 'utf8').includes('later/two'), 5000, 'the held message on disk');
  const t1 = Date.now();
  await stopNode();
  await start();
  expect(await ctl('modules', 'list')).toContain('Module(emqx_mod_delayed, description=EMQ X Delayed Publish Module, active=true)\n');
  const w2 = await watcher({ clientId: 'dl-sub2' });
  await w2.c.subscribeAsync('later/#', { qos: 1 });
  await waitFor(() => w2.got.some((g) => g.topic === 'later/two'), 8000, 'the held message after the restart');
  expect(Date.now() - t1).toBeGreaterThanOrEqual(1900);
  // it was retained: a new subscriber gets it too
  const w3 = await watcher({ clientId: 'dl-sub3' });
  await w3.c.subscribeAsync('later/two', { qos: 1 });
  await waitFor(() => w3.got.length === 1, 5000, 'the retained delayed message');
  expect(readFileSync(join(dir, 'delayed_messages.json'), 'utf8')).toBe('[]');
  // only the published message is retained, not the $delayed/ one
  const retained = (await ctl('retainer', 'topics')).split('\n').filter((t) => t !== '' && !t.startsWith('$SYS/'));
  expect(retained).toEqual(['later/two']);
}, 30_000);

test('unloading emqx_modules with traffic flowing: QoS 1 publishing goes on, rewrite stops, loading again restores the loaded modules', async () => {
  expect(await ctl('modules', 'load', 'emqx_mod_rewrite')).toBe('Module emqx_mod_rewrite loaded successfully.\n');
  const w = await watcher({ clientId: 'flow-sub' });
  await w.c.subscribeAsync(['z/y/#', 'x/y/#'], { qos: 1 });
  const p = await client({ clientId: 'flow-pub', protocolVersion: 5 });
  let acked = 0;
  let stop = false;
  const loop = (async () => {
    for (let i = 0; !stop; i++) {
      await p.publishAsync(`x/y/${i}`, 'f', { qos: 1 });
      acked++;
    }
  })();
  await waitFor(() => w.got.filter((g) => g.topic.startsWith('z/y/')).length >= 20, 10000, 'rewritten traffic');
  expect(await ctl('plugins', 'unload', 'emqx_modules')).toBe('Plugin emqx_modules unloaded successfully.\n');
  const at = acked;
  await waitFor(() => acked >= at + 50, 10000, 'publishing to go on');
  await waitFor(() => w.got.some((g) => g.topic.startsWith('x/y/')), 10000, 'messages under their own topic once rewrite is gone');
  stop = true;
  await loop;
  expect(await ctl('modules', 'list')).toMatch(/^Command Not Found: modules/);
  expect(await ctl('plugins', 'load', 'emqx_modules')).toBe('Plugin emqx_modules loaded successfully.\n');
  expect(await ctl('modules', 'list')).toContain('Module(emqx_mod_rewrite, description=EMQ X Topic Rewrite Module, active=true)\n');
  expect(await ctl('modules', 'list')).toContain('Module(emqx_mod_delayed, description=EMQ X Delayed Publish Module, active=true)\n');
}, 30_000);

test('a bad rewrite rule refuses the load with the key at fault; the broker goes on', async () => {
  await node.plugins!.unload('emqx_modules');
  writeFileSync(join(dir, 'emqx_modules.conf'), 'module.rewrite.pub.rule.1 = x/# ^x((\n');
  const out = await ctl('plugins', 'load', 'emqx_modules');
  expect(out).toContain('module.rewrite.pub.rule.1: expected "<topic filter> <regex> <destination>"');
  writeFileSync(join(dir, 'emqx_modules.conf'), 'module.rewrite.pub.rule.1 = x/# ^x(( y\n');
  expect(await ctl('plugins', 'load', 'emqx_modules')).toContain('module.rewrite.pub.rule.1: bad regex "^x(("');
  const c = await client({ clientId: 'after-bad-conf', protocolVersion: 5 });
  await c.publishAsync('t/ok', 'still up', { qos: 1 });
  writeFileSync(join(dir, 'emqx_modules.conf'), CONF);
  expect(await ctl('plugins', 'load', 'emqx_modules')).toBe('Plugin emqx_modules loaded successfully.\n');
});
