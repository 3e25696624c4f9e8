// emqx_rule_engine in `bin/emqx foreground` with the shipped etc/ (loaded by default, as EMQX's
// loaded_plugins has it), unloaded and loaded with `emqx_ctl plugins`, rules made through bin/emqx_ctl and the HTTP API on the management
// listener, messages through real MQTT clients.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { closeAll, connect, spawnNode, waitFor, type NodeProcess } from './helpers';

jest.setTimeout(30000);
let node: NodeProcess;
let dir: string;
const ADMIN = 'Basic ' + Buffer.from('admin:public').toString('base64');

async function http(method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`http://127.0.0.1:${node.ports.mgmt}/api/v4${path}`, { method, headers: { authorization: ADMIN }, body: body === undefined ? undefined : JSON.stringify(body) });
  return r.json();
}

function next(c: MqttClient): Promise<{ topic: string; payload: string }> {
  return new Promise((r) => c.once('message', (topic, p) => r({ topic, payload: p.toString() })));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-rule-engine-'));
  node = await spawnNode({ EMQX_NODE__DATA_DIR: dir, EMQX_LOG__LEVEL: 'info' });
  await waitFor(() => node.output().includes(`listener on 127.0.0.1:${node.ports.mgmt}`), 10000, 'management listener');
});
afterEach(() => closeAll());
afterAll(async () => {
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('on by default as in EMQX; rules create, republish, API, unload and load again', async () => {
  expect(await node.ctl('plugins', 'list')).toMatch(/Plugin\(emqx_rule_engine, description=EMQ X Rule Engine, active=true/);
  const out = await node.ctl('rules', 'create', 'SELECT payload.x AS x FROM "t/#" WHERE payload.x > 10',
    '[{"name":"republish","params":{"target_topic":"big/x","payload_tmpl":"${x}"}}]');
  expect(out).toMatch(/^Rule rule:[0-9a-f]{8} created\n$/);
  const sub = await connect(`mqtt://127.0.0.1:${node.ports.tcp}`, { protocolVersion: 5 });
  await sub.subscribeAsync('big/x', { qos: 1 });
  const pub = await connect(`mqtt://127.0.0.1:${node.ports.tcp}`, { protocolVersion: 4 });
  const got = next(sub);
  await pub.publishAsync('t/a', '{"x": 3}', { qos: 1 });
  await pub.publishAsync('t/a', '{"x": 30}', { qos: 1 });
  expect(await got).toEqual({ topic: 'big/x', payload: '30' });

  const created = await http('POST', '/rules', { rawsql: 'SELECT upper(payload) AS u FROM "up/#"', actions: [{ name: 'republish', params: { target_topic: 'up2', payload_tmpl: '${u}' } }] });
  expect(created.code).toBe(0);
  await sub.subscribeAsync('up2', { qos: 1 });
  const up = next(sub);
  await pub.publishAsync('up/1', 'shout', { qos: 1 });
  expect(await up).toEqual({ topic: 'up2', payload: 'SHOUT' });
  const list = await http('GET', '/rules');
  expect(list.data).toHaveLength(2);
  expect(await http('POST', '/rules?test=true', { rawsql: 'SELECT payload.a AS a FROM "t/#"', ctx: { payload: '{"a": 1}' } })).toEqual({ code: 0, data: { a: 1 } });
  expect((await http('GET', '/rule_events')).data.length).toBeGreaterThan(5);

  expect(await node.ctl('plugins', 'unload', 'emqx_rule_engine')).toBe('Plugin emqx_rule_engine unloaded successfully.\n');
  await pub.publishAsync('t/a', '{"x": 99}', { qos: 1 });
  expect(pub.connected).toBe(true);
  // loaded again, the rules saved in data_dir come back
  expect(await node.ctl('plugins', 'load', 'emqx_rule_engine')).toBe('Plugin emqx_rule_engine loaded successfully.\n');
  expect((await http('GET', '/rules')).data).toHaveLength(2);
});
