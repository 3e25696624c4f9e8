import { failedClaim, numericDate, parseChecklist, peekHeader, checkTimes } from '../src/claims';
import { signJwt } from './sign';

describe('peekHeader: is it a JWT at all', () => {
  test('a signed token has its header', () => {
    expect(peekHeader(signJwt('HS256', 's', { a: 1 }, { kid: 'k1' }))).toEqual({ typ: 'JWT', alg: 'HS256', kid: 'k1' });
    expect(peekHeader(signJwt('none', 's', {}))).toEqual({ typ: 'JWT', alg: 'none' });
  });
  test.each([
    ['', 'empty'],
    ['public', 'a password'],
    ['a.b', 'two parts'],
    ['a.b.c.d', 'four parts'],
    ['.e30.x', 'empty header'],
    ['bm90IGpzb24.e30.x', 'header not JSON'],
    [`${Buffer.from('[1]').toString('base64url')}.e30.x`, 'header not an object'],
    [`${Buffer.from('{}').toString('base64url')}.e3+0.x`, 'not base64url'],
    ['x'.repeat(60_000), 'long garbage'],
  ])('%j (%s) is not a token', (t) => {
    expect(peekHeader(t)).toBeUndefined();
  });
});

describe('numericDate and checkTimes (EMQX 4.3: exp > now, iat <= now, nbf <= now)', () => {
  test('numbers and numeric strings', () => {
    expect(numericDate(12)).toBe(12);
    expect(numericDate(1.5)).toBe(1.5);
    expect(numericDate('12')).toBe(12);
    expect(numericDate('12.5')).toBe(12.5);
    expect(numericDate('1.0e3')).toBe(1000);
    for (const bad of ['', ' 12', '12x', '1e3', 'NaN', true, null, {}, [], Infinity]) expect(numericDate(bad)).toBeUndefined();
  });
  const now = 1_000_000;
  test('exp', () => {
    expect(checkTimes({ exp: now + 1 }, now)).toBeUndefined();
    expect(checkTimes({ exp: String(now + 1) }, now)).toBeUndefined();
    expect(checkTimes({ exp: now }, now)).toBe('expired');
    expect(checkTimes({ exp: now - 1 }, now)).toBe('expired');
    expect(checkTimes({ exp: 'soon' }, now)).toBe('expired');
    expect(checkTimes({ exp: null }, now)).toBe('expired');
  });
  test('iat and nbf', () => {
    expect(checkTimes({ iat: now, nbf: now }, now)).toBeUndefined();
    expect(checkTimes({ iat: now + 1 }, now)).toBe('issued_in_future');
    expect(checkTimes({ nbf: now + 1 }, now)).toBe('not_valid_yet');
    expect(checkTimes({ nbf: String(now + 1) }, now)).toBe('not_valid_yet');
    expect(checkTimes({ nbf: 'x' }, now)).toBe('not_valid_yet');
  });
  test('absent claims are not checked', () => {
    expect(checkTimes({}, now)).toBeUndefined();
  });
});

describe('verify_claims', () => {
  test('the checklist is read only when verify_claims is on', () => {
    const conf = { 'auth.jwt.verify_claims': true, 'auth.jwt.verify_claims.username': '%u', 'auth.jwt.verify_claims.iss': 'me', 'auth.jwt.secret': 'x' };
    expect(parseChecklist(conf)).toEqual([
      { claim: 'username', expected: '%u' },
      { claim: 'iss', expected: 'me' },
    ]);
    expect(parseChecklist({ ...conf, 'auth.jwt.verify_claims': false })).toEqual([]);
  });
  const checks = [
    { claim: 'username', expected: '%u' },
    { claim: 'clientid', expected: '%c' },
    { claim: 'iss', expected: 'me' },
  ];
  const ci = { username: 'alice', clientid: 'c1' };
  test('%u and %c are the username and client ID; literals as written', () => {
    expect(failedClaim(checks, { username: 'alice', clientid: 'c1', iss: 'me' }, ci)).toBeUndefined();
    expect(failedClaim(checks, { username: 'bob', clientid: 'c1', iss: 'me' }, ci)).toBe('username');
    expect(failedClaim(checks, { username: 'alice', clientid: 'c2', iss: 'me' }, ci)).toBe('clientid');
    expect(failedClaim(checks, { username: 'alice', clientid: 'c1', iss: 'you' }, ci)).toBe('iss');
    expect(failedClaim(checks, { username: 'alice', clientid: 'c1' }, ci)).toBe('iss');
  });
  test('the value must be the same JSON string, and a placeholder is only the whole value', () => {
    expect(failedClaim([{ claim: 'n', expected: '1' }], { n: 1 }, ci)).toBe('n');
    expect(failedClaim([{ claim: 'u', expected: 'x%u' }], { u: 'xalice' }, ci)).toBe('u');
    expect(failedClaim([{ claim: 'u', expected: 'x%u' }], { u: 'x%u' }, ci)).toBeUndefined();
  });
  test('no username: a token without the claim passes, as in EMQX', () => {
    expect(failedClaim([{ claim: 'username', expected: '%u' }], {}, { clientid: 'c1', username: undefined })).toBeUndefined();
    expect(failedClaim([{ claim: 'username', expected: '%u' }], { username: 'alice' }, { clientid: 'c1', username: undefined })).toBe('username');
  });
});
