import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  checkAcl,
  findRule,
  parseAcl,
  parseCidr,
  cidrMatch,
  TermSyntaxError,
  type AclClient,
} from '../../src/access/index.js';

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
    expect(checkAcl(rules, remote, 'subscribe', '$SYS/#')).toBe('deny');
    expect(checkAcl(rules, remote, 'subscribe', '$SYS/brokers/+/clients/#')).toBe('deny');
    expect(checkAcl(rules, remote, 'subscribe', '#')).toBe('deny');
  });

  test('a client from 127.0.0.1 can subscribe to $SYS/# and #', () => {
    expect(checkAcl(rules, local, 'subscribe', '$SYS/#')).toBe('allow');
    expect(checkAcl(rules, local, 'subscribe', '#')).toBe('allow');
    expect(checkAcl(rules, { ...local, peerhost: '::ffff:127.0.0.1' }, 'subscribe', '#')).toBe('allow');
  });

  test('the dashboard user may subscribe to $SYS/# from anywhere', () => {
    expect(checkAcl(rules, { ...remote, username: 'dashboard' }, 'subscribe', '$SYS/#')).toBe('allow');
  });

  test('everything else falls through to {allow, all}', () => {
    expect(checkAcl(rules, remote, 'subscribe', 'sensors/+/temp')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', 'sensors/1/temp')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', '$SYS/x')).toBe('allow'); // the deny rule is subscribe-only
    // {eq, "#"} blocks only the literal "#"; "+/#" does not match "$SYS/#" either
    expect(checkAcl(rules, remote, 'subscribe', '+/#')).toBe('allow');
    expect(findRule(rules, remote, 'subscribe', 'a')?.line).toBe(rules[3]?.line);
  });
});

