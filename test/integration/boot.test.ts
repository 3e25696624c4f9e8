// The README's run path: bin/emqx foreground with the shipped etc/, ports moved by
// EMQX_* environment overrides; SIGTERM stops it gracefully.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import { connect, closeAll, collect, waitFor, CERTS, ROOT } from './helpers';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

let child: ChildProcess | undefined;
let dir: string;
let out = '';
const ports: Record<string, number> = {};

function start(extraEnv: Record<string, string> = {}): ChildProcess {
  out = '';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EMQX_LISTENER__TCP__EXTERNAL: `127.0.0.1:${ports.tcp}`,
    EMQX_LISTENER__TCP__INTERNAL: `127.0.0.1:${ports.internal}`,
    EMQX_LISTENER__SSL__EXTERNAL: `127.0.0.1:${ports.ssl}`,
    EMQX_LISTENER__WS__EXTERNAL: `127.0.0.1:${ports.ws}`,
    EMQX_LISTENER__WSS__EXTERNAL: `127.0.0.1:${ports.wss}`,
    EMQX_NODE__DATA_DIR: join(dir, 'data'),
    ...extraEnv,
  };
  const c = spawn(process.execPath, [join(ROOT, 'bin/emqx'), 'foreground'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  c.stdout!.on('data', (d) => (out += d));
  c.stderr!.on('data', (d) => (out += d));
  return c;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-boot-'));
  for (const k of ['tcp', 'internal', 'ssl', 'ws', 'wss']) ports[k] = await freePort();
});
afterEach(async () => {
  await closeAll();
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('bin/emqx foreground serves TCP, TLS, WS and WSS from etc/emqx.conf; SIGTERM stops it with 0x8B', async () => {
  child = start();
  await waitFor(() => out.includes('is running now'), 15000, `broker start (output: ${out})`);
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
  child.kill('SIGTERM');
  const code = await new Promise((r) => child!.once('exit', r));
  expect(code).toBe(0);
  expect(reasons).toEqual([0x8b]);
});

test('$SYS/brokers/<node>/version is retained and a localhost client may read it (shipped acl.conf)', async () => {
  child = start({ EMQX_BROKER__SYS_INTERVAL: '1s' });
  await waitFor(() => out.includes('is running now'), 15000, 'broker start');
  const c = await connect(`mqtt://127.0.0.1:${ports.tcp}`, { protocolVersion: 4 });
  const got = collect(c);
  await c.subscribeAsync('$SYS/brokers/+/version', { qos: 0 });
  await waitFor(() => got.length >= 1, 3000, '$SYS version');
  expect(got[0]!.payload).toMatch(/^\d+\.\d+/);
});

test('a bad config value stops the start with file, line and what was expected', async () => {
  const conf = join(dir, 'bad.conf');
  writeFileSync(conf, readFileSync(join(ROOT, 'etc/emqx.conf'), 'utf8') + '\nmqtt.max_packet_size = lots\n');
  child = spawn(process.execPath, [join(ROOT, 'bin/emqx'), 'foreground', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EMQX_NODE__DATA_DIR: join(dir, 'data') } });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise((r) => child!.once('exit', r));
  expect(code).not.toBe(0);
  expect(err).toMatch(/bad\.conf:\d+/);
  expect(err).toMatch(/mqtt\.max_packet_size/);
});
