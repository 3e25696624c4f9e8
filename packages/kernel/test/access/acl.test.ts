import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// acl.conf terms → SDK rules. The rule engine itself (matching, Who, placeholders) is
// tested in packages/sdk/test/acl.test.ts; here the shipped file is checked end to end.
import { checkRules, findRule, type AclClient } from '@nemq/sdk';
import { parseAcl, TermSyntaxError } from '../../src/access/index.js';

const ROOT = resolve(__dirname, '../../../..');
const SHIPPED = join(ROOT, 'etc', 'acl.conf');

const remote: AclClient = { clientid: 'c1', username: 'u1', peerhost: '10.0.0.1' };
const local: AclClient = { clientid: 'c2', username: 'u2', peerhost: '127.0.0.1' };

function ruleError(text: string): string {
  try {
    parseAcl(text, 'etc/acl.conf');
  } catch (e) {
    if (e instanceof TermSyntaxError) return e.message;
    throw e;
  }
  throw new Error('accepted');
}

describe('shipped etc/acl.conf', () => {
  const rules = parseAcl(readFileSync(SHIPPED, 'utf8'), SHIPPED);

  test('has EMQX 4.3 default rules in order', () => {
    expect(rules.map((r) => [r.permission, r.who.type, r.access, r.topics.map((t) => (t.eq ? `eq ${t.text}` : t.text))])).toEqual([
      ['allow', 'user', 'subscribe', ['$SYS/#']],
      ['allow', 'ipaddr', 'pubsub', ['$SYS/#', '#']],
      ['deny', 'all', 'subscribe', ['$SYS/#', 'eq #']],
      ['allow', 'all', 'all', []],
    ]);
  });

  test('a client from 10.0.0.1 cannot subscribe to $SYS/# or #', () => {
    expect(checkRules(rules, remote, 'subscribe', '$SYS/#')).toBe('deny');
    expect(checkRules(rules, remote, 'subscribe', '$SYS/brokers/+/clients/#')).toBe('deny');
    expect(checkRules(rules, remote, 'subscribe', '#')).toBe('deny');
  });

  test('a client from 127.0.0.1 can subscribe to $SYS/# and #', () => {
    expect(checkRules(rules, local, 'subscribe', '$SYS/#')).toBe('allow');
    expect(checkRules(rules, local, 'subscribe', '#')).toBe('allow');
    expect(checkRules(rules, { ...local, peerhost: '::ffff:127.0.0.1' }, 'subscribe', '#')).toBe('allow');
  });

  test('the dashboard user may subscribe to $SYS/# from anywhere', () => {
    expect(checkRules(rules, { ...remote, username: 'dashboard' }, 'subscribe', '$SYS/#')).toBe('allow');
  });

  test('everything else falls through to {allow, all}', () => {
    expect(checkRules(rules, remote, 'subscribe', 'sensors/+/temp')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'sensors/1/temp')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', '$SYS/x')).toBe('allow'); // the deny rule is subscribe-only
    // {eq, "#"} blocks only the literal "#"; "+/#" does not match "$SYS/#" either
    expect(checkRules(rules, remote, 'subscribe', '+/#')).toBe('allow');
    expect(findRule(rules, remote, 'subscribe', 'a')?.line).toBe(rules[3]?.line);
  });
});

describe('Who and topic terms', () => {
  test('user / username and client / clientid match exactly; {user, all} matches anyone', () => {
    const rules = parseAcl(
      [
        '{allow, {user, "u1"}, publish, ["a"]}.',
        '{allow, {username, "u2"}, publish, ["a"]}.',
        '{allow, {client, "c3"}, publish, ["a"]}.',
        '{allow, {clientid, <<"c4">>}, publish, ["a"]}.',
        '{deny, {user, all}, publish, ["b"]}.',
        '{deny, {client, all}, publish, ["c"]}.',
      ].join('\n'),
    );
    expect(checkRules(rules, { clientid: 'x', username: 'u1' }, 'publish', 'a')).toBe('allow');
    expect(checkRules(rules, { clientid: 'x', username: 'u2' }, 'publish', 'a')).toBe('allow');
    expect(checkRules(rules, { clientid: 'c3' }, 'publish', 'a')).toBe('allow');
    expect(checkRules(rules, { clientid: 'c4' }, 'publish', 'a')).toBe('allow');
    expect(checkRules(rules, { clientid: 'x', username: 'U1' }, 'publish', 'a')).toBe('nomatch');
    expect(checkRules(rules, { clientid: 'x' }, 'publish', 'b')).toBe('deny');
    expect(checkRules(rules, { clientid: 'x' }, 'publish', 'c')).toBe('deny');
  });
});

