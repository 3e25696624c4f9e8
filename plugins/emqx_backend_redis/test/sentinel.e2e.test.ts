// emqx_backend_redis with backend.redis.pool1.type = sentinel: a real master, replica and three
// sentinels (test/services redis-sentinel); the pool finds the master through the sentinels.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';
import { requireServices, startService, type Service } from '../../../test/services/index';
import { waitFor } from '../../../test/integration/helpers';

const ROOT = join(__dirname, '../../..');

requireServices('redis-sentinel');

let svc: Service;
let dir: string;
let node: BrokerNode;
let master: Redis;

beforeAll(async () => {
  svc = await startService('redis-sentinel');
  master = new Redis({ host: '127.0.0.1', port: Number(svc.env.REDIS_MASTER_PORT), maxRetriesPerRequest: 1 });
  master.on('error', () => undefined);
  dir = mkdtempSync(join(tmpdir(), 'nemq-backend-redis-sentinel-'));
  writeFileSync(join(dir, 'emqx_backend_redis.conf'), [
    'backend.redis.pool1.type = sentinel',
    `backend.redis.pool1.server = ${svc.env.REDIS_SENTINELS}`,
    `backend.redis.pool1.sentinel = ${svc.env.REDIS_MASTER_NAME}`,
    'backend.redis.hook.client.connected.1 = {"action": {"function": "on_client_connected"}, "pool": "pool1"}',
    'backend.redis.hook.message.publish.1 = {"topic": "#", "action": {"function": "on_message_publish"}, "pool": "pool1"}',
  ].join('\n') + '\n');
  node = await createBroker({
    logger: createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  expect((await node.ctl.run(['plugins', 'load', 'emqx_backend_redis'])).output).toBe('Plugin emqx_backend_redis loaded successfully.\n');
}, 90_000);

afterAll(async () => {
  await node?.stop();
  master?.disconnect();
  await svc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

test('type = sentinel: writes reach the master the sentinels name', async () => {
  await waitFor(async () => /status *: connected\n/.test((await node.ctl.run(['backend_redis', 'stats'])).output), 15000, 'the pool to connect');
  const c: MqttClient = mqtt.connect(`mqtt://127.0.0.1:${node.listeners[0]!.port}`, { clientId: 'sentinel-c', protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise<void>((res, rej) => { c.once('connect', () => res()); c.once('error', rej); });
  await c.publishAsync('s/1', 'via sentinel', { qos: 1 });
  await waitFor(async () => (await master.zcard('mqtt:msg:s/1')) === 1, 10000, 'the message on the master');
  expect(await master.hget('mqtt:client:sentinel-c', 'state')).toBe('1');
  await new Promise<void>((r) => c.end(false, {}, () => r()));
}, 30_000);
