// Verification keys, imported once (at start, or when a JWKS is fetched) with node:crypto, and
// the JWS algorithms (RFC 7518 §3.1) each may verify: a key never verifies an alg of another
// family, so an RSA public key can't be used as an HMAC secret, and `none` is never one.
import { createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface VerifyKey {
  readonly key: KeyObject;
  /** the algs this key may verify */
  readonly algs: readonly string[];
}

const HS = ['HS256', 'HS384', 'HS512'] as const;
const RS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
const PS = ['PS256', 'PS384', 'PS512'] as const;
const CURVES: Readonly<Record<string, string>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512', secp256k1: 'ES256K' };

/** the algs a key of this type may verify */
export function algsFor(key: KeyObject): readonly string[] {
  if (key.type === 'secret') return HS;
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return RS;
    case 'rsa-pss':
      return PS;
    case 'ec': {
      const alg = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
      return alg ? [alg] : [];
    }
    case 'ed25519':
    case 'ed448':
      return ['EdDSA'];
    default:
      return [];
  }
}

/** auth.jwt.secret: the HMAC key is the UTF-8 bytes of the text, as EMQX */
export function secretKey(secret: string): VerifyKey {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return { key, algs: HS };
}

/** auth.jwt.pubkey: a PEM public key (SPKI or PKCS#1), certificate or private key; its public half */
export function pemKey(pem: string): VerifyKey {
  const key = createPublicKey(pem);
  const algs = algsFor(key);
  if (algs.length === 0) throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
  return { key, algs };
}

/** one JWK (RFC 7517 §4); its `alg`, when given, narrows what it verifies */
export function jwkKey(jwk: Readonly<Record<string, unknown>>): VerifyKey {
  const key = jwk.kty === 'oct' ? createSecretKey(Buffer.from(String(jwk.k ?? ''), 'base64url')) : createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  let algs = algsFor(key);
  if (typeof jwk.alg === 'string') algs = algs.includes(jwk.alg) ? [jwk.alg] : [];
  if (algs.length === 0) throw new Error(`unsupported key (kty ${String(jwk.kty)}, alg ${String(jwk.alg)})`);
  return { key, algs };
}

export interface KeySet {
  /** the keys by `kid`; EMQX matches JWKS keys by kid only, so keys without one are left out */
  readonly byKid: ReadonlyMap<string, readonly VerifyKey[]>;
  /** keys left out (no kid, not a signature key, or could not be imported), with why */
  readonly skipped: readonly string[];
}

/** A JWK Set document (RFC 7517 §5); throws when the body is not one. */
export function parseJwks(body: string): KeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new Error('the JWKS is not JSON');
  }
  const keys = doc !== null && typeof doc === 'object' ? (doc as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys)) throw new Error('the JWKS has no "keys" array');
  const byKid = new Map<string, VerifyKey[]>();
  const skipped: string[] = [];
  keys.forEach((jwk: unknown, i) => {
    if (jwk === null || typeof jwk !== 'object') return void skipped.push(`key ${i}: not an object`);
    const j = jwk as Record<string, unknown>;
    if (typeof j.kid !== 'string') return void skipped.push(`key ${i}: no kid`);
    if (j.use !== undefined && j.use !== 'sig') return void skipped.push(`key ${j.kid}: use ${String(j.use)}`);
    try {
      const k = jwkKey(j);
      const list = byKid.get(j.kid);
      if (list) list.push(k);
      else byKid.set(j.kid, [k]);
    } catch (err) {
      skipped.push(`key ${j.kid}: ${(err as Error).message}`);
    }
  });
  return { byKid, skipped };
}
