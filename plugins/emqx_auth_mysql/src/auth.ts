// client.authenticate and client.check_acl (EMQX emqx_auth_mysql:check/3, emqx_acl_mysql:check_acl/5).
import { bindValues, checkPassword, checkRules, type AclAction, type AuthResult, type ClientInfo, type Logger } from '@nemq/sdk';
import { compileRows } from './acl.js';
import { QueryError, type Querier } from './db.js';
import type { ParsedQuery } from './sql.js';

/** what the plugin reads of the ClientInfo */
export type AuthClient = Pick<ClientInfo, 'clientid' | 'username' | 'peerhost' | 'password' | 'cn' | 'dn'>;

export interface AuthOptions {
  readonly db: Querier;
  readonly authQuery: ParsedQuery;
  readonly superQuery: ParsedQuery | undefined;
  readonly passwordHash: string;
  readonly logger: Logger;
}

const EMPTY = Buffer.alloc(0);

/**
 * The auth query's first row decides:
 * - no row: no opinion (the next backend, then allow_anonymous, decide);
 * - `password` (and `salt`) match: success, with is_superuser from the super query;
 * - mismatch: not_authorized (CONNACK 0x87, v3 5);
 * - the query fails: auth_result is the error (EMQX puts the driver's error there, which
 *   the CONNACK maps to 0x87 not authorized, v3 5).
 * Columns other than exactly `password` or `password, salt`, or more than one row, are a
 * configuration error: logged, no opinion (EMQX crashes in the hook, which the chain skips).
 */
export async function authenticate(o: AuthOptions, ci: AuthClient, acc: AuthResult): Promise<AuthResult | undefined> {
  let res;
  try {
    res = await o.db.query(o.authQuery.sql, bindValues(o.authQuery.params, ci));
  } catch (err) {
    const reason = err instanceof QueryError ? err.reason : 'mysql_error';
    o.logger.error(`[MySQL] query '${o.authQuery.sql}' failed: ${(err as Error).message}`);
    return { ...acc, auth_result: reason, anonymous: false };
  }
  if (res.rows.length === 0) return undefined;
  const cols = res.columns;
  const salted = cols.length === 2 && cols[0] === 'password' && cols[1] === 'salt';
  if (!(cols.length === 1 && cols[0] === 'password') && !salted) {
    o.logger.error(`[MySQL] auth_query must select a column named password (and optionally salt), got: ${cols.join(', ')}`);
    return undefined;
  }
  if (res.rows.length > 1) {
    o.logger.error(`[MySQL] auth_query returned ${res.rows.length} rows for one client; add "limit 1"`);
    return undefined;
  }
  const row = res.rows[0]!;
  const password = ci.password ?? EMPTY;
  let ok: boolean;
  try {
    ok = salted ? checkPassword(o.passwordHash, password, bytes(row[0]), bytes(row[1])) : checkPassword(o.passwordHash, password, bytes(row[0]));
  } catch (err) {
    o.logger.error(`[MySQL] cannot check the password of ${ci.username ?? ci.clientid}: ${(err as Error).message}`);
    return undefined;
  }
  if (!ok) {
    o.logger.error(`[MySQL] Auth from mysql failed: not_authorized (username ${ci.username ?? 'undefined'})`);
    return { ...acc, auth_result: 'not_authorized', anonymous: false };
  }
  return { ...acc, is_superuser: await isSuperuser(o, ci), anonymous: false, auth_result: 'success' };
}

/** the super query's one column is the integer 1; anything else, no row or an error → false */
async function isSuperuser(o: AuthOptions, ci: AuthClient): Promise<boolean> {
  if (!o.superQuery) return false;
  try {
    const r = await o.db.query(o.superQuery.sql, bindValues(o.superQuery.params, ci));
    const v = r.rows[0]?.[0];
    return r.columns.length === 1 && (v === 1 || v === 1n);
  } catch (err) {
    o.logger.warning(`[MySQL] super_query failed: ${(err as Error).message}`);
    return false;
  }
}

function bytes(v: unknown): string | Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  return String(v);
}

export interface AclOptions {
  readonly db: Querier;
  readonly aclQuery: ParsedQuery;
  readonly logger: Logger;
}

/**
 * Clients whose username starts with `$` are not checked. The query's rows become rules
 * (see acl.ts); a match decides allow/deny; no row, no match, a failed query or a row that
 * cannot be compiled → no opinion (next: etc/acl.conf, then acl_nomatch).
 */
export async function checkAcl(o: AclOptions, ci: AuthClient, pubsub: AclAction, topic: string): Promise<'allow' | 'deny' | undefined> {
  if (ci.username !== undefined && ci.username.startsWith('$')) return undefined;
  let res;
  try {
    res = await o.db.query(o.aclQuery.sql, bindValues(o.aclQuery.params, ci));
  } catch (err) {
    o.logger.error(`[MySQL] do_check_acl error: ${(err as Error).message}`);
    return undefined;
  }
  if (res.rows.length === 0) return undefined;
  try {
    const r = checkRules(compileRows(res.rows), ci, pubsub, topic);
    return r === 'nomatch' ? undefined : r;
  } catch (err) {
    o.logger.error(`[MySQL] bad row from acl_query: ${(err as Error).message}`);
    return undefined;
  }
}
