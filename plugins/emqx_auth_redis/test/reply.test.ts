import { aclReply, authReply, superReply } from '../src/reply';
import { checkRules } from '@nemq/sdk';

describe('authReply', () => {
  test('HGET string, HMGET [password], [password, salt]', () => {
    expect(authReply('h')).toEqual({ password: 'h', salt: undefined });
    expect(authReply(['h'])).toEqual({ password: 'h', salt: undefined });
    expect(authReply(['h', 's'])).toEqual({ password: 'h', salt: 's' });
    expect(authReply([Buffer.from('h'), Buffer.from('s')])).toEqual({ password: Buffer.from('h'), salt: Buffer.from('s') });
  });
  test('nil or a nil password: not found; a nil salt is null', () => {
    expect(authReply(null)).toBeUndefined();
    expect(authReply([null])).toBeUndefined();
    expect(authReply([null, 's'])).toBeUndefined();
    expect(authReply([])).toBeUndefined();
    expect(authReply(['h', null])).toEqual({ password: 'h', salt: null });
  });
  test('garbage throws', () => {
    expect(() => authReply(42)).toThrow(/a number/);
    expect(() => authReply([['nested']])).toThrow(/password/);
    expect(() => authReply(['h', 7])).toThrow(/salt/);
    expect(() => authReply({ password: 'h' })).toThrow(/a map/);
  });
});

describe('superReply', () => {
  test('only "1"', () => {
    expect(superReply('1')).toBe(true);
    expect(superReply(Buffer.from('1'))).toBe(true);
    for (const v of ['true', '0', '11', null, 1, ['1'], '']) expect(superReply(v)).toBe(false);
  });
});

describe('aclReply', () => {
  const ci = { clientid: 'c1', username: 'alice' };
  test('flat HGETALL array and object form; 1 subscribe, 2 publish, 3 both, 0 nothing', () => {
    const flat = aclReply(['news/#', '1', 'open/#', '2', 'both/#', '3', 'none/#', '0', 'private/%u/#', '1']);
    expect(flat.entries).toBe(5);
    expect(flat.rules.map((r) => r.access)).toEqual(['subscribe', 'publish', 'pubsub', 'subscribe']);
    const obj = aclReply({ 'news/#': '1' });
    expect(obj.entries).toBe(1);
    const r = flat.rules;
    expect(checkRules(r, ci, 'subscribe', 'news/x')).toBe('allow');
    expect(checkRules(r, ci, 'publish', 'news/x')).toBe('nomatch');
    expect(checkRules(r, ci, 'publish', 'both/x')).toBe('allow');
    expect(checkRules(r, ci, 'subscribe', 'none/x')).toBe('nomatch');
    expect(checkRules(r, ci, 'subscribe', 'private/alice/x')).toBe('allow');
    expect(checkRules(r, ci, 'subscribe', 'private/bob/x')).toBe('nomatch');
  });
  test('access bits beyond 3 are masked as EMQX (band)', () => {
    expect(aclReply(['a', '5']).rules[0]!.access).toBe('subscribe');
    expect(aclReply(['a', '6']).rules[0]!.access).toBe('publish');
  });
  test('empty or nil: no entries', () => {
    expect(aclReply([])).toEqual({ entries: 0, rules: [] });
    expect(aclReply(null)).toEqual({ entries: 0, rules: [] });
  });
  test('garbage throws', () => {
    expect(() => aclReply(['a', 'lots'])).toThrow(/not a number/);
    expect(() => aclReply(['a'])).toThrow(/pairs/);
    expect(() => aclReply('string')).toThrow(/not a hash/);
    expect(() => aclReply(['a', ['1']])).toThrow(/not a string/);
  });
});
