// The password a user record keeps, as EMQX's mnesia user tables keep it (emqx_auth_mnesia 4.3,
// emqx_auth_username / emqx_auth_clientid 3.x-4.2): a 4-byte random salt, then the hash of
// salt ++ password with the plugin's password_hash. `plain` hashes to salt ++ password itself.
// The hashing and the constant-time compare are the SDK's (emqx_passwd).
import { randomBytes } from 'node:crypto';
import { checkPassword, hashPassword } from '@nemq/sdk';

/** the password_hash values these stores take (the enum of EMQX's schema) */
export const MNESIA_HASHES = ['plain', 'md5', 'sha', 'sha256', 'sha512'] as const;
export type MnesiaHash = (typeof MNESIA_HASHES)[number];

/** length of an unsalted hex digest: EMQX takes a secret of exactly that length for an unsalted one */
const HEX_LEN: Readonly<Record<Exclude<MnesiaHash, 'plain'>, number>> = { md5: 32, sha: 40, sha256: 64, sha512: 128 };

const SALT_LEN = 4;

/** the conf value as a hash name, or an error naming the key and the choices */
export function parseMnesiaHash(value: unknown, key: string, allowed: readonly MnesiaHash[] = MNESIA_HASHES): MnesiaHash {
  const v = typeof value === 'string' ? value.trim() : '';
  if ((allowed as readonly string[]).includes(v)) return v as MnesiaHash;
  throw new Error(`${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
}

const bytes = (b: Buffer | string | undefined): Buffer => (b === undefined ? Buffer.alloc(0) : typeof b === 'string' ? Buffer.from(b, 'utf8') : b);

/** salt ++ hash(salt ++ password); a fresh random salt unless one is given (tests) */
export function makeSecret(hash: MnesiaHash, password: Buffer | string | undefined, salt: Buffer = randomBytes(SALT_LEN)): Buffer {
  if (salt.length !== SALT_LEN) throw new Error(`salt must be ${SALT_LEN} bytes`);
  const pw = bytes(password);
  // plain: the "hash" is the salted input itself (bytes, not text: the salt is random)
  if (hash === 'plain') return Buffer.concat([salt, salt, pw]);
  return Buffer.concat([salt, Buffer.from(hashPassword(`salt,${hash}`, pw, salt), 'latin1')]);
}

/**
 * true when `password` fits `secret`. As EMQX: a secret exactly as long as an unsalted hex
 * digest is taken for one (records imported from elsewhere), any other is salt ++ hash.
 * An absent password is the empty one.
 */
export function matchSecret(hash: MnesiaHash, password: Buffer | string | undefined, secret: Buffer): boolean {
  const pw = bytes(password);
  if (hash !== 'plain' && secret.length === HEX_LEN[hash]) return checkPassword(hash, pw, secret);
  if (secret.length < SALT_LEN) return false;
  return checkPassword(`salt,${hash}`, pw, secret.subarray(SALT_LEN), secret.subarray(0, SALT_LEN));
}
