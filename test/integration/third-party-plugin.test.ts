// docs/plugins.md end to end: the SDK template, built outside the workspace, packed
// with `npm pack`, installed from the tarball and loaded with `emqx_ctl plugins load`.
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import { promisify } from 'node:util';
import { connect, closeAll, collect, waitFor, ROOT } from './helpers';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let dir: string;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-3rd-'));
});
afterAll(async () => {
  await closeAll();
  rmSync(dir, { recursive: true, force: true });
});

test('a plugin built from the template, packed and installed with npm, loads with emqx_ctl and works', async () => {
  // 1. the author's checkout: the template plus the SDK's types
  const src = join(dir, 'hello');
  cpSync(join(ROOT, 'packages/sdk/template'), src, { recursive: true });
  mkdirSync(join(src, 'node_modules/@nemq'), { recursive: true });
  symlinkSync(join(ROOT, 'packages/sdk'), join(src, 'node_modules/@nemq/sdk'));
  mkdirSync(join(src, 'node_modules/@types'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(src, 'node_modules/@types/node'));
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', src]);
  // 2. npm pack, then install the tarball where the node looks for plugins
  await run(npm, ['pack', '--pack-destination', dir], { cwd: src });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  const expand = join(dir, 'expand');
  mkdirSync(expand);
  await run(npm, ['install', join(dir, tgz), '--prefix', expand, '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', '--no-package-lock'], { cwd: expand });
  // 3. a node whose plugins.expand_plugins_dir is that directory
  const ports = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
  const env = {
    ...process.env,
    EMQX_LISTENER__TCP__EXTERNAL: `127.0.0.1:${ports[0]}`, EMQX_LISTENER__TCP__INTERNAL: `127.0.0.1:${ports[1]}`,
    EMQX_LISTENER__SSL__EXTERNAL: `127.0.0.1:${ports[2]}`, EMQX_LISTENER__WS__EXTERNAL: `127.0.0.1:${ports[3]}`, EMQX_LISTENER__WSS__EXTERNAL: `127.0.0.1:${ports[4]}`,
    EMQX_NODE__DATA_DIR: join(dir, 'data'), EMQX_PLUGINS__EXPAND_PLUGINS_DIR: expand, EMQX_PLUGINS__LOADED_FILE: join(dir, 'data/loaded_plugins'),
  };
  const node = spawn(process.execPath, [join(ROOT, 'bin/emqx'), 'foreground'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  node.stdout!.on('data', (d) => (out += d));
  node.stderr!.on('data', (d) => (out += d));
  const ctl = async (...args: string[]) => (await run(process.execPath, [join(ROOT, 'bin/emqx_ctl'), ...args], { env })).stdout;
  try {
    await waitFor(() => out.includes('is running now'), 15000, `node start: ${out}`);
    expect(await ctl('plugins', 'list')).toContain('Plugin(emqx_hello, description=Hello plugin from the nemq template, active=false)');
    expect(await ctl('plugins', 'load', 'emqx_hello')).toBe('Plugin emqx_hello loaded successfully.\n');
    expect(await ctl('hello')).toBe('hello\n');
    const watcher = await connect(`mqtt://127.0.0.1:${ports[0]}`, { protocolVersion: 5 });
    const got = collect(watcher);
    await watcher.subscribeAsync('hello/connected', { qos: 0 });
    await connect(`mqtt://127.0.0.1:${ports[0]}`, { protocolVersion: 4, clientId: 'newcomer' });
    await waitFor(() => got.some((m) => m.payload.includes('newcomer')));
    expect(await ctl('plugins', 'unload', 'emqx_hello')).toBe('Plugin emqx_hello unloaded successfully.\n');
    expect(watcher.connected).toBe(true);
  } finally {
    node.kill('SIGTERM');
    await new Promise((r) => node.once('exit', r));
  }
}, 60000);
