// emqx_auth_pgsql end to end: a real PostgreSQL with EMQX's mqtt.sql tables, a broker with the
// plugin loaded from plugins/emqx_auth_pgsql/dist (build first), real mqtt.js clients.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pg from 'pg';
import { createBroker, createLogger, defaultZone, type BrokerNode } from '@nemq/kernel';
import { requireServices, startService, type Service } from '../../../test/services/index';

jest.setTimeout(60_000);
requireServices('postgres');

const ROOT = join(__dirname, '../../..');
const NAME = 'emqx_auth_pgsql';
const SHIPPED_AUTH = "select password from mqtt_user where username = '%u' limit 1";
const SALTED_AUTH = "select password, salt from mqtt_user where username = '%u' limit 1";
const SHIPPED_SUPER = "select is_superuser from mqtt_user where username = '%u' limit 1";
const SHIPPED_ACL =
  "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'";

// EMQX-style tables; hashes of "public" computed by PostgreSQL itself
const SCHEMA = `
CREATE TABLE mqtt_user (id serial primary key, username varchar(100) unique, password varchar(100), salt varchar(40), is_superuser boolean DEFAULT false);
CREATE TABLE mqtt_acl (id serial primary key, allow integer, ipaddr varchar(60), username varchar(100), clientid varchar(100), access integer NOT NULL, topic varchar(100) NOT NULL);
INSERT INTO mqtt_user (username, password, salt, is_superuser) VALUES
  ('alice', encode(sha256('public'), 'hex'), NULL, false),
  ('root', encode(sha256('rootpw'), 'hex'), NULL, true),
  ('u_plain', 'public', NULL, false),
  ('u_md5', md5('public'), NULL, false),
  ('u_salt_sha256', encode(sha256('saltpublic'), 'hex'), 'salt', false),
  ('u_sha256_salt', encode(sha256('publicsalt'), 'hex'), 'salt', false);
INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES
  (0, NULL, '$all', NULL, 1, 'secret/#'),
  (0, NULL, 'alice', NULL, 2, 'readonly/#'),
  (0, NULL, '$all', NULL, 1, 'private/#'),
  (1, NULL, '$all', NULL, 1, 'private/%u/#'),
  (0, NULL, NULL, 'c-blocked', 3, 'any/#');
`;

let svc: Service;
let admin: pg.Client;
let dir: string;
let node: BrokerNode;
let url: string;
const clients: MqttClient[] = [];

