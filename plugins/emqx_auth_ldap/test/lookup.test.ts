// Where a username goes: the search base (a DN value, RFC 4514) and the filter (an
// AttributeValueAssertion object, RFC 4511 §4.5.1; its text form per RFC 4515 for logs).
import ldap from 'ldapjs';
import { parseFilters } from '../src/filters';
import { escapeDnValue, escapeFilterValue, filterText, searchBase, userFilter, type LookupOptions } from '../src/lookup';

const O: LookupOptions = { customBaseDn: '${username_attr}=${user},${device_dn}', deviceDn: 'ou=device,dc=emqx,dc=io', objectClass: 'mqttUser', usernameAttr: 'uid' };

/** the BER bytes of a filter, as they go on the wire */
const ber = (f: ldap.Filter): Buffer => Buffer.from((f as unknown as { toBer(): { buffer: Buffer } }).toBer().buffer);

describe('escapeFilterValue (RFC 4515 §3)', () => {
  test.each([
    ['*', '\\2a'],
    ['(', '\\28'],
    [')', '\\29'],
    ['\\', '\\5c'],
    ['\0', '\\00'],
    ['alice)(uid=*', 'alice\\29\\28uid=\\2a'],
    ['*)(|(objectClass=*', '\\2a\\29\\28|\\28objectClass=\\2a'],
    ['\\2a', '\\5c2a'],
  ])('%j → %j', (v, want) => {
    expect(escapeFilterValue(v)).toBe(want);
  });

  test('everything else is kept, UTF-8 included', () => {
    expect(escapeFilterValue('alice.b-c_d@x=y&|!~<>é☃')).toBe('alice.b-c_d@x=y&|!~<>é☃');
  });

  test('filterText: the whole filter, nothing of the username outside its value', () => {
    expect(filterText(O, 'alice')).toBe('(&(objectClass=mqttUser)(uid=alice))');
    const t = filterText(O, '*)(|(objectClass=*');
    expect(t).toBe('(&(objectClass=mqttUser)(uid=\\2a\\29\\28|\\28objectClass=\\2a))');
    // only the filter's own three pairs of parentheses and no wildcard are left
    expect(t.replace(/\\[0-9a-f]{2}/g, '').match(/[()*]/g)).toEqual(['(', '(', ')', '(', ')', ')']);
  });
});

describe('userFilter on the wire', () => {
  test('an AND of two equality matches; the username is the raw value bytes', () => {
    const inj = 'a*()\\\0é';
    const b = ber(userFilter(O, inj));
    const uid = Buffer.from('uid');
    const value = Buffer.from(inj, 'utf8');
    // and [0] { equalityMatch [3] objectClass=mqttUser, equalityMatch [3] { uid, value } }
    const second = Buffer.concat([Buffer.from([0xa3, 2 + uid.length + 2 + value.length, 0x04, uid.length]), uid, Buffer.from([0x04, value.length]), value]);
    expect(b[0]).toBe(0xa0);
    expect(b.subarray(b.length - second.length)).toEqual(second);
    expect(b.includes(Buffer.from('mqttUser'))).toBe(true);
  });

  test.each([['*'], ['al*'], ['*)(uid=*'], ['alice)(|(uid=*'], ['*)(|(objectClass=*']])('%j stays one equality match (no presence or substring filter)', (inj) => {
    const b = ber(userFilter(O, inj));
    // present [7] is tag 0x87, substrings [4] is 0xa4, or [1] is 0xa1
    const tags: number[] = [];
    const walk = (buf: Buffer): void => {
      let i = 0;
      while (i < buf.length) {
        const tag = buf[i]!;
        const len = buf[i + 1]!;
        tags.push(tag);
        if (tag & 0x20) walk(buf.subarray(i + 2, i + 2 + len));
        i += 2 + len;
      }
    };
    walk(b);
    expect(tags.filter((t) => t !== 0x04)).toEqual([0xa0, 0xa3, 0xa3]);
  });
});

