// emqx_auth_mysql end to end: a real MariaDB with EMQX's mqtt.sql tables, a broker with the
// plugin loaded from plugins/emqx_auth_mysql/dist (build first), real mqtt.js clients.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import mysql from 'mysql2/promise';
import { createBroker, createLogger, defaultZone, type BrokerNode } from '@nemq/kernel';
import { requireServices, startService, type Service } from '../../../test/services/index';

jest.setTimeout(60_000);
requireServices('mariadb');

const ROOT = join(__dirname, '../../..');
const NAME = 'emqx_auth_mysql';
const SHIPPED_AUTH = "select password from mqtt_user where username = '%u' limit 1";
const SALTED_AUTH = "select password, salt from mqtt_user where username = '%u' limit 1";
const SHIPPED_SUPER = "select is_superuser from mqtt_user where username = '%u' limit 1";
const SHIPPED_ACL =
  "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'";

// EMQX apps/emqx_auth_mysql/mqtt.sql (tables and the shipped ACL rows 1-6)
const SCHEMA = [
  'DROP TABLE IF EXISTS `mqtt_acl`',
  `CREATE TABLE \`mqtt_acl\` (
    \`id\` int(11) unsigned NOT NULL AUTO_INCREMENT,
    \`allow\` int(1) DEFAULT NULL COMMENT '0: deny, 1: allow',
    \`ipaddr\` varchar(60) DEFAULT NULL COMMENT 'IpAddress',
    \`username\` varchar(100) DEFAULT NULL COMMENT 'Username',
    \`clientid\` varchar(100) DEFAULT NULL COMMENT 'ClientId',
    \`access\` int(2) NOT NULL COMMENT '1: subscribe, 2: publish, 3: pubsub',
    \`topic\` varchar(100) NOT NULL DEFAULT '' COMMENT 'Topic Filter',
    PRIMARY KEY (\`id\`)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `INSERT INTO \`mqtt_acl\` (\`id\`, \`allow\`, \`ipaddr\`, \`username\`, \`clientid\`, \`access\`, \`topic\`) VALUES
    (1,1,NULL,'$all',NULL,2,'#'),
    (2,0,NULL,'$all',NULL,1,'$SYS/#'),
    (3,0,NULL,'$all',NULL,1,'eq #'),
    (4,1,'127.0.0.1',NULL,NULL,2,'$SYS/#'),
    (5,1,'127.0.0.1',NULL,NULL,2,'#'),
    (6,1,NULL,'dashboard',NULL,1,'$SYS/#')`,
  'DROP TABLE IF EXISTS `mqtt_user`',
  `CREATE TABLE \`mqtt_user\` (
    \`id\` int(11) unsigned NOT NULL AUTO_INCREMENT,
    \`username\` varchar(100) DEFAULT NULL,
    \`password\` varchar(100) DEFAULT NULL,
    \`salt\` varchar(35) DEFAULT NULL,
    \`is_superuser\` tinyint(1) DEFAULT 0,
    \`created\` datetime DEFAULT NULL,
    PRIMARY KEY (\`id\`),
    UNIQUE KEY \`mqtt_username\` (\`username\`)
  ) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4`,
];

// Stored hashes of the password "public": digests computed by MariaDB itself; bcrypt by
// libxcrypt, PBKDF2 by python hashlib (the same vectors as packages/sdk/test/passwd.test.ts).
const USERS = `INSERT INTO mqtt_user (username, password, salt, is_superuser) VALUES
  ('alice', SHA2('public', 256), NULL, 0),
  ('root', SHA2('rootpw', 256), NULL, 1),
  ('u_plain', 'public', NULL, 0),
  ('u_md5', MD5('public'), NULL, 0),
  ('u_sha', SHA1('public'), NULL, 0),
  ('u_bcrypt', '$2b$04$abcdefghijklmnopqrstuuaNoRgelGRsJ2Tm9Zn/HHRlHib6lnzBu', NULL, 0),
  ('u_salt_sha256', SHA2(CONCAT('salt', 'public'), 256), 'salt', 0),
  ('u_sha256_salt', SHA2(CONCAT('public', 'salt'), 256), 'salt', 0),
  ('u_salt_md5', MD5(CONCAT('salt', 'public')), 'salt', 0),
  ('u_salt_bcrypt', '$2b$04$abcdefghijklmnopqrstuuaNoRgelGRsJ2Tm9Zn/HHRlHib6lnzBu', '$2b$04$abcdefghijklmnopqrstuu', 0),
  ('u_pbkdf2', '5a21f11c597da1447641c0a5ba58b856a76f1084', 'salt', 0)`;

