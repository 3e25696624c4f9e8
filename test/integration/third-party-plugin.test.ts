// docs/plugins.md end to end: the SDK template, built outside the workspace, packed
// with `npm pack`, installed from the tarball and loaded with `emqx_ctl plugins load`.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, closeAll, collect, waitFor, spawnNode, ROOT } from './helpers';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let dir: string;

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
  const node = await spawnNode({ EMQX_NODE__DATA_DIR: join(dir, 'data'), EMQX_PLUGINS__EXPAND_PLUGINS_DIR: expand, EMQX_PLUGINS__LOADED_FILE: join(dir, 'data/loaded_plugins') });
  const ctl = node.ctl;
  try {
    expect(await ctl('plugins', 'list')).toContain('Plugin(emqx_hello, description=Hello plugin from the nemq template, active=false)');
    expect(await ctl('plugins', 'load', 'emqx_hello')).toBe('Plugin emqx_hello loaded successfully.\n');
    expect(await ctl('hello')).toBe('hello\n');
    const watcher = await connect(`mqtt://127.0.0.1:${node.ports.tcp}`, { protocolVersion: 5 });
    const got = collect(watcher);
    await watcher.subscribeAsync('hello/connected', { qos: 0 });
    await connect(`mqtt://127.0.0.1:${node.ports.tcp}`, { protocolVersion: 4, clientId: 'newcomer' });
    await waitFor(() => got.some((m) => m.payload.includes('newcomer')));
    expect(await ctl('plugins', 'unload', 'emqx_hello')).toBe('Plugin emqx_hello unloaded successfully.\n');
    expect(watcher.connected).toBe(true);
  } finally {
    await node.stop();
  }
}, 60000);
