/**
 * acl.conf rules, compiled and checked the way EMQX 4.3's internal ACL module
 * (emqx_access_rule + emqx_mod_acl_internal) does:
 *
 * - Rules are tried top to bottom among those that apply to the action
 *   (publish: `publish`/`pubsub` rules, subscribe: `subscribe`/`pubsub`
 *   rules; `{allow|deny, all}` applies to both). The first rule whose Who
 *   and one of whose topics match decides allow/deny; none → `nomatch`, and
 *   the caller applies `acl_nomatch`.
 * - Topics are compared level by level with `+` and `#`. For SUBSCRIBE the
 *   subscribed filter itself is the "topic": `a/+` is covered by a rule
 *   `a/#`, and — as in EMQX — a `+` in the rule also covers a `#` level in
 *   the filter (rule `a/+` matches filter `a/#`).
 * - As in EMQX's ACL (which compares split levels, not the strings), a
 *   leading wildcard in a rule does match `$`-topics: rule `#` covers
 *   `$SYS/x`. That keeps `{deny, all, publish, ["#"]}` airtight; allow rules
 *   for `$SYS/#` must come before any deny of it, as in the shipped file.
 * - `{eq, "t"}` is plain string equality: wildcards are not expanded and
 *   placeholders are not substituted.
 * - A level that is exactly `%u` / `%c` is replaced by the username / client
 *   id before matching, as a literal level (a client id of `#` is not a
 *   wildcard). If the value is missing the whole rule does not match.
 *
 * Who: `all`, `{user|username, "u"}`, `{client|clientid, "c"}` (or `all` in
 * place of the string), `{ipaddr, "CIDR"}`, `{ipaddrs, ["CIDR", …]}`,
 * `{'and', [Who…]}`, `{'or', [Who…]}`. `username`/`clientid` are accepted as
 * spellings of EMQX 4.3's `user`/`client`.
 */
import { cidrMatch, parseCidr, parseIp, type Cidr } from '@nemq/sdk';
import { parseTerms, TermSyntaxError, type Term } from './terms.js';

export type AclPermission = 'allow' | 'deny';
export type AclAccess = 'publish' | 'subscribe' | 'pubsub';
export type AclAction = 'publish' | 'subscribe';
export type AclCheckResult = 'allow' | 'deny' | 'nomatch';

export type AclWho =
  | { readonly type: 'all' }
  /** `value: null` for `{user, all}`. */
  | { readonly type: 'user'; readonly value: string | null }
  | { readonly type: 'client'; readonly value: string | null }
  | { readonly type: 'ipaddr'; readonly cidrs: readonly Cidr[] }
  | { readonly type: 'and' | 'or'; readonly conds: readonly AclWho[] };

/** A rule topic. `levels` holds the filter split on `/`, with wildcards and placeholders marked. */
export interface AclTopic {
  readonly text: string;
  readonly eq: boolean;
  readonly levels: readonly Level[];
  readonly hasPlaceholder: boolean;
}

export interface AclRule {
  readonly permission: AclPermission;
  readonly who: AclWho;
  /** `all` for the `{allow|deny, all}` catch-all. */
  readonly access: AclAccess | 'all';
  /** Empty for the catch-all, which matches every topic. */
  readonly topics: readonly AclTopic[];
  /** Line of the rule in its file. */
  readonly line: number;
}

export interface AclClient {
  readonly clientid: string;
  readonly username?: string | undefined;
  /** Peer IP address as a string (`10.0.0.1`, `::1`, `::ffff:10.0.0.1`). */
  readonly peerhost?: string | undefined;
}

// Level markers. Topic levels are strings; wildcard and placeholder levels of a
// rule are these unique objects, so a literal "+" from a substituted client id
// can never act as a wildcard.
const PLUS = { w: '+' } as const;
const HASH = { w: '#' } as const;
const USERNAME = { p: '%u' } as const;
const CLIENTID = { p: '%c' } as const;
type Marker = typeof PLUS | typeof HASH;
type Level = string | Marker | typeof USERNAME | typeof CLIENTID;

