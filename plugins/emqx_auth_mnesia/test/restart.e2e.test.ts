// The store outlives the broker: users and rules added with emqx_ctl on one broker process log
// in and apply on a new broker started on the same node.data_dir.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroker, createLogger, defaultZone, type BrokerNode } from '@nemq/kernel';
import { Clients, puback, suback } from '../../../test/authkit';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '../../..');
let dir: string;
let node: BrokerNode | undefined;
const clients = new Clients();

async function start(): Promise<{ node: BrokerNode; url: string }> {
  const zone = defaultZone('external', { allowAnonymous: false, aclNomatch: 'allow' });
  const n = await createBroker({
    logger: createLogger('error', () => undefined),
    sysInterval: 0,
    sysHeartbeat: 0,
    zones: { external: zone, default: zone },
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'data', 'loaded_plugins'), dataDir: join(dir, 'data'), defaults: {} },
  });
  node = n;
  return { node: n, url: `mqtt://127.0.0.1:${n.listeners[0]!.port}` };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-mnesia-restart-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'emqx_auth_mnesia.conf'), 'auth.mnesia.password_hash = sha512\n');
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await clients.closeAll();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('users and ACL rules added with emqx_ctl survive a broker restart (loaded_plugins loads the plugin again)', async () => {
  const a = await start();
  await a.node.plugins!.load('emqx_auth_mnesia');
  expect((await a.node.ctl.run(['user', 'add', 'frank', 'fpw'])).output).toBe('ok\n');
  expect((await a.node.ctl.run(['clientid', 'add', 'frank-dev', 'dpw'])).output).toBe('ok\n');
  expect((await a.node.ctl.run(['acl', 'add', 'username', 'frank', 'frank/private', 'pub', 'deny'])).output).toBe('ok\n');
  expect((await a.node.ctl.run(['acl', 'add', '_all', 'ops/#', 'sub', 'deny'])).output).toBe('ok\n');
  expect(await clients.code(a.url, { protocolVersion: 5, username: 'frank', password: 'fpw' })).toBe(0);
  await a.node.stop();
  node = undefined;

  const b = await start();
  expect(b.node.plugins!.list().find((p) => p.name === 'emqx_auth_mnesia')?.active).toBe(true);
  expect((await b.node.ctl.run(['user', 'list'])).output).toBe('frank\n');
  expect(await clients.code(b.url, { protocolVersion: 5, username: 'frank', password: 'fpw' })).toBe(0);
  expect(await clients.code(b.url, { protocolVersion: 4, username: 'frank', password: 'nope' })).toBe(4);
  expect(await clients.code(b.url, { protocolVersion: 5, clientId: 'frank-dev', username: 'x', password: 'dpw' })).toBe(0);
  const c = await clients.connected(b.url, { protocolVersion: 5, username: 'frank', password: 'fpw' });
  expect(await puback(c, 'frank/private', 'x')).toBe(0x87);
  expect(await puback(c, 'frank/public', 'x')).toBe(0);
  expect(await suback(c, 'ops/alerts')).toBe(0x87);
  expect((await b.node.ctl.run(['acl', 'list', 'username'])).output).toBe('Acl(username = <<"frank">> topic = <<"frank/private">> action = pub access = deny)\n');
});
