// emqx_auth_redis: authentication, superuser and ACL from Redis (EMQX 4.3, reference §2.10).
// The commands are parsed once at start; the connections are closed on unload.
import { definePlugin, hashPassword, type ConfSchema, type ConfValues } from '@nemq/sdk';
import { checkAcl } from './acl.js';
import { authenticate } from './auth.js';
import { RedisBackend } from './client.js';
import { commandArgs, parseCommand, type RedisCommand } from './command.js';
import { clientSettings } from './options.js';

export { clientSettings } from './options.js';
export { parseCommand, commandArgs } from './command.js';
export { authReply, superReply, aclReply } from './reply.js';

// Keys and defaults of EMQX's priv/emqx_auth_redis.schema and etc/emqx_auth_redis.conf.
export const schema = {
  'auth.redis.type': { type: 'enum', values: ['single', 'sentinel', 'cluster'], default: 'single', doc: 'single server, master through Sentinel, or Cluster' },
  'auth.redis.server': { type: 'string', default: '127.0.0.1:6379', doc: 'host:port; sentinel/cluster: comma separated list' },
  'auth.redis.sentinel': { type: 'string', doc: 'master name (type = sentinel)' },
  'auth.redis.pool': { type: 'integer', default: '8', doc: 'connections (single, sentinel)' },
  'auth.redis.database': { type: 'integer', default: '0', doc: 'database number (not with cluster)' },
  'auth.redis.username': { type: 'string', doc: 'Redis 6 ACL user to log in as (not in EMQX 4.3); unset: the default user' },
  'auth.redis.password': { type: 'string', doc: 'password (AUTH)' },
  'auth.redis.query_timeout': { type: 'duration', doc: 'limit of a command and of the first connect (unset: 5s)' },
  // no defaults for the commands (EMQX): unset or "" leaves that part out; the shipped conf sets all three
  'auth.redis.auth_cmd': { type: 'string', doc: 'password [and salt] query, e.g. HMGET mqtt_user:%u password' },
  'auth.redis.password_hash': { type: 'string', default: 'plain', doc: 'plain | md5 | sha | sha256 | sha512 | bcrypt | salt,<h> | <h>,salt | pbkdf2,<macfun>,<iterations>,<dklen>' },
  'auth.redis.super_cmd': { type: 'string', doc: 'superuser query (answer 1), e.g. HGET mqtt_user:%u is_superuser' },
  'auth.redis.acl_cmd': { type: 'string', doc: 'ACL hash query, e.g. HGETALL mqtt_acl:%u' },
  'auth.redis.ssl': { type: 'boolean', default: 'off', doc: 'TLS to Redis' },
  'auth.redis.ssl.cacertfile': { type: 'string', doc: 'CA certificate file' },
  'auth.redis.ssl.certfile': { type: 'string', doc: 'client certificate file' },
  'auth.redis.ssl.keyfile': { type: 'string', doc: 'client key file' },
  'auth.redis.ssl.verify': { type: 'boolean', default: 'false', doc: 'verify the server certificate' },
  'auth.redis.ssl.server_name_indication': { type: 'string', doc: 'name to check the certificate against; disable: no check' },
  'auth.redis.cafile': { type: 'string', doc: '4.0–4.2 form of ssl.cacertfile' },
  'auth.redis.certfile': { type: 'string', doc: '4.0–4.2 form of ssl.certfile' },
  'auth.redis.keyfile': { type: 'string', doc: '4.0–4.2 form of ssl.keyfile' },
} as const satisfies ConfSchema;

/** the command of `key`, undefined when it is unset or empty (the hook or query is then left out) */
function command(c: ConfValues, key: string): RedisCommand | undefined {
  const v = c[key];
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  return parseCommand(v, key);
}

// the availability test: the commands must run once before the hooks go in
const PROBE = { clientid: 'EMQX_availability_test_client', username: 'EMQX_availability_test_username', cn: 'EMQX_availability_test_cn', dn: 'EMQX_availability_test_dn' };

export default definePlugin({
  schema,
  async start(ctx) {
    const c = ctx.config;
    const passwordHash = typeof c['auth.redis.password_hash'] === 'string' && c['auth.redis.password_hash'] !== '' ? c['auth.redis.password_hash'] : 'plain';
    // refuse a hash emqx_passwd cannot compute now rather than failing every login
    hashPassword(passwordHash, '', '$2b$04$abcdefghijklmnopqrstuu');
    const authCmd = command(c, 'auth.redis.auth_cmd');
    const superCmd = command(c, 'auth.redis.super_cmd');
    const aclCmd = command(c, 'auth.redis.acl_cmd');
    const settings = clientSettings(c);
    if (settings.type === 'cluster' && settings.database !== 0) ctx.logger.warning('[Redis] auth.redis.database is ignored with type cluster (a cluster has database 0 only)');

    const redis = new RedisBackend(settings, ctx.logger);
    ctx.onDispose(() => redis.close());
    const where = settings.servers.map((h) => `${h.host}:${h.port}`).join(',');
    try {
      await redis.open();
      for (const cmd of [authCmd, superCmd, aclCmd]) if (cmd) await redis.run(cmd.name, commandArgs(cmd, PROBE));
    } catch (err) {
      throw new Error(`can't query Redis (${settings.type} ${where}): ${(err as Error).message}`);
    }

    if (authCmd) {
      const o = { redis, authCmd, superCmd, passwordHash, logger: ctx.logger, backendError: ctx.backendError };
      ctx.hooks.tap('client.authenticate', (ci, acc) => authenticate(o, ci, acc));
    }
    if (aclCmd) {
      const o = { redis, aclCmd, backendError: ctx.backendError };
      ctx.hooks.tap('client.check_acl', (ci, pubsub, topic) => checkAcl(o, ci, pubsub, topic));
    }
  },
});
