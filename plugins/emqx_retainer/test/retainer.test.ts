// emqx_retainer as a plugin: EMQX conf keys and ctl strings, run-time unload/load.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';

const ROOT = join(__dirname, '../../..');
let node: BrokerNode;
let dir: string;
let url: string;
const clients: MqttClient[] = [];

async function start(conf = ''): Promise<void> {
  writeFileSync(join(dir, 'emqx_retainer.conf'), conf);
  node = await createBroker({
    logger: createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  url = `mqtt://127.0.0.1:${node.listeners[0]!.port}`;
  // after a restart data/loaded_plugins already brought it back
  if (!node.plugins!.isLoaded('emqx_retainer')) await node.plugins!.load('emqx_retainer');
}

function client(): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

/** subscribes and returns the retained payloads that arrive within 150 ms */
async function retainedFor(filter: string): Promise<string[]> {
  const c = await client();
  const got: string[] = [];
  c.on('message', (_t, p, pkt) => { if (pkt.retain) got.push(p.toString()); });
  await c.subscribeAsync(filter, { qos: 1 });
  await new Promise((r) => setTimeout(r, 150));
  return got;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-retainer-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('[MQTT-3.3.1-6] retained messages reach new subscribers; retainer info/topics/clean print EMQX strings', async () => {
  await start();
  const p = await client();
  await p.publishAsync('r/a', 'A', { qos: 1, retain: true });
  await p.publishAsync('r/b', 'B', { qos: 1, retain: true });
  expect((await retainedFor('r/+')).sort()).toEqual(['A', 'B']);
  expect((await node.ctl.run(['retainer', 'info'])).output).toBe('retained/total: 2\n');
  expect((await node.ctl.run(['retainer', 'topics'])).output.split('\n').filter(Boolean).sort()).toEqual(['r/a', 'r/b']);
  expect(node.statsSnapshot()['retained.count']).toBe(2);
  expect((await node.ctl.run(['retainer', 'clean', 'r/a'])).output).toBe('Cleaned 1 retained messages\n');
  expect((await node.ctl.run(['retainer', 'clean'])).output).toBe('Cleaned 1 retained messages\n');
  expect(await retainedFor('r/+')).toEqual([]);
  expect((await node.ctl.run(['retainer', 'nope'])).output).toContain('retainer info');
});

test('unloading the retainer stops retained delivery; loading it again brings it back', async () => {
  await start();
  const p = await client();
  await p.publishAsync('u/t', 'kept', { qos: 1, retain: true });
  await node.plugins!.unload('emqx_retainer');
  expect(await retainedFor('u/t')).toEqual([]);
  await p.publishAsync('u/t2', 'while-off', { qos: 1, retain: true });
  await node.plugins!.load('emqx_retainer');
  expect(await retainedFor('u/t')).toEqual(['kept']);
  expect(await retainedFor('u/t2')).toEqual([]);
  expect(p.connected).toBe(true);
});

test('retainer.max_payload_size and max_retained_messages limit what is kept', async () => {
  await start('retainer.max_payload_size = 4\nretainer.max_retained_messages = 1\n');
  const p = await client();
  await p.publishAsync('l/big', 'too long', { qos: 1, retain: true });
  await p.publishAsync('l/1', 'one', { qos: 1, retain: true });
  await p.publishAsync('l/2', 'two', { qos: 1, retain: true });
  expect(await retainedFor('l/#')).toEqual(['one']);
});

test('retainer.stop_publish_clear_msg: an empty retained PUBLISH clears without being forwarded', async () => {
  await start('retainer.stop_publish_clear_msg = true\n');
  const sub = await client();
  const live: string[] = [];
  sub.on('message', (t) => live.push(t));
  await sub.subscribeAsync('c/t', { qos: 1 });
  const p = await client();
  await p.publishAsync('c/t', 'x', { qos: 1, retain: true });
  await p.publishAsync('c/t', '', { qos: 1, retain: true });
  await new Promise((r) => setTimeout(r, 150));
  expect(live).toEqual(['c/t']);
  expect(await retainedFor('c/t')).toEqual([]);
});

test('storage_type = disc keeps retained messages across a node restart', async () => {
  await start('retainer.storage_type = disc\n');
  const p = await client();
  await p.publishAsync('d/t', 'durable', { qos: 1, retain: true });
  await Promise.all(clients.splice(0).map((c) => c.endAsync()));
  await node.stop();
  await start('retainer.storage_type = disc\n');
  expect(await retainedFor('d/t')).toEqual(['durable']);
});