// ---------------------------------------------------------------- compile

/** Parse acl.conf text into rules. Throws `TermSyntaxError` ("file:line: …") on the first bad term or rule. */
export function parseAcl(text: string, file = '<acl>'): AclRule[] {
  return parseTerms(text, file).map((t) => compileRule(t, file));
}

function compileRule(t: Term, file: string): AclRule {
  const bad = (at: Term, msg: string): never => {
    throw new TermSyntaxError(file, at.line, msg);
  };
  if (t.type !== 'tuple' || (t.items.length !== 2 && t.items.length !== 4)) {
    return bad(t, 'bad rule: expected {allow|deny, all} or {allow|deny, Who, publish|subscribe|pubsub, Topics}');
  }
  const [perm, second, access, topics] = t.items;
  if (perm?.type !== 'atom' || (perm.value !== 'allow' && perm.value !== 'deny')) {
    return bad(perm ?? t, `bad rule: permission must be allow or deny, got ${show(perm)}`);
  }
  if (t.items.length === 2) {
    if (second?.type !== 'atom' || second.value !== 'all') {
      return bad(second ?? t, `bad rule: a 2-element rule must be {${perm.value}, all}, got ${show(second)}`);
    }
    return { permission: perm.value, who: { type: 'all' }, access: 'all', topics: [], line: t.line };
  }
  if (access?.type !== 'atom' || !['publish', 'subscribe', 'pubsub'].includes(access.value)) {
    return bad(access ?? t, `bad rule: access must be publish, subscribe or pubsub, got ${show(access)}`);
  }
  const who = compileWho(second ?? t, bad);
  if (topics === undefined) return bad(t, 'bad rule: missing topics');
  const list = topics.type === 'list' ? topics.items : [topics];
  if (list.length === 0) return bad(topics, 'bad rule: empty topic list');
  return {
    permission: perm.value,
    who,
    access: access.value as AclAccess,
    topics: list.map((x) => compileTopic(x, bad)),
    line: t.line,
  };
}

function show(t: Term | undefined): string {
  if (t === undefined) return 'nothing';
  switch (t.type) {
    case 'atom':
      return t.value;
    case 'string':
    case 'binary':
      return JSON.stringify(t.value);
    case 'integer':
      return String(t.value);
    case 'tuple':
      return `{${t.items.map(show).join(', ')}}`;
    case 'list':
      return `[${t.items.map(show).join(', ')}]`;
  }
}

const text = (t: Term | undefined): string | undefined =>
  t?.type === 'string' || t?.type === 'binary' ? t.value : undefined;

function compileWho(t: Term, bad: (at: Term, msg: string) => never): AclWho {
  if (t.type === 'atom' && t.value === 'all') return { type: 'all' };
  if (t.type !== 'tuple' || t.items.length !== 2 || t.items[0]?.type !== 'atom') {
    return bad(t, `bad rule: unknown Who ${show(t)}`);
  }
  const kind = t.items[0].value;
  const arg = t.items[1] as Term;
  switch (kind) {
    case 'user':
    case 'username':
    case 'client':
    case 'clientid': {
      const type = kind.startsWith('user') ? 'user' : 'client';
      if (arg.type === 'atom' && arg.value === 'all') return { type, value: null };
      const v = text(arg);
      if (v === undefined) return bad(arg, `bad rule: {${kind}, …} needs a string or all, got ${show(arg)}`);
      return { type, value: v };
    }
    case 'ipaddr':
    case 'ipaddrs': {
      const items = kind === 'ipaddr' ? [arg] : arg.type === 'list' ? arg.items : undefined;
      if (items === undefined) return bad(arg, `bad rule: {ipaddrs, …} needs a list, got ${show(arg)}`);
      const cidrs = items.map((x) => {
        const s = text(x);
        const c = s === undefined ? undefined : parseCidr(s);
        return c ?? bad(x, `bad rule: bad IP address or CIDR ${show(x)}`);
      });
      return { type: 'ipaddr', cidrs };
    }
    case 'and':
    case 'or': {
      if (arg.type !== 'list') return bad(arg, `bad rule: {'${kind}', …} needs a list, got ${show(arg)}`);
      return { type: kind, conds: arg.items.map((x) => compileWho(x, bad)) };
    }
    default:
      return bad(t, `bad rule: unknown Who ${show(t)}`);
  }
}

