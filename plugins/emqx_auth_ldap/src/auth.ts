// client.authenticate: find the user's entry, then check the password (EMQX 4.3 emqx_auth_ldap:check/3).
// - no entry (or no password attribute): undefined, the next backend / allow_anonymous decide;
// - isEnabled FALSE: refused with username_disabled;
// - userPassword: {SHA} {SSHA} {MD5} {SMD5} {SHA256..512} {SSHA256..512} or clear text (the SDK's
//   checkLdapPassword); with auth.ldap.bind_as_user the server checks it by a bind as the entry's DN;
// - a wrong password: bad_username_or_password (bind_as_user: not_authorized), as EMQX;
// - isSuperuser TRUE marks a superuser.
import { checkLdapPassword, type AuthResult, type ClientInfo, type Logger, type PluginContext } from '@nemq/sdk';
import { filterText, searchBase, userFilter, type LookupOptions } from './lookup.js';
import type { LdapEntry, Pool } from './pool.js';

export interface AuthOptions {
  pool: Pool;
  lookup: LookupOptions;
  passwordAttr: string;
  bindAsUser: boolean;
  logger: Logger;
  backendError: PluginContext['backendError'];
}

const EMPTY = Buffer.alloc(0);

/** an LDAP Boolean (RFC 4517 §3.3.3) is TRUE or FALSE; EMQX also reads true/false in any case */
export function ldapBool(v: readonly Buffer[] | undefined): boolean | undefined {
  if (!v || v.length === 0) return undefined;
  const s = v[0]!.toString('utf8').trim().toLowerCase();
  return s === 'true' ? true : s === 'false' ? false : undefined;
}

/** one entry for `username`; undefined when there is none; throws when the search fails */
export async function findUser(o: { pool: Pool; lookup: LookupOptions; logger: Logger }, username: string, attributes: string[]): Promise<LdapEntry | undefined> {
  const entries = await o.pool.search({ base: searchBase(o.lookup, username), filter: userFilter(o.lookup, username), attributes });
  if (entries.length > 1) {
    o.logger.error(`[LDAP] more than one entry under ${searchBase(o.lookup, username)} matches ${filterText(o.lookup, username)}`);
    return undefined;
  }
  return entries[0];
}

export async function authenticate(o: AuthOptions, ci: ClientInfo, acc: AuthResult): Promise<AuthResult | undefined> {
  const username = ci.username;
  if (username === undefined || username === '') return undefined;
  let entry: LdapEntry | undefined;
  try {
    entry = await findUser(o, username, o.bindAsUser ? ['isEnabled', 'isSuperuser'] : [o.passwordAttr, 'isEnabled', 'isSuperuser']);
  } catch (err) {
    o.backendError('auth', `LDAP search failed: ${(err as Error).message}`);
    return { ...acc, auth_result: 'ldap_error', anonymous: false };
  }
  if (!entry) return undefined;
  if (ldapBool(entry.attrs.get('isenabled')) === false) {
    o.logger.error(`[LDAP] Auth from ldap failed: username_disabled (username ${username})`);
    return { ...acc, auth_result: 'username_disabled', anonymous: false };
  }
  const password = ci.password ?? EMPTY;
  // what a refusal answers, as EMQX 4.3: a failed bind is the server's invalidCredentials
  // (CONNACK 0x87 / 5), a compared password that differs is bad_username_or_password (0x86 / 4),
  // a value it cannot read is password_error (0x86 / 4)
  let refused: string | undefined;
  if (o.bindAsUser) {
    // an empty password would be an unauthenticated bind, which servers accept (RFC 4513 §5.1.2)
    if (password.length === 0) {
      refused = 'not_authorized';
    } else {
      try {
        if (!(await o.pool.checkBind(entry.dn, password.toString('utf8')))) refused = 'not_authorized';
      } catch (err) {
        o.backendError('auth', `LDAP bind as ${entry.dn} failed: ${(err as Error).message}`);
        return { ...acc, auth_result: 'ldap_error', anonymous: false };
      }
    }
  } else {
    const stored = entry.attrs.get(o.passwordAttr.toLowerCase());
    if (!stored || stored.length === 0) {
      o.logger.error(`[LDAP] entry ${entry.dn} has no ${o.passwordAttr}`);
      return undefined;
    }
    const r = checkLdapPassword(password, stored[0]!);
    if (r === undefined) {
      o.logger.error(`[LDAP] ${o.passwordAttr} of ${entry.dn} uses a scheme this plugin cannot check`);
      refused = 'password_error';
    } else if (!r) {
      refused = 'bad_username_or_password';
    }
  }
  if (refused !== undefined) {
    o.logger.error(`[LDAP] Auth from ldap failed: ${refused} (username ${username})`);
    return { ...acc, auth_result: refused, anonymous: false };
  }
  return { ...acc, auth_result: 'success', anonymous: false, is_superuser: ldapBool(entry.attrs.get('issuperuser')) === true };
}
