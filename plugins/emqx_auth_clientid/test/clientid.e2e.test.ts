// emqx_auth_clientid (3.x-4.2) end to end: client IDs from a 3.x conf (auth.client.N.clientid /
// auth.client.N.password) log in over real sockets, `emqx_ctl clientid` prints what EMQX 4.2
// prints, and the store survives a restart. Loaded from plugins/emqx_auth_clientid/dist.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroker, createLogger, defaultZone, type BrokerNode } from '@nemq/kernel';
import { Clients } from '../../../test/authkit';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '../../..');
let dir: string;
let node: BrokerNode | undefined;
let url: string;
const clients = new Clients();

async function start(): Promise<void> {
  const zone = defaultZone('external', { allowAnonymous: false, aclNomatch: 'allow' });
  node = await createBroker({
    logger: createLogger('error', () => undefined),
    sysInterval: 0,
    sysHeartbeat: 0,
    zones: { external: zone, default: zone },
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'data', 'loaded_plugins'), dataDir: join(dir, 'data'), defaults: {} },
  });
  url = `mqtt://127.0.0.1:${node.listeners[0]!.port}`;
}
const ctl = async (...argv: string[]): Promise<string> => (await node!.ctl.run(argv)).output;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-clientid-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(
    join(dir, 'emqx_auth_clientid.conf'),
    ['auth.client.1.clientid = id', 'auth.client.1.password = passwd', 'auth.client.2.clientid = dev:devid', 'auth.client.2.password = passwd2', 'auth.client.password_hash = md5', ''].join('\n'),
  );
  await start();
  await node!.plugins!.load('emqx_auth_clientid');
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await clients.closeAll();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the conf file\'s client IDs log in whatever the username; a wrong password is not_authorized (4.2)', async () => {
  expect(await clients.code(url, { protocolVersion: 4, clientId: 'id', username: 'u', password: 'passwd' })).toBe(0);
  expect(await clients.code(url, { protocolVersion: 5, clientId: 'dev:devid', username: 'other', password: 'passwd2' })).toBe(0);
  expect(await clients.code(url, { protocolVersion: 4, clientId: 'id', username: 'u', password: 'wrong' })).toBe(5);
  expect(await clients.code(url, { protocolVersion: 5, clientId: 'id', username: 'u', password: 'wrong' })).toBe(0x87);
  // unknown client ID: not this plugin's; allow_anonymous = false refuses
  expect(await clients.code(url, { protocolVersion: 5, clientId: 'stranger', username: 'id', password: 'passwd' })).toBe(0x87);
  expect(await ctl('clientid', 'list')).toBe('id\ndev:devid\n');
});

test('clientid add / update / del print what EMQX 4.2 prints (its own spelling of the errors)', async () => {
  expect(await ctl('clientid', 'add', 'cam-7', 'c7')).toBe('ok\n');
  expect(await ctl('clientid', 'add', 'cam-7', 'c7')).toBe('{error,exitsted}\n');
  expect(await ctl('clientid', 'update', 'cam-8', 'x')).toBe('{error,noexitsted}\n');
  expect(await clients.code(url, { protocolVersion: 5, clientId: 'cam-7', username: 'u', password: 'c7' })).toBe(0);
  expect(await ctl('clientid', 'update', 'cam-7', 'c7b')).toBe('ok\n');
  expect(await clients.code(url, { protocolVersion: 5, clientId: 'cam-7', username: 'u', password: 'c7' })).toBe(0x87);
  expect(await ctl('clientid')).toBe(
    'clientid list                            # List ClientId\n' +
      'clientid add <ClientId> <Password>       # Add ClientId\n' +
      'clientid update <Clientid> <NewPassword> # Update Clientid\n' +
      'clientid del <ClientId>                  # Delete ClientId\n',
  );
});

test('a restart keeps the store; the conf file does not overwrite a changed password', async () => {
  expect(await ctl('clientid', 'update', 'id', 'newpw')).toBe('ok\n');
  await node!.stop();
  node = undefined;
  await start();
  expect(await clients.code(url, { protocolVersion: 5, clientId: 'cam-7', username: 'u', password: 'c7b' })).toBe(0);
  expect(await clients.code(url, { protocolVersion: 5, clientId: 'id', username: 'u', password: 'newpw' })).toBe(0);
  expect(await clients.code(url, { protocolVersion: 5, clientId: 'id', username: 'u', password: 'passwd' })).toBe(0x87);
  expect(await ctl('clientid', 'del', 'cam-7')).toBe('ok\n');
  expect(await clients.code(url, { protocolVersion: 5, clientId: 'cam-7', username: 'u', password: 'c7b' })).toBe(0x87);
});

test('emqx_auth_mnesia cannot be loaded beside it (both own emqx_ctl clientid); this one keeps working', async () => {
  await expect(node!.plugins!.load('emqx_auth_mnesia')).rejects.toThrow(/clientid/);
  expect(node!.registry.tapCount('emqx_auth_mnesia')).toBe(0);
  expect(await ctl('clientid', 'list')).toBe('id\ndev:devid\n');
  expect(await clients.code(url, { protocolVersion: 5, clientId: 'dev:devid', username: 'u', password: 'passwd2' })).toBe(0);
});
