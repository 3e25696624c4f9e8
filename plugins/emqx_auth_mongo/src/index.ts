// emqx_auth_mongo: authentication, superuser and ACL from MongoDB (EMQX 4.3, reference §2.10).
// Selectors are parsed once at start; the MongoClient is closed on unload.
import { definePlugin, hashPassword, confString, type ConfSchema, type ConfValues } from '@nemq/sdk';
import { checkAcl } from './acl.js';
import { authenticate } from './auth.js';
import { Db } from './db.js';
import { clientSettings } from './options.js';
import { parseSelector, selectorFilter, type Selector } from './selector.js';

export { clientSettings } from './options.js';
export { parseSelector, selectorFilter } from './selector.js';

// Keys and defaults of EMQX's priv/emqx_auth_mongo.schema.
export const schema = {
  'auth.mongo.type': { type: 'enum', values: ['single', 'unknown', 'sharded', 'rs'], default: 'single', doc: 'topology type' },
  'auth.mongo.rs_set_name': { type: 'string', default: 'mqtt', doc: 'replica set name when type = rs' },
  'auth.mongo.server': { type: 'string', default: '127.0.0.1:27017', doc: 'servers, comma separated host:port' },
  'auth.mongo.pool': { type: 'integer', default: '8', doc: 'connection pool size' },
  'auth.mongo.login': { type: 'string', doc: 'user (4.0–4.2 name; auth.mongo.username wins)' },
  'auth.mongo.username': { type: 'string', doc: 'user; unset: no authentication to MongoDB' },
  'auth.mongo.password': { type: 'string', default: '', doc: 'password' },
  'auth.mongo.database': { type: 'string', default: 'mqtt', doc: 'database of the collections' },
  'auth.mongo.auth_source': { type: 'string', default: 'mqtt', doc: 'database the user is defined in' },
  'auth.mongo.query_timeout': { type: 'duration', doc: 'limit of one query (unset: 15s)' },
  'auth.mongo.ssl': { type: 'enum', values: ['on', 'off', 'true', 'false'], default: 'off', doc: 'TLS (on reads ssl.*, true reads ssl_opts.*)' },
  'auth.mongo.ssl.keyfile': { type: 'string', doc: 'client key file' },
  'auth.mongo.ssl.certfile': { type: 'string', doc: 'client certificate file' },
  'auth.mongo.ssl.cacertfile': { type: 'string', doc: 'CA certificate file' },
  'auth.mongo.ssl.verify': { type: 'boolean', default: 'false', doc: 'verify the server certificate' },
  'auth.mongo.ssl.server_name_indication': { type: 'string', doc: 'name to check the certificate against; disable: no check' },
  'auth.mongo.ssl_opts.keyfile': { type: 'string', doc: '4.0–4.2 form, with ssl = true' },
  'auth.mongo.ssl_opts.certfile': { type: 'string', doc: '4.0–4.2 form, with ssl = true' },
  'auth.mongo.ssl_opts.cacertfile': { type: 'string', doc: '4.0–4.2 form, with ssl = true' },
  'auth.mongo.w_mode': { type: 'enum', values: ['safe', 'unsafe', 'undef'], default: 'undef', doc: 'write mode' },
  'auth.mongo.r_mode': { type: 'enum', values: ['master', 'slave_ok', 'undef'], default: 'undef', doc: 'read mode' },
  'auth.mongo.topology.$name': { type: 'integer', doc: 'topology option, e.g. server_selection_timeout_ms' },
  'auth.mongo.auth_query.collection': { type: 'string', default: 'mqtt_user', doc: 'collection of the users' },
  'auth.mongo.auth_query.password_field': { type: 'string', default: 'password', doc: 'password | password,salt' },
  'auth.mongo.auth_query.password_hash': { type: 'string', default: 'sha256', doc: 'plain | md5 | sha | sha256 | sha512 | bcrypt | salt,<h> | <h>,salt | pbkdf2,<macfun>,<iterations>,<dklen>' },
  'auth.mongo.auth_query.selector': { type: 'string', default: 'username=%u', doc: 'field=placeholder pairs (%u %c %C %d)' },
  'auth.mongo.super_query': { type: 'boolean', doc: 'off: no superuser query (EMQX always runs it)' },
  'auth.mongo.super_query.collection': { type: 'string', default: 'mqtt_user', doc: 'collection of the superuser flags' },
  'auth.mongo.super_query.super_field': { type: 'string', default: 'is_superuser', doc: 'field that is true for a superuser' },
  'auth.mongo.super_query.selector': { type: 'string', default: 'username=%u', doc: 'field=placeholder pairs' },
  'auth.mongo.acl_query': { type: 'boolean', doc: 'off: no ACL (EMQX always runs it)' },
  'auth.mongo.acl_query.collection': { type: 'string', default: 'mqtt_acl', doc: 'collection of the ACL documents' },
  'auth.mongo.acl_query.selector': { type: 'string', default: 'username=%u', doc: 'field=placeholder pairs' },
  'auth.mongo.acl_query.selector.$id': { type: 'string', doc: 'more selectors, joined with $or' },
} as const satisfies ConfSchema;

