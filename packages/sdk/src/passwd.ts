// EMQX password hashing (reference §2.6; EMQX 4.3 emqx_passwd), shared by auth plugins.
//
// `password_hash` conf values are split on commas, empty pieces dropped:
//   one piece    plain | md5 | sha | sha256 | sha512 | bcrypt
//   two pieces   salt,<h> → <h>(salt ++ password);  <h>,salt → <h>(password ++ salt);
//                salt,bcrypt and bcrypt,salt → bcrypt(password, salt)
//   four pieces  pbkdf2,<macfun>,<iterations>,<dklen> → hex PBKDF2-HMAC-<macfun>(password, salt)
// Digests are lower-case hex. A stored hash is compared byte for byte (case matters), in
// constant time for equal lengths.
import { createHash, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
// bcryptjs: pure JavaScript bcrypt (no native build step), accepts EMQX's `$2a$/$2b$/$2y$` salts.
import * as bcrypt from 'bcryptjs';

export type PasswordHash = string;

export type Digest = 'plain' | 'md5' | 'sha' | 'sha256' | 'sha512';
export type PbkdfMac = 'md4' | 'md5' | 'ripemd160' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** a parsed `password_hash` value */
export type HashSpec =
  | { readonly kind: Digest | 'bcrypt' }
  /** `salt,<h>`: the salt goes before the password */
  | { readonly kind: 'salt_prefix'; readonly digest: Digest }
  /** `<h>,salt`: the salt goes after the password */
  | { readonly kind: 'salt_suffix'; readonly digest: Digest }
  /** `salt,bcrypt` / `bcrypt,salt`: bcrypt with the salt column as bcrypt salt */
  | { readonly kind: 'salt_bcrypt' }
  | { readonly kind: 'pbkdf2'; readonly mac: PbkdfMac; readonly iterations: number; readonly dklen: number };

const DIGESTS: ReadonlySet<string> = new Set(['plain', 'md5', 'sha', 'sha256', 'sha512']);
const MACS: Readonly<Record<PbkdfMac, string>> = {
  md4: 'md4', md5: 'md5', ripemd160: 'ripemd160', sha: 'sha1', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512',
};
const NODE_DIGEST: Readonly<Record<Exclude<Digest, 'plain'>, string>> = { md5: 'md5', sha: 'sha1', sha256: 'sha256', sha512: 'sha512' };

const parsed = new Map<string, HashSpec>();

/**
 * Parses a `password_hash` value as EMQX does (pieces between commas; a count other than
 * 1, 2 or 4 means `plain`). Throws for names emqx_passwd cannot hash with.
 */
export function parsePasswordHash(hash: PasswordHash): HashSpec {
  const hit = parsed.get(hash);
  if (hit) return hit;
  const spec = parse(hash);
  if (parsed.size < 64) parsed.set(hash, spec);
  return spec;
}

function parse(hash: string): HashSpec {
  const t = hash.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = (why: string): Error => new Error(`unsupported password_hash "${hash}": ${why}`);
  if (t.length === 1) {
    const h = t[0]!;
    if (DIGESTS.has(h)) return { kind: h as Digest };
    if (h === 'bcrypt') return { kind: 'bcrypt' };
    throw bad('expected plain, md5, sha, sha256, sha512 or bcrypt');
  }
  if (t.length === 2) {
    const [a, b] = t as [string, string];
    if ((a === 'salt' && b === 'bcrypt') || (a === 'bcrypt' && b === 'salt')) return { kind: 'salt_bcrypt' };
    if (a === 'salt' && DIGESTS.has(b)) return { kind: 'salt_prefix', digest: b as Digest };
    if (b === 'salt' && DIGESTS.has(a)) return { kind: 'salt_suffix', digest: a as Digest };
    throw bad('expected salt,<hash> or <hash>,salt');
  }
  if (t.length === 4) {
    const [p, mac, it, len] = t as [string, string, string, string];
    if (p !== 'pbkdf2') throw bad('a four-part value must start with pbkdf2');
    if (!(mac in MACS)) throw bad(`macfun must be one of ${Object.keys(MACS).join(', ')}`);
    if (!/^\d+$/.test(it) || !/^\d+$/.test(len) || Number(it) < 1 || Number(len) < 1) throw bad('iterations and dklen must be positive integers');
    return { kind: 'pbkdf2', mac: mac as PbkdfMac, iterations: Number(it), dklen: Number(len) };
  }
  return { kind: 'plain' };
}

/** true for specs that need the backend's salt column */
export function needsSalt(spec: HashSpec): boolean {
  return spec.kind === 'salt_prefix' || spec.kind === 'salt_suffix' || spec.kind === 'salt_bcrypt' || spec.kind === 'pbkdf2';
}

type Bytes = string | Buffer;
const buf = (b: Bytes): Buffer => (typeof b === 'string' ? Buffer.from(b, 'utf8') : b);
const str = (b: Bytes): string => (typeof b === 'string' ? b : b.toString('utf8'));

function digest(d: Digest, data: Buffer): Buffer {
  if (d === 'plain') return data;
  return Buffer.from(createHash(NODE_DIGEST[d]).update(data).digest('hex'), 'latin1');
}

function bcryptHash(password: Bytes, salt: Bytes): Buffer {
  return Buffer.from(bcrypt.hashSync(str(password), str(salt)), 'utf8');
}

/**
 * The string a stored hash must equal: `hash` as in `password_hash`, `salt` from the salt
 * column (for `bcrypt` alone: the bcrypt salt, i.e. the first 29 characters of a hash).
 * Throws when the hash needs a salt and none is given, or when the salt is not a bcrypt salt.
 */
export function hashPassword(hash: PasswordHash | HashSpec, password: Bytes, salt?: Bytes): string {
  return hashBytes(typeof hash === 'string' ? parsePasswordHash(hash) : hash, password, salt).toString('utf8');
}

function hashBytes(spec: HashSpec, password: Bytes, salt?: Bytes): Buffer {
  const need = (): Bytes => {
    if (salt === undefined) throw new Error(`password_hash ${describe(spec)} needs a salt`);
    return salt;
  };
  switch (spec.kind) {
    case 'plain':
    case 'md5':
    case 'sha':
    case 'sha256':
    case 'sha512':
      return digest(spec.kind, buf(password));
    case 'bcrypt':
    case 'salt_bcrypt':
      return bcryptHash(password, need());
    case 'salt_prefix':
      return digest(spec.digest, Buffer.concat([buf(need()), buf(password)]));
    case 'salt_suffix':
      return digest(spec.digest, Buffer.concat([buf(password), buf(need())]));
    case 'pbkdf2':
      return Buffer.from(pbkdf2(spec, buf(password), buf(need())).toString('hex'), 'latin1');
  }
}

function pbkdf2(spec: HashSpec & { kind: 'pbkdf2' }, password: Buffer, salt: Buffer): Buffer {
  if (spec.mac === 'md4' && !nodeHasMd4()) return pbkdf2Md4(password, salt, spec.iterations, spec.dklen);
  return pbkdf2Sync(password, salt, spec.iterations, spec.dklen, MACS[spec.mac]);
}

// OpenSSL 3 keeps MD4 in its legacy provider, which Node does not load: PBKDF2-HMAC-MD4 in JS.
let md4Native: boolean | undefined;
function nodeHasMd4(): boolean {
  if (md4Native === undefined) {
    try {
      createHash('md4').update('').digest();
      md4Native = true;
    } catch {
      md4Native = false;
    }
  }
  return md4Native;
}

/** MD4 (RFC 1320) */
export function md4(data: Buffer): Buffer {
  const bits = data.length * 8;
  const padded = Buffer.alloc((((data.length + 8) >>> 6) + 1) << 6);
  data.copy(padded);
  padded[data.length] = 0x80;
  padded.writeUInt32LE(bits >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(bits / 0x100000000) >>> 0, padded.length - 4);
  let a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;
  const x = new Uint32Array(16);
  const rotl = (v: number, n: number): number => (v << n) | (v >>> (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(off + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    for (let i = 0; i < 16; i++) {
      const f = (b & c) | (~b & d);
      const t = rotl((a + f + x[i]!) | 0, [3, 7, 11, 19][i & 3]!);
      [a, b, c, d] = [d, t, b, c];
    }
    for (let i = 0; i < 16; i++) {
      const k = ((i & 3) << 2) | (i >>> 2);
      const g = (b & c) | (b & d) | (c & d);
      const t = rotl((a + g + x[k]! + 0x5a827999) | 0, [3, 5, 9, 13][i & 3]!);
      [a, b, c, d] = [d, t, b, c];
    }
    for (let i = 0; i < 16; i++) {
      const k = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15][i]!;
      const h = b ^ c ^ d;
      const t = rotl((a + h + x[k]! + 0x6ed9eba1) | 0, [3, 9, 11, 15][i & 3]!);
      [a, b, c, d] = [d, t, b, c];
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  out.writeInt32LE(c, 8);
  out.writeInt32LE(d, 12);
  return out;
}

function pbkdf2Md4(password: Buffer, salt: Buffer, iterations: number, dklen: number): Buffer {
  const key = Buffer.alloc(64);
  (password.length > 64 ? md4(password) : password).copy(key);
  const ipad = Buffer.alloc(64);
  const opad = Buffer.alloc(64);
  for (let i = 0; i < 64; i++) {
    ipad[i] = key[i]! ^ 0x36;
    opad[i] = key[i]! ^ 0x5c;
  }
  const hmac = (m: Buffer): Buffer => md4(Buffer.concat([opad, md4(Buffer.concat([ipad, m]))]));
  const blocks: Buffer[] = [];
  for (let i = 1; blocks.length * 16 < dklen; i++) {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(i);
    let u = hmac(Buffer.concat([salt, n]));
    const t = Buffer.from(u);
    for (let j = 1; j < iterations; j++) {
      u = hmac(u);
      for (let k = 0; k < 16; k++) t[k]! ^= u[k]!;
    }
    blocks.push(t);
  }
  return Buffer.concat(blocks).subarray(0, dklen);
}

function describe(spec: HashSpec): string {
  switch (spec.kind) {
    case 'salt_prefix':
      return `salt,${spec.digest}`;
    case 'salt_suffix':
      return `${spec.digest},salt`;
    case 'salt_bcrypt':
      return 'salt,bcrypt';
    case 'pbkdf2':
      return `pbkdf2,${spec.mac},${spec.iterations},${spec.dklen}`;
    default:
      return spec.kind;
  }
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * true when `password` hashed as `hash` equals `stored` (emqx_passwd:check_pass).
 * `salt` is the backend's salt value when it returned one (undefined when it did not):
 * - salted hashes (`salt,<h>`, `<h>,salt`, `salt,bcrypt`, `pbkdf2,…`) throw without one,
 *   as EMQX's check crashes (so a hook treats it as "no opinion");
 * - plain hashes given a salt never match (EMQX: password_error);
 * - `bcrypt` takes its salt from the first 29 characters of `stored`.
 * A stored NULL (`null`) never matches; a hash that cannot be computed (bad bcrypt salt,
 * unknown pbkdf2 digest in this OpenSSL) does not match either.
 */
export function checkPassword(hash: PasswordHash | HashSpec, password: Bytes, stored: Bytes | null, salt?: Bytes | null): boolean {
  const spec = typeof hash === 'string' ? parsePasswordHash(hash) : hash;
  if (salt === undefined) {
    if (needsSalt(spec)) throw new Error(`password_hash ${describe(spec)} needs a salt column`);
  } else if (!needsSalt(spec)) {
    return false;
  }
  if (salt === null) throw new Error('salt is NULL');
  if (stored === null) return false;
  const s = buf(stored);
  let computed: Buffer;
  try {
    if (spec.kind === 'bcrypt') {
      if (s.length < 29) return false;
      computed = bcryptHash(password, s.subarray(0, 29));
    } else {
      computed = hashBytes(spec, password, salt);
    }
  } catch {
    return false;
  }
  return same(computed, s);
}