// ACL rows after EMQX's six; the last row returned is tried first
const ACL = `INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES
  (0, NULL, '$all', NULL, 1, 'secret/#'),
  (0, NULL, 'alice', NULL, 2, 'readonly/#'),
  (1, NULL, 'alice', NULL, 1, 'order/#'),
  (0, NULL, 'alice', NULL, 1, 'order/x'),
  (0, NULL, '$all', NULL, 1, 'private/#'),
  (1, NULL, '$all', NULL, 1, 'private/%u/#'),
  (0, NULL, NULL, 'c-blocked', 3, 'any/#'),
  (0, '127.0.0.0/8', 'alice', NULL, 1, 'lan/#'),
  (0, '10.0.0.0/8', 'alice', NULL, 1, 'wan/#')`;

let svc: Service;
let admin: mysql.Connection;
let dir: string;
let node: BrokerNode;
let url: string;
const clients: MqttClient[] = [];

function conf(over: Record<string, string | undefined> = {}): string {
  const base: Record<string, string | undefined> = {
    'auth.mysql.server': `${svc.env.MYSQL_HOST}:${svc.env.MYSQL_PORT}`,
    'auth.mysql.pool': '4',
    'auth.mysql.username': svc.env.MYSQL_USER,
    'auth.mysql.password': svc.env.MYSQL_PASSWORD,
    'auth.mysql.database': svc.env.MYSQL_DATABASE,
    'auth.mysql.query_timeout': '5s',
    'auth.mysql.auth_query': SHIPPED_AUTH,
    'auth.mysql.password_hash': 'sha256',
    'auth.mysql.super_query': SHIPPED_SUPER,
    'auth.mysql.acl_query': SHIPPED_ACL,
    ...over,
  };
  return Object.entries(base)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');
}

async function startBroker(allowAnonymous: boolean): Promise<{ node: BrokerNode; url: string }> {
  const zone = defaultZone('external', { allowAnonymous });
  const n = await createBroker({
    logger: createLogger('none'),
    sysInterval: 0,
    sysHeartbeat: 0,
    zones: { external: zone, default: zone },
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, `loaded_plugins_${allowAnonymous}`), dataDir: dir, defaults: {} },
  });
  return { node: n, url: `mqtt://127.0.0.1:${n.listeners[0]!.port}` };
}

async function reloadWith(over: Record<string, string | undefined>): Promise<void> {
  writeFileSync(join(dir, `${NAME}.conf`), conf(over));
  await node.plugins!.reload(NAME);
}

/** CONNACK code as the client saw it: 0 accepted, else the v3 return code or v5 reason code */
function connack(opts: IClientOptions, to = url): Promise<{ code: number; client: MqttClient }> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(to, { reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 5, ...opts });
    clients.push(c);
    c.once('connect', () => resolve({ code: 0, client: c }));
    c.once('error', (e: Error & { code?: unknown }) => (typeof e.code === 'number' ? resolve({ code: e.code, client: c }) : reject(e)));
    c.once('close', () => setTimeout(() => reject(new Error('closed without CONNACK')), 50));
  });
}

