// emqx_backend_mysql in a real node (bin/emqx, the shipped conf, EMQX_BACKEND__MYSQL__POOL1__*
// overrides, bin/emqx_ctl plugins load) against a real MariaDB.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { runNodeCheck } from '../../../test/backendkit/node';

jest.setTimeout(60_000);

runNodeCheck({
  plugin: 'emqx_backend_mysql',
  command: 'backend_mysql',
  title: 'MySQL (MariaDB)',
  service: 'mariadb',
  env: (svc) => ({
    EMQX_BACKEND__MYSQL__POOL1__SERVER: `${svc.env.MYSQL_HOST}:${svc.env.MYSQL_PORT}`,
    EMQX_BACKEND__MYSQL__POOL1__USER: svc.env.MYSQL_USER!,
    EMQX_BACKEND__MYSQL__POOL1__PASSWORD: svc.env.MYSQL_PASSWORD!,
    EMQX_BACKEND__MYSQL__POOL1__DATABASE: svc.env.MYSQL_DATABASE!,
  }),
  async setup(svc) {
    const db = await createConnection({ host: svc.env.MYSQL_HOST, port: Number(svc.env.MYSQL_PORT), user: svc.env.MYSQL_USER, password: svc.env.MYSQL_PASSWORD, database: svc.env.MYSQL_DATABASE, multipleStatements: true });
    await db.query(readFileSync(join(__dirname, '../etc/sql/emqx_backend_mysql.sql'), 'utf8'));
    return {
      online: async (id) => (await db.query<RowDataPacket[]>("SELECT 1 FROM mqtt_client WHERE clientid = ? AND state = '1'", [id]))[0].length === 1,
      messages: async (t) => (await db.query<RowDataPacket[]>('SELECT sender, qos, payload FROM mqtt_msg WHERE topic = ? ORDER BY id', [t]))[0].map((r) => ({ sender: String(r.sender), qos: Number(r.qos), payload: (r.payload as Buffer).toString() })),
      close: () => db.end(),
    };
  },
});