describe('rule evaluation', () => {
  test('first matching rule wins; no match is nomatch', () => {
    const rules = parseAcl(
      '{deny, {user, "u1"}, publish, ["t/1"]}.\n{allow, all, publish, ["t/#"]}.\n{deny, all, publish, ["t/#"]}.',
    );
    expect(checkAcl(rules, remote, 'publish', 't/1')).toBe('deny');
    expect(checkAcl(rules, remote, 'publish', 't/2')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', 'x')).toBe('nomatch');
    expect(checkAcl([], remote, 'publish', 'x')).toBe('nomatch');
  });

  test('publish rules apply to publish, subscribe rules to subscribe, pubsub and {_, all} to both', () => {
    const rules = parseAcl(
      '{deny, all, publish, ["p"]}.\n{deny, all, subscribe, ["s"]}.\n{deny, all, pubsub, ["b"]}.\n{allow, all}.',
    );
    expect(checkAcl(rules, remote, 'publish', 'p')).toBe('deny');
    expect(checkAcl(rules, remote, 'subscribe', 'p')).toBe('allow');
    expect(checkAcl(rules, remote, 'subscribe', 's')).toBe('deny');
    expect(checkAcl(rules, remote, 'publish', 's')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', 'b')).toBe('deny');
    expect(checkAcl(rules, remote, 'subscribe', 'b')).toBe('deny');
    expect(checkAcl(parseAcl('{deny, all}.'), remote, 'subscribe', 'anything')).toBe('deny');
  });

  test('topic filters use + and #', () => {
    const rules = parseAcl('{allow, all, publish, ["a/+/c", "d/#", "+"]}.');
    expect(checkAcl(rules, remote, 'publish', 'a/b/c')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', 'a//c')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', 'a/b/c/d')).toBe('nomatch');
    expect(checkAcl(rules, remote, 'publish', 'd')).toBe('allow'); // "d/#" covers its parent
    expect(checkAcl(rules, remote, 'publish', 'd/e/f')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', 'top')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', 'x/y')).toBe('nomatch');
  });

  test('as in EMQX, a leading wildcard in a rule also covers $-topics', () => {
    const rules = parseAcl('{deny, all, publish, ["#"]}.\n{deny, all, subscribe, ["+/brokers"]}.');
    expect(checkAcl(rules, remote, 'publish', '$SYS/brokers')).toBe('deny');
    expect(checkAcl(rules, remote, 'subscribe', '$SYS/brokers')).toBe('deny');
  });

  test('subscribe: the subscribed filter is matched level by level against the rule filter', () => {
    const rules = parseAcl('{allow, all, subscribe, ["a/#", "b/+", "c/d"]}.');
    expect(checkAcl(rules, remote, 'subscribe', 'a/+')).toBe('allow'); // a/# covers a/+
    expect(checkAcl(rules, remote, 'subscribe', 'a/#')).toBe('allow');
    expect(checkAcl(rules, remote, 'subscribe', 'b/+')).toBe('allow');
    expect(checkAcl(rules, remote, 'subscribe', 'b/#')).toBe('allow'); // EMQX: a + level covers a # level
    expect(checkAcl(rules, remote, 'subscribe', 'b/x/#')).toBe('nomatch');
    expect(checkAcl(rules, remote, 'subscribe', 'c/+')).toBe('nomatch'); // a literal rule does not cover +
    expect(checkAcl(rules, remote, 'subscribe', '#')).toBe('nomatch');
  });

  test('{eq, T} is exact string equality, wildcards not expanded', () => {
    const rules = parseAcl('{deny, all, subscribe, [{eq, "#"}, {eq, "a/+"}]}.');
    expect(checkAcl(rules, remote, 'subscribe', '#')).toBe('deny');
    expect(checkAcl(rules, remote, 'subscribe', 'a/+')).toBe('deny');
    expect(checkAcl(rules, remote, 'subscribe', 'a/b')).toBe('nomatch');
    expect(checkAcl(rules, remote, 'subscribe', 'x/#')).toBe('nomatch');
  });

  test('%u and %c are replaced by username and client id', () => {
    const rules = parseAcl('{allow, all, pubsub, ["users/%u/#", "devices/%c/up"]}.');
    expect(checkAcl(rules, remote, 'publish', 'users/u1/x')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', 'users/u2/x')).toBe('nomatch');
    expect(checkAcl(rules, remote, 'subscribe', 'devices/c1/up')).toBe('allow');
    expect(checkAcl(rules, remote, 'subscribe', 'devices/+/up')).toBe('nomatch');
  });

  test('a placeholder rule does not match when the value is missing — not even its other topics', () => {
    const rules = parseAcl('{allow, all, publish, ["users/%u/#", "public/#"]}.\n{allow, all, publish, ["open"]}.');
    const anon: AclClient = { clientid: 'c9', peerhost: '10.0.0.9' };
    expect(checkAcl(rules, anon, 'publish', 'users/%u/x')).toBe('nomatch');
    expect(checkAcl(rules, anon, 'publish', 'public/x')).toBe('nomatch');
    expect(checkAcl(rules, anon, 'publish', 'open')).toBe('allow');
  });

  test('substituted values are literal levels: a client id of "#" or "a/b" is not a wildcard', () => {
    const rules = parseAcl('{allow, all, pubsub, ["dev/%c"]}.');
    expect(checkAcl(rules, { clientid: '#' }, 'publish', 'dev/x')).toBe('nomatch');
    expect(checkAcl(rules, { clientid: '#' }, 'subscribe', 'dev/#')).toBe('nomatch'); // a literal, not the wildcard
    expect(checkAcl(rules, { clientid: 'x' }, 'publish', 'dev/x')).toBe('allow');
    expect(checkAcl(rules, { clientid: 'a/b' }, 'publish', 'dev/a/b')).toBe('nomatch');
    expect(checkAcl(rules, { clientid: '+' }, 'publish', 'dev/q')).toBe('nomatch');
  });

  test('{eq, "%u"} is not substituted', () => {
    const rules = parseAcl('{allow, all, publish, [{eq, "%u"}]}.');
    expect(checkAcl(rules, remote, 'publish', 'u1')).toBe('nomatch');
    expect(checkAcl(rules, remote, 'publish', '%u')).toBe('allow');
  });
});

describe('Who', () => {
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
    expect(checkAcl(rules, { clientid: 'x', username: 'u1' }, 'publish', 'a')).toBe('allow');
    expect(checkAcl(rules, { clientid: 'x', username: 'u2' }, 'publish', 'a')).toBe('allow');
    expect(checkAcl(rules, { clientid: 'c3' }, 'publish', 'a')).toBe('allow');
    expect(checkAcl(rules, { clientid: 'c4' }, 'publish', 'a')).toBe('allow');
    expect(checkAcl(rules, { clientid: 'x', username: 'U1' }, 'publish', 'a')).toBe('nomatch');
    expect(checkAcl(rules, { clientid: 'x' }, 'publish', 'b')).toBe('deny');
    expect(checkAcl(rules, { clientid: 'x' }, 'publish', 'c')).toBe('deny');
  });

  test('ipaddr: single address, CIDR (host bits ignored), IPv6, and no peer', () => {
    const rules = parseAcl(
      [
        '{allow, {ipaddr, "192.168.1.5/24"}, publish, ["lan"]}.',
        '{allow, {ipaddr, "10.0.0.1"}, publish, ["one"]}.',
        '{allow, {ipaddr, "fd00::/8"}, publish, ["v6"]}.',
      ].join('\n'),
    );
    expect(checkAcl(rules, { clientid: 'x', peerhost: '192.168.1.200' }, 'publish', 'lan')).toBe('allow');
    expect(checkAcl(rules, { clientid: 'x', peerhost: '192.168.2.1' }, 'publish', 'lan')).toBe('nomatch');
    expect(checkAcl(rules, { clientid: 'x', peerhost: '10.0.0.1' }, 'publish', 'one')).toBe('allow');
    expect(checkAcl(rules, { clientid: 'x', peerhost: '10.0.0.2' }, 'publish', 'one')).toBe('nomatch');
    expect(checkAcl(rules, { clientid: 'x', peerhost: 'fd12::1' }, 'publish', 'v6')).toBe('allow');
    expect(checkAcl(rules, { clientid: 'x', peerhost: 'fe80::1' }, 'publish', 'v6')).toBe('nomatch');
    expect(checkAcl(rules, { clientid: 'x' }, 'publish', 'lan')).toBe('nomatch');
    expect(checkAcl(rules, { clientid: 'x', peerhost: 'garbage' }, 'publish', 'lan')).toBe('nomatch');
  });

  test('ipaddrs: any of several CIDRs', () => {
    const rules = parseAcl('{allow, {ipaddrs, ["10.0.0.0/8", "172.16.0.0/12"]}, pubsub, ["#"]}.');
    expect(checkAcl(rules, { clientid: 'x', peerhost: '172.20.1.1' }, 'subscribe', '#')).toBe('allow');
    expect(checkAcl(rules, { clientid: 'x', peerhost: '10.9.9.9' }, 'publish', 'a')).toBe('allow');
    expect(checkAcl(rules, { clientid: 'x', peerhost: '192.168.0.1' }, 'publish', 'a')).toBe('nomatch');
  });

  test("'and' needs every condition, 'or' any; empty 'and' is true, empty 'or' false", () => {
    const rules = parseAcl(
      [
        "{allow, {'and', [{user, \"u1\"}, {ipaddr, \"10.0.0.0/8\"}]}, publish, [\"and\"]}.",
        "{allow, {'or', [{user, \"zz\"}, {client, \"c2\"}]}, publish, [\"or\"]}.",
        "{allow, {'and', []}, publish, [\"empty_and\"]}.",
        "{allow, {'or', []}, publish, [\"empty_or\"]}.",
        "{allow, {'or', [{'and', [{user, \"u1\"}, {client, \"c1\"}]}, {user, \"admin\"}]}, publish, [\"nested\"]}.",
      ].join('\n'),
    );
    expect(checkAcl(rules, remote, 'publish', 'and')).toBe('allow');
    expect(checkAcl(rules, { ...remote, peerhost: '192.168.0.1' }, 'publish', 'and')).toBe('nomatch');
    expect(checkAcl(rules, local, 'publish', 'or')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', 'or')).toBe('nomatch');
    expect(checkAcl(rules, remote, 'publish', 'empty_and')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', 'empty_or')).toBe('nomatch');
    expect(checkAcl(rules, remote, 'publish', 'nested')).toBe('allow');
    expect(checkAcl(rules, { clientid: 'q', username: 'admin' }, 'publish', 'nested')).toBe('allow');
    expect(checkAcl(rules, local, 'publish', 'nested')).toBe('nomatch');
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
    expect(checkAcl(rules, remote, 'publish', 't/1')).toBe('allow');
    expect(checkAcl(rules, remote, 'publish', 'x')).toBe('deny');
  });
});

describe('CIDR helper', () => {
  test('parses and normalises', () => {
    expect(parseCidr('192.168.1.5/24')?.text).toBe('192.168.1.0/24');
    expect(parseCidr('10.0.0.1')?.text).toBe('10.0.0.1/32');
    expect(parseCidr('::1')?.text).toBe('0:0:0:0:0:0:0:1/128');
    expect(parseCidr('::ffff:10.0.0.0/104')?.text).toBe('10.0.0.0/8');
    expect(parseCidr('10.0.0.0/x')).toBeUndefined();
    expect(parseCidr('nope')).toBeUndefined();
  });

  test('matches across IPv4-mapped IPv6 and keeps families apart otherwise', () => {
    const v4 = parseCidr('127.0.0.0/8');
    const any6 = parseCidr('::/0');
    if (!v4 || !any6) throw new Error('parse failed');
    expect(cidrMatch(v4, '::ffff:127.0.0.1')).toBe(true);
    expect(cidrMatch(v4, '::1')).toBe(false);
    expect(cidrMatch(any6, '2001:db8::1')).toBe(true);
  });
});
