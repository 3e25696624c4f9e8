/**
 * The ACL rule engine of EMQX 4.3 (emqx_access_rule), shared by the kernel's
 * acl.conf and by auth plugins that turn database rows into rules.
 *
 * - Only rules for the action are tried (publish: `publish`/`pubsub`,
 *   subscribe: `subscribe`/`pubsub`; access `all` is the `{allow|deny, all}`
 *   catch-all, which matches everything). The first rule whose Who and one of
 *   whose topics match decides; none → `nomatch`.
 * - Topics are compared level by level with `+` and `#`. For SUBSCRIBE the
 *   subscribed filter is the "topic": rule `a/#` covers `a/+`, and a `+` in
 *   the rule also covers a `#` level in the filter (rule `a/+` matches `a/#`).
 * - As in EMQX, which compares split levels, a leading wildcard in a rule
 *   matches `$`-topics too: rule `#` covers `$SYS/x`.
 * - An `eq` topic is plain string equality: no wildcards, no placeholders.
 * - A level that is exactly `%u` / `%c` is replaced by the username / client
 *   id, as a literal level (a client id `#` is not a wildcard). If the value
 *   is missing the whole rule does not match, not even its other topics.
 */
import { cidrMatch, parseIp, type Cidr } from './cidr.js';

export type AclPermission = 'allow' | 'deny';
export type AclAccess = 'publish' | 'subscribe' | 'pubsub';
export type AclAction = 'publish' | 'subscribe';
/** a rule list's verdict: 'nomatch' when no rule applies (the caller applies acl_nomatch) */
export type AclCheckResult = 'allow' | 'deny' | 'nomatch';

export type AclWho =
  | { readonly type: 'all' }
  /** `value: null` matches anyone (acl.conf `{user, all}`) */
  | { readonly type: 'user'; readonly value: string | null }
  | { readonly type: 'client'; readonly value: string | null }
  /** any of the blocks */
  | { readonly type: 'ipaddr'; readonly cidrs: readonly Cidr[] }
  /** an empty `and` matches everyone, an empty `or` no one */
  | { readonly type: 'and' | 'or'; readonly conds: readonly AclWho[] };

/** A rule topic: the filter text, and its levels with wildcards and placeholders marked. */
export interface AclTopic {
  readonly text: string;
  readonly eq: boolean;
  readonly levels: readonly AclLevel[];
  readonly hasPlaceholder: boolean;
}

export interface AclRule {
  readonly permission: AclPermission;
  readonly who: AclWho;
  /** `all` for the `{allow|deny, all}` catch-all */
  readonly access: AclAccess | 'all';
  /** empty for the catch-all */
  readonly topics: readonly AclTopic[];
}

export interface AclClient {
  readonly clientid: string;
  readonly username?: string | undefined;
  /** peer IP as text (`10.0.0.1`, `::1`, `::ffff:10.0.0.1`) */
  readonly peerhost?: string | undefined;
}

// Wildcard and placeholder levels are these unique objects, so text that came from
// a client (a topic level, a substituted client id) can never act as one.
const PLUS = { w: '+' } as const;
const HASH = { w: '#' } as const;
const USERNAME = { p: '%u' } as const;
const CLIENTID = { p: '%c' } as const;
export type AclLevel = string | typeof PLUS | typeof HASH | typeof USERNAME | typeof CLIENTID;

/** A rule filter: `+`, `#`, `%u` and `%c` levels are marked. */
export function compileTopic(filter: string): AclTopic {
  let hasPlaceholder = false;
  const levels: AclLevel[] = filter.split('/').map((w) => {
    if (w === '+') return PLUS;
    if (w === '#') return HASH;
    if (w === '%u' || w === '%c') {
      hasPlaceholder = true;
      return w === '%u' ? USERNAME : CLIENTID;
    }
    return w;
  });
  return { text: filter, eq: false, levels, hasPlaceholder };
}

/** `{eq, Topic}`: matches only the identical topic or filter. */
export function eqTopic(topic: string): AclTopic {
  return { text: topic, eq: true, levels: topic.split('/'), hasPlaceholder: false };
}

/** The permission of the first rule that matches, or `nomatch`. */
export function checkRules(rules: readonly AclRule[], client: AclClient, action: AclAction, topic: string): AclCheckResult {
  const r = findRule(rules, client, action, topic);
  return r === undefined ? 'nomatch' : r.permission;
}

/** The rule that decides, if any (for logging). */
export function findRule<R extends AclRule>(rules: readonly R[], client: AclClient, action: AclAction, topic: string): R | undefined {
  let words: AclLevel[] | undefined;
  for (const rule of rules) {
    const a = rule.access;
    if (a === 'all') return rule;
    if (a !== action && a !== 'pubsub') continue;
    if (!matchWho(rule.who, client)) continue;
    words ??= topicLevels(topic);
    if (matchTopics(rule.topics, client, topic, words)) return rule;
  }
  return undefined;
}

/** the client's topic (or subscribed filter): its own `+`/`#` levels are wildcards too */
function topicLevels(topic: string): AclLevel[] {
  return topic.split('/').map((w) => (w === '+' ? PLUS : w === '#' ? HASH : w));
}

export function matchWho(who: AclWho, client: AclClient): boolean {
  switch (who.type) {
    case 'all':
      return true;
    case 'user':
      return who.value === null || (client.username !== undefined && client.username === who.value);
    case 'client':
      return who.value === null || client.clientid === who.value;
    case 'ipaddr': {
      if (client.peerhost === undefined) return false;
      const ip = parseIp(client.peerhost);
      return ip !== undefined && who.cidrs.some((c) => cidrMatch(c, ip));
    }
    case 'and':
      return who.conds.every((c) => matchWho(c, client));
    case 'or':
      return who.conds.some((c) => matchWho(c, client));
  }
}

function matchTopics(topics: readonly AclTopic[], client: AclClient, topic: string, words: readonly AclLevel[]): boolean {
  for (const t of topics) {
    if (t.eq) {
      if (t.text === topic) return true;
      continue;
    }
    let filter = t.levels;
    if (t.hasPlaceholder) {
      const fed = feedVars(filter, client);
      if (fed === undefined) return false; // EMQX: an unresolvable placeholder fails the whole rule
      filter = fed;
    }
    if (matchLevels(words, filter)) return true;
  }
  return false;
}

function feedVars(levels: readonly AclLevel[], client: AclClient): AclLevel[] | undefined {
  const out: AclLevel[] = [];
  for (const l of levels) {
    if (l === USERNAME) {
      if (client.username === undefined) return undefined;
      out.push(client.username);
    } else if (l === CLIENTID) {
      if (client.clientid === undefined) return undefined;
      out.push(client.clientid);
    } else {
      out.push(l);
    }
  }
  return out;
}

/** `name` (which may hold wildcards itself) against `filter`, level by level. */
function matchLevels(name: readonly AclLevel[], filter: readonly AclLevel[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    if (f === HASH && i === filter.length - 1) return true;
    if (i >= name.length) return false;
    if (name[i] !== f && f !== PLUS) return false;
  }
  return name.length === filter.length;
}
