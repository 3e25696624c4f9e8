// The plugin host: load / unload / reload at run time, failure modes with coded
// errors, no dropped clients, and emqx_ctl over the real control socket.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, statSync, mkdtempSync, readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HOOK_POINTS } from '@nemq/sdk';
import { startBroker, connect, closeAll, collect, waitFor, spawnNode, ROOT, type TestBroker } from './helpers';

const run = promisify(execFile);
let dir: string;
let b: TestBroker;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-plugins-'));
  mkdirSync(join(dir, 'etc'));
  cpSync(join(ROOT, 'test/fixtures/plugins'), join(dir, 'plugins'), { recursive: true });
  b = await startBroker({
    plugins: { dirs: [join(dir, 'plugins')], etcDir: join(dir, 'etc'), loadedFile: join(dir, 'data/loaded_plugins'), dataDir: join(dir, 'data'), startTimeout: 300, stopTimeout: 200 },
    ctlSocket: join(dir, 'data/ctl.sock'),
  });
});
afterEach(async () => {
  await closeAll();
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
});

const pm = () => b.node.plugins!;
/** taps of `owner` on the node's live tapable hooks */
const liveTaps = (owner: string): number => HOOK_POINTS.reduce((n, p) => n + b.node.registry.hooks[p].taps.filter((t) => t.name === owner).length, 0);
const ctl = async (...args: string[]) => (await b.node.ctl.run(args)).output;

test('plugins list shows installed plugins with EMQX output; non-plugins are ignored', async () => {
  const out = await ctl('plugins', 'list');
  expect(out).toContain('Plugin(fx_good, description=Fixture: counts publishes, active=false, version=1.0.0)');
  expect(out).not.toContain('notaplugin');
});

test('load taps hooks, registers ctl, subscribes; unload removes all of it; clients stay connected', async () => {
  const sub = await connect(b.url, { protocolVersion: 5 });
  const got = collect(sub);
  await sub.subscribeAsync('t/#', { qos: 1 });
  expect(await ctl('plugins', 'load', 'fx_good')).toBe('Plugin fx_good loaded successfully.\n');
  expect(readFileSync(join(dir, 'data/loaded_plugins'), 'utf8')).toContain('{fx_good, true}.');
  const pub = await connect(b.url, { protocolVersion: 4 });
  await pub.publishAsync('t/1', 'a', { qos: 1 });
  await pub.publishAsync('fx/local/x', 'b', { qos: 1 });
  await waitFor(() => got.length === 1);
  expect(await ctl('fx_good', 'stats')).toBe('seen=2 local=1 greeting=hello\n');
  expect(liveTaps('fx_good')).toBe(1);
  expect(await ctl('plugins', 'unload', 'fx_good')).toBe('Plugin fx_good unloaded successfully.\n');
  expect(liveTaps('fx_good')).toBe(0);
  expect(b.node.registry.hooks['message.publish'].isUsed()).toBe(false);
  expect((await b.node.ctl.run(['fx_good', 'stats'])).code).toBe(1);
  expect(b.node.broker.router.filters()).not.toContain('fx/local/#');
  expect(readFileSync(join(dir, 'data/loaded_plugins'), 'utf8')).not.toContain('fx_good');
  await pub.publishAsync('t/2', 'c', { qos: 1 });
  await waitFor(() => got.length === 2);
  expect(sub.connected && pub.connected).toBe(true);
});

test.each([
  ['load', 'nosuch', 'Load plugin nosuch error: not_found.'],
  ['unload', 'fx_good', 'Unload plugin fx_good error: not_started.'],
  ['reload', 'nosuch', "Reload plugin nosuch error: The plugin doesn't exist."],
  ['load', 'fx_semver', 'Load plugin fx_semver error: incompatible.'],
  ['load', 'fx_sdkrange', 'Load plugin fx_sdkrange error: incompatible.\nfx_sdkrange: incompatible: needs @nemq/sdk ^9.0.0, this node provides 0.1.0'],
  ['load', 'fx_dep', 'Load plugin fx_dep error: missing_dependency.'],
  ['load', 'fx_throws', 'Load plugin fx_throws error: start_failed.'],
  ['load', 'fx_hangs', 'Load plugin fx_hangs error: start_timeout.'],
])('plugins %s %s fails with a coded error: %s', async (verb, name, line) => {
  const r = await b.node.ctl.run(['plugins', verb, name]);
  expect(r.code).toBe(1);
  expect(r.output).toMatch(new RegExp(`^${line.replace(/[.^$*+?()[\]{}|\\]/g, '\\$&')}\n`));
  // nothing half-loaded stays behind
  expect(liveTaps(name)).toBe(0);
  expect(b.node.registry.hooks['message.publish'].isUsed()).toBe(false);
  expect(b.node.plugins!.isLoaded(name)).toBe(false);
  const c = await connect(b.url, { protocolVersion: 4 });
  expect(c.connected).toBe(true);
});