describe('rule errors name file and line', () => {
  test('bad permission, access, Who, topic or shape', () => {
    expect(ruleError('\n{permit, all}.')).toBe('etc/acl.conf:2: bad rule: permission must be allow or deny, got permit');
    expect(ruleError('{allow, all, read, ["t"]}.')).toBe(
      'etc/acl.conf:1: bad rule: access must be publish, subscribe or pubsub, got read',
    );
    expect(ruleError('{allow, {group, "g"}, publish, ["t"]}.')).toBe(
      'etc/acl.conf:1: bad rule: unknown Who {group, "g"}',
    );
    expect(ruleError('{allow, {ipaddr, "10.0.0.0/33"}, publish, ["t"]}.')).toBe(
      'etc/acl.conf:1: bad rule: bad IP address or CIDR "10.0.0.0/33"',
    );
    expect(ruleError('{allow, all, publish, [{prefix, "t"}]}.')).toBe(
      'etc/acl.conf:1: bad rule: topic must be a string or {eq, "topic"}, got {prefix, "t"}',
    );
    expect(ruleError('{allow, all, publish, []}.')).toBe('etc/acl.conf:1: bad rule: empty topic list');
    expect(ruleError('{allow, all, publish, [""]}.')).toBe('etc/acl.conf:1: bad rule: empty topic');
    expect(ruleError('{allow, everyone}.')).toBe(
      'etc/acl.conf:1: bad rule: a 2-element rule must be {allow, all}, got everyone',
    );
    expect(ruleError('{allow, all, publish}.')).toMatch(/^etc\/acl\.conf:1: bad rule: expected \{allow\|deny, all\}/);
  });

  test('a single binary or string is accepted as a one-topic list', () => {
    const rules = parseAcl('{allow, all, publish, <<"t/#">>}.\n{deny, all, publish, "x"}.');
    expect(checkRules(rules, remote, 'publish', 't/1')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'x')).toBe('deny');
  });
});

describe('terms compile to SDK rules', () => {
  const [r] = parseAcl(
    `{allow, {'or', [{'and', [{user, "u"}, {ipaddrs, ["10.0.0.5/8", "::1"]}]}, {client, all}, {ipaddr, "127.0.0.1"}]}, pubsub, ["a/+/%u", {eq, "a/#"}, <<"%c">>]}.`,
  );

  test('Who: and / or / user / client all / ipaddr(s) with normalised CIDRs', () => {
    const cidrs = (w: unknown) => (w as { cidrs: Array<{ text: string }> }).cidrs.map((c) => c.text);
    const who = r!.who as { type: 'or'; conds: readonly unknown[] };
    expect(who.type).toBe('or');
    const [and, clientAll, one] = who.conds as [{ type: 'and'; conds: readonly unknown[] }, unknown, unknown];
    expect(and.type).toBe('and');
    expect(and.conds[0]).toEqual({ type: 'user', value: 'u' });
    expect(cidrs(and.conds[1])).toEqual(['10.0.0.0/8', '0:0:0:0:0:0:0:1/128']);
    expect(clientAll).toEqual({ type: 'client', value: null });
    expect(cidrs(one)).toEqual(['127.0.0.1/32']);
  });

  test('topics: filters with placeholders, eq, binaries; access and line', () => {
    expect(r!.topics.map((t) => [t.text, t.eq, t.hasPlaceholder])).toEqual([
      ['a/+/%u', false, true],
      ['a/#', true, false],
      ['%c', false, true],
    ]);
    expect(r!.access).toBe('pubsub');
    expect(r!.line).toBe(1);
    expect(checkRules(parseAcl(`{allow, all, publish, ["dev/%c/#"]}.`), { clientid: 'c1' }, 'publish', 'dev/c1/x')).toBe('allow');
  });
});
