// Verifying a token (EMQX 4.3 emqx_auth_jwt_svr:verify): which keys to try, the signature
// (by jose, only with the algs the key may verify, never `none`), then the time claims.
import { compactVerify } from 'jose';
import { checkTimes, type Claims, type JwsHeader } from './claims.js';
import type { VerifyKey } from './keys.js';

export type Verdict =
  | { readonly ok: true; readonly claims: Claims }
  | { readonly ok: false; readonly reason: string };

/**
 * The keys for a token: with a `kid` header and a fetched JWKS, the JWKS keys of that kid;
 * otherwise the static keys (auth.jwt.secret, auth.jwt.pubkey). Empty → the token is not for
 * this plugin (EMQX `not_found` → ignore).
 */
export function keysFor(header: JwsHeader, statics: readonly VerifyKey[], remote: ReadonlyMap<string, readonly VerifyKey[]> | undefined): readonly VerifyKey[] {
  if (header.kid !== undefined && remote !== undefined) return (typeof header.kid === 'string' && remote.get(header.kid)) || [];
  return statics;
}

/** the first key that verifies the signature decides; none → invalid_signature */
export async function verifyToken(token: string, header: JwsHeader, keys: readonly VerifyKey[], now: number): Promise<Verdict> {
  const alg = header.alg;
  for (const k of keys) {
    if (typeof alg !== 'string' || !k.algs.includes(alg)) continue;
    let payload: Uint8Array;
    try {
      payload = (await compactVerify(token, k.key, { algorithms: k.algs as string[] })).payload;
    } catch {
      continue;
    }
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch {
      return { ok: false, reason: 'invalid_signature' };
    }
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return { ok: false, reason: 'invalid_signature' };
    const late = checkTimes(claims as Claims, now);
    return late ? { ok: false, reason: late } : { ok: true, claims: claims as Claims };
  }
  return { ok: false, reason: 'invalid_signature' };
}