async function connected(opts: IClientOptions, to = url): Promise<MqttClient> {
  const r = await connack(opts, to);
  if (r.code !== 0) throw new Error(`CONNACK ${r.code}`);
  return r.client;
}

function suback(c: MqttClient, filter: string): Promise<number> {
  return new Promise((resolve, reject) => {
    c.subscribe(filter, { qos: 1 }, (err, _subs, packet) => {
      const g = (packet as { granted?: number[] } | undefined)?.granted?.[0];
      if (typeof g === 'number') resolve(g);
      else reject(err ?? new Error('no SUBACK'));
    });
  });
}

/** PUBACK reason code of a QoS 1 publish (v5) */
function puback(c: MqttClient, topic: string, payload: string): Promise<number> {
  return new Promise((resolve) => {
    c.publish(topic, payload, { qos: 1 }, (err) => resolve(err ? Number((err as Error & { code?: number }).code) : 0));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function closeClients(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
}

beforeAll(async () => {
  svc = await startService('mariadb');
  admin = await mysql.createConnection({
    host: svc.env.MYSQL_HOST,
    port: Number(svc.env.MYSQL_PORT),
    user: svc.env.MYSQL_USER,
    password: svc.env.MYSQL_PASSWORD,
    database: svc.env.MYSQL_DATABASE,
  });
  for (const s of SCHEMA) await admin.query(s);
  await admin.query(USERS);
  await admin.query(ACL);
  dir = mkdtempSync(join(tmpdir(), 'nemq-auth-mysql-'));
  writeFileSync(join(dir, `${NAME}.conf`), conf());
  ({ node, url } = await startBroker(true));
  await node.plugins!.load(NAME);
});

afterEach(closeClients);

afterAll(async () => {
  await closeClients();
  await node?.stop();
  await admin?.end().catch(() => undefined);
  await svc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('authentication (auth_query, password_hash sha256)', () => {
  test('the right password is accepted with MQTT 3.1.1 and 5.0', async () => {
    expect((await connack({ protocolVersion: 4, username: 'alice', password: 'public' })).code).toBe(0);
    expect((await connack({ protocolVersion: 5, username: 'alice', password: 'public' })).code).toBe(0);
  });

  test('a wrong password: CONNACK 0x87 not authorized (v5) and 5 (v3.1.1), as EMQX for not_authorized', async () => {
    expect((await connack({ protocolVersion: 5, username: 'alice', password: 'wrong' })).code).toBe(0x87);
    expect((await connack({ protocolVersion: 4, username: 'alice', password: 'wrong' })).code).toBe(5);
    expect((await connack({ protocolVersion: 4, username: 'alice' })).code).toBe(5);
  });

  test('a user the table does not know falls through to allow_anonymous (on here)', async () => {
    expect((await connack({ protocolVersion: 4, username: 'nobody', password: 'x' })).code).toBe(0);
    expect((await connack({ protocolVersion: 5 })).code).toBe(0);
  });

  test('with allow_anonymous = false an unknown user, and an SQL-injection username, are refused', async () => {
    const strict = await startBroker(false);
    try {
      await strict.node.plugins!.load(NAME);
      expect((await connack({ protocolVersion: 4, username: 'nobody', password: 'x' }, strict.url)).code).toBe(5);
      expect((await connack({ protocolVersion: 5, username: "x' or '1'='1", password: 'public' }, strict.url)).code).toBe(0x87);
      expect((await connack({ protocolVersion: 5, username: "alice' -- ", password: 'public' }, strict.url)).code).toBe(0x87);
      expect((await connack({ protocolVersion: 5, username: 'alice', password: "' or '1'='1" }, strict.url)).code).toBe(0x87);
      expect((await connack({ protocolVersion: 5, username: 'alice', password: 'public' }, strict.url)).code).toBe(0);
    } finally {
      await closeClients();
      await strict.node.stop();
    }
  });

  test('the injection attempt reached MySQL only as a bound value: the table is intact', async () => {
    await connack({ protocolVersion: 5, username: "x'; DROP TABLE mqtt_user; -- ", password: 'p' });
    const [rows] = await admin.query('select count(*) as n from mqtt_user');
    expect((rows as Array<{ n: number }>)[0]!.n).toBe(11);
  });
});

describe('ACL (acl_query over EMQX mqtt_acl rows)', () => {
  test('a $all deny row refuses a SUBSCRIBE: SUBACK 0x87 (v5), 0x80 (v3.1.1); other filters are granted', async () => {
    const v5 = await connected({ protocolVersion: 5, username: 'alice', password: 'public' });
    expect(await suback(v5, 'secret/plans')).toBe(0x87);
    expect(await suback(v5, 'news/today')).toBe(1);
    const v3 = await connected({ protocolVersion: 4, username: 'alice', password: 'public' });
    expect(await suback(v3, 'secret/plans')).toBe(0x80);
  });

  test("EMQX's shipped rows: subscribing to # (eq #) and to $SYS/# is refused", async () => {
    const c = await connected({ protocolVersion: 5, username: 'alice', password: 'public' });
    expect(await suback(c, '#')).toBe(0x87);
    expect(await suback(c, '$SYS/#')).toBe(0x87);
    expect(await suback(c, 'a/#')).toBe(1);
  });

  test('a deny publish row: the message is not delivered (v5 PUBACK 0x87); other topics are', async () => {
    const watcher = await connected({ protocolVersion: 5, username: 'root', password: 'rootpw' });
    const got: string[] = [];
    watcher.on('message', (t) => got.push(t));
    expect(await suback(watcher, 'readonly/#')).toBe(1);
    expect(await suback(watcher, 'open/#')).toBe(1);
    const alice = await connected({ protocolVersion: 5, username: 'alice', password: 'public' });
    expect(await puback(alice, 'readonly/x', 'no')).toBe(0x87);
    expect(await puback(alice, 'open/x', 'yes')).toBe(0);
    await sleep(200);
    expect(got).toEqual(['open/x']);
  });

  test('the last row returned is tried first: a later deny of order/x beats an earlier allow of order/#', async () => {
    const c = await connected({ protocolVersion: 5, username: 'alice', password: 'public' });
    expect(await suback(c, 'order/x')).toBe(0x87);
    expect(await suback(c, 'order/y')).toBe(1);
  });

  test('%u in a rule topic is the client username', async () => {
    const c = await connected({ protocolVersion: 5, username: 'alice', password: 'public' });
    expect(await suback(c, 'private/alice/inbox')).toBe(1);
    expect(await suback(c, 'private/bob/inbox')).toBe(0x87);
  });

  test('clientid rows bind %c', async () => {
    const blocked = await connected({ protocolVersion: 5, clientId: 'c-blocked' });
    expect(await suback(blocked, 'any/thing')).toBe(0x87);
    const other = await connected({ protocolVersion: 5, clientId: 'c-other' });
    expect(await suback(other, 'any/thing')).toBe(1);
  });

  test('ipaddr plus username on one row: both must match; ipaddr is a CIDR (127.0.0.1 is in 127/8, not in 10/8)', async () => {
    const c = await connected({ protocolVersion: 5, username: 'alice', password: 'public' });
    expect(await suback(c, 'lan/printer')).toBe(0x87);
    expect(await suback(c, 'wan/router')).toBe(1);
    const bob = await connected({ protocolVersion: 5, username: 'bob' });
    expect(await suback(bob, 'lan/printer')).toBe(1);
  });

  test('a superuser (is_superuser = 1) is not ACL-checked', async () => {
    const root = await connected({ protocolVersion: 5, username: 'root', password: 'rootpw' });
    expect(await suback(root, 'secret/plans')).toBe(1);
    expect(await suback(root, '#')).toBe(1);
    expect(await suback(root, '$SYS/#')).toBe(1);
  });

  test('a username starting with $ is not checked by this plugin (acl_nomatch allow decides)', async () => {
    const c = await connected({ protocolVersion: 5, username: '$bridge' });
    expect(await suback(c, 'secret/plans')).toBe(1);
  });
});

describe('password_hash variants (plugin reloaded with each)', () => {
  afterAll(async () => {
    await reloadWith({});
  });

  test.each([
    ['plain', 'u_plain', SHIPPED_AUTH],
    ['md5', 'u_md5', SHIPPED_AUTH],
    ['sha', 'u_sha', SHIPPED_AUTH],
    ['bcrypt', 'u_bcrypt', SHIPPED_AUTH],
    ['salt,sha256', 'u_salt_sha256', SALTED_AUTH],
    ['sha256,salt', 'u_sha256_salt', SALTED_AUTH],
    ['salt,md5', 'u_salt_md5', SALTED_AUTH],
    ['salt,bcrypt', 'u_salt_bcrypt', SALTED_AUTH],
    ['pbkdf2,sha256,1000,20', 'u_pbkdf2', SALTED_AUTH],
  ])('password_hash = %s', async (hash, user, query) => {
    await reloadWith({ 'auth.mysql.password_hash': hash, 'auth.mysql.auth_query': query });
    expect((await connack({ protocolVersion: 5, username: user, password: 'public' })).code).toBe(0);
    expect((await connack({ protocolVersion: 5, username: user, password: 'publik' })).code).toBe(0x87);
    expect((await connack({ protocolVersion: 4, username: user, password: 'publik' })).code).toBe(5);
  });

  test('a salted hash with a query that returns no salt column: no opinion (falls through to allow_anonymous)', async () => {
    await reloadWith({ 'auth.mysql.password_hash': 'salt,sha256', 'auth.mysql.auth_query': SHIPPED_AUTH });
    expect((await connack({ protocolVersion: 5, username: 'u_salt_sha256', password: 'wrong' })).code).toBe(0);
  });

  test('an unsupported password_hash: a reload keeps the running instance (old conf) serving, a load fails', async () => {
    await reloadWith({ 'auth.mysql.password_hash': 'plain', 'auth.mysql.auth_query': SHIPPED_AUTH });
    writeFileSync(join(dir, `${NAME}.conf`), conf({ 'auth.mysql.password_hash': 'sha384' }));
    await expect(node.plugins!.reload(NAME)).rejects.toThrow(/unsupported password_hash.*rolled back: emqx_auth_mysql \S+ keeps running/);
    expect(node.plugins!.isLoaded(NAME)).toBe(true);
    expect((await connack({ protocolVersion: 5, username: 'u_plain', password: 'public' })).code).toBe(0);
    expect((await connack({ protocolVersion: 5, username: 'u_plain', password: 'publik' })).code).toBe(0x87);
    await node.plugins!.unload(NAME);
    await expect(node.plugins!.load(NAME)).rejects.toThrow(/unsupported password_hash/);
    expect(node.plugins!.isLoaded(NAME)).toBe(false);
  });
});

describe('hooks only for configured queries', () => {
  afterAll(async () => {
    await reloadWith({});
  });

  test('without acl_query the plugin does not check ACL; without auth_query it does not authenticate', async () => {
    await reloadWith({ 'auth.mysql.acl_query': undefined });
    expect(node.registry.tapCount(NAME)).toBe(1);
    const c = await connected({ protocolVersion: 5, username: 'alice', password: 'public' });
    expect(await suback(c, 'secret/plans')).toBe(1);
    expect((await connack({ protocolVersion: 5, username: 'alice', password: 'wrong' })).code).toBe(0x87);

    await reloadWith({ 'auth.mysql.auth_query': undefined });
    expect(node.registry.tapCount(NAME)).toBe(1);
    const anyone = await connected({ protocolVersion: 5, username: 'alice', password: 'wrong' });
    expect(await suback(anyone, 'secret/plans')).toBe(0x87);
  });
});

describe('failures and run-time unload', () => {
  test('a query slower than query_timeout: the client is refused (0x87) and the broker goes on', async () => {
    await reloadWith({ 'auth.mysql.auth_query': "select password from mqtt_user where username = '%u' and sleep(2) = 0 limit 1", 'auth.mysql.query_timeout': '300ms' });
    const t0 = Date.now();
    expect((await connack({ protocolVersion: 5, username: 'alice', password: 'public' })).code).toBe(0x87);
    expect(Date.now() - t0).toBeLessThan(1500);
    await reloadWith({});
    expect((await connack({ protocolVersion: 5, username: 'alice', password: 'public' })).code).toBe(0);
  });

  test('MySQL down: new clients get CONNACK 0x87 / 5 (EMQX: the error is the auth result), connected clients keep working, and it recovers', async () => {
    const sub = await connected({ protocolVersion: 5, username: 'root', password: 'rootpw' });
    const got: string[] = [];
    sub.on('message', (_t, p) => got.push(p.toString()));
    expect(await suback(sub, 'live/#')).toBe(1);
    const pub = await connected({ protocolVersion: 4, username: 'alice', password: 'public' });

    await svc.down();
    try {
      await expect(admin.query('select 1')).rejects.toThrow();
      expect((await connack({ protocolVersion: 5, username: 'alice', password: 'public' })).code).toBe(0x87);
      expect((await connack({ protocolVersion: 4, username: 'alice', password: 'public' })).code).toBe(5);
      // ACL lookups fail too: no opinion, so acl_nomatch (allow) decides for the connected client
      await pub.publishAsync('live/1', 'still here', { qos: 1 });
      for (let i = 0; i < 100 && got.length === 0; i++) await sleep(20);
      expect(got).toEqual(['still here']);
    } finally {
      await svc.up();
    }
    let code = -1;
    for (let i = 0; i < 50 && code !== 0; i++) {
      code = (await connack({ protocolVersion: 5, username: 'alice', password: 'public' })).code;
      if (code !== 0) await sleep(100);
    }
    expect(code).toBe(0);
  });

  test('unload at run time: auth and ACL are no longer consulted, connected clients stay connected', async () => {
    const alice = await connected({ protocolVersion: 5, username: 'alice', password: 'public' });
    const got: string[] = [];
    alice.on('message', (_t, p) => got.push(p.toString()));
    expect(await suback(alice, 'keep/#')).toBe(1);

    await node.plugins!.unload(NAME);
    expect(node.registry.tapCount(NAME)).toBe(0);
    // wrong password now passes (allow_anonymous), and the deny rows are gone
    const anyone = await connected({ protocolVersion: 5, username: 'alice', password: 'wrong' });
    expect(await suback(anyone, 'secret/plans')).toBe(1);
    await anyone.publishAsync('keep/1', 'hello', { qos: 1 });
    for (let i = 0; i < 100 && got.length === 0; i++) await sleep(20);
    expect(got).toEqual(['hello']);
    expect(alice.connected).toBe(true);

    await node.plugins!.load(NAME);
    expect((await connack({ protocolVersion: 5, username: 'alice', password: 'wrong' })).code).toBe(0x87);
    expect(alice.connected).toBe(true);
  });

  test('load fails when MySQL cannot be reached (EMQX: the pool cannot start)', async () => {
    await node.plugins!.unload(NAME);
    writeFileSync(join(dir, `${NAME}.conf`), conf({ 'auth.mysql.server': '127.0.0.1:1' }));
    await expect(node.plugins!.load(NAME)).rejects.toThrow(/can't connect to MySQL/);
    expect(node.plugins!.isLoaded(NAME)).toBe(false);
    expect(node.registry.tapCount(NAME)).toBe(0);
    writeFileSync(join(dir, `${NAME}.conf`), conf());
    await node.plugins!.load(NAME);
  });
});
