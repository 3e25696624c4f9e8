// emqx_auth_pgsql: authentication and ACL from PostgreSQL (EMQX 4.3, reference §2.8).
// client.authenticate is tapped only when auth.pgsql.auth_query is set, client.check_acl
// only when auth.pgsql.acl_query is set; the pool is closed on unload.
import { backendTls, definePlugin, hashPassword, sqlAuthenticate, sqlCheckAcl, confString, type ConfSchema, type ConfValues } from '@nemq/sdk';
import { Db, parseServer, type DbOptions } from './db.js';
import { parseQuery } from './sql.js';

const SHIPPED_AUTH_QUERY = "select password from mqtt_user where username = '%u' limit 1";
const SHIPPED_SUPER_QUERY = "select is_superuser from mqtt_user where username = '%u' limit 1";
const SHIPPED_ACL_QUERY =
  "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'";

// Keys and defaults of EMQX's priv/emqx_auth_pgsql.schema. The three queries have no schema
// default (a query left out of the conf file is off); etc/emqx_auth_pgsql.conf sets them.
export const schema = {
  'auth.pgsql.server': { type: 'string', default: '127.0.0.1:5432', doc: 'PostgreSQL server: Port | IP:Port | Host:Port' },
  'auth.pgsql.pool': { type: 'integer', default: '8', doc: 'connection pool size' },
  'auth.pgsql.username': { type: 'string', default: 'root', doc: 'PostgreSQL user' },
  'auth.pgsql.password': { type: 'string', default: '', doc: 'PostgreSQL password' },
  'auth.pgsql.database': { type: 'string', default: 'mqtt', doc: 'PostgreSQL database' },
  'auth.pgsql.encoding': { type: 'string', default: 'utf8', doc: 'client encoding' },
  'auth.pgsql.ssl.tls_versions': { type: 'string', doc: 'TLS versions, e.g. tlsv1.2' },
  'auth.pgsql.auth_query': { type: 'string', doc: `authentication query (columns password and optionally salt); unset: no authentication. Shipped: ${SHIPPED_AUTH_QUERY}` },
  'auth.pgsql.password_hash': { type: 'string', default: 'sha256', doc: 'plain | md5 | sha | sha256 | sha512 | bcrypt | salt,<h> | <h>,salt | salt,bcrypt | pbkdf2,<macfun>,<iterations>,<dklen>' },
  'auth.pgsql.super_query': { type: 'string', doc: `superuser query (one column, 1 = superuser); unset: nobody is. Shipped: ${SHIPPED_SUPER_QUERY}` },
  'auth.pgsql.acl_query': { type: 'string', doc: `ACL query (allow, ipaddr, username, clientid, access, topic); unset: no ACL. Shipped: ${SHIPPED_ACL_QUERY}` },
  'auth.pgsql.ssl': { type: 'boolean', default: 'off', doc: 'TLS to the server' },
  'auth.pgsql.ssl.cacertfile': { type: 'string', doc: 'CA certificate file' },
  'auth.pgsql.ssl.certfile': { type: 'string', doc: 'client certificate file' },
  'auth.pgsql.ssl.keyfile': { type: 'string', doc: 'client key file' },
  'auth.pgsql.ssl.verify': { type: 'boolean', default: 'false', doc: 'verify the server certificate' },
  'auth.pgsql.ssl.server_name_indication': { type: 'string', doc: 'name to check the server certificate against; unset: the server host; disable: no check' },
} as const satisfies ConfSchema;

/** the pool settings from the conf values (EMQX's translation of auth.pgsql.*) */
export function dbOptions(c: ConfValues): DbOptions {
  const { host, port } = parseServer(String(c['auth.pgsql.server'] ?? '127.0.0.1:5432'));
  const size = Number(c['auth.pgsql.pool'] ?? 8);
  if (!Number.isInteger(size) || size < 1) throw new Error(`auth.pgsql.pool must be at least 1, got ${size}`);
  const o: DbOptions = {
    host,
    port,
    user: confString(c, 'auth.pgsql.username') ?? 'root',
    password: confString(c, 'auth.pgsql.password') ?? '',
    database: confString(c, 'auth.pgsql.database') ?? '',
    size,
  };
  if (c['auth.pgsql.ssl'] === true) {
    o.ssl = backendTls(c, 'auth.pgsql.ssl');
  }
  return o;
}

export default definePlugin({
  schema,
  async start(ctx) {
    const c = ctx.config;
    const authSql = confString(c, 'auth.pgsql.auth_query');
    const aclSql = confString(c, 'auth.pgsql.acl_query');
    const superSql = confString(c, 'auth.pgsql.super_query');
    const passwordHash = confString(c, 'auth.pgsql.password_hash') ?? 'sha256';
    // refuse a hash emqx_passwd cannot compute now rather than failing every login
    // (a salt that is a valid bcrypt salt suits every kind)
    if (authSql) hashPassword(passwordHash, '', '$2b$04$abcdefghijklmnopqrstuu');

    const db = new Db(dbOptions(c));
    ctx.onDispose(() => db.close());
    try {
      await db.open();
    } catch (err) {
      throw new Error(`can't connect to PostgreSQL server ${c['auth.pgsql.server']}: ${(err as Error).message}`);
    }

    if (authSql) {
      const o = { db, authQuery: parseQuery(authSql), superQuery: superSql ? parseQuery(superSql) : undefined, passwordHash, logger: ctx.logger, backend: 'PgSQL', backendError: ctx.backendError };
      ctx.hooks.tap('client.authenticate', (ci, acc) => sqlAuthenticate(o, ci, acc));
    }
    if (aclSql) {
      const o = { db, aclQuery: parseQuery(aclSql), logger: ctx.logger, backend: 'PgSQL', backendError: ctx.backendError };
      ctx.hooks.tap('client.check_acl', (ci, pubsub, topic) => sqlCheckAcl(o, ci, pubsub, topic));
    }
  },
});
