// The ACL rule engine (EMQX 4.3 emqx_access_rule). Rules are built here directly; how
// acl.conf terms and mqtt_acl rows become rules is tested with the kernel and the plugin.
import {
  checkRules,
  compileTopic,
  eqTopic,
  findRule,
  matchWho,
  parseCidr,
  type AclAccess,
  type AclClient,
  type AclPermission,
  type AclRule,
  type AclWho,
} from '@nemq/sdk';

const ALL: AclWho = { type: 'all' };
const user = (value: string | null): AclWho => ({ type: 'user', value });
const client = (value: string | null): AclWho => ({ type: 'client', value });
const ip = (...blocks: string[]): AclWho => ({ type: 'ipaddr', cidrs: blocks.map((b) => parseCidr(b)!) });
const and = (...conds: AclWho[]): AclWho => ({ type: 'and', conds });
const or = (...conds: AclWho[]): AclWho => ({ type: 'or', conds });

/** topics: a filter, or `=t` for `{eq, t}` */
function rule(permission: AclPermission, who: AclWho, access: AclAccess, topics: string[]): AclRule {
  return { permission, who, access, topics: topics.map((t) => (t.startsWith('=') ? eqTopic(t.slice(1)) : compileTopic(t))) };
}
const catchAll = (permission: AclPermission): AclRule => ({ permission, who: ALL, access: 'all', topics: [] });

const remote: AclClient = { clientid: 'c1', username: 'u1', peerhost: '10.0.0.1' };
const local: AclClient = { clientid: 'c2', username: 'u2', peerhost: '127.0.0.1' };

