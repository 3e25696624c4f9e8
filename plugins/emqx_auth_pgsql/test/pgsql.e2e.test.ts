// emqx_auth_pgsql end to end: a real PostgreSQL with EMQX's mqtt.sql tables, the plugin loaded
// from plugins/emqx_auth_pgsql/dist (build first), the shared conformance kit and real mqtt.js clients.
import pg from 'pg';
import { KIT_ACL, KIT_HASH_USERS, KIT_USERS, runAuthKit, storedHash, suback, type KitRule } from '../../../test/authkit';
import { startService, type Service } from '../../../test/services/index';

jest.setTimeout(60_000);

const AUTH = "select password from mqtt_user where username = '%u' limit 1";
const SALTED_AUTH = "select password, salt from mqtt_user where username = '%u' limit 1";
const SUPER = "select is_superuser from mqtt_user where username = '%u' limit 1";
const ACL =
  "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'";
const salted = (hash: string): boolean => hash.includes('salt') || hash.startsWith('pbkdf2');

const SCHEMA = `
CREATE TABLE mqtt_user (id serial primary key, username varchar(100) unique, password varchar(200), salt varchar(40), is_superuser boolean DEFAULT false);
CREATE TABLE mqtt_acl (id serial primary key, allow integer, ipaddr varchar(60), username varchar(100), clientid varchar(100), access integer NOT NULL, topic varchar(100) NOT NULL);
`;
const ACCESS = { subscribe: 1, publish: 2, pubsub: 3 } as const;

/** a kit rule as an mqtt_acl row: allow, ipaddr, username, clientid, access, topic */
function row(r: KitRule): unknown[] {
  const who = r.who === 'all' ? ['$all', null] : 'username' in r.who ? [r.who.username, null] : [null, r.who.clientid];
  return [r.permission === 'allow' ? 1 : 0, null, ...who, ACCESS[r.access], r.topic];
}

let svc: Service;
let admin: pg.Client;

runAuthKit({
  plugin: 'emqx_auth_pgsql',
  title: 'PostgreSQL',
  services: ['postgres'],
  hashes: ['plain', 'md5', 'sha', 'sha256', 'sha512', 'bcrypt', 'salt,sha256', 'sha256,salt', 'salt,md5', 'pbkdf2,sha256,1000,20'],
  acl: 'rules',
  superuser: true,
  async setup() {
    svc = await startService('postgres');
    admin = new pg.Client({ connectionString: svc.env.POSTGRES_URL });
    admin.on('error', () => undefined); // svc.down() kills its connection
    await admin.connect();
    await admin.query(SCHEMA);
    for (const u of KIT_USERS) {
      await admin.query('INSERT INTO mqtt_user (username, password, is_superuser) VALUES ($1, $2, $3)', [u.username, storedHash('sha256', u.password, ''), u.superuser === true]);
    }
    for (const u of KIT_HASH_USERS) await admin.query('INSERT INTO mqtt_user (username, password, salt) VALUES ($1, $2, $3)', [u.username, u.stored, u.salt]);
    // EMQX tries the rows last first
    for (const r of [...KIT_ACL].reverse()) await admin.query('INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES ($1, $2, $3, $4, $5, $6)', row(r));
    await admin.query("INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES (0, NULL, NULL, 'c-blocked', 3, 'any/#')");
  },
  async teardown() {
    await admin?.end().catch(() => undefined);
    await svc?.stop();
  },
  conf: (hash) => ({
    'auth.pgsql.server': `${svc.env.POSTGRES_HOST}:${svc.env.POSTGRES_PORT}`,
    'auth.pgsql.pool': '4',
    'auth.pgsql.username': svc.env.POSTGRES_USER!,
    'auth.pgsql.password': svc.env.POSTGRES_PASSWORD!,
    'auth.pgsql.database': svc.env.POSTGRES_DB!,
    'auth.pgsql.auth_query': salted(hash) ? SALTED_AUTH : AUTH,
    'auth.pgsql.password_hash': hash,
    'auth.pgsql.super_query': SUPER,
    'auth.pgsql.acl_query': ACL,
  }),
  down: () => svc.down(),
  up: () => svc.up(),
  extra(kit) {
    test('SQL-injection usernames leave the tables intact', async () => {
      await kit.clients.code(kit.strict().url, { protocolVersion: 5, username: "x'; DROP TABLE mqtt_user; -- ", password: 'p' });
      // a fresh connection: the backend-failure test restarted the server
      const c = new pg.Client({ connectionString: svc.env.POSTGRES_URL });
      await c.connect();
      try {
        const n = (await c.query('select count(*)::int as n from mqtt_user')).rows[0].n;
        expect(n).toBe(KIT_USERS.length + KIT_HASH_USERS.length);
      } finally {
        await c.end();
      }
    });

    test('a clientid rule denies pubsub; a $-username is not checked', async () => {
      const blocked = await kit.clients.connected(kit.open().url, { protocolVersion: 5, clientId: 'c-blocked' });
      expect(await suback(blocked, 'any/thing')).toBe(0x87);
      const dollar = await kit.clients.connected(kit.open().url, { protocolVersion: 5, username: '$bridge' });
      expect(await suback(dollar, 'secret/plans')).toBe(1);
    });
  },
});