test('already loaded, and a dependency cannot be unloaded while needed', async () => {
  await pm().load('fx_good');
  expect((await b.node.ctl.run(['plugins', 'load', 'fx_good'])).output).toMatch(/^Load plugin fx_good error: already_started\./);
  await pm().load('fx_dep');
  expect((await b.node.ctl.run(['plugins', 'unload', 'fx_good'])).output).toMatch(/^Unload plugin fx_good error: required_by\./);
  await pm().unload('fx_dep');
  await pm().unload('fx_good');
});

test('a bad etc/plugins/<name>.conf names file, line and the expected value', async () => {
  writeFileSync(join(dir, 'etc/fx_conf.conf'), '# conf\nfx.port = lots\n');
  await expect(pm().load('fx_conf')).rejects.toMatchObject({ code: 'bad_config', message: expect.stringMatching(/fx_conf\.conf:2: fx\.port: expected an integer/) });
  writeFileSync(join(dir, 'etc/fx_conf.conf'), 'fx.nope = 1\n');
  await expect(pm().load('fx_conf')).rejects.toMatchObject({ message: expect.stringMatching(/fx\.nope: unknown key/) });
  writeFileSync(join(dir, 'etc/fx_conf.conf'), 'fx.port = 7\n');
  await pm().load('fx_conf');
});

test('a tap that throws at run time is isolated, counted per plugin and hook point in plugins list and broker metrics', async () => {
  await pm().load('fx_tap_throws');
  const sub = await connect(b.url, { protocolVersion: 4 });
  const got = collect(sub);
  await sub.subscribeAsync('x', { qos: 0 });
  await sub.publishAsync('x', 'y', { qos: 1 });
  await sub.publishAsync('x', 'z', { qos: 1 });
  await waitFor(() => got.length === 2);
  // both publishes, and the $SYS presence message of the client's connect
  const n = b.node.registry.errorCounts('fx_tap_throws').get('message.publish')!;
  expect(n).toBeGreaterThanOrEqual(2);
  expect(await ctl('plugins', 'list')).toContain(`active=true, version=1.0.0, tap_errors=message.publish:${n})`);
  const metrics = await ctl('broker', 'metrics');
  expect(metrics).toMatch(new RegExp(`^hooks\\.tap_errors\\.fx_tap_throws\\.message\\.publish *: ${n}$`, 'm'));
  expect(metrics).toMatch(new RegExp(`^hooks\\.tap_errors *: ${n}$`, 'm'));
});

