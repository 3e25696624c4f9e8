// The backends of `nemq-bench auth`: each starts its real server through test/services/services.sh,
// seeds USERS users (user0 … user<N-1>, password `public`, sha256) with the server's own command-line
// client, and gives the plugin's conf. ACL rows allow everyone to publish to bench/#.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';

export type Env = Record<string, string>;

export interface AuthBackend {
  /** as in --backends */
  readonly name: string;
  readonly plugin: string;
  /** test/services/services.sh NAME */
  readonly service: string;
  /** creates the user table with `users` users and the ACL rows */
  seed(env: Env, users: number): void;
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

export const AUTH_BACKENDS: readonly AuthBackend[] = [mysql, pgsql];
