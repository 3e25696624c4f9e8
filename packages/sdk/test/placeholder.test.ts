// EMQX placeholders: plain text expansion and quoted placeholders as bind parameters.
import { bindTemplate, bindValues, expandPlaceholders, peerAddress, placeholderValue, type PlaceholderClient } from '@nemq/sdk';

const ci: PlaceholderClient = {
  clientid: 'c1',
  username: 'alice',
  peerhost: '::ffff:10.1.2.3',
  cn: 'CN1',
  dn: 'CN=CN1,O=x',
  password: Buffer.from('secret'),
  sockport: 1883,
  protocol: 'mqtt',
  mountpoint: 'tenant/',
};

describe('placeholderValue', () => {
  test('every placeholder from the client info and the target', () => {
    const t = { topic: 'a/b', access: 'publish' as const };
    const got = (['%u', '%c', '%a', '%C', '%d', '%P', '%p', '%r', '%t', '%A', '%m'] as const).map((p) => placeholderValue(p, ci, t));
    expect(got).toEqual(['alice', 'c1', '10.1.2.3', 'CN1', 'CN=CN1,O=x', 'secret', '1883', 'mqtt', 'a/b', '2', 'tenant/']);
    expect(placeholderValue('%A', ci, { access: 'subscribe' })).toBe('1');
    expect(placeholderValue('%P', { password: 'pw' })).toBe('pw');
  });

  test('missing values are undefined', () => {
    for (const p of ['%u', '%c', '%a', '%C', '%d', '%P', '%p', '%r', '%t', '%A', '%m'] as const) expect(placeholderValue(p, {})).toBeUndefined();
  });

  test('%a: an IPv4-mapped peer is written as IPv4; other addresses as they are', () => {
    expect(peerAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(peerAddress('::1')).toBe('::1');
    expect(peerAddress('::ffff:a:b')).toBe('::ffff:a:b');
    expect(peerAddress('10.0.0.1')).toBe('10.0.0.1');
  });
});

describe('expandPlaceholders', () => {
  test('substitutes every placeholder, anywhere in the text', () => {
    expect(expandPlaceholders('user/%u/%c-%p', ci)).toBe('user/alice/c1-1883');
    expect(expandPlaceholders('%t@%A', ci, { topic: 't/1', access: 'subscribe' })).toBe('t/1@1');
    expect(expandPlaceholders('no placeholders', ci)).toBe('no placeholders');
    expect(expandPlaceholders('100% %x %%u', ci)).toBe('100% %x %alice');
  });

  test('a missing value leaves the placeholder, or writes `missing`', () => {
    expect(expandPlaceholders('user/%u/', { clientid: 'c' })).toBe('user/%u/');
    expect(expandPlaceholders('user/%u/%c/', { clientid: 'c' }, { missing: '' })).toBe('user//c/');
  });

  test('`only` limits which placeholders are expanded (mountpoints: %c and %u)', () => {
    expect(expandPlaceholders('m/%c/%u/%a/', ci, { only: ['%c', '%u'] })).toBe('m/c1/alice/%a/');
  });
});

describe('bindTemplate and bindValues', () => {
  test("only '%x' alone inside single quotes becomes a ? parameter, in order", () => {
    const q = bindTemplate("select * from t where u = '%u' and c = '%c' and a = '%a' or u = '$all'");
    expect(q).toEqual({ sql: "select * from t where u = ? and c = ? and a = ? or u = '$all'", params: ['%u', '%c', '%a'] });
    const raw = bindTemplate(`x = "%u" and y = %c and z = '%u%c' and w = ' %u'`);
    expect(raw).toEqual({ sql: `x = "%u" and y = %c and z = '%u%c' and w = ' %u'`, params: [] });
  });

  test('placeholders that are not allowed stay as written', () => {
    const q = bindTemplate("cn = '%C' and p = '%P' and t = '%t'", ['%C', '%t']);
    expect(q).toEqual({ sql: "cn = ? and p = '%P' and t = ?", params: ['%C', '%t'] });
  });

  test("values in parameter order; a missing value binds the string 'undefined', as EMQX", () => {
    const q = bindTemplate("'%u' '%C' '%a' '%t' '%A'");
    expect(bindValues(q.params, ci, { topic: 'a/b', access: 'publish' })).toEqual(['alice', 'CN1', '10.1.2.3', 'a/b', '2']);
    expect(bindValues(q.params, { clientid: 'c' })).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'undefined']);
    // client data is a value, never query text
    expect(bindValues(['%u'], { username: "x' or '1'='1" })).toEqual(["x' or '1'='1"]);
  });
});
