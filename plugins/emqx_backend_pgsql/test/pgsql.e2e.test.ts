// emqx_backend_pgsql end to end against a real PostgreSQL (test/services), with the tables of
// etc/sql/emqx_backend_pgsql.sql, through the shared data persistence kit (test/backendkit).
// The plugin is loaded from plugins/emqx_backend_pgsql/dist (build first).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runBackendKit, type KitDb } from '../../../test/backendkit/index';
import type { Service } from '../../../test/services/index';

jest.setTimeout(60_000);

const SCHEMA = readFileSync(join(__dirname, '../etc/sql/emqx_backend_pgsql.sql'), 'utf8');

class PgKitDb implements KitDb {
  constructor(private readonly c: pg.Client) {}
  async reset(): Promise<void> {
    await this.c.query(SCHEMA);
    await this.c.query('DROP TABLE IF EXISTS t_rule; CREATE TABLE t_rule (id SERIAL primary key, clientid varchar(64), x integer)');
  }
  async ruleRows() {
    const { rows } = await this.c.query('SELECT clientid, x FROM t_rule ORDER BY id');
    return rows.map((r) => ({ clientid: String(r.clientid), x: Number(r.x) }));
  }
  async client(clientid: string) {
    const r = (await this.c.query('SELECT state, node, online_at, offline_at FROM mqtt_client WHERE clientid = $1', [clientid])).rows[0];
    return r && { state: Number(r.state), node: String(r.node), online: r.online_at !== null, offline: r.offline_at !== null };
  }
  async messages(topic: string) {
    const { rows } = await this.c.query('SELECT msgid, topic, sender, qos, retain, payload FROM mqtt_msg WHERE topic = $1 ORDER BY id', [topic]);
    return rows.map((r) => ({ msgid: String(r.msgid), topic: String(r.topic), sender: String(r.sender), qos: Number(r.qos), retain: Number(r.retain) === 1, payload: Buffer.from(String(r.payload)) }));
  }
  async retained(topic: string) {
    const r = (await this.c.query('SELECT msgid, topic, sender, qos, payload FROM mqtt_retain WHERE topic = $1', [topic])).rows[0];
    return r && { msgid: String(r.msgid), topic: String(r.topic), sender: String(r.sender), qos: Number(r.qos), retain: true, payload: Buffer.from(String(r.payload)) };
  }
  async acked(clientid: string, topic: string) {
    const r = (await this.c.query('SELECT a.mid, m.msgid FROM mqtt_acked a LEFT JOIN mqtt_msg m ON m.id = a.mid WHERE a.clientid = $1 AND a.topic = $2', [clientid, topic])).rows[0];
    return r === undefined ? undefined : r.msgid === null ? '' : String(r.msgid);
  }
  async addSub(clientid: string, topic: string, qos: number): Promise<void> {
    await this.c.query('INSERT INTO mqtt_sub (clientid, topic, qos, created) VALUES ($1, $2, $3, now())', [clientid, topic, qos]);
  }
  async subs(clientid: string) {
    const { rows } = await this.c.query('SELECT topic, qos FROM mqtt_sub WHERE clientid = $1 ORDER BY id', [clientid]);
    return rows.map((r) => ({ topic: String(r.topic), qos: Number(r.qos) }));
  }
  async close(): Promise<void> {
    await this.c.end();
  }
}

runBackendKit({
  plugin: 'emqx_backend_pgsql',
  prefix: 'backend.pgsql',
  command: 'backend_pgsql',
  title: 'PostgreSQL',
  service: 'postgres',
  sql: true,
  binary: false,
  subscribeSql: 'insert into mqtt_sub(clientid, topic, qos, created) values(${clientid}, ${topic}, ${qos}, now()) on conflict (clientid, topic) do update set qos = excluded.qos',
  rule: {
    resourceType: 'backend_pgsql',
    action: 'data_to_pgsql',
    resource: (svc: Service) => ({ server: `${svc.env.POSTGRES_HOST}:${svc.env.POSTGRES_PORT}`, user: svc.env.POSTGRES_USER, password: svc.env.POSTGRES_PASSWORD, database: svc.env.POSTGRES_DB, pool_size: 2 }),
    params: { sql: 'insert into t_rule(clientid, x) values (${clientid}, ${x})' },
  },
  pool: (svc: Service) => ({
    server: `${svc.env.POSTGRES_HOST}:${svc.env.POSTGRES_PORT}`,
    pool_size: '4',
    username: svc.env.POSTGRES_USER!,
    password: svc.env.POSTGRES_PASSWORD!,
    database: svc.env.POSTGRES_DB!,
  }),
  connect: async (svc: Service) => {
    const c = new pg.Client({ host: svc.env.POSTGRES_HOST, port: Number(svc.env.POSTGRES_PORT), user: svc.env.POSTGRES_USER, password: svc.env.POSTGRES_PASSWORD, database: svc.env.POSTGRES_DB });
    c.on('error', () => undefined);
    await c.connect();
    return new PgKitDb(c);
  },
});
