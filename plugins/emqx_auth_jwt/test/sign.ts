// Test tokens, signed with node:crypto (not with the plugin's library, so the tests check it
// against an independent signer).
import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export type Alg = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'none';

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** a compact JWS of `claims`; `key` is the HMAC secret (text) or a private key */
export function signJwt(alg: Alg, key: string | KeyObject, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const data = `${b64({ typ: 'JWT', ...header, alg })}.${b64(claims)}`;
  if (alg === 'none') return `${data}.`;
  const hash = `sha${alg.slice(2)}`;
  let sig: Buffer;
  if (alg.startsWith('HS')) sig = createHmac(hash, key as string).update(data).digest();
  else if (alg.startsWith('ES')) sig = sign(hash, Buffer.from(data), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  else if (alg.startsWith('PS')) sig = sign(hash, Buffer.from(data), { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 });
  else sig = sign(hash, Buffer.from(data), key as KeyObject);
  return `${data}.${sig.toString('base64url')}`;
}

export interface Pair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export const rsaPair = (): Pair => generateKeyPairSync('rsa', { modulusLength: 2048 });
export const ecPair = (curve: 'P-256' | 'P-384' | 'P-521'): Pair => generateKeyPairSync('ec', { namedCurve: curve });

/** the curve of each ES alg */
export const CURVE = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as const;

/** the public key as a PEM (SPKI) text */
export const pem = (p: Pair): string => p.publicKey.export({ type: 'spki', format: 'pem' }) as string;

/** the public key as a JWK with a kid */
export const jwk = (p: Pair, kid: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...p.publicKey.export({ format: 'jwk' }), kid, use: 'sig', ...extra });

export const now = (): number => Math.floor(Date.now() / 1000);
