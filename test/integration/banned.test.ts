// The banned table over real sockets: `emqx_ctl banned add|del|list` over the control
// socket, CONNECT refused with 0x8A (v5) / 5 (v3), the table kept across a restart,
// and flapping detection banning a client id that keeps dropping off.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startBroker, connect, closeAll, waitFor, ROOT, type TestBroker } from './helpers';

const run = promisify(execFile);
let dir: string;
let b: TestBroker | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-banned-'));
});
afterEach(async () => {
  await closeAll();
  await b?.stop();
  b = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const ctl = async (...args: string[]): Promise<string> =>
  (await run(process.execPath, [join(ROOT, 'bin/emqx_ctl'), ...args], { env: { ...process.env, EMQX_NODE__DATA_DIR: dir } })).stdout;

const start = (zone: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<TestBroker> =>
  startBroker({ ctlSocket: join(dir, 'ctl.sock'), bannedFile: join(dir, 'banned.json'), zone: { enableBan: true, ...zone }, ...extra });

test('banned add refuses the client (0x8A on v5, 5 on v3); del lets it in again', async () => {
  b = await start();
  expect(await ctl('banned', 'add', 'clientid', 'bad-1', 'admin', 'spam', '1h')).toBe('ok\n');
  expect(await ctl('banned', 'add', 'username', 'mallory')).toBe('ok\n');
  expect(await ctl('banned', 'add', 'peerhost', '10.0.0.9')).toBe('ok\n');
  const list = await ctl('banned', 'list');
  expect(list).toMatch(/^Banned\(clientid=bad-1, by=admin, reason=spam, at=\S+ \S+, until=\S+ \S+\)$/m);
  expect(list).toMatch(/^Banned\(username=mallory, by=user, reason=, /m);
  expect(list.trim().split('\n')).toHaveLength(3);

  await expect(connect(b.url, { clientId: 'bad-1', protocolVersion: 5 })).rejects.toMatchObject({ code: 0x8a });
  await expect(connect(b.url, { clientId: 'bad-1', protocolVersion: 4 })).rejects.toMatchObject({ code: 5 });
  await expect(connect(b.url, { clientId: 'other', username: 'mallory', protocolVersion: 5 })).rejects.toMatchObject({ code: 0x8a });
  (await connect(b.url, { clientId: 'good-1' })).end();

  expect(await ctl('banned', 'del', 'clientid', 'bad-1')).toBe('ok\n');
  expect(await ctl('banned', 'del', 'clientid', 'bad-1')).toBe('Not Found.\n');
  (await connect(b.url, { clientId: 'bad-1', protocolVersion: 5 })).end();
});

test('banned usage and bad arguments', async () => {
  b = await start();
  const usage = await ctl('banned');
  expect(usage).toMatch(/^banned list +# List all banned clients$/m);
  expect(usage).toMatch(/^banned add <Type> <Who> \[<By>\] \[<Reason>\] \[<Duration>\] # /m);
  expect(usage).toMatch(/^banned del <Type> <Who> +# /m);
  expect(await ctl('banned', 'add', 'ip', 'x')).toBe('Invalid type: ip, should be clientid, username or peerhost\n');
  expect(await ctl('banned', 'add', 'clientid', 'x', 'me', 'why', 'soon')).toBe('Invalid duration: soon\n');
  expect(await ctl('banned', 'list')).toBe('');
});

test('with enable_ban off the table is not checked', async () => {
  b = await start({ enableBan: false });
  expect(await ctl('banned', 'add', 'clientid', 'bad-2')).toBe('ok\n');
  (await connect(b.url, { clientId: 'bad-2' })).end();
});

test('the table survives a restart of the node (data/banned.json)', async () => {
  b = await start();
  expect(await ctl('banned', 'add', 'clientid', 'bad-3', 'admin', 'kept')).toBe('ok\n');
  await b.stop();
  b = undefined;
  expect(existsSync(join(dir, 'banned.json'))).toBe(true);
  b = await start();
  expect(await ctl('banned', 'list')).toMatch(/^Banned\(clientid=bad-3, by=admin, reason=kept, /m);
  await expect(connect(b.url, { clientId: 'bad-3', protocolVersion: 5 })).rejects.toMatchObject({ code: 0x8a });
});

test('flapping: a client id disconnecting threshold times within the window is banned for the ban time', async () => {
  b = await start({ enableFlappingDetect: true }, { flappingPolicy: { threshold: 3, windowMs: 60000, banMs: 120000 } });
  const node = b.node;
  for (let i = 0; i < 3; i++) {
    const c = await connect(b.url, { clientId: 'flappy', protocolVersion: 5 });
    c.end(true);
    await waitFor(() => !node.cm.channels.has('flappy'), 3000, 'the disconnect');
  }
  await expect(connect(b.url, { clientId: 'flappy', protocolVersion: 5 })).rejects.toMatchObject({ code: 0x8a });
  const e = node.banned.list().find((x) => x.who === 'flappy')!;
  expect(e).toMatchObject({ as: 'clientid', by: 'flapping detector', reason: 'flapping is detected' });
  expect(e.until - e.at).toBe(120);
  // another id is not affected
  (await connect(b.url, { clientId: 'steady' })).end();
});

test('flapping detection off: reconnecting often bans nobody', async () => {
  b = await start({}, { flappingPolicy: { threshold: 2, windowMs: 60000, banMs: 120000 } });
  for (let i = 0; i < 3; i++) {
    const c = await connect(b.url, { clientId: 'often' });
    c.end(true);
    await waitFor(() => !b!.node.cm.channels.has('often'), 3000, 'the disconnect');
  }
  (await connect(b.url, { clientId: 'often' })).end();
  expect(b.node.banned.list()).toHaveLength(0);
});
