// emqx_auth_mysql end to end: a real MariaDB with EMQX's mqtt.sql tables, the plugin loaded from
// plugins/emqx_auth_mysql/dist (build first), the shared conformance kit and real mqtt.js clients.
import mysql from 'mysql2/promise';
import { KIT_ACL, KIT_HASH_USERS, KIT_USERS, puback, runAuthKit, suback, type KitRule } from '../../../test/authkit';
import { startService, type Service } from '../../../test/services/index';

jest.setTimeout(60_000);

const NAME = 'emqx_auth_mysql';
const AUTH = "select password from mqtt_user where username = '%u' limit 1";
const SALTED_AUTH = "select password, salt from mqtt_user where username = '%u' limit 1";
const SUPER = "select is_superuser from mqtt_user where username = '%u' limit 1";
const ACL =
  "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'";
const salted = (hash: string): boolean => hash.includes('salt') || hash.startsWith('pbkdf2');

// EMQX apps/emqx_auth_mysql/mqtt.sql: the tables and its six shipped ACL rows (password widened from
// varchar(100) to 128: a sha512 digest is 128 hex characters)
const SCHEMA = [
  `CREATE TABLE mqtt_acl (id int(11) unsigned NOT NULL AUTO_INCREMENT, allow int(1) DEFAULT NULL, ipaddr varchar(60) DEFAULT NULL,
    username varchar(100) DEFAULT NULL, clientid varchar(100) DEFAULT NULL, access int(2) NOT NULL, topic varchar(100) NOT NULL DEFAULT '',
    PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES
    (1,NULL,'$all',NULL,2,'#'), (0,NULL,'$all',NULL,1,'$SYS/#'), (0,NULL,'$all',NULL,1,'eq #'),
    (1,'127.0.0.1',NULL,NULL,2,'$SYS/#'), (1,'127.0.0.1',NULL,NULL,2,'#'), (1,NULL,'dashboard',NULL,1,'$SYS/#')`,
  `CREATE TABLE mqtt_user (id int(11) unsigned NOT NULL AUTO_INCREMENT, username varchar(100) DEFAULT NULL, password varchar(128) DEFAULT NULL,
    salt varchar(35) DEFAULT NULL, is_superuser tinyint(1) DEFAULT 0, created datetime DEFAULT NULL,
    PRIMARY KEY (id), UNIQUE KEY mqtt_username (username)) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4`,
];

/** the stored password as MariaDB itself computes it, where it can; bcrypt and PBKDF2 from the kit */
const BY_MARIADB: Record<string, string> = {
  plain: '?',
  md5: 'MD5(?)',
  sha: 'SHA1(?)',
  sha256: 'SHA2(?, 256)',
  sha512: 'SHA2(?, 512)',
  'salt,sha256': "SHA2(CONCAT('salt', ?), 256)",
  'sha256,salt': "SHA2(CONCAT(?, 'salt'), 256)",
  'salt,md5': "MD5(CONCAT('salt', ?))",
};
const ACCESS = { subscribe: 1, publish: 2, pubsub: 3 } as const;

/** a kit rule as an mqtt_acl row: allow, ipaddr, username, clientid, access, topic */
function row(r: KitRule): unknown[] {
  const who = r.who === 'all' ? ['$all', null] : 'username' in r.who ? [r.who.username, null] : [null, r.who.clientid];
  return [r.permission === 'allow' ? 1 : 0, null, ...who, ACCESS[r.access], r.topic];
}

// rows of our own, after the kit's, so tried before them (EMQX tries the last row returned first)
const OWN_ACL = `INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES
  (1, NULL, 'alice', NULL, 1, 'order/#'), (0, NULL, 'alice', NULL, 1, 'order/x'),
  (0, NULL, NULL, 'c-blocked', 3, 'any/#'),
  (0, '127.0.0.0/8', 'alice', NULL, 1, 'lan/#'), (0, '10.0.0.0/8', 'alice', NULL, 1, 'wan/#')`;

let svc: Service;
let admin: mysql.Connection;

const env = (): mysql.ConnectionOptions => ({
  host: svc.env.MYSQL_HOST,
  port: Number(svc.env.MYSQL_PORT),
  user: svc.env.MYSQL_USER,
  password: svc.env.MYSQL_PASSWORD,
  database: svc.env.MYSQL_DATABASE,
});