const str = (c: ConfValues, k: string, d: string): string => confString(c, k) ?? d;

/** auth.mongo.acl_query.selector, then .selector.1, .selector.2, ... in number order */
export function aclSelectors(c: ConfValues): Selector[] {
  const out: Selector[] = [];
  const base = c['auth.mongo.acl_query.selector'];
  if (typeof base === 'string' && base.trim() !== '') out.push(parseSelector(base, 'auth.mongo.acl_query.selector'));
  const numbered = Object.keys(c)
    .filter((k) => k.startsWith('auth.mongo.acl_query.selector.'))
    .sort((a, b) => Number(a.slice(30)) - Number(b.slice(30)) || a.localeCompare(b));
  for (const k of numbered) {
    const v = c[k];
    if (typeof v === 'string' && v.trim() !== '') out.push(parseSelector(v, k));
  }
  return out.length > 0 ? out : [parseSelector('')];
}

// the availability test of EMQX: the queries must run once before the hooks go in
const PROBE = { clientid: 'EMQX_availability_test_client', username: 'EMQX_availability_test_username', cn: 'EMQX_availability_test_cn', dn: 'EMQX_availability_test_dn' };

export default definePlugin({
  schema,
  async start(ctx) {
    const c = ctx.config;
    const passwordHash = str(c, 'auth.mongo.auth_query.password_hash', 'sha256');
    // refuse a hash emqx_passwd cannot compute now rather than failing every login
    hashPassword(passwordHash, '', '$2b$04$abcdefghijklmnopqrstuu');
    const passwordFields = str(c, 'auth.mongo.auth_query.password_field', 'password').split(',').map((f) => f.trim()).filter((f) => f !== '');
    if (passwordFields.length === 0 || passwordFields.length > 2) throw new Error('auth.mongo.auth_query.password_field must be password or password,salt');
    const auth = {
      collection: str(c, 'auth.mongo.auth_query.collection', 'mqtt_user'),
      selector: parseSelector(str(c, 'auth.mongo.auth_query.selector', ''), 'auth.mongo.auth_query.selector'),
      passwordFields,
      passwordHash,
    };
    const superQuery = c['auth.mongo.super_query'] === false ? undefined : {
      collection: str(c, 'auth.mongo.super_query.collection', 'mqtt_user'),
      field: str(c, 'auth.mongo.super_query.super_field', 'is_superuser'),
      selector: parseSelector(str(c, 'auth.mongo.super_query.selector', ''), 'auth.mongo.super_query.selector'),
    };
    const acl = c['auth.mongo.acl_query'] === false ? undefined : {
      collection: str(c, 'auth.mongo.acl_query.collection', 'mqtt_acl'),
      selectors: aclSelectors(c),
    };

    const settings = clientSettings(c);
    const db = new Db(settings);
    ctx.onDispose(() => db.close());
    try {
      await db.open();
      await db.findOne(auth.collection, selectorFilter(auth.selector, PROBE), auth.passwordFields);
      if (superQuery) await db.findOne(superQuery.collection, selectorFilter(superQuery.selector, PROBE), [superQuery.field]);
      if (acl) await db.find(acl.collection, { $or: acl.selectors.map((s) => selectorFilter(s, PROBE)) });
    } catch (err) {
      throw new Error(`can't query MongoDB server ${String(c['auth.mongo.server'])}: ${(err as Error).message}`);
    }

    const ao = { db, auth, superQuery, logger: ctx.logger, backendError: ctx.backendError };
    ctx.hooks.tap('client.authenticate', (ci, accIn) => authenticate(ao, ci, accIn));
    if (acl) {
      const o = { db, ...acl, logger: ctx.logger, backendError: ctx.backendError };
      ctx.hooks.tap('client.check_acl', (ci, pubsub, topic) => checkAcl(o, ci, pubsub, topic));
    }
  },
});