test('reload picks up new code on disk (hot upgrade) in a running node, hands over state; clients stay connected', async () => {
  // a real node process: the test runner's own module loader would hide Node's require cache
  const n = await spawnNode({
    EMQX_NODE__DATA_DIR: join(dir, 'node'), EMQX_PLUGINS__EXPAND_PLUGINS_DIR: join(dir, 'plugins'), EMQX_PLUGINS__ETC_DIR: join(dir, 'etc'),
    EMQX_PLUGINS__LOADED_FILE: join(dir, 'node/loaded_plugins'),
  });
  const ctlRun = n.ctl;
  const file = join(dir, 'plugins/fx_version/index.js');
  const pkg = join(dir, 'plugins/fx_version/package.json');
  const v1 = readFileSync(file, 'utf8');
  const write = (code: string, version: string): void => {
    writeFileSync(file, code);
    writeFileSync(pkg, readFileSync(pkg, 'utf8').replace(/"version": "[^"]+"/, `"version": "${version}"`));
    const later = new Date(Date.now() + 2000 + Math.random() * 1000);
    utimesSync(file, later, later);
  };
  try {
    const c = await connect(`mqtt://127.0.0.1:${n.ports.tcp}`, { protocolVersion: 5 });
    expect(await ctlRun('plugins', 'load', 'fx_version')).toBe('Plugin fx_version loaded successfully.\n');
    expect(await ctlRun('fx_version', 'inc')).toBe('1\n');
    expect(await ctlRun('fx_version', 'inc')).toBe('2\n');
    // unchanged code: the same module, state handed over
    expect(await ctlRun('plugins', 'reload', 'fx_version')).toBe('Plugin fx_version reloaded successfully.\n');
    expect(await ctlRun('fx_version')).toBe('v1 1.0.0 n=2 from=1.0.0\n');
    // new code that cannot even be loaded: the running version keeps serving, and says so
    write('module.exports = {;', '1.1.0');
    const broken = await ctlRun('plugins', 'reload', 'fx_version').catch((e: { stdout: string }) => e.stdout);
    expect(broken).toMatch(/^Reload plugin fx_version error: bad_plugin\.\n.*fx_version 1\.0\.0 keeps running/);
    expect(await ctlRun('fx_version')).toBe('v1 1.0.0 n=2 from=1.0.0\n');
    expect(await ctlRun('plugins', 'list')).toContain('Plugin(fx_version, description=Fixture: code that changes, active=true, version=1.0.0, installed=1.1.0)');
    // new code whose start throws: rolled back to the running code, with its state
    write(v1.replace('start(ctx) {', "start(ctx) { throw new Error('v3 cannot start');"), '1.2.0');
    const failed = await ctlRun('plugins', 'reload', 'fx_version').catch((e: { stdout: string }) => e.stdout);
    expect(failed).toMatch(/^Reload plugin fx_version error: start_failed\.\n.*v3 cannot start; rolled back: fx_version 1\.0\.0 keeps running/);
    expect(await ctlRun('fx_version', 'inc')).toBe('3\n');
    // new code that starts: the upgrade hands the count to v2
    write(v1.replace("`v1 ", "`v2 "), '2.0.0');
    expect(await ctlRun('plugins', 'reload', 'fx_version')).toBe('Plugin fx_version reloaded successfully.\n');
    expect(await ctlRun('fx_version')).toBe('v2 2.0.0 n=3 from=1.0.0\n');
    expect(await ctlRun('plugins', 'list')).toContain('Plugin(fx_version, description=Fixture: code that changes, active=true, version=2.0.0)');
    expect(c.connected).toBe(true);
  } finally {
    await n.stop();
  }
});

test('a reload whose conf is broken keeps the running instance serving', async () => {
  await pm().load('fx_good');
  const pub = await connect(b.url, { protocolVersion: 4 });
  await pub.publishAsync('t/1', 'a', { qos: 1 });
  // the tap runs before PUBACK is sent
  expect(await ctl('fx_good', 'stats')).toBe('seen=1 local=0 greeting=hello\n');
  writeFileSync(join(dir, 'etc/fx_good.conf'), 'fx.times = many\n');
  await expect(pm().reload('fx_good')).rejects.toMatchObject({ code: 'bad_config', message: expect.stringMatching(/fx\.times: expected an integer.*fx_good 1\.0\.0 keeps running/) });
  await pub.publishAsync('t/2', 'b', { qos: 1 });
  expect(await ctl('fx_good', 'stats')).toBe('seen=2 local=0 greeting=hello\n');
  expect(b.node.registry.hooks['message.publish'].isUsed()).toBe(true);
});

test('data/loaded_plugins is loaded at boot', async () => {
  writeFileSync(join(dir, 'data/loaded_plugins'), '{fx_good, true}.\n{fx_conf, false}.\nfx_version.\n');
  const other = await startBroker({ plugins: { dirs: [join(dir, 'plugins')], etcDir: join(dir, 'etc'), loadedFile: join(dir, 'data/loaded_plugins'), dataDir: join(dir, 'data') } });
  try {
    expect(other.node.plugins!.isLoaded('fx_good')).toBe(true);
    expect(other.node.plugins!.isLoaded('fx_version')).toBe(true);
    expect(other.node.plugins!.isLoaded('fx_conf')).toBe(false);
  } finally {
    await other.stop();
  }
});

test('bin/emqx_ctl talks to the node over its control socket (mode 0600)', async () => {
  const env = { ...process.env, EMQX_NODE__DATA_DIR: join(dir, 'data') };
  const { stdout } = await run(process.execPath, [join(ROOT, 'bin/emqx_ctl'), 'status'], { env });
  expect(stdout).toMatch(/^Node 'emqx@127\.0\.0\.1' \S+ is started\n$/);
  const { stdout: loaded } = await run(process.execPath, [join(ROOT, 'bin/emqx_ctl'), 'plugins', 'load', 'fx_good'], { env });
  expect(loaded).toBe('Plugin fx_good loaded successfully.\n');
  expect(statSync(join(dir, 'data/ctl.sock')).mode & 0o777).toBe(0o600);
  await expect(run(process.execPath, [join(ROOT, 'bin/emqx_ctl'), 'status'], { env: { ...process.env, EMQX_NODE__DATA_DIR: join(dir, 'nowhere') } })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('Node is not running!') });
});

test('1,000 load/unload cycles leave no taps behind', async () => {
  for (let i = 0; i < 1000; i++) {
    await pm().load('fx_good', { persist: false });
    await pm().unload('fx_good', { persist: false });
  }
  expect(liveTaps('fx_good')).toBe(0);
  expect(b.node.registry.hooks['message.publish'].isUsed()).toBe(false);
  expect(b.node.broker.router.filters()).not.toContain('fx/local/#');
  expect(b.node.ctl.names()).not.toContain('fx_good');
});
