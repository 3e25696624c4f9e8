// The backends of `nemq-bench auth`: each starts its real server through test/services/services.sh,
// seeds USERS users (user0 … user<N-1>, password `public`, sha256) with the server's own command-line
// client, and gives the plugin's conf. ACL rows allow everyone to publish to bench/#.
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { REPO_ROOT } from './brokers.js';
import { MongoClient } from 'mongodb';

export type Env = Record<string, string>;

export interface AuthBackend {
  /** as in --backends */
  readonly name: string;
  readonly plugin: string;
  /** test/services/services.sh NAME (with `serviceEnv`); or `serve` starts a server in this process */
  readonly service?: string;
  readonly serviceEnv?: Env;
  serve?(): Promise<{ env: Env; stop(): void }>;
  /** the clients' credentials (`%i` is the client's index); default user%i / public */
  login?(env: Env): { username: string; password: string };
  /** shown beside its row (a stand-in server says so) */
  readonly note?: string;
  /** false for backends without a connection pool (no server, or in the broker) */
  readonly pooled?: boolean;
  /** at most this many clients (a slow stand-in) */
  readonly maxClients?: number;
  /** creates the user table with `users` users and the ACL rows */
  seed(env: Env, users: number): void | Promise<void>;
  /** the plugin's conf; `acl` false leaves the ACL query out, `auth` false the auth query */
  conf(env: Env, o: { auth: boolean; acl: boolean }): Record<string, string>;
}

const SHA = createHash('sha256').update('public').digest('hex');

function userRows(n: number): string {
  const rows: string[] = [];
  for (let i = 0; i < n; i++) rows.push(`('user${i}', '${SHA}', 0)`);
  return rows.join(',\n');
}

const AUTH = "select password from mqtt_user where username = '%u' limit 1";
const ACL = "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'";

const mysql: AuthBackend = {
  name: 'mysql',
  plugin: 'emqx_auth_mysql',
  service: 'mariadb',
  seed(env, users) {
    const sql = `CREATE TABLE mqtt_user (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, username varchar(100) UNIQUE, password varchar(100), salt varchar(35), is_superuser tinyint(1) DEFAULT 0);
CREATE TABLE mqtt_acl (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, allow int(1), ipaddr varchar(60), username varchar(100), clientid varchar(100), access int(2) NOT NULL, topic varchar(100) NOT NULL DEFAULT '', INDEX (username), INDEX (clientid), INDEX (ipaddr));
INSERT INTO mqtt_user (username, password, is_superuser) VALUES ${userRows(users)};
INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES (1, NULL, '$all', NULL, 3, 'bench/#');
`;
    execFileSync('mysql', ['-h', env.MYSQL_HOST!, '-P', env.MYSQL_PORT!, '-u', env.MYSQL_USER!, `-p${env.MYSQL_PASSWORD}`, env.MYSQL_DATABASE!], { input: sql });
  },
  conf: (env, o) => ({
    'auth.mysql.server': `${env.MYSQL_HOST}:${env.MYSQL_PORT}`,
    'auth.mysql.pool': '8',
    'auth.mysql.username': env.MYSQL_USER!,
    'auth.mysql.password': env.MYSQL_PASSWORD!,
    'auth.mysql.database': env.MYSQL_DATABASE!,
    'auth.mysql.password_hash': 'sha256',
    ...(o.auth ? { 'auth.mysql.auth_query': AUTH } : {}),
    ...(o.acl ? { 'auth.mysql.acl_query': ACL } : {}),
  }),
};

const pgsql: AuthBackend = {
  name: 'pgsql',
  plugin: 'emqx_auth_pgsql',
  service: 'postgres',
  seed(env, users) {
    const sql = `CREATE TABLE mqtt_user (id serial primary key, username varchar(100) unique, password varchar(100), salt varchar(40), is_superuser integer DEFAULT 0);
CREATE TABLE mqtt_acl (id serial primary key, allow integer, ipaddr varchar(60), username varchar(100), clientid varchar(100), access integer NOT NULL, topic varchar(100) NOT NULL);
CREATE INDEX ON mqtt_acl (username); CREATE INDEX ON mqtt_acl (clientid); CREATE INDEX ON mqtt_acl (ipaddr);
INSERT INTO mqtt_user (username, password, is_superuser) VALUES ${userRows(users)};
INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES (1, NULL, '$all', NULL, 3, 'bench/#');
`;
    execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', env.POSTGRES_URL!], { input: sql });
  },
  conf: (env, o) => ({
    'auth.pgsql.server': `${env.POSTGRES_HOST}:${env.POSTGRES_PORT}`,
    'auth.pgsql.pool': '8',
    'auth.pgsql.username': env.POSTGRES_USER!,
    'auth.pgsql.password': env.POSTGRES_PASSWORD!,
    'auth.pgsql.database': env.POSTGRES_DB!,
    'auth.pgsql.password_hash': 'sha256',
    ...(o.auth ? { 'auth.pgsql.auth_query': AUTH } : {}),
    ...(o.acl ? { 'auth.pgsql.acl_query': ACL } : {}),
  }),
};

