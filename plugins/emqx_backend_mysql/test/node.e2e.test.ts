// emqx_backend_mysql in a real node: bin/emqx foreground with the shipped etc/ (and
// etc/plugins/emqx_backend_mysql.conf), pointed at a real MariaDB by EMQX_BACKEND__MYSQL__POOL1__*
// overrides, loaded with bin/emqx_ctl plugins load, then used by real MQTT clients.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { spawnNode, type NodeProcess } from '../../../test/integration/helpers';
import { waitFor } from '../../../test/backendkit/index';
import { requireServices, startService, type Service } from '../../../test/services/index';

jest.setTimeout(60_000);
requireServices('mariadb');

let svc: Service;
let db: Connection;
let node: NodeProcess;
let dir: string;

beforeAll(async () => {
  svc = await startService('mariadb');
  db = await createConnection({ host: svc.env.MYSQL_HOST, port: Number(svc.env.MYSQL_PORT), user: svc.env.MYSQL_USER, password: svc.env.MYSQL_PASSWORD, database: svc.env.MYSQL_DATABASE, multipleStatements: true });
  await db.query(readFileSync(join(__dirname, '../etc/sql/emqx_backend_mysql.sql'), 'utf8'));
  dir = mkdtempSync(join(tmpdir(), 'nemq-backend-mysql-node-'));
  node = await spawnNode({
    EMQX_NODE__DATA_DIR: dir, EMQX_PLUGINS__LOADED_FILE: join(dir, 'loaded_plugins'),
    EMQX_BACKEND__MYSQL__POOL1__SERVER: `${svc.env.MYSQL_HOST}:${svc.env.MYSQL_PORT}`,
    EMQX_BACKEND__MYSQL__POOL1__USER: svc.env.MYSQL_USER!,
    EMQX_BACKEND__MYSQL__POOL1__PASSWORD: svc.env.MYSQL_PASSWORD!,
    EMQX_BACKEND__MYSQL__POOL1__DATABASE: svc.env.MYSQL_DATABASE!,
  });
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await db?.end().catch(() => undefined);
  await svc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const rows = async (sql: string, args: unknown[]): Promise<RowDataPacket[]> => (await db.query<RowDataPacket[]>(sql, args))[0];

test('MySQL (MariaDB): emqx_ctl plugins load with the shipped conf; a v5 client is recorded online and its QoS 1 message stored; unload', async () => {
  expect(await node.ctl('plugins', 'load', 'emqx_backend_mysql')).toBe('Plugin emqx_backend_mysql loaded successfully.\n');
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.ports.tcp}`, { clientId: 'node-client', protocolVersion: 5, reconnectPeriod: 0 });
  try {
    await c.publishAsync('node/t', 'from a real node', { qos: 1 });
    await waitFor(async () => (await rows("SELECT state FROM mqtt_client WHERE clientid = ? AND state = '1'", ['node-client'])).length === 1, 10_000, 'node-client online');
    await waitFor(async () => (await rows('SELECT id FROM mqtt_msg WHERE topic = ?', ['node/t'])).length === 1, 10_000, 'the message stored');
    const msgs = await rows('SELECT sender, qos, payload FROM mqtt_msg WHERE topic = ?', ['node/t']);
    expect(msgs.map((m) => [m.sender, m.qos, (m.payload as Buffer).toString()])).toEqual([['node-client', 1, 'from a real node']]);
    const stats = await node.ctl('backend_mysql', 'stats');
    expect(stats).toMatch(/status\s+: connected/);
    expect(stats).toMatch(/dropped\s+: 0/);
  } finally {
    await c.endAsync();
  }
  expect(await node.ctl('plugins', 'unload', 'emqx_backend_mysql')).toBe('Plugin emqx_backend_mysql unloaded successfully.\n');
});
