// The pure parts of checking a token (EMQX 4.3 emqx_auth_jwt / emqx_auth_jwt_svr): is the
// password a JWT at all, are its time claims good, and do the configured claims match the client.
import { placeholderValue, type PlaceholderClient } from '@nemq/sdk';

export type Claims = Readonly<Record<string, unknown>>;

/** the protected header of a JWS compact serialization (RFC 7515 §7.1) */
export interface JwsHeader {
  readonly alg?: unknown;
  readonly kid?: unknown;
  readonly [k: string]: unknown;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The header of `token` when it has the shape of a JWS (three base64url parts, the first a
 * JSON object); undefined when it is not a token at all, so the plugin has no opinion
 * (EMQX: jose_jws:peek fails → `not_token` → ignore, the next backend decides).
 */
export function peekHeader(token: string): JwsHeader | undefined {
  const a = token.indexOf('.');
  if (a <= 0) return undefined;
  const b = token.indexOf('.', a + 1);
  if (b < 0 || token.indexOf('.', b + 1) >= 0) return undefined;
  const head = token.slice(0, a);
  if (!B64URL.test(head) || !B64URL.test(token.slice(a + 1, b)) || !B64URL.test(token.slice(b + 1))) return undefined;
  try {
    const h: unknown = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
    return h !== null && typeof h === 'object' && !Array.isArray(h) ? (h as JwsHeader) : undefined;
  } catch {
    return undefined;
  }
}

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?\d+\.\d+(?:[eE][+-]?\d+)?$/;

/**
 * A NumericDate claim (RFC 7519 §2): a JSON number, or (as EMQX's string_to_number) a string
 * holding an integer or a float; undefined for anything else.
 */
export function numericDate(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && (INTEGER.test(v) || FLOAT.test(v))) return Number(v);
  return undefined;
}

export type TimeFailure = 'expired' | 'issued_in_future' | 'not_valid_yet';

/**
 * EMQX 4.3's check of the time claims, `now` in whole seconds: `exp` must be after now
 * (RFC 7519 §4.1.4), `iat` and `nbf` (§4.1.5) not after now. An absent claim is not checked;
 * one that is not a NumericDate fails. No clock skew allowance, as EMQX.
 */
export function checkTimes(claims: Claims, now: number): TimeFailure | undefined {
  if (claims.exp !== undefined) {
    const exp = numericDate(claims.exp);
    if (exp === undefined || !(now < exp)) return 'expired';
  }
  if (claims.iat !== undefined) {
    const iat = numericDate(claims.iat);
    if (iat === undefined || iat > now) return 'issued_in_future';
  }
  if (claims.nbf !== undefined) {
    const nbf = numericDate(claims.nbf);
    if (nbf === undefined || nbf > now) return 'not_valid_yet';
  }
  return undefined;
}

/** one `auth.jwt.verify_claims.<claim> = <expected>` line; `%u` / `%c` stand for the username / client ID */
export interface ClaimCheck {
  readonly claim: string;
  readonly expected: string;
}

const PREFIX = 'auth.jwt.verify_claims.';

/** the checklist from the conf values; empty when auth.jwt.verify_claims is off */
export function parseChecklist(conf: Readonly<Record<string, unknown>>): ClaimCheck[] {
  if (conf['auth.jwt.verify_claims'] !== true) return [];
  const out: ClaimCheck[] = [];
  for (const [k, v] of Object.entries(conf)) {
    if (k.startsWith(PREFIX) && typeof v === 'string') out.push({ claim: k.slice(PREFIX.length), expected: v });
  }
  return out;
}

/**
 * The first check the claims fail, or undefined when all pass. The whole expected value
 * `%u` / `%c` is the client's username / client ID (a client without a username matches a
 * token without that claim, as in EMQX); anything else is compared as written. A claim must be
 * a JSON string equal to it.
 */
export function failedClaim(checks: readonly ClaimCheck[], claims: Claims, ci: PlaceholderClient): string | undefined {
  for (const c of checks) {
    const want = c.expected === '%u' || c.expected === '%c' ? placeholderValue(c.expected, ci) : c.expected;
    if (claims[c.claim] !== want) return c.claim;
  }
  return undefined;
}
