// Dashboard users across a cluster (EMQX's replicated mqtt_admin table): a node that joins takes
// the cluster's users, and a user added or a password changed on one node works on the other.
import { startService, type Service } from '../../../test/services';
import { startNode, stopNodes, waitStatus, type ClusterProc } from '../../../test/cluster/harness';
import { basic, call } from './helpers';

jest.setTimeout(60000);

let redis: Service;
let n1: ClusterProc, n2: ClusterProc;
const N1 = 'emqx1@127.0.0.1', N2 = 'emqx2@127.0.0.1';
const dash = (n: ClusterProc) => `http://127.0.0.1:${n.ports.dashboard}`;
const signIn = async (n: ClusterProc, username: string, password: string) =>
  (await call(dash(n), 'POST', '/api/v4/auth', { body: { username, password } })).json.code as number;

beforeAll(async () => {
  redis = await startService('redis');
  const url = `${redis.env.REDIS_HOST}:${redis.env.REDIS_PORT}`;
  [n1, n2] = await Promise.all([startNode(N1, url), startNode(N2, url)]);
});

afterAll(async () => {
  await stopNodes([n1, n2].filter(Boolean));
  await redis?.stop();
});

test('users are shared by every node of a cluster', async () => {
  // before joining, node 1's admin gets a new password: the cluster's row wins when node 2 joins
  expect((await call(dash(n1), 'PUT', '/api/v4/change_pwd/admin', { auth: basic('admin', 'public'), body: { old_pwd: 'public', new_pwd: 'cluster-pw' } })).json.code).toBe(0);
  expect(await n2.ctl('cluster', 'join', N1)).toContain('successfully');
  await waitStatus(n1, [N1, N2], []);
  await until(async () => (await signIn(n2, 'admin', 'cluster-pw')) === 0, 'node 1 admin password on node 2');
  expect(await signIn(n2, 'admin', 'public')).toBe(103);
  // added on node 2, signs in on node 1
  expect((await call(dash(n2), 'POST', '/api/v4/users', { auth: basic('admin', 'cluster-pw'), body: { username: 'viewer', password: 'v-pw', tags: 'viewer' } })).json.code).toBe(0);
  await until(async () => (await signIn(n1, 'viewer', 'v-pw')) === 0, 'viewer on node 1');
  // deleted on node 1 with the CLI, gone on node 2
  expect(await n1.ctl('admins', 'del', 'viewer')).toBe('ok\n');
  await until(async () => (await signIn(n2, 'viewer', 'v-pw')) === 103, 'viewer gone on node 2');
});

async function until(cond: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
