// docs/cluster.md's walk-through, command for command: two nodes started with `bin/emqx start` on the
// documented ports (rpc by stateless port discovery: 5371 and 5372), joined with `emqx_ctl cluster join`,
// a subscriber on node 2 getting what is published on node 1. Only Redis runs on a free port.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startService, type Service } from '../services';
import { ROOT, closeAll, collect, connect, waitFor } from '../integration/helpers';

jest.setTimeout(60000);
const run = promisify(execFile);

let redis: Service;
let env1: NodeJS.ProcessEnv, env2: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startService('redis');
  const common = { EMQX_CLUSTER__REDIS__SERVER: `127.0.0.1:${redis.port}` };
  env1 = { ...process.env, ...common, EMQX_NODE__NAME: 'emqx1@127.0.0.1', EMQX_NODE__DATA_DIR: '/tmp/emqx1' };
  env2 = {
    ...process.env, ...common, EMQX_NODE__NAME: 'emqx2@127.0.0.1', EMQX_NODE__DATA_DIR: '/tmp/emqx2',
    EMQX_LISTENER__TCP__EXTERNAL: '1884', EMQX_LISTENER__TCP__INTERNAL: '127.0.0.1:11884',
    EMQX_LISTENER__SSL__EXTERNAL: '8884', EMQX_LISTENER__WS__EXTERNAL: '8085', EMQX_LISTENER__WSS__EXTERNAL: '8086',
    EMQX_MANAGEMENT__LISTENER__HTTP: '8082', EMQX_DASHBOARD__LISTENER__HTTP: '18084',
  };
});

afterAll(async () => {
  await closeAll();
  for (const env of [env1, env2]) await run(process.execPath, [join(ROOT, 'bin/emqx'), 'stop'], { env }).catch(() => undefined);
  rmSync('/tmp/emqx1', { recursive: true, force: true });
  rmSync('/tmp/emqx2', { recursive: true, force: true });
  await redis?.stop();
});

test('two nodes on one machine, as docs/cluster.md prints it', async () => {
  for (const env of [env1, env2]) {
    expect((await run(process.execPath, [join(ROOT, 'bin/emqx'), 'start'], { env })).stdout).toBe('EMQ X Broker (nemq) started successfully!\n');
  }
  const joined = await run(process.execPath, [join(ROOT, 'bin/emqx_ctl'), 'cluster', 'join', 'emqx1@127.0.0.1'], { env: env2 });
  expect(joined.stdout).toBe(
    'Join the cluster successfully.\n' +
    "Cluster status: #{running_nodes => ['emqx1@127.0.0.1','emqx2@127.0.0.1'],\n" +
    '                  stopped_nodes => []}\n');
  const sub = await connect('mqtt://127.0.0.1:1884', { clientId: 'walk-sub' });
  await sub.subscribeAsync('demo/#', { qos: 1 });
  const pub = await connect('mqtt://127.0.0.1:1883', { clientId: 'walk-pub' });
  // the route reaches node 1 asynchronously
  const t0 = Date.now();
  while (!(await run(process.execPath, [join(ROOT, 'bin/emqx_ctl'), 'routes', 'show', 'demo/#'], { env: env1 })).stdout.includes('emqx2@127.0.0.1')) {
    if (Date.now() - t0 > 5000) throw new Error('no route to node 2 on node 1');
  }
  await pub.publishAsync('demo/hello', 'across nodes', { qos: 1 });
  await waitFor(() => collect(sub).length > 0, 5000, 'the message on node 2');
  expect(collect(sub)[0]).toMatchObject({ topic: 'demo/hello', payload: 'across nodes' });
});
