// LDAP userPassword values (RFC 2307 `{SCHEME}base64`, as OpenLDAP's slappasswd writes them), for
// emqx_auth_ldap. Schemes: {SHA} {SHA256} {SHA384} {SHA512} {MD5} = base64(digest(password));
// salted {SSHA} {SSHA256} {SSHA384} {SSHA512} {SMD5} = base64(digest(password ++ salt) ++ salt).
// A value without a `{...}` prefix is the password in clear. Scheme names are case-insensitive.
// Comparisons are constant-time for equal lengths.
import { createHash, timingSafeEqual } from 'node:crypto';

const DIGESTS: Readonly<Record<string, { alg: string; len: number }>> = {
  sha: { alg: 'sha1', len: 20 },
  sha256: { alg: 'sha256', len: 32 },
  sha384: { alg: 'sha384', len: 48 },
  sha512: { alg: 'sha512', len: 64 },
  md5: { alg: 'md5', len: 16 },
};

/** the schemes ldapPasswordHash / checkLdapPassword know, lower case */
export const LDAP_PASSWORD_SCHEMES: readonly string[] = [...Object.keys(DIGESTS), ...Object.keys(DIGESTS).map((d) => `s${d}`)];

function scheme(name: string): { d: { alg: string; len: number }; salted: boolean } | undefined {
  const n = name.toLowerCase();
  if (n in DIGESTS) return { d: DIGESTS[n]!, salted: false };
  if (n.startsWith('s') && n.slice(1) in DIGESTS) return { d: DIGESTS[n.slice(1)]!, salted: true };
  return undefined;
}

const hash = (alg: string, ...parts: Buffer[]): Buffer => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** `{SCHEME}base64` for `password` (salted schemes need `salt`); scheme `plain` gives the password itself */
export function ldapPasswordHash(schemeName: string, password: string | Buffer, salt?: string | Buffer): string {
  const pw = Buffer.from(password);
  if (schemeName.toLowerCase() === 'plain') return pw.toString('utf8');
  const s = scheme(schemeName);
  if (!s) throw new Error(`unknown LDAP password scheme ${schemeName}`);
  if (!s.salted) return `{${schemeName.toUpperCase()}}${hash(s.d.alg, pw).toString('base64')}`;
  if (salt === undefined || salt.length === 0) throw new Error(`{${schemeName.toUpperCase()}} needs a salt`);
  const sb = Buffer.from(salt);
  return `{${schemeName.toUpperCase()}}${Buffer.concat([hash(s.d.alg, pw, sb), sb]).toString('base64')}`;
}

/**
 * Checks `password` against a stored userPassword value: true / false, or undefined when the
 * value has a `{SCHEME}` this function does not know (e.g. {CRYPT}, {PBKDF2}) or a salted value
 * too short to hold a digest.
 */
export function checkLdapPassword(password: Buffer, stored: Buffer): boolean | undefined {
  const m = /^\{([A-Za-z0-9.-]+)\}/.exec(stored.subarray(0, 40).toString('latin1'));
  if (!m) return same(password, stored);
  const s = scheme(m[1]!);
  if (!s) return undefined;
  const raw = Buffer.from(stored.subarray(m[0].length).toString('latin1'), 'base64');
  if (!s.salted) return same(hash(s.d.alg, password), raw);
  if (raw.length <= s.d.len) return undefined;
  return same(hash(s.d.alg, password, raw.subarray(s.d.len)), raw.subarray(0, s.d.len));
}

function same(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    // spend about the same time as a real comparison
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}
