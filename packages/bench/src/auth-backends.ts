// The backends of `nemq-bench auth`: each starts its real server through test/services/services.sh,
// seeds USERS users (user0 … user<N-1>, password `public`, sha256) with the server's own command-line
// client, and gives the plugin's conf. ACL rows allow everyone to publish to bench/#.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { MongoClient } from 'mongodb';

export type Env = Record<string, string>;

export interface AuthBackend {
  /** as in --backends */
  readonly name: string;
  readonly plugin: string;
  /** test/services/services.sh NAME */
  readonly service: string;
  /** shown beside its row (a stand-in server says so) */
  readonly note?: string;
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

export const AUTH_BACKENDS: readonly AuthBackend[] = [mysql, pgsql, mongo];