function conf(hash: string): Record<string, string> {
  return {
    'auth.mysql.server': `${svc.env.MYSQL_HOST}:${svc.env.MYSQL_PORT}`,
    'auth.mysql.pool': '4',
    'auth.mysql.username': svc.env.MYSQL_USER!,
    'auth.mysql.password': svc.env.MYSQL_PASSWORD!,
    'auth.mysql.database': svc.env.MYSQL_DATABASE!,
    'auth.mysql.query_timeout': '5s',
    'auth.mysql.auth_query': salted(hash) ? SALTED_AUTH : AUTH,
    'auth.mysql.password_hash': hash,
    'auth.mysql.super_query': SUPER,
    'auth.mysql.acl_query': ACL,
  };
}

runAuthKit({
  plugin: NAME,
  title: 'MariaDB',
  services: ['mariadb'],
  hashes: ['plain', 'md5', 'sha', 'sha256', 'sha512', 'bcrypt', 'salt,sha256', 'sha256,salt', 'salt,md5', 'pbkdf2,sha256,1000,20'],
  acl: 'rules',
  superuser: true,
  async setup() {
    svc = await startService('mariadb');
    admin = await mysql.createConnection(env());
    admin.on('error', () => undefined); // svc.down() kills its connection
    for (const s of SCHEMA) await admin.query(s);
    for (const u of KIT_USERS) {
      await admin.query('INSERT INTO mqtt_user (username, password, is_superuser) VALUES (?, SHA2(?, 256), ?)', [u.username, u.password, u.superuser ? 1 : 0]);
    }
    for (const u of KIT_HASH_USERS) {
      const expr = BY_MARIADB[u.hash];
      await admin.query(`INSERT INTO mqtt_user (username, password, salt) VALUES (?, ${expr ?? '?'}, ?)`, [u.username, expr ? u.password : u.stored, u.salt]);
    }
    for (const r of [...KIT_ACL].reverse()) await admin.query('INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES (?, ?, ?, ?, ?, ?)', row(r));
    await admin.query(OWN_ACL);
  },
  async teardown() {
    await admin?.end().catch(() => undefined);
    await svc?.stop();
  },
  conf,
  down: () => svc.down(),
  up: () => svc.up(),
  extra(kit) {
    const alice = { protocolVersion: 5 as const, username: 'alice', password: 'public' };

    test('SQL-injection usernames reach MariaDB only as bound values: the tables are intact', async () => {
      await kit.clients.code(kit.strict().url, { protocolVersion: 5, username: "x'; DROP TABLE mqtt_user; -- ", password: 'p' });
      const c = await mysql.createConnection(env()); // a fresh one: the backend-failure test restarted the server
      try {
        const [rows] = await c.query('select count(*) as n from mqtt_user');
        expect((rows as Array<{ n: number }>)[0]!.n).toBe(KIT_USERS.length + KIT_HASH_USERS.length);
      } finally {
        await c.end();
      }
    });

    test("EMQX's shipped rows: # (eq #) and $SYS/# refused to a subscriber; a $-username is not checked by this plugin", async () => {
      const c = await kit.clients.connected(kit.open().url, alice);
      expect(await suback(c, '#')).toBe(0x87);
      expect(await suback(c, '$SYS/#')).toBe(0x87);
      expect(await suback(c, 'a/#')).toBe(1);
      const dollar = await kit.clients.connected(kit.open().url, { protocolVersion: 5, username: '$bridge' });
      expect(await suback(dollar, 'secret/plans')).toBe(1);
    });

    test('the last row returned is tried first: a later deny of order/x beats an earlier allow of order/#', async () => {
      const c = await kit.clients.connected(kit.open().url, alice);
      expect(await suback(c, 'order/x')).toBe(0x87);
      expect(await suback(c, 'order/y')).toBe(1);
    });

    test('clientid rows; ipaddr plus username on one row (both must match; ipaddr is a CIDR)', async () => {
      const blocked = await kit.clients.connected(kit.open().url, { protocolVersion: 5, clientId: 'c-blocked' });
      expect(await suback(blocked, 'any/thing')).toBe(0x87);
      const other = await kit.clients.connected(kit.open().url, { protocolVersion: 5, clientId: 'c-other' });
      expect(await suback(other, 'any/thing')).toBe(1);
      const c = await kit.clients.connected(kit.open().url, alice);
      expect(await suback(c, 'lan/printer')).toBe(0x87);
      expect(await suback(c, 'wan/router')).toBe(1);
      const bob = await kit.clients.connected(kit.open().url, { protocolVersion: 5, username: 'bob' });
      expect(await suback(bob, 'lan/printer')).toBe(1);
    });

    test('salt,bcrypt, and a salted hash whose query returns no salt column (no opinion: allow_anonymous decides)', async () => {
      await kit.reconfigure({ 'auth.mysql.password_hash': 'salt,bcrypt', 'auth.mysql.auth_query': SALTED_AUTH });
      expect(await kit.clients.code(kit.strict().url, { protocolVersion: 5, username: 'h_bcrypt', password: 'public' })).toBe(0);
      expect(await kit.clients.code(kit.strict().url, { protocolVersion: 5, username: 'h_bcrypt', password: 'publik' })).toBe(0x87);
      await kit.reconfigure({ 'auth.mysql.password_hash': 'salt,sha256', 'auth.mysql.auth_query': AUTH });
      expect(await kit.clients.code(kit.open().url, { protocolVersion: 5, username: 'h_salt_sha256', password: 'wrong' })).toBe(0);
      await kit.reconfigure({});
    });

    test('without acl_query the plugin does not check ACL; without auth_query it does not authenticate', async () => {
      const node = kit.open().node;
      await kit.reconfigure({ 'auth.mysql.acl_query': undefined });
      expect(node.registry.tapCount(NAME)).toBe(1);
      const c = await kit.clients.connected(kit.open().url, alice);
      expect(await suback(c, 'secret/plans')).toBe(1);
      expect(await kit.clients.code(kit.open().url, { ...alice, password: 'wrong' })).toBe(0x87);
      await kit.reconfigure({ 'auth.mysql.auth_query': undefined });
      expect(node.registry.tapCount(NAME)).toBe(1);
      const anyone = await kit.clients.connected(kit.open().url, { ...alice, password: 'wrong' });
      expect(await suback(anyone, 'secret/plans')).toBe(0x87);
      expect(await puback(anyone, 'readonly/x', 'no')).toBe(0x87);
      await kit.reconfigure({});
    });

    test('a query slower than query_timeout: the client is refused (0x87) and the broker goes on', async () => {
      await kit.reconfigure({ 'auth.mysql.auth_query': "select password from mqtt_user where username = '%u' and sleep(2) = 0 limit 1", 'auth.mysql.query_timeout': '300ms' });
      const t0 = Date.now();
      expect(await kit.clients.code(kit.strict().url, alice)).toBe(0x87);
      expect(Date.now() - t0).toBeLessThan(1500);
      await kit.reconfigure({});
      expect(await kit.clients.code(kit.strict().url, alice)).toBe(0);
    });

    test('an unsupported password_hash: a reload keeps the running instance serving; a load fails', async () => {
      const node = kit.strict().node;
      kit.writeConf({ 'auth.mysql.password_hash': 'sha384' });
      await expect(node.plugins!.reload(NAME)).rejects.toThrow(/unsupported password_hash.*rolled back: emqx_auth_mysql \S+ keeps running/);
      expect(node.plugins!.isLoaded(NAME)).toBe(true);
      expect(await kit.clients.code(kit.strict().url, alice)).toBe(0);
      await node.plugins!.unload(NAME);
      await expect(node.plugins!.load(NAME)).rejects.toThrow(/unsupported password_hash/);
      expect(node.plugins!.isLoaded(NAME)).toBe(false);
      kit.writeConf({});
      await node.plugins!.load(NAME);
    });

    test('load fails when MySQL cannot be reached (EMQX: the pool cannot start), and nothing is left hooked', async () => {
      const node = kit.strict().node;
      await node.plugins!.unload(NAME);
      kit.writeConf({ 'auth.mysql.server': '127.0.0.1:1' });
      await expect(node.plugins!.load(NAME)).rejects.toThrow(/can't connect to MySQL/);
      expect(node.plugins!.isLoaded(NAME)).toBe(false);
      expect(node.registry.tapCount(NAME)).toBe(0);
      kit.writeConf({});
      await node.plugins!.load(NAME);
    });
  },
});