describe('rule evaluation', () => {
  test('first matching rule wins; no match is nomatch', () => {
    const rules = [rule('deny', user('u1'), 'publish', ['t/1']), rule('allow', ALL, 'publish', ['t/#']), rule('deny', ALL, 'publish', ['t/#'])];
    expect(checkRules(rules, remote, 'publish', 't/1')).toBe('deny');
    expect(checkRules(rules, remote, 'publish', 't/2')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'x')).toBe('nomatch');
    expect(checkRules([], remote, 'publish', 'x')).toBe('nomatch');
    expect(findRule(rules, remote, 'publish', 't/2')).toBe(rules[1]);
  });

  test('publish rules apply to publish, subscribe rules to subscribe, pubsub and the catch-all to both', () => {
    const rules = [rule('deny', ALL, 'publish', ['p']), rule('deny', ALL, 'subscribe', ['s']), rule('deny', ALL, 'pubsub', ['b']), catchAll('allow')];
    expect(checkRules(rules, remote, 'publish', 'p')).toBe('deny');
    expect(checkRules(rules, remote, 'subscribe', 'p')).toBe('allow');
    expect(checkRules(rules, remote, 'subscribe', 's')).toBe('deny');
    expect(checkRules(rules, remote, 'publish', 's')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'b')).toBe('deny');
    expect(checkRules(rules, remote, 'subscribe', 'b')).toBe('deny');
    expect(checkRules([catchAll('deny')], remote, 'subscribe', 'anything')).toBe('deny');
  });

  test('topic filters use + and # [MQTT-4.7.1-2] [MQTT-4.7.1-3]', () => {
    const rules = [rule('allow', ALL, 'publish', ['a/+/c', 'd/#', '+'])];
    expect(checkRules(rules, remote, 'publish', 'a/b/c')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'a//c')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'a/b/c/d')).toBe('nomatch');
    expect(checkRules(rules, remote, 'publish', 'd')).toBe('allow'); // "d/#" covers its parent
    expect(checkRules(rules, remote, 'publish', 'd/e/f')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'top')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'x/y')).toBe('nomatch');
  });

  test('as in EMQX, a leading wildcard in a rule also covers $-topics (unlike [MQTT-4.7.2-1] for subscriptions)', () => {
    const rules = [rule('deny', ALL, 'publish', ['#']), rule('deny', ALL, 'subscribe', ['+/brokers'])];
    expect(checkRules(rules, remote, 'publish', '$SYS/brokers')).toBe('deny');
    expect(checkRules(rules, remote, 'subscribe', '$SYS/brokers')).toBe('deny');
  });

  test('subscribe: the subscribed filter is matched level by level against the rule filter', () => {
    const rules = [rule('allow', ALL, 'subscribe', ['a/#', 'b/+', 'c/d'])];
    expect(checkRules(rules, remote, 'subscribe', 'a/+')).toBe('allow'); // a/# covers a/+
    expect(checkRules(rules, remote, 'subscribe', 'a/#')).toBe('allow');
    expect(checkRules(rules, remote, 'subscribe', 'b/+')).toBe('allow');
    expect(checkRules(rules, remote, 'subscribe', 'b/#')).toBe('allow'); // EMQX: a + level covers a # level
    expect(checkRules(rules, remote, 'subscribe', 'b/x/#')).toBe('nomatch');
    expect(checkRules(rules, remote, 'subscribe', 'c/+')).toBe('nomatch'); // a literal rule does not cover +
    expect(checkRules(rules, remote, 'subscribe', '#')).toBe('nomatch');
    expect(checkRules([rule('allow', ALL, 'subscribe', ['a/x/b'])], remote, 'subscribe', 'a/+/b')).toBe('nomatch');
  });

  test('eq is exact string equality, wildcards not expanded', () => {
    const rules = [rule('deny', ALL, 'subscribe', ['=#', '=a/+'])];
    expect(checkRules(rules, remote, 'subscribe', '#')).toBe('deny');
    expect(checkRules(rules, remote, 'subscribe', 'a/+')).toBe('deny');
    expect(checkRules(rules, remote, 'subscribe', 'a/b')).toBe('nomatch');
    expect(checkRules(rules, remote, 'subscribe', 'x/#')).toBe('nomatch');
  });

  test('%u and %c levels are replaced by username and client id', () => {
    const rules = [rule('allow', ALL, 'pubsub', ['users/%u/#', 'devices/%c/up'])];
    expect(checkRules(rules, remote, 'publish', 'users/u1/x')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'users/u2/x')).toBe('nomatch');
    expect(checkRules(rules, remote, 'subscribe', 'devices/c1/up')).toBe('allow');
    expect(checkRules(rules, remote, 'subscribe', 'devices/+/up')).toBe('nomatch');
  });

  test('a placeholder rule does not match when the value is missing — not even its other topics', () => {
    const rules = [rule('allow', ALL, 'publish', ['users/%u/#', 'public/#']), rule('allow', ALL, 'publish', ['open'])];
    const anon: AclClient = { clientid: 'c9', peerhost: '10.0.0.9' };
    expect(checkRules(rules, anon, 'publish', 'users/%u/x')).toBe('nomatch');
    expect(checkRules(rules, anon, 'publish', 'users/undefined/x')).toBe('nomatch');
    expect(checkRules(rules, anon, 'publish', 'public/x')).toBe('nomatch');
    expect(checkRules(rules, anon, 'publish', 'open')).toBe('allow');
  });

  test('substituted values are literal levels: a client id or username of "#", "+" or "a/b" is not a wildcard', () => {
    const rules = [rule('allow', ALL, 'pubsub', ['dev/%c'])];
    expect(checkRules(rules, { clientid: '#' }, 'publish', 'dev/x')).toBe('nomatch');
    expect(checkRules(rules, { clientid: '#' }, 'subscribe', 'dev/#')).toBe('nomatch'); // a literal, not the wildcard
    expect(checkRules(rules, { clientid: 'x' }, 'publish', 'dev/x')).toBe('allow');
    expect(checkRules(rules, { clientid: 'a/b' }, 'publish', 'dev/a/b')).toBe('nomatch');
    expect(checkRules(rules, { clientid: '+' }, 'publish', 'dev/q')).toBe('nomatch');
    expect(checkRules([rule('allow', ALL, 'pubsub', ['users/%u/#'])], { clientid: 'c', username: '#' }, 'publish', 'users/x/y')).toBe('nomatch');
  });

  test('an eq topic is not substituted', () => {
    const rules = [rule('allow', ALL, 'publish', ['=%u'])];
    expect(checkRules(rules, remote, 'publish', 'u1')).toBe('nomatch');
    expect(checkRules(rules, remote, 'publish', '%u')).toBe('allow');
  });
});

