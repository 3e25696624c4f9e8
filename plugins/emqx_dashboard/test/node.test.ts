// The dashboard in a node started as users start it (bin/emqx foreground, shipped etc/): loaded by
// default, serving the app and the management routes to dashboard users; `bin/emqx_ctl admins`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnNode, type NodeProcess } from '../../../test/integration/helpers';
import { basic, call } from './helpers';

let node: NodeProcess;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-dash-node-'));
  node = await spawnNode({ EMQX_NODE__DATA_DIR: dir, EMQX_LOG__LEVEL: 'info' });
}, 30000);
afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('loaded by default: the app and the management API for dashboard users; the user routes are not on 8081', async () => {
  const base = `http://127.0.0.1:${node.ports.dashboard}`;
  expect(node.output()).toContain(`Start http:dashboard listener on 127.0.0.1:${node.ports.dashboard} successfully.`);
  expect(node.output()).toContain("Using the default password for dashboard user 'admin'");
  const index = await fetch(base + '/');
  expect([index.status, index.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
  const nodes = await call(base, 'GET', '/api/v4/nodes', { auth: basic('admin', 'public') });
  expect(nodes.json.code).toBe(0);
  expect(nodes.json.data[0].node_status).toBe('Running');
  // /apps lives on the dashboard listener only, /users on the dashboard only
  expect((await call(base, 'GET', '/api/v4/apps', { auth: basic('admin', 'public') })).json.code).toBe(0);
  const mgmt = `http://127.0.0.1:${node.ports.mgmt}`;
  expect((await call(mgmt, 'GET', '/api/v4/users', { auth: basic('admin', 'public') })).status).toBe(404);
});

test('bin/emqx_ctl admins add, then that user signs in; passwd and del', async () => {
  const base = `http://127.0.0.1:${node.ports.dashboard}`;
  expect(await node.ctl('admins', 'add', 'ops', 'pw1', 'operators')).toBe('ok\n');
  expect((await call(base, 'POST', '/api/v4/auth', { body: { username: 'ops', password: 'pw1' } })).json.code).toBe(0);
  expect(await node.ctl('admins', 'passwd', 'ops', 'pw2')).toBe('ok\n');
  expect((await call(base, 'GET', '/api/v4/users', { auth: basic('ops', 'pw2') })).json.data.map((u: { username: string }) => u.username)).toEqual(['admin', 'ops']);
  expect(await node.ctl('admins', 'del', 'ops')).toBe('ok\n');
  expect((await call(base, 'GET', '/api/v4/users', { auth: basic('ops', 'pw2') })).status).toBe(401);
});
