// Generic SQL auth/ACL plugin logic (EMQX emqx_auth_mysql / emqx_auth_pgsql share it).
//
// mqtt_acl rows → ACL rules (EMQX emqx_acl_mysql, emqx_acl_pgsql; reference §2.8). Checking them is the
// SDK's checkRules, the same engine as etc/acl.conf (EMQX: emqx_access_rule for both).
//
// A row is (allow, ipaddr, username, clientid, access, topic), by position:
//   allow   1 allow | 0 deny
//   access  1 subscribe | 2 publish | 3 both
//   topic   a filter ('+', '#', '%u', '%c' levels) or `eq <topic>` for an exact match
//   who     username `$all` → everyone; else the non-empty ones of ipaddr (CIDR),
//           username, clientid, all of which must match
// Rows are tried last row first (EMQX's compile loop reverses them). A row EMQX cannot
// compile (NULL allow, access 4, all of ipaddr/username/clientid NULL, a bad CIDR) throws,
// and the whole check has no opinion.
import { checkRules, compileTopic, eqTopic, type AclAccess, type AclAction, type AclPermission, type AclRule, type AclTopic, type AclWho } from './acl.js';
import { parseCidr } from './cidr.js';
import type { AuthResult, ClientInfo } from './data.js';
import { checkPassword } from './passwd.js';
import { bindValues, type BoundTemplate } from './placeholder.js';
import type { Logger } from './plugin.js';

export class AclRowError extends Error {}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return undefined;
}

const empty = (v: unknown): boolean => v === null || v === undefined || v === '' || (Buffer.isBuffer(v) && v.length === 0);

function rowTopic(t: unknown): AclTopic {
  const s = text(t);
  if (s === undefined) throw new AclRowError(`topic ${String(t)} is not text`);
  return s.startsWith('eq ') ? eqTopic(s.slice(3)) : compileTopic(s);
}

function rowWho(ipaddr: unknown, username: unknown, clientid: unknown): AclWho {
  if (text(username) === '$all') return { type: 'all' };
  if (ipaddr === null && username === null && clientid === null) throw new AclRowError('ipaddr, username and clientid are all NULL');
  const conds: AclWho[] = [];
  if (!empty(ipaddr)) {
    const s = text(ipaddr);
    const cidr = s === undefined ? undefined : parseCidr(s);
    if (!cidr) throw new AclRowError(`bad ipaddr ${String(ipaddr)}`);
    conds.push({ type: 'ipaddr', cidrs: [cidr] });
  }
  if (!empty(username)) conds.push({ type: 'user', value: text(username) ?? String(username) });
  if (!empty(clientid)) conds.push({ type: 'client', value: text(clientid) ?? String(clientid) });
  // EMQX folds over every condition: none set (all empty, not NULL) matches everyone
  return conds.length === 1 ? conds[0]! : { type: 'and', conds };
}

function rowPermission(v: unknown): AclPermission {
  if (v === 1 || v === '1' || v === true) return 'allow';
  if (v === 0 || v === '0' || v === false) return 'deny';
  throw new AclRowError(`allow ${String(v)} is not 0 or 1`);
}

function rowAccess(v: unknown): AclAccess {
  if (v === 1 || v === '1') return 'subscribe';
  if (v === 2 || v === '2') return 'publish';
  if (v === 3 || v === '3') return 'pubsub';
  throw new AclRowError(`access ${String(v)} is not 1, 2 or 3`);
}

/** rows as the query returns them (arrays, by position) → rules in the order they are tried */
export function compileRows(rows: readonly (readonly unknown[])[]): AclRule[] {
  const rules: AclRule[] = [];
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i]!;
    if (row.length !== 6) throw new AclRowError(`a row has ${row.length} columns; the ACL query must select allow, ipaddr, username, clientid, access, topic`);
    rules.push({ permission: rowPermission(row[0]), who: rowWho(row[1], row[2], row[3]), access: rowAccess(row[4]), topics: [rowTopic(row[5])] });
  }
  return rules;
}

export interface QueryResult {
  /** column names, in select order */
  readonly columns: readonly string[];
  /** rows as arrays, by position */
  readonly rows: readonly (readonly unknown[])[];
}

/** what auth/ACL need from the database; tests can hand in a fake */
export interface Querier {
  query(sql: string, params: readonly string[]): Promise<QueryResult>;
}

/** a failed query; `reason` is what EMQX would put in auth_result (any reason → CONNACK 0x87) */
export class QueryError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

/** what the plugin reads of the ClientInfo */
export type AuthClient = Pick<ClientInfo, 'clientid' | 'username' | 'peerhost' | 'password' | 'cn' | 'dn'>;

export interface AuthOptions {
  readonly db: Querier;
  readonly authQuery: BoundTemplate;
  readonly superQuery: BoundTemplate | undefined;
  readonly passwordHash: string;
  readonly logger: Logger;
  /** log prefix and fallback error reason: MySQL | PgSQL */
  readonly backend: string;
  /** ctx.backendError: the warning and the counter of a failed query */
  readonly backendError: (kind: 'auth' | 'acl', reason: string) => void;
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
    const reason = err instanceof QueryError ? err.reason : `${o.backend.toLowerCase()}_error`;
    o.backendError('auth', `${o.backend} auth_query failed: ${(err as Error).message}`);
    return { ...acc, auth_result: reason, anonymous: false };
  }
  if (res.rows.length === 0) return undefined;
  const cols = res.columns;
  const salted = cols.length === 2 && cols[0] === 'password' && cols[1] === 'salt';
  if (!(cols.length === 1 && cols[0] === 'password') && !salted) {
    o.logger.error(`[${o.backend}] auth_query must select a column named password (and optionally salt), got: ${cols.join(', ')}`);
    return undefined;
  }
  if (res.rows.length > 1) {
    o.logger.error(`[${o.backend}] auth_query returned ${res.rows.length} rows for one client; add "limit 1"`);
    return undefined;
  }
  const row = res.rows[0]!;
  const password = ci.password ?? EMPTY;
  let ok: boolean;
  try {
    ok = salted ? checkPassword(o.passwordHash, password, bytes(row[0]), bytes(row[1])) : checkPassword(o.passwordHash, password, bytes(row[0]));
  } catch (err) {
    o.logger.error(`[${o.backend}] cannot check the password of ${ci.username ?? ci.clientid}: ${(err as Error).message}`);
    return undefined;
  }
  if (!ok) {
    o.logger.error(`[${o.backend}] Auth from ${o.backend} failed: not_authorized (username ${ci.username ?? 'undefined'})`);
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
    return r.columns.length === 1 && (v === 1 || v === 1n || v === true || v === '1');
  } catch (err) {
    o.logger.warning(`[${o.backend}] super_query failed: ${(err as Error).message}`);
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
  readonly aclQuery: BoundTemplate;
  readonly logger: Logger;
  /** log prefix and fallback error reason: MySQL | PgSQL */
  readonly backend: string;
  /** ctx.backendError: the warning and the counter of a failed query */
  readonly backendError: (kind: 'auth' | 'acl', reason: string) => void;
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
    o.backendError('acl', `${o.backend} acl_query failed: ${(err as Error).message}`);
    return undefined;
  }
  if (res.rows.length === 0) return undefined;
  try {
    const r = checkRules(compileRows(res.rows), ci, pubsub, topic);
    return r === 'nomatch' ? undefined : r;
  } catch (err) {
    o.logger.error(`[${o.backend}] bad row from acl_query: ${(err as Error).message}`);
    return undefined;
  }
}