describe('Who', () => {
  test('user and client match exactly; value null matches anyone; no username never matches a user', () => {
    expect(matchWho(user('u1'), { clientid: 'x', username: 'u1' })).toBe(true);
    expect(matchWho(user('u1'), { clientid: 'x', username: 'U1' })).toBe(false);
    expect(matchWho(user('undefined'), { clientid: 'x' })).toBe(false);
    expect(matchWho(user(null), { clientid: 'x' })).toBe(true);
    expect(matchWho(client('c3'), { clientid: 'c3' })).toBe(true);
    expect(matchWho(client('c3'), { clientid: 'c4' })).toBe(false);
    expect(matchWho(client(null), { clientid: 'x' })).toBe(true);
  });

  test('ipaddr: single address, CIDR (host bits ignored), IPv6, IPv4-mapped peers, and no peer', () => {
    const rules = [rule('allow', ip('192.168.1.5/24'), 'publish', ['lan']), rule('allow', ip('10.0.0.1'), 'publish', ['one']), rule('allow', ip('fd00::/8'), 'publish', ['v6'])];
    expect(checkRules(rules, { clientid: 'x', peerhost: '192.168.1.200' }, 'publish', 'lan')).toBe('allow');
    expect(checkRules(rules, { clientid: 'x', peerhost: '::ffff:192.168.1.200' }, 'publish', 'lan')).toBe('allow');
    expect(checkRules(rules, { clientid: 'x', peerhost: '192.168.2.1' }, 'publish', 'lan')).toBe('nomatch');
    expect(checkRules(rules, { clientid: 'x', peerhost: '10.0.0.1' }, 'publish', 'one')).toBe('allow');
    expect(checkRules(rules, { clientid: 'x', peerhost: '10.0.0.2' }, 'publish', 'one')).toBe('nomatch');
    expect(checkRules(rules, { clientid: 'x', peerhost: 'fd12::1' }, 'publish', 'v6')).toBe('allow');
    expect(checkRules(rules, { clientid: 'x', peerhost: 'fe80::1' }, 'publish', 'v6')).toBe('nomatch');
    expect(checkRules(rules, { clientid: 'x' }, 'publish', 'lan')).toBe('nomatch');
    expect(checkRules(rules, { clientid: 'x', peerhost: 'garbage' }, 'publish', 'lan')).toBe('nomatch');
  });

  test('ipaddr with several blocks: any of them', () => {
    const rules = [rule('allow', ip('10.0.0.0/8', '172.16.0.0/12'), 'pubsub', ['#'])];
    expect(checkRules(rules, { clientid: 'x', peerhost: '172.20.1.1' }, 'subscribe', '#')).toBe('allow');
    expect(checkRules(rules, { clientid: 'x', peerhost: '10.9.9.9' }, 'publish', 'a')).toBe('allow');
    expect(checkRules(rules, { clientid: 'x', peerhost: '192.168.0.1' }, 'publish', 'a')).toBe('nomatch');
  });

  test("'and' needs every condition, 'or' any; empty 'and' is true, empty 'or' false", () => {
    const rules = [
      rule('allow', and(user('u1'), ip('10.0.0.0/8')), 'publish', ['and']),
      rule('allow', or(user('zz'), client('c2')), 'publish', ['or']),
      rule('allow', and(), 'publish', ['empty_and']),
      rule('allow', or(), 'publish', ['empty_or']),
      rule('allow', or(and(user('u1'), client('c1')), user('admin')), 'publish', ['nested']),
    ];
    expect(checkRules(rules, remote, 'publish', 'and')).toBe('allow');
    expect(checkRules(rules, { ...remote, peerhost: '192.168.0.1' }, 'publish', 'and')).toBe('nomatch');
    expect(checkRules(rules, local, 'publish', 'or')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'or')).toBe('nomatch');
    expect(checkRules(rules, remote, 'publish', 'empty_and')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'empty_or')).toBe('nomatch');
    expect(checkRules(rules, remote, 'publish', 'nested')).toBe('allow');
    expect(checkRules(rules, { clientid: 'q', username: 'admin' }, 'publish', 'nested')).toBe('allow');
    expect(checkRules(rules, local, 'publish', 'nested')).toBe('nomatch');
  });
});

describe('compileTopic', () => {
  test('keeps the text; marks placeholders only when a whole level is %u or %c', () => {
    expect(compileTopic('users/%u/#')).toMatchObject({ text: 'users/%u/#', eq: false, hasPlaceholder: true });
    expect(compileTopic('a%u/b').hasPlaceholder).toBe(false);
    expect(eqTopic('a/%c')).toMatchObject({ text: 'a/%c', eq: true, hasPlaceholder: false });
    const rules = [rule('allow', ALL, 'publish', ['a%u/b'])];
    expect(checkRules(rules, remote, 'publish', 'a%u/b')).toBe('allow');
    expect(checkRules(rules, remote, 'publish', 'au1/b')).toBe('nomatch');
  });
});
