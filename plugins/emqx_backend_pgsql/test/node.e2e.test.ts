// emqx_backend_pgsql in a real node (bin/emqx, the shipped conf, EMQX_BACKEND__PGSQL__POOL1__*
// overrides, bin/emqx_ctl plugins load) against a real PostgreSQL.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runNodeCheck } from '../../../test/backendkit/node';

jest.setTimeout(60_000);

runNodeCheck({
  plugin: 'emqx_backend_pgsql',
  command: 'backend_pgsql',
  title: 'PostgreSQL',
  service: 'postgres',
  env: (svc) => ({
    EMQX_BACKEND__PGSQL__POOL1__SERVER: `${svc.env.POSTGRES_HOST}:${svc.env.POSTGRES_PORT}`,
    EMQX_BACKEND__PGSQL__POOL1__USERNAME: svc.env.POSTGRES_USER!,
    EMQX_BACKEND__PGSQL__POOL1__PASSWORD: svc.env.POSTGRES_PASSWORD!,
    EMQX_BACKEND__PGSQL__POOL1__DATABASE: svc.env.POSTGRES_DB!,
  }),
  async setup(svc) {
    const db = new pg.Client({ host: svc.env.POSTGRES_HOST, port: Number(svc.env.POSTGRES_PORT), user: svc.env.POSTGRES_USER, password: svc.env.POSTGRES_PASSWORD, database: svc.env.POSTGRES_DB });
    db.on('error', () => undefined);
    await db.connect();
    await db.query(readFileSync(join(__dirname, '../etc/sql/emqx_backend_pgsql.sql'), 'utf8'));
    return {
      online: async (id) => (await db.query('SELECT 1 FROM mqtt_client WHERE clientid = $1 AND state = 1', [id])).rows.length === 1,
      messages: async (t) => (await db.query('SELECT sender, qos, payload FROM mqtt_msg WHERE topic = $1 ORDER BY id', [t])).rows.map((r) => ({ sender: String(r.sender), qos: Number(r.qos), payload: String(r.payload) })),
      close: () => db.end(),
    };
  },
});