// No mongo shell here: the official driver seeds (the server is the CongoDB stand-in, see test/services)
const mongo: AuthBackend = {
  name: 'mongo',
  plugin: 'emqx_auth_mongo',
  service: 'mongo',
  note: 'CongoDB stand-in server (no real MongoDB here): a JavaScript server without indexes, so this measures the stand-in more than the plugin; 1,000 clients',
  maxClients: 1_000,
  async seed(env, users) {
    const client = await MongoClient.connect(env.MONGO_URL!, { directConnection: true });
    try {
      const db = client.db(env.MONGO_DB);
      const docs = [];
      for (let i = 0; i < users; i++) docs.push({ username: `user${i}`, password: SHA, is_superuser: false, pubsub: ['bench/#'] });
      await db.collection('mqtt_user').insertMany(docs);
      await db.collection('mqtt_acl').insertMany(docs.map((d) => ({ username: d.username, pubsub: d.pubsub })));
    } finally {
      await client.close();
    }
  },
  conf: (env, o) => ({
    'auth.mongo.type': 'single',
    'auth.mongo.server': `${env.MONGO_HOST}:${env.MONGO_PORT}`,
    'auth.mongo.pool': '8',
    'auth.mongo.database': env.MONGO_DB!,
    ...(o.auth
      ? { 'auth.mongo.auth_query.collection': 'mqtt_user', 'auth.mongo.auth_query.password_field': 'password', 'auth.mongo.auth_query.password_hash': 'sha256', 'auth.mongo.auth_query.selector': 'username=%u' }
      : {}),
    ...(o.acl ? { 'auth.mongo.acl_query.collection': 'mqtt_acl', 'auth.mongo.acl_query.selector': 'username=%u' } : {}),
  }),
};

const redis: AuthBackend = {
  name: 'redis',
  plugin: 'emqx_auth_redis',
  service: 'redis',
  seed(env, users) {
    const lines: string[] = [];
    for (let i = 0; i < users; i++) lines.push(`HSET mqtt_user:user${i} password ${SHA}`, `HSET mqtt_acl:user${i} bench/# 3`);
    execFileSync('redis-cli', ['-h', env.REDIS_HOST!, '-p', env.REDIS_PORT!, '--user', env.REDIS_USER!, '--pass', env.REDIS_PASSWORD!, '--no-auth-warning'], { input: lines.join('\n') + '\n', stdio: ['pipe', 'ignore', 'inherit'] });
  },
  conf: (env, o) => ({
    'auth.redis.type': 'single',
    'auth.redis.server': `${env.REDIS_HOST}:${env.REDIS_PORT}`,
    'auth.redis.pool': '8',
    'auth.redis.username': env.REDIS_USER!,
    'auth.redis.password': env.REDIS_PASSWORD!,
    'auth.redis.password_hash': 'sha256',
    ...(o.auth ? { 'auth.redis.auth_cmd': 'HMGET mqtt_user:%u password' } : {}),
    ...(o.acl ? { 'auth.redis.acl_cmd': 'HGETALL mqtt_acl:%u' } : {}),
  }),
};

/** a local HTTP auth service: 200 for password `public`, 401 otherwise; every ACL request allowed */
function authServer(): Promise<{ env: Env; stop(): void }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const q = new URLSearchParams(req.method === 'GET' ? (req.url ?? '').split('?')[1] ?? '' : body);
      const ok = (req.url ?? '').startsWith('/mqtt/acl') || q.get('password') === 'public';
      res.writeHead(ok ? 200 : 401, { 'content-length': 0 });
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ env: { HTTP_PORT: String((server.address() as AddressInfo).port) }, stop: () => void server.close() })),
  );
}

