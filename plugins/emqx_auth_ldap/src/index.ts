// emqx_auth_ldap: authentication and ACL from an LDAP directory (EMQX 4.3, reference §2.13).
// Taps client.authenticate and client.check_acl; the connections are bound as auth.ldap.bind_dn
// at start (a failed bind stops the plugin from starting) and closed on unload.
import { backendTls, definePlugin, tlsConnectOptions, confString, type ConfSchema, type ConfValues } from '@nemq/sdk';
import type { ConnectionOptions } from 'node:tls';
import { checkAcl } from './acl.js';
import { authenticate } from './auth.js';
import { parseFilters } from './filters.js';
import type { LookupOptions } from './lookup.js';
import { Pool, type PoolOptions } from './pool.js';

// Keys and defaults of EMQX's priv/emqx_auth_ldap.schema.
export const schema = {
  'auth.ldap.servers': { type: 'string', default: '127.0.0.1', doc: 'LDAP servers, separated by commas, tried in order' },
  'auth.ldap.port': { type: 'integer', default: '389', doc: 'LDAP server port' },
  'auth.ldap.pool': { type: 'integer', default: '8', doc: 'connection pool size' },
  'auth.ldap.bind_dn': { type: 'string', default: 'cn=root,dc=emqx,dc=io', doc: 'DN the connections bind as' },
  'auth.ldap.bind_password': { type: 'string', default: 'public', doc: 'password of bind_dn' },
  'auth.ldap.timeout': { type: 'duration', default: '30s', doc: 'connect and request timeout' },
  'auth.ldap.device_dn': { type: 'string', default: 'ou=device,dc=emqx,dc=io', doc: 'DN the MQTT users are under' },
  'auth.ldap.match_objectclass': { type: 'string', default: 'mqttUser', doc: 'objectClass of MQTT user entries' },
  'auth.ldap.custom_base_dn': { type: 'string', default: '${username_attr}=${user},${device_dn}', doc: 'search base; ${username_attr}, ${user} (escaped), ${device_dn} are replaced' },
  'auth.ldap.filters.$n.key': { type: 'string', doc: 'attribute of filter term n (${username_attr} allowed)' },
  'auth.ldap.filters.$n.value': { type: 'string', doc: 'value of filter term n (${user}, ${username_attr}, ${device_dn} allowed)' },
  'auth.ldap.filters.$n.op': { type: 'enum', values: ['and', 'or'], doc: 'joins term n to term n+1' },
  'auth.ldap.bind_as_user': { type: 'boolean', default: 'false', doc: 'check the password by binding as the user entry instead of reading it' },
  'auth.ldap.username.attributetype': { type: 'string', default: 'uid', doc: 'attribute holding the MQTT username' },
  'auth.ldap.password.attributetype': { type: 'string', default: 'userPassword', doc: 'attribute holding the password' },
  'auth.ldap.ssl.enable': { type: 'boolean', default: 'false', doc: 'LDAP over TLS (ldaps://)' },
  'auth.ldap.ssl.certfile': { type: 'string', doc: 'client certificate file' },
  'auth.ldap.ssl.keyfile': { type: 'string', doc: 'client key file' },
  'auth.ldap.ssl.cacertfile': { type: 'string', doc: 'CA certificate file' },
  'auth.ldap.ssl.verify': { type: 'enum', values: ['verify_none', 'verify_peer'], default: 'verify_none', doc: 'verify the server certificate' },
  'auth.ldap.ssl.fail_if_no_peer_cert': { type: 'boolean', doc: 'accepted for EMQX compatibility; a server option, no effect on a client' },
  'auth.ldap.ssl.server_name_indication': { type: 'string', doc: 'name to check the server certificate against; unset: the server host; disable: no check' },
} as const satisfies ConfSchema;

/** the pool settings from the conf values (EMQX's translation of auth.ldap.*) */
export function poolOptions(c: ConfValues): PoolOptions {
  const port = Number(c['auth.ldap.port'] ?? 389);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`auth.ldap.port must be a port number, got ${port}`);
  const size = Number(c['auth.ldap.pool'] ?? 8);
  if (!Number.isInteger(size) || size < 1) throw new Error(`auth.ldap.pool must be at least 1, got ${size}`);
  const timeout = Number(c['auth.ldap.timeout'] ?? 30_000);
  const ssl = c['auth.ldap.ssl.enable'] === true;
  const hosts = String(c['auth.ldap.servers'] ?? '127.0.0.1').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (hosts.length === 0) throw new Error('auth.ldap.servers is empty');
  const urls = hosts.map((h) => `${ssl ? 'ldaps' : 'ldap'}://${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${port}`);
  return {
    urls,
    size,
    bindDn: String(c['auth.ldap.bind_dn'] ?? ''),
    bindPassword: String(c['auth.ldap.bind_password'] ?? ''),
    timeout: timeout > 0 ? timeout : 30_000,
    tls: ssl ? tlsOptions(c, hosts[0]!) : undefined,
  };
}

/**
 * auth.ldap.ssl.* as Node tls options (the SDK's backendTls). ldapjs uses one set of options for
 * every server, so with server_name_indication unset the name checked is each server's own host
 * (Node's default for tls.connect(port, host)); `disable` skips the name check.
 */
export function tlsOptions(c: ConfValues, host: string): ConnectionOptions {
  const t = backendTls(c, 'auth.ldap.ssl');
  const o = tlsConnectOptions(t, host);
  if (t.serverNameIndication === undefined) delete o.servername;
  return o;
}

export function lookupOptions(c: ConfValues): LookupOptions {
  const deviceDn = String(c['auth.ldap.device_dn'] ?? '');
  const usernameAttr = confString(c, 'auth.ldap.username.attributetype') ?? 'uid';
  return {
    customBaseDn: confString(c, 'auth.ldap.custom_base_dn') ?? '${username_attr}=${user},${device_dn}',
    deviceDn,
    objectClass: confString(c, 'auth.ldap.match_objectclass') ?? 'mqttUser',
    usernameAttr,
    filters: parseFilters(c, { usernameAttr, deviceDn }),
  };
}

export default definePlugin({
  schema,
  async start(ctx) {
    const c = ctx.config;
    const po = poolOptions(c);
    const lookup = lookupOptions(c);
    const pool = new Pool(po);
    ctx.onDispose(() => pool.close());
    try {
      await pool.open();
    } catch (err) {
      throw new Error(`can't bind to LDAP server ${po.urls.join(', ')} as ${po.bindDn}: ${(err as Error).message}`);
    }
    const auth = {
      pool,
      lookup,
      passwordAttr: confString(c, 'auth.ldap.password.attributetype') ?? 'userPassword',
      bindAsUser: c['auth.ldap.bind_as_user'] === true,
      logger: ctx.logger,
      backendError: ctx.backendError,
    };
    const acl = { pool, lookup, logger: ctx.logger, backendError: ctx.backendError };
    ctx.hooks.tap('client.authenticate', (ci, acc) => authenticate(auth, ci, acc));
    ctx.hooks.tap('client.check_acl', (ci, pubsub, topic) => checkAcl(acl, ci, pubsub, topic));
  },
});
