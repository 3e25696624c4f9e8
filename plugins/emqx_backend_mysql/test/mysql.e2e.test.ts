// emqx_backend_mysql end to end against a real MariaDB (test/services), with the tables of
// etc/sql/emqx_backend_mysql.sql, through the shared data persistence kit (test/backendkit).
// The plugin is loaded from plugins/emqx_backend_mysql/dist (build first).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { runBackendKit, type KitDb } from '../../../test/backendkit/index';
import type { Service } from '../../../test/services/index';

jest.setTimeout(60_000);

const SCHEMA = readFileSync(join(__dirname, '../etc/sql/emqx_backend_mysql.sql'), 'utf8');

class MysqlKitDb implements KitDb {
  constructor(private readonly c: Connection) {}
  async reset(): Promise<void> {
    await this.c.query(SCHEMA);
    await this.c.query('DROP TABLE IF EXISTS t_rule; CREATE TABLE t_rule (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, clientid varchar(64), x int)');
  }
  async ruleRows() {
    const [rows] = await this.c.execute<RowDataPacket[]>('SELECT clientid, x FROM t_rule ORDER BY id');
    return rows.map((r) => ({ clientid: String(r.clientid), x: Number(r.x) }));
  }
  async client(clientid: string) {
    const [rows] = await this.c.execute<RowDataPacket[]>('SELECT state, node, online_at, offline_at FROM mqtt_client WHERE clientid = ?', [clientid]);
    const r = rows[0];
    return r && { state: Number(r.state), node: String(r.node), online: r.online_at !== null, offline: r.offline_at !== null };
  }
  async messages(topic: string) {
    const [rows] = await this.c.execute<RowDataPacket[]>('SELECT msgid, topic, sender, qos, retain, payload FROM mqtt_msg WHERE topic = ? ORDER BY id', [topic]);
    return rows.map((r) => ({ msgid: String(r.msgid), topic: String(r.topic), sender: String(r.sender), qos: Number(r.qos), retain: Number(r.retain) === 1, payload: r.payload as Buffer }));
  }
  async retained(topic: string) {
    const [rows] = await this.c.execute<RowDataPacket[]>('SELECT msgid, topic, sender, qos, payload FROM mqtt_retain WHERE topic = ?', [topic]);
    const r = rows[0];
    return r && { msgid: String(r.msgid), topic: String(r.topic), sender: String(r.sender), qos: Number(r.qos), retain: true, payload: r.payload as Buffer };
  }
  async acked(clientid: string, topic: string) {
    const [rows] = await this.c.execute<RowDataPacket[]>('SELECT a.mid, m.msgid FROM mqtt_acked a LEFT JOIN mqtt_msg m ON m.id = a.mid WHERE a.clientid = ? AND a.topic = ?', [clientid, topic]);
    const r = rows[0];
    return r === undefined ? undefined : r.msgid === null ? '' : String(r.msgid);
  }
  async addSub(clientid: string, topic: string, qos: number): Promise<void> {
    await this.c.execute('INSERT INTO mqtt_sub (clientid, topic, qos) VALUES (?, ?, ?)', [clientid, topic, qos]);
  }
  async subs(clientid: string) {
    const [rows] = await this.c.execute<RowDataPacket[]>('SELECT topic, qos FROM mqtt_sub WHERE clientid = ? ORDER BY id', [clientid]);
    return rows.map((r) => ({ topic: String(r.topic), qos: Number(r.qos) }));
  }
  async close(): Promise<void> {
    await this.c.end();
  }
}

runBackendKit({
  plugin: 'emqx_backend_mysql',
  prefix: 'backend.mysql',
  command: 'backend_mysql',
  title: 'MySQL (MariaDB)',
  service: 'mariadb',
  sql: true,
  subscribeSql: 'insert into mqtt_sub(clientid, topic, qos) values(${clientid}, ${topic}, ${qos}) on duplicate key update qos = ${qos}',
  rule: {
    resourceType: 'backend_mysql',
    action: 'data_to_mysql',
    resource: (svc: Service) => ({ server: `${svc.env.MYSQL_HOST}:${svc.env.MYSQL_PORT}`, user: svc.env.MYSQL_USER, password: svc.env.MYSQL_PASSWORD, database: svc.env.MYSQL_DATABASE, pool_size: 2 }),
    params: { sql: 'insert into t_rule(clientid, x) values (${clientid}, ${x})' },
  },
  pool: (svc: Service) => ({
    server: `${svc.env.MYSQL_HOST}:${svc.env.MYSQL_PORT}`,
    pool_size: '4',
    user: svc.env.MYSQL_USER!,
    password: svc.env.MYSQL_PASSWORD!,
    database: svc.env.MYSQL_DATABASE!,
  }),
  connect: async (svc: Service) => {
    const c = await createConnection({ host: svc.env.MYSQL_HOST, port: Number(svc.env.MYSQL_PORT), user: svc.env.MYSQL_USER, password: svc.env.MYSQL_PASSWORD, database: svc.env.MYSQL_DATABASE, multipleStatements: true });
    return new MysqlKitDb(c);
  },
});