describe('escapeDnValue / searchBase (RFC 4514 §2.4)', () => {
  test('plain names are kept', () => {
    expect(escapeDnValue('alice')).toBe('alice');
    expect(searchBase(O, 'dev-01_a.b@x')).toBe('uid=dev-01_a.b@x,ou=device,dc=emqx,dc=io');
  });

  test('DN syntax in a username is escaped as hex, so it cannot add an RDN or a level', () => {
    expect(searchBase(O, 'alice,ou=admin')).toBe('uid=alice\\2cou\\3dadmin,ou=device,dc=emqx,dc=io');
    expect(escapeDnValue('a+b"c\\d<e>f;g#h =*()\0')).toBe('a\\2bb\\22c\\5cd\\3ce\\3ef\\3bg\\23h\\20\\3d\\2a\\28\\29\\00');
    expect(escapeDnValue('é')).toBe('\\c3\\a9');
  });

  test('the escaped base parses back to the username as one RDN value', () => {
    for (const u of ['alice,ou=admin', 'we(i)rd*,+=\\ "<name>;#', 'mid dle', '#x', 'é☃']) {
      // @ldapjs/dn's DN (the @types package describes the older class)
      const dn = ldap.parseDN(searchBase(O, u)) as unknown as { length: number; rdnAt(i: number): { getValue(k: string): string } };
      expect(dn.length).toBe(4);
      expect(dn.rdnAt(0).getValue('uid')).toBe(u);
    }
  });

  test('custom_base_dn: every variable, each as often as it appears', () => {
    const o = { ...O, customBaseDn: 'cn=${user},${username_attr}s=${user},${device_dn}' };
    expect(searchBase(o, 'a,b')).toBe('cn=a\\2cb,uids=a\\2cb,ou=device,dc=emqx,dc=io');
    expect(searchBase({ ...O, customBaseDn: '${device_dn}' }, '*')).toBe('ou=device,dc=emqx,dc=io');
  });

  test('a username holding a variable name is not expanded again', () => {
    expect(searchBase(O, '${device_dn}')).toBe('uid=\\24\\7bdevice_dn\\7d,ou=device,dc=emqx,dc=io');
  });
});

describe('auth.ldap.filters.<n>.key/value/op', () => {
  const vars = { usernameAttr: 'uid', deviceDn: 'ou=device,dc=x' };
  const chain = (c: Record<string, string>): LookupOptions => ({ ...O, filters: parseFilters(c, vars) });

  test('none set: the default filter', () => {
    expect(parseFilters({ 'auth.ldap.device_dn': 'x' }, vars)).toBeUndefined();
  });

  test('one term; ${user} is the username as a value, ${username_attr} in a key', () => {
    const o = chain({ 'auth.ldap.filters.1.key': '${username_attr}', 'auth.ldap.filters.1.value': '${user}' });
    expect(filterText(o, 'a*')).toBe('(uid=a\\2a)');
    expect(ber(userFilter(o, 'a*'))).toEqual(ber(new ldap.EqualityFilter({ attribute: 'uid', value: 'a*' })));
  });

  test('op n joins n and n+1, left to right, in number order (10 after 9)', () => {
    const c: Record<string, string> = {};
    const set = (n: number, key: string, value: string, op?: string): void => {
      c[`auth.ldap.filters.${n}.key`] = key;
      c[`auth.ldap.filters.${n}.value`] = value;
      if (op) c[`auth.ldap.filters.${n}.op`] = op;
    };
    set(10, 'ou', '${device_dn}');
    set(1, 'objectClass', 'mqttUser', 'and');
    set(9, 'cn', '${user}', 'or');
    set(2, 'uid', '${user}', 'or');
    expect(filterText(chain(c), 'bob')).toBe('(|(|(&(objectClass=mqttUser)(uid=bob))(cn=bob))(ou=ou=device,dc=x))');
  });

  test('a username holding ${device_dn} is not expanded', () => {
    const o = chain({ 'auth.ldap.filters.1.key': 'uid', 'auth.ldap.filters.1.value': '${user}' });
    expect(filterText(o, '${device_dn}')).toBe('(uid=${device_dn})');
  });

  test.each([
    [{ 'auth.ldap.filters.1.value': 'x' }, /1\.key is missing/],
    [{ 'auth.ldap.filters.1.key': 'uid' }, /1\.value is missing/],
    [{ 'auth.ldap.filters.1.key': 'uid', 'auth.ldap.filters.1.value': 'x', 'auth.ldap.filters.1.op': 'and' }, /1\.op has no next filter/],
    [{ 'auth.ldap.filters.1.key': 'uid', 'auth.ldap.filters.1.value': 'x', 'auth.ldap.filters.2.key': 'cn', 'auth.ldap.filters.2.value': 'y' }, /1\.op must be and or or/],
    [{ 'auth.ldap.filters.1.key': '${user}', 'auth.ldap.filters.1.value': 'x' }, /must be an attribute name/],
    [{ 'auth.ldap.filters.1.key': 'uid=*)(x', 'auth.ldap.filters.1.value': 'x' }, /must be an attribute name/],
    [{ 'auth.ldap.filters.1.kee': 'uid' }, /unknown key/],
  ])('refused at start: %j', (c, err) => {
    expect(() => parseFilters(c, vars)).toThrow(err);
  });
});