const httpBackend: AuthBackend = {
  name: 'http',
  plugin: 'emqx_auth_http',
  note: 'a Node.js HTTP server in the bench process answers',
  serve: authServer,
  seed: () => undefined,
  conf: (env, o) => ({
    'auth.http.pool_size': '8',
    'auth.http.enable_pipelining': 'true',
    ...(o.auth
      ? {
          'auth.http.auth_req.url': `http://127.0.0.1:${env.HTTP_PORT}/mqtt/auth`,
          'auth.http.auth_req.method': 'post',
          'auth.http.auth_req.headers.content_type': 'application/x-www-form-urlencoded',
          'auth.http.auth_req.params': 'clientid=%c,username=%u,password=%P',
        }
      : {}),
    ...(o.acl
      ? {
          'auth.http.acl_req.url': `http://127.0.0.1:${env.HTTP_PORT}/mqtt/acl`,
          'auth.http.acl_req.method': 'get',
          'auth.http.acl_req.params': 'access=%A,username=%u,clientid=%c,ipaddr=%a,topic=%t',
        }
      : {}),
  }),
};

const b64url = (x: string | Buffer): string => Buffer.from(x).toString('base64url');

/** an HS256 token for `secret`, valid for an hour */
function hs256(secret: string): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub: 'bench', exp: Math.floor(Date.now() / 1000) + 3600 }));
  return `${head}.${body}.${b64url(createHmac('sha256', secret).update(`${head}.${body}`).digest())}`;
}

const jwt: AuthBackend = {
  name: 'jwt',
  plugin: 'emqx_auth_jwt',
  note: 'HS256 token as password; no server',
  pooled: false,
  serve: async () => ({ env: {}, stop: () => undefined }),
  seed: () => undefined,
  login: () => ({ username: 'user%i', password: hs256('bench-secret') }),
  conf: () => ({ 'auth.jwt.secret': 'bench-secret', 'auth.jwt.from': 'password', 'auth.jwt.verify_claims': 'off' }),
};

const LDAP_SHA = `{SHA}${createHash('sha1').update('public').digest('base64')}`;

const ldap: AuthBackend = {
  name: 'ldap',
  plugin: 'emqx_auth_ldap',
  service: 'slapd',
  serviceEnv: { SLAPD_SCHEMAS: path.join(REPO_ROOT, 'plugins/emqx_auth_ldap/test/mqtt.schema') },
  seed(env, users) {
    const ou = `ou=device,${env.LDAP_BASE_DN}`;
    const ldif = [`dn: ${ou}\nobjectClass: organizationalUnit\nou: device\n`];
    for (let i = 0; i < users; i++) ldif.push(`dn: uid=user${i},${ou}\nobjectClass: mqttUser\nuid: user${i}\nuserPassword: ${LDAP_SHA}\nmqttPubSubTopic: bench/#\n`);
    execFileSync('ldapadd', ['-x', '-H', env.LDAP_URL!, '-D', env.LDAP_ADMIN_DN!, '-w', env.LDAP_ADMIN_PASSWORD!], { input: ldif.join('\n'), stdio: ['pipe', 'ignore', 'inherit'] });
  },
  conf: (env) => ({
    'auth.ldap.servers': env.LDAP_HOST!,
    'auth.ldap.port': env.LDAP_PORT!,
    'auth.ldap.pool': '8',
    'auth.ldap.bind_dn': env.LDAP_ADMIN_DN!,
    'auth.ldap.bind_password': env.LDAP_ADMIN_PASSWORD!,
    'auth.ldap.device_dn': `ou=device,${env.LDAP_BASE_DN}`,
    'auth.ldap.match_objectclass': 'mqttUser',
    'auth.ldap.username.attributetype': 'uid',
    'auth.ldap.password.attributetype': 'userPassword',
  }),
};

const mnesia: AuthBackend = {
  name: 'mnesia',
  plugin: 'emqx_auth_mnesia',
  note: 'built-in store, seeded from auth.user.N.* keys',
  pooled: false,
  serve: async () => ({ env: {}, stop: () => undefined }),
  seed: (env, users) => void (env.USERS = String(users)),
  conf: (env) => {
    const c: Record<string, string> = { 'auth.mnesia.password_hash': 'sha256' };
    for (let i = 0; i < Number(env.USERS ?? 0); i++) {
      c[`auth.user.${i + 1}.username`] = `user${i}`;
      c[`auth.user.${i + 1}.password`] = 'public';
    }
    return c;
  },
};

export const AUTH_BACKENDS: readonly AuthBackend[] = [mysql, pgsql, redis, mongo, ldap, httpBackend, jwt, mnesia];
