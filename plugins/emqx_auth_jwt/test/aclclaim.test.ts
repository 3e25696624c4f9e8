import { checkTokenAcl, compileAclClaim } from '../src/aclclaim';

const alice = { username: 'alice', clientid: 'kit-alice' };
const acl = { sub: ['news/#', 'private/%u/#', 'client/%c/#'], pub: ['open/#'], all: ['both/#'] };
const now = 1_000_000;

describe('the acl claim', () => {
  const t = compileAclClaim({ acl }, 'acl')!;
  test.each([
    ['subscribe', 'news/today', 'allow'],
    ['subscribe', 'news/+', 'allow'],
    ['subscribe', 'news', 'allow'],
    ['subscribe', '#', 'deny'],
    ['publish', 'news/today', 'deny'],
    ['publish', 'open/x', 'allow'],
    ['subscribe', 'open/x', 'deny'],
    ['publish', 'both/x', 'allow'],
    ['subscribe', 'both/x', 'allow'],
    ['subscribe', 'private/alice/inbox', 'allow'],
    ['subscribe', 'private/bob/inbox', 'deny'],
    ['subscribe', 'private/+/inbox', 'deny'],
    ['subscribe', 'client/kit-alice/x', 'allow'],
    ['subscribe', 'client/other/x', 'deny'],
    ['subscribe', 'secret/plans', 'deny'],
  ] as const)('%s %s → %s', (action, topic, want) => {
    expect(checkTokenAcl(t, alice, action, topic, now)).toBe(want);
  });

  test('no claim, or a claim that is not an object: no opinion', () => {
    expect(compileAclClaim({}, 'acl')).toBeUndefined();
    expect(compileAclClaim({ acl: ['a'] }, 'acl')).toBeUndefined();
    expect(compileAclClaim({ acl: 'a/#' }, 'acl')).toBeUndefined();
    expect(compileAclClaim({ acl: null }, 'acl')).toBeUndefined();
    expect(compileAclClaim({ acl }, 'rights')).toBeUndefined();
    expect(compileAclClaim({ rights: acl }, 'rights')).toBeDefined();
  });

  test('an empty or malformed claim denies everything', () => {
    const e = compileAclClaim({ acl: {} }, 'acl')!;
    expect(checkTokenAcl(e, alice, 'subscribe', 'news/x', now)).toBe('deny');
    const m = compileAclClaim({ acl: { sub: 'news/#', pub: [1, null, '', 'ok/#'] } }, 'acl')!;
    expect(checkTokenAcl(m, alice, 'subscribe', 'news/x', now)).toBe('deny');
    expect(checkTokenAcl(m, alice, 'publish', 'ok/x', now)).toBe('allow');
  });

  test('a client ID that is a wildcard is a literal level', () => {
    expect(checkTokenAcl(t, { clientid: '#', username: 'alice' }, 'subscribe', 'client/x/y', now)).toBe('deny');
    expect(checkTokenAcl(t, { clientid: '#', username: 'alice' }, 'subscribe', 'client/#', now)).toBe('deny');
  });

  test('after exp (now > exp) everything is denied; a bad exp too', () => {
    const x = compileAclClaim({ acl, exp: now }, 'acl')!;
    expect(checkTokenAcl(x, alice, 'subscribe', 'news/x', now)).toBe('allow');
    expect(checkTokenAcl(x, alice, 'subscribe', 'news/x', now + 1)).toBe('deny');
    const s = compileAclClaim({ acl, exp: String(now) }, 'acl')!;
    expect(checkTokenAcl(s, alice, 'subscribe', 'news/x', now)).toBe('allow');
    const bad = compileAclClaim({ acl, exp: 'never' }, 'acl')!;
    expect(checkTokenAcl(bad, alice, 'subscribe', 'news/x', now)).toBe('deny');
  });
});
