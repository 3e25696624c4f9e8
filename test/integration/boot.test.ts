// The README's run path: bin/emqx foreground with the shipped etc/, ports moved by
// EMQX_* environment overrides; SIGTERM stops it gracefully.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suback } from '../authkit/mqtt';
import { connect, connectFrom, closeAll, collect, waitFor, spawnNode, CERTS, ROOT, type NodeProcess } from './helpers';

let node: NodeProcess | undefined;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-boot-'));
});
afterEach(async () => {
  await closeAll();
  await node?.stop();
  node = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('bin/emqx foreground serves TCP, TLS, WS and WSS from etc/emqx.conf; SIGTERM stops it with 0x8B', async () => {
  node = await spawnNode({ EMQX_NODE__DATA_DIR: join(dir, 'data1') });
  const { ports } = node;
  const ca = readFileSync(join(CERTS, 'cacert.pem'));
  const tcp = await connect(`mqtt://127.0.0.1:${ports.tcp}`, { protocolVersion: 5 });
  const got = collect(tcp);
  await tcp.subscribeAsync('boot/#', { qos: 1 });
  for (const [scheme, key, path] of [['mqtts', 'ssl', ''], ['ws', 'ws', '/mqtt'], ['wss', 'wss', '/mqtt']] as const) {
    const c = await connect(`${scheme}://localhost:${ports[key]}${path}`, { protocolVersion: 4, ca });
    await c.publishAsync(`boot/${key}`, key, { qos: 1 });
  }
  await waitFor(() => got.length === 3);
  expect(got.map((m) => m.payload).sort()).toEqual(['ssl', 'ws', 'wss']);
  const reasons: number[] = [];
  tcp.on('disconnect', (p: any) => reasons.push(p.reasonCode));
  expect(await node.stop()).toBe(0);
  expect(reasons).toEqual([0x8b]);
});

test('$SYS/brokers/<node>/version is retained and a localhost client may read it (shipped acl.conf)', async () => {
  node = await spawnNode({ EMQX_NODE__DATA_DIR: join(dir, 'data2') });
  const c = await connect(`mqtt://127.0.0.1:${node.ports.tcp}`, { protocolVersion: 4 });
  const got = collect(c);
  await c.subscribeAsync('$SYS/brokers/+/version', { qos: 0 });
  await waitFor(() => got.length >= 1, 3000, '$SYS version');
  expect(got[0]!.payload).toMatch(/^\d+\.\d+/);
  // from any other address: no $SYS/# and no bare #, other filters as usual; user dashboard may read $SYS
  const other = await connectFrom('127.0.0.2', node.ports.tcp);
  expect(await suback(other, '$SYS/#')).toBe(0x80);
  expect(await suback(other, '#')).toBe(0x80);
  expect(await suback(other, 'a/#')).toBe(1);
  const dash = await connectFrom('127.0.0.2', node.ports.tcp, { username: 'dashboard' });
  expect(await suback(dash, '$SYS/#')).toBe(1);
});

test('EMQX_NODE__DATA_DIR moves data/loaded_plugins with it', async () => {
  node = await spawnNode({ EMQX_NODE__DATA_DIR: join(dir, 'data4') });
  expect(readFileSync(join(dir, 'data4', 'loaded_plugins'), 'utf8')).toMatch(/^\{emqx_\w+, (true|false)\}\.$/m);
});

test('a bad config value stops the start with file, line and what was expected', async () => {
  const conf = join(dir, 'bad.conf');
  writeFileSync(conf, readFileSync(join(ROOT, 'etc/emqx.conf'), 'utf8') + '\nmqtt.max_packet_size = lots\n');
  const child = spawn(process.execPath, [join(ROOT, 'bin/emqx'), 'foreground', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EMQX_NODE__DATA_DIR: join(dir, 'data3') } });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise((r) => child.once('exit', r));
  expect(code).not.toBe(0);
  expect(err).toMatch(/bad\.conf:\d+/);
  expect(err).toMatch(/mqtt\.max_packet_size/);
});
