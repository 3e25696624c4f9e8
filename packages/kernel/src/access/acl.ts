/**
 * acl.conf: Erlang-term rules (EMQX 4.3 emqx_mod_acl_internal) compiled into the
 * SDK's ACL rules; checking them is the SDK's `checkRules` (emqx_access_rule).
 *
 * Rule: `{allow|deny, all}` or `{allow|deny, Who, publish|subscribe|pubsub, Topics}`,
 * Topics a list (or a single string) of filters or `{eq, "topic"}`.
 * Who: `all`, `{user|username, "u"}`, `{client|clientid, "c"}` (or `all` in
 * place of the string), `{ipaddr, "CIDR"}`, `{ipaddrs, ["CIDR", …]}`,
 * `{'and', [Who…]}`, `{'or', [Who…]}`. `username`/`clientid` are accepted as
 * spellings of EMQX 4.3's `user`/`client`.
 */
import { compileTopic as compileFilter, eqTopic, parseCidr, type AclAccess, type AclRule as Rule, type AclTopic, type AclWho } from '@nemq/sdk';
import { parseTerms, TermSyntaxError, type Term } from './terms.js';

/** A rule of acl.conf: an SDK rule and the line it was written on. */
export interface AclRule extends Rule {
  readonly line: number;
}

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
    return eqTopic(s);
  }
  const s = text(t);
  if (s === undefined) return bad(t, `bad rule: topic must be a string or {eq, "topic"}, got ${show(t)}`);
  if (s === '') return bad(t, 'bad rule: empty topic');
  return compileFilter(s);
}