function compileTopic(t: Term, bad: (at: Term, msg: string) => never): AclTopic {
  if (t.type === 'tuple') {
    const [tag, arg] = t.items;
    const s = text(arg);
    if (t.items.length !== 2 || tag?.type !== 'atom' || tag.value !== 'eq' || s === undefined) {
      return bad(t, `bad rule: topic must be a string or {eq, "topic"}, got ${show(t)}`);
    }
    if (s === '') return bad(t, 'bad rule: empty topic');
    return { text: s, eq: true, levels: s.split('/'), hasPlaceholder: false };
  }
  const s = text(t);
  if (s === undefined) return bad(t, `bad rule: topic must be a string or {eq, "topic"}, got ${show(t)}`);
  if (s === '') return bad(t, 'bad rule: empty topic');
  const levels: Level[] = s.split('/').map((w) =>
    w === '+' ? PLUS : w === '#' ? HASH : w === '%u' ? USERNAME : w === '%c' ? CLIENTID : w,
  );
  return { text: s, eq: false, levels, hasPlaceholder: levels.some((l) => l === USERNAME || l === CLIENTID) };
}

// ---------------------------------------------------------------- check

const split = new WeakMap<readonly AclRule[], { publish: AclRule[]; subscribe: AclRule[] }>();

function rulesFor(rules: readonly AclRule[], action: AclAction): readonly AclRule[] {
  let s = split.get(rules);
  if (!s) {
    s = {
      publish: rules.filter((r) => r.access === 'all' || r.access === 'publish' || r.access === 'pubsub'),
      subscribe: rules.filter((r) => r.access === 'all' || r.access === 'subscribe' || r.access === 'pubsub'),
    };
    split.set(rules, s);
  }
  return s[action];
}

/**
 * Check `topic` (a publish topic, or the subscribed filter) for `client`.
 * Returns the first matching rule's permission, or `nomatch`.
 */
export function checkAcl(
  rules: readonly AclRule[],
  client: AclClient,
  action: AclAction,
  topic: string,
): AclCheckResult {
  const r = findRule(rules, client, action, topic);
  return r ? r.permission : 'nomatch';
}

/** The rule that decides, if any (for logging / tracing). */
export function findRule(
  rules: readonly AclRule[],
  client: AclClient,
  action: AclAction,
  topic: string,
): AclRule | undefined {
  let words: Level[] | undefined;
  for (const rule of rulesFor(rules, action)) {
    if (rule.access === 'all') return rule;
    if (!matchWho(rule.who, client)) continue;
    words ??= topicLevels(topic);
    if (matchTopics(rule.topics, client, topic, words)) return rule;
  }
  return undefined;
}

function topicLevels(topic: string): Level[] {
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

function matchTopics(topics: readonly AclTopic[], client: AclClient, topic: string, words: readonly Level[]): boolean {
  for (const t of topics) {
    if (t.eq) {
      if (t.text === topic) return true;
      continue;
    }
    let filter = t.levels;
    if (t.hasPlaceholder) {
      const fed = feedVars(filter, client);
      // EMQX: an unresolvable placeholder makes the whole rule not match
      if (fed === undefined) return false;
      filter = fed;
    }
    if (matchLevels(words, filter)) return true;
  }
  return false;
}

function feedVars(levels: readonly Level[], client: AclClient): Level[] | undefined {
  const out: Level[] = [];
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

/** Level-wise match of `name` (which may itself contain wildcards) against `filter`. */
function matchLevels(name: readonly Level[], filter: readonly Level[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    if (f === HASH && i === filter.length - 1) return true;
    if (i >= name.length) return false;
    const n = name[i];
    if (n === f || f === PLUS) continue;
    return false;
  }
  return name.length === filter.length;
}