function conf(over: Record<string, string | undefined> = {}): string {
  const base: Record<string, string | undefined> = {
    'auth.pgsql.server': `${svc.env.POSTGRES_HOST}:${svc.env.POSTGRES_PORT}`,
    'auth.pgsql.pool': '4',
    'auth.pgsql.username': svc.env.POSTGRES_USER,
    'auth.pgsql.password': svc.env.POSTGRES_PASSWORD,
    'auth.pgsql.database': svc.env.POSTGRES_DB,
    'auth.pgsql.auth_query': SHIPPED_AUTH,
    'auth.pgsql.password_hash': 'sha256',
    'auth.pgsql.super_query': SHIPPED_SUPER,
    'auth.pgsql.acl_query': SHIPPED_ACL,
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

async function closeClients(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
}

beforeAll(async () => {
  svc = await startService('postgres');
  admin = new pg.Client({ connectionString: svc.env.POSTGRES_URL });
  admin.on('error', () => undefined); // svc.down() kills its connection
  await admin.connect();
  await admin.query(SCHEMA);
  dir = mkdtempSync(join(tmpdir(), 'nemq-auth-pgsql-'));
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

describe('authentication', () => {
  test('right password accepted v3.1.1 and v5; wrong refused 5 / 0x87', async () => {
    expect((await connack({ protocolVersion: 4, username: 'alice', password: 'public' })).code).toBe(0);
    expect((await connack({ protocolVersion: 5, username: 'alice', password: 'public' })).code).toBe(0);
    expect((await connack({ protocolVersion: 5, username: 'alice', password: 'wrong' })).code).toBe(0x87);
    expect((await connack({ protocolVersion: 4, username: 'alice', password: 'wrong' })).code).toBe(5);
  });

  test('an unknown user falls through to allow_anonymous', async () => {
    expect((await connack({ protocolVersion: 4, username: 'nobody', password: 'x' })).code).toBe(0);
  });

  test('SQL-injection usernames and clientids are refused and the table is intact', async () => {
    const strict = await startBroker(false);
    try {
      await strict.node.plugins!.load(NAME);
      expect((await connack({ protocolVersion: 5, username: "x' or '1'='1", password: 'public' }, strict.url)).code).toBe(0x87);
      expect((await connack({ protocolVersion: 5, username: "alice' -- ", password: 'public' }, strict.url)).code).toBe(0x87);
      expect((await connack({ protocolVersion: 5, clientId: "' or '1'='1", username: 'nobody', password: 'x' }, strict.url)).code).toBe(0x87);
      expect((await connack({ protocolVersion: 5, username: 'alice', password: 'public' }, strict.url)).code).toBe(0);
    } finally {
      await closeClients();
      await strict.node.stop();
    }
    await connack({ protocolVersion: 5, username: "x'; DROP TABLE mqtt_user; -- ", password: 'p' });
    expect((await admin.query('select count(*)::int as n from mqtt_user')).rows[0].n).toBe(6);
  });
});

describe('ACL', () => {
  test('deny subscribe, deny publish, %u rules; a superuser is not checked', async () => {
    const c = await connected({ protocolVersion: 5, username: 'alice', password: 'public' });
    expect(await suback(c, 'secret/plans')).toBe(0x87);
    expect(await suback(c, 'news/today')).toBe(1);
    expect(await suback(c, 'private/alice/inbox')).toBe(1);
    expect(await suback(c, 'private/bob/inbox')).toBe(0x87);
    expect(await puback(c, 'readonly/x', 'no')).toBe(0x87);
    expect(await puback(c, 'open/x', 'yes')).toBe(0);
    const root = await connected({ protocolVersion: 5, username: 'root', password: 'rootpw' });
    expect(await suback(root, 'secret/plans')).toBe(1);
    const blocked = await connected({ protocolVersion: 5, clientId: 'c-blocked' });
    expect(await suback(blocked, 'any/thing')).toBe(0x87);
    const dollar = await connected({ protocolVersion: 5, username: '$bridge' });
    expect(await suback(dollar, 'secret/plans')).toBe(1);
  });
});

describe('password_hash variants', () => {
  afterAll(async () => {
    await reloadWith({});
  });
  test.each([
    ['plain', 'u_plain', SHIPPED_AUTH],
    ['md5', 'u_md5', SHIPPED_AUTH],
    ['salt,sha256', 'u_salt_sha256', SALTED_AUTH],
    ['sha256,salt', 'u_sha256_salt', SALTED_AUTH],
  ])('password_hash = %s', async (hash, user, query) => {
    await reloadWith({ 'auth.pgsql.password_hash': hash, 'auth.pgsql.auth_query': query });
    expect((await connack({ protocolVersion: 5, username: user, password: 'public' })).code).toBe(0);
    expect((await connack({ protocolVersion: 5, username: user, password: 'publik' })).code).toBe(0x87);
  });
});

describe('failures and unload', () => {
  test('PostgreSQL down: refused 0x87 / 5; up again: accepted', async () => {
    await svc.down();
    try {
      expect((await connack({ protocolVersion: 5, username: 'alice', password: 'public' })).code).toBe(0x87);
      expect((await connack({ protocolVersion: 4, username: 'alice', password: 'public' })).code).toBe(5);
    } finally {
      await svc.up();
    }
    let code = -1;
    for (let i = 0; i < 50 && code !== 0; i++) code = (await connack({ protocolVersion: 5, username: 'alice', password: 'public' })).code;
    expect(code).toBe(0);
  });

  test('unload with a connected client: it stays connected, auth is no longer consulted', async () => {
    const alice = await connected({ protocolVersion: 5, username: 'alice', password: 'public' });
    await node.plugins!.unload(NAME);
    expect(node.registry.tapCount(NAME)).toBe(0);
    expect((await connack({ protocolVersion: 5, username: 'alice', password: 'wrong' })).code).toBe(0);
    expect(alice.connected).toBe(true);
    await node.plugins!.load(NAME);
  });
});
