// userPassword values as OpenLDAP writes them: the vectors below come from `slappasswd -h <scheme> -s public`
// (OpenLDAP 2.5), an implementation independent of the SDK's.
import { checkLdapPassword, ldapPasswordHash, LDAP_PASSWORD_SCHEMES } from '@nemq/sdk';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const check = (pw: string, stored: string): boolean | undefined => checkLdapPassword(b(pw), b(stored));

describe('checkLdapPassword against slappasswd', () => {
  test.each([
    ['{SHA}YcmysX23eieEG77qv/kjRIsPY4g='],
    ['{SSHA}JCPhjJieGrGEFmk8K0LNmxqEIdZN5ur9'],
    ['{MD5}TJGE83z/AbzcMtxIbsNpYQ=='],
    ['{SMD5}HZOcl/VnyvNVmTQx1X9dhlFF8wo='],
  ])('%s: public → true, others → false', (stored) => {
    expect(check('public', stored)).toBe(true);
    expect(check('publik', stored)).toBe(false);
    expect(check('Public', stored)).toBe(false);
    expect(check('', stored)).toBe(false);
    expect(check('public ', stored)).toBe(false);
  });

  test('the scheme name is case-insensitive', () => {
    expect(check('public', '{sha}YcmysX23eieEG77qv/kjRIsPY4g=')).toBe(true);
    expect(check('public', '{ssha}JCPhjJieGrGEFmk8K0LNmxqEIdZN5ur9')).toBe(true);
  });

  test('{SSHA} of a UTF-8 password', () => {
    expect(check('pässwörd', '{SSHA}n00ajBxhwQbZZnkxX1nGMdAH8xMC8kqG')).toBe(true);
    expect(check('passwort', '{SSHA}n00ajBxhwQbZZnkxX1nGMdAH8xMC8kqG')).toBe(false);
  });

  test('plain: a value without {SCHEME} is the password in clear, compared exactly', () => {
    expect(check('public', 'public')).toBe(true);
    expect(check('publi', 'public')).toBe(false);
    expect(check('public', 'publi')).toBe(false);
    expect(check('PUBLIC', 'public')).toBe(false);
    // the stored hash is not a password: sending it does not log in
    expect(check('{SHA}YcmysX23eieEG77qv/kjRIsPY4g=', '{SHA}YcmysX23eieEG77qv/kjRIsPY4g=')).toBe(false);
    expect(check('YcmysX23eieEG77qv/kjRIsPY4g=', '{SHA}YcmysX23eieEG77qv/kjRIsPY4g=')).toBe(false);
  });

  test('a scheme it cannot check ({CRYPT}, {PBKDF2}) or a salted value without salt: undefined (refused by the plugin)', () => {
    expect(check('public', '{CRYPT}$6$abc$xyz')).toBeUndefined();
    expect(check('public', '{PBKDF2-SHA256}10000$abc$def')).toBeUndefined();
    // 20 bytes of SHA-1 and no salt
    expect(check('public', '{SSHA}YcmysX23eieEG77qv/kjRIsPY4g=')).toBeUndefined();
  });

  test('garbage after {SHA} is a mismatch, not a crash', () => {
    expect(check('public', '{SHA}')).toBe(false);
    expect(check('public', '{SHA}!!!not base64')).toBe(false);
  });
});

describe('ldapPasswordHash', () => {
  test('{SHA} and {MD5} are the slappasswd values', () => {
    expect(ldapPasswordHash('sha', 'public')).toBe('{SHA}YcmysX23eieEG77qv/kjRIsPY4g=');
    expect(ldapPasswordHash('md5', 'public')).toBe('{MD5}TJGE83z/AbzcMtxIbsNpYQ==');
    expect(ldapPasswordHash('plain', 'public')).toBe('public');
  });

  test('{SSHA}: base64(sha1(password ++ salt) ++ salt), which slappasswd-format checking accepts', () => {
    const v = ldapPasswordHash('ssha', 'public', 'NaCl');
    const raw = Buffer.from(v.slice('{SSHA}'.length), 'base64');
    expect(raw.length).toBe(24);
    expect(raw.subarray(20).toString()).toBe('NaCl');
    expect(check('public', v)).toBe(true);
  });

  test.each(LDAP_PASSWORD_SCHEMES.map((s) => [s]))('%s round trip', (s) => {
    const v = ldapPasswordHash(s, 'public', 'pepper12');
    expect(v.startsWith(`{${s.toUpperCase()}}`)).toBe(true);
    expect(check('public', v)).toBe(true);
    expect(check('publik', v)).toBe(false);
  });

  test('salted schemes need a salt; unknown schemes throw', () => {
    expect(() => ldapPasswordHash('ssha', 'public')).toThrow(/salt/);
    expect(() => ldapPasswordHash('crypt', 'public')).toThrow(/unknown/);
  });
});
