// mqtt_acl rows → SDK ACL rules (EMQX emqx_acl_mysql; reference §2.8). Checking them is the
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
import { compileTopic, eqTopic, parseCidr, type AclAccess, type AclPermission, type AclRule, type AclTopic, type AclWho } from '@nemq/sdk';

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
  if (v === 1 || v === '1') return 'allow';
  if (v === 0 || v === '0') return 'deny';
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
