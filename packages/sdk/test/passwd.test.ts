// emqx_passwd semantics (reference §2.6). Every expected value below was computed outside
// this code: digests and PBKDF2 with python3 hashlib, PBKDF2-HMAC-MD4 and MD4 with
// `openssl kdf/dgst -provider legacy`, bcrypt with libxcrypt (python3 crypt.crypt).
import { checkPassword, hashPassword } from '@nemq/sdk';
import { md4, parsePasswordHash } from '../src/passwd';

const PW = 'public';

describe('unsalted digests are lower-case hex of the password', () => {
  test.each([
    ['plain', 'public'],
    ['md5', '4c9184f37cff01bcdc32dc486ec36961'],
    ['sha', '61c9b2b17db77a27841bbeeabff923448b0f6388'],
    ['sha256', 'efa1f375d76194fa51a3556a97e641e61685f914d446979da50a551a4333ffd7'],
    ['sha512', 'd32997e9747b65a3ecf65b82533a4c843c4e16dd30cf371e8c81ab60a341de00051da422d41ff29c55695f233a1e06fac8b79aeb0a4d91ae5d3d18c8e09b8c73'],
  ])('%s', (hash, expected) => {
    expect(hashPassword(hash, PW)).toBe(expected);
    expect(hashPassword(hash, Buffer.from(PW))).toBe(expected);
    expect(checkPassword(hash, PW, expected)).toBe(true);
    expect(checkPassword(hash, Buffer.from(PW), Buffer.from(expected))).toBe(true);
    expect(checkPassword(hash, 'Public', expected)).toBe(false);
  });

  test('the password is hashed as its UTF-8 bytes', () => {
    expect(hashPassword('sha256', 'pässwörd')).toBe('46970bef70aced8123f0d5d094717e2a5cd412041e03b26376049fe65b2834a4');
  });

  test('an empty password hashes like any other (sha256 of "")', () => {
    expect(checkPassword('sha256', '', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).toBe(true);
  });

  test('the comparison is exact: upper-case hex in the database does not match (EMQX compares bytes)', () => {
    expect(checkPassword('md5', PW, '4C9184F37CFF01BCDC32DC486EC36961')).toBe(false);
  });

  test('a stored NULL or a truncated hash never matches', () => {
    expect(checkPassword('sha256', PW, null)).toBe(false);
    expect(checkPassword('plain', PW, 'publi')).toBe(false);
    expect(checkPassword('plain', '', '')).toBe(true);
  });
});

describe('salted digests: salt,<h> prefixes the salt, <h>,salt appends it', () => {
  test.each([
    ['salt,sha256', 'f2ef7f9aedb2c3b5040bc16691a1177758a92ad91e1ee77770215a332bf6099f'],
    ['sha256,salt', 'f4a8615be301fbaf6213df33cfe5f22953aafc0c31beb8f2daef55b127444d27'],
    ['salt,md5', 'c91e85973ceee05f005996584f067a72'],
    ['sha,salt', '43e71834067d59d83ae934bb80670178b810b9be'],
    ['salt,sha512', '82112846414ba6fd95be5ac402188c3a7cf1a178485e937fded30f9e398c94094d2d742a41dd0982febd36484be12f19d3cf9130fe2d903d61b5c7ae9a327185'],
    ['salt,plain', 'saltpublic'],
  ])('%s', (hash, expected) => {
    expect(hashPassword(hash, PW, 'salt')).toBe(expected);
    expect(checkPassword(hash, PW, expected, 'salt')).toBe(true);
    expect(checkPassword(hash, PW, expected, 'pepper')).toBe(false);
  });

  test('without a salt value a salted hash cannot be checked (EMQX crashes in the hook)', () => {
    expect(() => checkPassword('salt,sha256', PW, 'x')).toThrow(/needs a salt/);
    expect(() => checkPassword('pbkdf2,sha256,1000,20', PW, 'x')).toThrow(/needs a salt/);
    expect(() => hashPassword('sha256,salt', PW)).toThrow(/needs a salt/);
  });

  test('an unsalted hash given a salt column never matches (EMQX: password_error)', () => {
    expect(checkPassword('sha256', PW, 'efa1f375d76194fa51a3556a97e641e61685f914d446979da50a551a4333ffd7', 'salt')).toBe(false);
    expect(checkPassword('plain', PW, PW, '')).toBe(false);
  });

  test('a NULL salt is an error, not an empty salt', () => {
    expect(() => checkPassword('salt,sha256', PW, 'x', null)).toThrow(/NULL/);
  });
});

describe('bcrypt', () => {
  const H = '$2b$04$abcdefghijklmnopqrstuuaNoRgelGRsJ2Tm9Zn/HHRlHib6lnzBu';

  test('bcrypt takes its salt from the first 29 characters of the stored hash', () => {
    expect(checkPassword('bcrypt', PW, H)).toBe(true);
    expect(checkPassword('bcrypt', 'publik', H)).toBe(false);
    expect(hashPassword('bcrypt', PW, H.slice(0, 29))).toBe(H);
  });

  test('Openwall crypt_blowfish vectors ($2a$, $2y$, empty password)', () => {
    expect(checkPassword('bcrypt', 'U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')).toBe(true);
    expect(checkPassword('bcrypt', '', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy')).toBe(true);
    expect(checkPassword('bcrypt', 'pässwörd', '$2y$04$ZZZZZZZZZZZZZZZZZZZZZOODjGdVGCfJaQ2m2KHNT9ciNQrNLXImO')).toBe(true);
  });

  test('a stored value shorter than 29 characters or not a bcrypt hash does not match (incorrect_hash)', () => {
    expect(checkPassword('bcrypt', PW, '$2b$04$abc')).toBe(false);
    expect(checkPassword('bcrypt', PW, 'efa1f375d76194fa51a3556a97e641e61685f914d446979da50a551a4333ffd7')).toBe(false);
  });

  test('salt,bcrypt and bcrypt,salt hash with the salt column as bcrypt salt', () => {
    const salt = '$2b$04$abcdefghijklmnopqrstuu';
    for (const h of ['salt,bcrypt', 'bcrypt,salt']) {
      expect(hashPassword(h, PW, salt)).toBe(H);
      expect(checkPassword(h, PW, H, salt)).toBe(true);
      expect(checkPassword(h, 'nope', H, salt)).toBe(false);
      expect(checkPassword(h, PW, H, 'not-a-bcrypt-salt')).toBe(false);
    }
  });
});

describe('pbkdf2,<macfun>,<iterations>,<dklen>', () => {
  test.each([
    ['pbkdf2,sha256,1000,20', '5a21f11c597da1447641c0a5ba58b856a76f1084'],
    ['pbkdf2,sha,2,16', '14d60e9b006a3ffa128d5815744cebf1'],
    ['pbkdf2,sha512,10,64', 'd1bcb43d61e8c68247e6d69cfd3f4dfc58163691be2873f96769a8d9ed4f7d719d54315e0748056d40a88fd792c2a19b7d9a909f6323aec2050362ece705029f'],
    ['pbkdf2,md5,5,8', 'd3c3ba875a5a9192'],
    ['pbkdf2,ripemd160,3,20', 'f224847bcb71de1405089c9a16c6600494d67b66'],
    ['pbkdf2,sha224,3,20', '0be4e32d01fd69608c6c2df13df0c247f17975ab'],
    ['pbkdf2,sha384,3,20', '802076f5b96d8aaea32298f08616e46b6369a29c'],
    ['pbkdf2,md4,3,20', '70795b6c58f637370307780089c94b0885899df2'],
  ])('%s', (hash, expected) => {
    expect(hashPassword(hash, PW, 'salt')).toBe(expected);
    expect(checkPassword(hash, PW, expected, 'salt')).toBe(true);
    expect(checkPassword(hash, PW, expected, 'Salt')).toBe(false);
  });

  test('md4: long password (HMAC key hashed first) and a key longer than one MD4 block', () => {
    expect(hashPassword('pbkdf2,md4,7,40', 'p'.repeat(70), 'NaCl')).toBe(
      '4da6fb0b2bba40cf8dd58e6a87e78755d9351907684639f723b7ae26ce0de8532821ac8de731d576',
    );
  });

  test('MD4 RFC 1320 test suite', () => {
    expect(md4(Buffer.from('')).toString('hex')).toBe('31d6cfe0d16ae931b73c59d7e0c089c0');
    expect(md4(Buffer.from('abc')).toString('hex')).toBe('a448017aaf21d8525fc10ae87aa6729d');
    expect(md4(Buffer.from('message digest')).toString('hex')).toBe('d9130a8164549fe818874806e1c7014b');
    expect(md4(Buffer.from('12345678901234567890123456789012345678901234567890123456789012345678901234567890')).toString('hex')).toBe(
      'e33b4ddc9c38f2199c3e7b164fcc0536',
    );
  });
});

describe('parsing password_hash as EMQX does', () => {
  test('pieces are split on commas; empty pieces and blanks are dropped', () => {
    expect(parsePasswordHash('sha256')).toEqual({ kind: 'sha256' });
    expect(parsePasswordHash('salt,,sha256')).toEqual({ kind: 'salt_prefix', digest: 'sha256' });
    expect(parsePasswordHash(' sha256 , salt ')).toEqual({ kind: 'salt_suffix', digest: 'sha256' });
    expect(parsePasswordHash('pbkdf2,sha256,1000,20')).toEqual({ kind: 'pbkdf2', mac: 'sha256', iterations: 1000, dklen: 20 });
  });

  test('three pieces (or none) mean plain', () => {
    expect(parsePasswordHash('a,b,c')).toEqual({ kind: 'plain' });
    expect(parsePasswordHash('')).toEqual({ kind: 'plain' });
  });

  test('names emqx_passwd cannot hash with are refused', () => {
    expect(() => parsePasswordHash('sha384')).toThrow(/unsupported password_hash/);
    expect(() => parsePasswordHash('salt,sha1')).toThrow(/unsupported/);
    expect(() => parsePasswordHash('pbkdf2,sha3,1000,20')).toThrow(/macfun/);
    expect(() => parsePasswordHash('pbkdf2,sha256,x,20')).toThrow(/positive integers/);
    expect(() => parsePasswordHash('scrypt,sha256,1000,20')).toThrow(/pbkdf2/);
  });
});
