// emqx_auth_mysql: authentication and ACL from MySQL (EMQX 4.3, reference §2.8).
// client.authenticate is tapped only when auth.mysql.auth_query is set, client.check_acl
// only when auth.mysql.acl_query is set; the pool is closed on unload.
import { backendTls, definePlugin, hashPassword, sqlAuthenticate, sqlCheckAcl, confString, type ConfSchema, type ConfValues } from '@nemq/sdk';
import { Db, parseServer, type DbOptions } from './db.js';
import { parseQuery } from './sql.js';

const SHIPPED_AUTH_QUERY = "select password from mqtt_user where username = '%u' limit 1";
const SHIPPED_SUPER_QUERY = "select is_superuser from mqtt_user where username = '%u' limit 1";
const SHIPPED_ACL_QUERY =
  "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'";

/** EMQX: an unset query_timeout means 5 minutes */
export const DEFAULT_QUERY_TIMEOUT = 300_000;

// Keys and defaults of EMQX's priv/emqx_auth_mysql.schema. The three queries have no schema
// default (a query left out of the conf file is off); etc/emqx_auth_mysql.conf sets them.
export const schema = {
  'auth.mysql.server': { type: 'string', default: '127.0.0.1:3306', doc: 'MySQL server: Port | IP:Port | Host:Port' },
  'auth.mysql.pool': { type: 'integer', default: '8', doc: 'connection pool size' },
  'auth.mysql.username': { type: 'string', default: '', doc: 'MySQL user' },
  'auth.mysql.password': { type: 'string', default: '', doc: 'MySQL password' },
  'auth.mysql.database': { type: 'string', default: 'mqtt', doc: 'MySQL database' },
  'auth.mysql.query_timeout': { type: 'duration', doc: 'time limit of one query, e.g. 5s; unset: 5 minutes' },
  'auth.mysql.auth_query': { type: 'string', doc: `authentication query (columns password and optionally salt); unset: no authentication. Shipped: ${SHIPPED_AUTH_QUERY}` },
  'auth.mysql.password_hash': { type: 'string', default: 'sha256', doc: 'plain | md5 | sha | sha256 | sha512 | bcrypt | salt,<h> | <h>,salt | salt,bcrypt | pbkdf2,<macfun>,<iterations>,<dklen>' },
  'auth.mysql.super_query': { type: 'string', doc: `superuser query (one column, 1 = superuser); unset: nobody is. Shipped: ${SHIPPED_SUPER_QUERY}` },
  'auth.mysql.acl_query': { type: 'string', doc: `ACL query (allow, ipaddr, username, clientid, access, topic); unset: no ACL. Shipped: ${SHIPPED_ACL_QUERY}` },
  'auth.mysql.ssl': { type: 'boolean', default: 'off', doc: 'TLS to the server' },
  'auth.mysql.ssl.cafile': { type: 'string', doc: 'CA certificate (4.0-4.2 name of ssl.cacertfile)' },
  'auth.mysql.ssl.cacertfile': { type: 'string', doc: 'CA certificate file' },
  'auth.mysql.ssl.certfile': { type: 'string', doc: 'client certificate file' },
  'auth.mysql.ssl.keyfile': { type: 'string', doc: 'client key file' },
  'auth.mysql.ssl.verify': { type: 'boolean', default: 'false', doc: 'verify the server certificate' },
  'auth.mysql.ssl.server_name_indication': { type: 'string', doc: 'name to check the server certificate against; unset: the server host; disable: no check' },
} as const satisfies ConfSchema;

/** the pool settings from the conf values (EMQX's translation of auth.mysql.*) */
export function dbOptions(c: ConfValues): DbOptions {
  const { host, port } = parseServer(String(c['auth.mysql.server'] ?? '127.0.0.1:3306'));
  const size = Number(c['auth.mysql.pool'] ?? 8);
  if (!Number.isInteger(size) || size < 1) throw new Error(`auth.mysql.pool must be at least 1, got ${size}`);
  const timeout = c['auth.mysql.query_timeout'];
  const o: DbOptions = {
    host,
    port,
    user: confString(c, 'auth.mysql.username') ?? '',
    password: confString(c, 'auth.mysql.password') ?? '',
    database: confString(c, 'auth.mysql.database') ?? '',
    size,
    queryTimeout: typeof timeout === 'number' && timeout > 0 ? timeout : DEFAULT_QUERY_TIMEOUT,
  };
  if (c['auth.mysql.ssl'] === true) {
    o.ssl = backendTls(c, 'auth.mysql.ssl');
  }
  return o;
}

export default definePlugin({
  schema,
  async start(ctx) {
    const c = ctx.config;
    const authSql = confString(c, 'auth.mysql.auth_query');
    const aclSql = confString(c, 'auth.mysql.acl_query');
    const superSql = confString(c, 'auth.mysql.super_query');
    const passwordHash = confString(c, 'auth.mysql.password_hash') ?? 'sha256';
    // refuse a hash emqx_passwd cannot compute now rather than failing every login
    // (a salt that is a valid bcrypt salt suits every kind)
    if (authSql) hashPassword(passwordHash, '', '$2b$04$abcdefghijklmnopqrstuu');

    const db = new Db(dbOptions(c));
    ctx.onDispose(() => db.close());
    try {
      await db.open();
    } catch (err) {
      throw new Error(`can't connect to MySQL server ${c['auth.mysql.server']}: ${(err as Error).message}`);
    }

    if (authSql) {
      const o = { db, authQuery: parseQuery(authSql), superQuery: superSql ? parseQuery(superSql) : undefined, passwordHash, logger: ctx.logger, backend: 'MySQL', backendError: ctx.backendError };
      ctx.hooks.tap('client.authenticate', (ci, acc) => sqlAuthenticate(o, ci, acc));
    }
    if (aclSql) {
      const o = { db, aclQuery: parseQuery(aclSql), logger: ctx.logger, backend: 'MySQL', backendError: ctx.backendError };
      ctx.hooks.tap('client.check_acl', (ci, pubsub, topic) => sqlCheckAcl(o, ci, pubsub, topic));
    }
  },
});
