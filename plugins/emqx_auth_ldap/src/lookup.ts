// Where a client's entry is looked for: the search base auth.ldap.custom_base_dn with its
// ${username_attr} ${user} ${device_dn} variables (EMQX default "${username_attr}=${user},${device_dn}"),
// and the filter (&(objectClass=<match_objectclass>)(<username attribute>=<username>)).
// The username is never spliced into text the server parses as syntax: in the base it is
// escaped as a DN attribute value (RFC 4514 §2.4), in the filter it is the value of an
// EqualityFilter object, which ldapjs encodes as an AttributeValueAssertion (RFC 4511 §4.5.1),
// so `*`, `(`, `)` and `\` in a username are plain characters (RFC 4515 §3). The text form of
// the filter (filterText, RFC 4515 escapes) is only for log lines: ldapjs's own toString leaves NUL
// unescaped and its parseFilter sends `\2a` as three bytes, so no text filter goes to the server.
import ldap from 'ldapjs';
import type { FilterChain, FilterTerm } from './filters.js';

export interface LookupOptions {
  customBaseDn: string;
  deviceDn: string;
  objectClass: string;
  usernameAttr: string;
  /** auth.ldap.filters.*: the whole filter instead of objectClass + username */
  filters?: FilterChain | undefined;
}

const termValue = (t: FilterTerm, username: string): string => t.value.split('${user}').join(username);

/**
 * A DN attribute value (RFC 4514 §2.4): every character other than letters, digits, `-`, `_`,
 * `.` and `@` is written as `\XX` per UTF-8 byte, so no username can add an RDN or a level.
 */
export function escapeDnValue(v: string): string {
  let out = '';
  for (const ch of v) {
    if (/^[A-Za-z0-9_.@-]$/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '\\' + b.toString(16).padStart(2, '0');
  }
  return out;
}

/** the search base for `username` */
export function searchBase(o: LookupOptions, username: string): string {
  return o.customBaseDn
    .split('${username_attr}').join(o.usernameAttr)
    .split('${device_dn}').join(o.deviceDn)
    .split('${user}').join(escapeDnValue(username));
}

/** (&(objectClass=<class>)(<attr>=<username>)), or the auth.ldap.filters chain, as filter objects */
export function userFilter(o: LookupOptions, username: string): ldap.Filter {
  if (o.filters) {
    const eq = (t: FilterTerm): ldap.Filter => new ldap.EqualityFilter({ attribute: t.attribute, value: termValue(t, username) });
    let f = eq(o.filters.first);
    for (const { op, term } of o.filters.rest) f = op === 'and' ? new ldap.AndFilter({ filters: [f, eq(term)] }) : new ldap.OrFilter({ filters: [f, eq(term)] });
    return f;
  }
  return new ldap.AndFilter({
    filters: [
      new ldap.EqualityFilter({ attribute: 'objectClass', value: o.objectClass }),
      new ldap.EqualityFilter({ attribute: o.usernameAttr, value: username }),
    ],
  });
}

/**
 * An assertion value in a string filter (RFC 4515 §3): `*` `(` `)` `\` and NUL as `\2a` `\28`
 * `\29` `\5c` `\00`; everything else (UTF-8 included) as it is.
 */
export function escapeFilterValue(v: string): string {
  return v.replace(/[*()\\\0]/g, (c) => '\\' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** userFilter as RFC 4515 text, for log lines */
export function filterText(o: LookupOptions, username: string): string {
  if (o.filters) {
    const eq = (t: FilterTerm): string => `(${t.attribute}=${escapeFilterValue(termValue(t, username))})`;
    let f = eq(o.filters.first);
    for (const { op, term } of o.filters.rest) f = `(${op === 'and' ? '&' : '|'}${f}${eq(term)})`;
    return f;
  }
  return `(&(objectClass=${escapeFilterValue(o.objectClass)})(${o.usernameAttr}=${escapeFilterValue(username)}))`;
}
