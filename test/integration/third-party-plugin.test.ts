// docs/plugins.md end to end, as an author outside this repository works: the SDK from its own
// `npm pack` tarball, the template built against it, the plugin packed and installed from its
// tarball without the SDK (a peer dependency), then loaded, upgraded and reloaded with emqx_ctl.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, closeAll, collect, waitFor, spawnNode, ROOT } from './helpers';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPM_FLAGS = ['--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--prefer-offline'];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-3rd-'));
});
afterAll(async () => {
  await closeAll();
  rmSync(dir, { recursive: true, force: true });
});

/** npm pack `cwd` into `dest`; returns the tarball's path */
async function pack(cwd: string, dest: string): Promise<string> {
  mkdirSync(dest, { recursive: true });
  const { stdout } = await run(npm, ['pack', '--pack-destination', dest, '--json'], { cwd });
  return join(dest, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
}

test('a plugin built on the packed SDK, installed from its tarball, uses SDK helpers at run time, upgrades with its state and survives a broken upgrade', async () => {
  // 1. the SDK as published: its npm pack tarball
  const sdkTgz = await pack(join(ROOT, 'packages/sdk'), join(dir, 'sdk'));
  // 2. the author's project: the template, the SDK installed from that tarball (TypeScript and
  //    @types/node taken from this checkout to keep the test off the registry for them)
  const src = join(dir, 'hello');
  cpSync(join(ROOT, 'packages/sdk/template'), src, { recursive: true });
  const pj = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
  pj.devDependencies = {};
  writeFileSync(join(src, 'package.json'), JSON.stringify(pj, null, 2));
  await run(npm, ['install', '--save-dev', sdkTgz, ...NPM_FLAGS], { cwd: src });
  symlinkSync(join(ROOT, 'node_modules/@types'), join(src, 'node_modules/@types'));
  const build = async (version: string): Promise<string> => {
    writeFileSync(join(src, 'package.json'), readFileSync(join(src, 'package.json'), 'utf8').replace(/"version": "[^"]+"/, `"version": "${version}"`));
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', src]);
    return pack(src, join(dir, `dist-${version}`));
  };
  // 3. installed where the node looks for plugins; the peer SDK is not installed with it
  const expand = join(dir, 'expand');
  mkdirSync(expand);
  const install = (tgz: string) => run(npm, ['install', tgz, '--prefix', expand, '--legacy-peer-deps', ...NPM_FLAGS], { cwd: expand });
  await install(await build('1.0.0'));
  const installed = join(expand, 'node_modules/nemq-plugin-hello');
  expect(existsSync(join(installed, 'dist/index.js'))).toBe(true);
  expect(existsSync(join(expand, 'node_modules/@nemq/sdk'))).toBe(false);
  // 4. a node with that plugins dir, counting only counted/# (topicMatches from the SDK at run time)
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  writeFileSync(join(etc, 'emqx_hello.conf'), 'hello.greeting = hi\nhello.count_filter = counted/#\n');
  const node = await spawnNode({ EMQX_NODE__DATA_DIR: join(dir, 'data'), EMQX_PLUGINS__EXPAND_PLUGINS_DIR: expand, EMQX_PLUGINS__ETC_DIR: etc });
  const ctl = node.ctl;
  const ctlFails = (...a: string[]) => ctl(...a).then((out) => `exit 0: ${out}`, (e: { stdout: string }) => e.stdout);
  try {
    expect(await ctl('plugins', 'list')).toContain('Plugin(emqx_hello, description=Hello plugin from the nemq template, active=false, version=1.0.0)');
    expect(await ctl('plugins', 'load', 'emqx_hello')).toBe('Plugin emqx_hello loaded successfully.\n');
    expect(await ctl('hello')).toBe('hi\n');
    const watcher = await connect(`mqtt://127.0.0.1:${node.ports.tcp}`, { protocolVersion: 5 });
    const got = collect(watcher);
    await watcher.subscribeAsync('hello/connected', { qos: 0 });
    const pub = await connect(`mqtt://127.0.0.1:${node.ports.tcp}`, { protocolVersion: 4, clientId: 'newcomer' });
    await waitFor(() => got.some((m) => m.payload.includes('newcomer')));
    for (const t of ['counted/a', 'other/b', 'counted/c/d']) await pub.publishAsync(t, 'x', { qos: 1 });
    expect(await ctl('hello', 'stats')).toBe('published: 2 (version 1.0.0)\n');

    // an upgrade: 1.1.0 installed over it, reloaded; the count is handed over
    await install(await build('1.1.0'));
    expect(await ctl('plugins', 'list')).toContain('active=true, version=1.0.0, installed=1.1.0)');
    expect(await ctl('plugins', 'reload', 'emqx_hello')).toBe('Plugin emqx_hello reloaded successfully.\n');
    await pub.publishAsync('counted/e', 'x', { qos: 1 });
    expect(await ctl('hello', 'stats')).toBe('published: 3 (version 1.1.0)\n');

    // a broken 1.2.0: the reload fails, 1.1.0 keeps serving with its count
    await install(await build('1.2.0'));
    writeFileSync(join(installed, 'dist/index.js'), 'module.exports = {;\n');
    expect(await ctlFails('plugins', 'reload', 'emqx_hello')).toMatch(/^Reload plugin emqx_hello error: bad_plugin\.\n.*emqx_hello 1\.1\.0 keeps running/);
    await pub.publishAsync('counted/f', 'x', { qos: 1 });
    expect(await ctl('hello', 'stats')).toBe('published: 4 (version 1.1.0)\n');
    expect(await ctl('plugins', 'list')).toContain('active=true, version=1.1.0, installed=1.2.0)');

    expect(await ctl('plugins', 'unload', 'emqx_hello')).toBe('Plugin emqx_hello unloaded successfully.\n');
    expect(watcher.connected && pub.connected).toBe(true);
  } finally {
    await node.stop();
  }
}, 120_000);
