// What an answer means (EMQX 4.3 emqx_auth_http:check/3, http_to_connack_error/1 and
// emqx_acl_http:check_acl/5). The CONNACK codes are the kernel's mapping of auth_result.

/** the answer of one request, or why there is none */
export type Outcome =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly error: string };

/**
 * The auth request's verdict:
 * - `ignore`: no opinion (the next auth plugin, then allow_anonymous);
 * - `success`: allowed (superuser from super_req, mountpoint from a JSON body);
 * - `refuse`: auth_result `result`; `backend` says whether it is a backend failure
 *   (warned and counted as `client.auth.backend_error`).
 */
export type AuthVerdict =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'success' }
  | { readonly kind: 'refuse'; readonly result: string; readonly backend: boolean };

const IGNORE: AuthVerdict = { kind: 'ignore' };
const SUCCESS: AuthVerdict = { kind: 'success' };
const BAD_CREDENTIALS: AuthVerdict = { kind: 'refuse', result: 'bad_username_or_password', backend: false };
const NOT_AUTHORIZED: AuthVerdict = { kind: 'refuse', result: 'not_authorized', backend: false };
const BANNED: AuthVerdict = { kind: 'refuse', result: 'banned', backend: false };
const UNAVAILABLE: AuthVerdict = { kind: 'refuse', result: 'server_unavailable', backend: true };
const BUSY: AuthVerdict = { kind: 'refuse', result: 'server_busy', backend: true };
// no answer, or one EMQX has no code for: the shared failure contract (CONNACK 0x87 / 5)
const FAILED: AuthVerdict = { kind: 'refuse', result: 'http_backend_error', backend: true };

/** `ignore` in the body of a 200, as EMQX compares it (the exact bytes) */
export const isIgnore = (body: string): boolean => body === 'ignore';

export function authVerdict(o: Outcome): AuthVerdict {
  if (!o.ok) return FAILED;
  switch (o.status) {
    case 200:
      return isIgnore(o.body) ? IGNORE : SUCCESS;
    case 400:
    case 401:
      return BAD_CREDENTIALS;
    case 403:
      return NOT_AUTHORIZED;
    case 429:
      return BANNED;
    case 503:
      return UNAVAILABLE;
    case 504:
      return BUSY;
    default:
      return FAILED;
  }
}

/** super_req: only a 200 makes a superuser */
export const superVerdict = (o: Outcome): boolean => o.ok && o.status === 200;

/**
 * The ACL request's verdict: 200 `ignore` → no opinion; 200 → allow; any other status → deny;
 * no answer → no opinion (a backend error). `backend` marks 5xx and missing answers.
 */
export function aclVerdict(o: Outcome): { readonly result: 'allow' | 'deny' | undefined; readonly backend: boolean } {
  if (!o.ok) return ACL_FAILED;
  if (o.status === 200) return isIgnore(o.body) ? ACL_IGNORE : ACL_ALLOW;
  return o.status >= 500 ? ACL_DENY_FAILED : ACL_DENY;
}

const ACL_FAILED = { result: undefined, backend: true } as const;
const ACL_IGNORE = { result: undefined, backend: false } as const;
const ACL_ALLOW = { result: 'allow', backend: false } as const;
const ACL_DENY = { result: 'deny', backend: false } as const;
const ACL_DENY_FAILED = { result: 'deny', backend: true } as const;

/** a JSON object body's `mountpoint` string, else `fallback` (EMQX's mountpoint/2) */
export function bodyMountpoint(body: string, fallback: string | undefined): string | undefined {
  if (body === '' || body[0] !== '{') return fallback;
  try {
    const j: unknown = JSON.parse(body);
    if (j !== null && typeof j === 'object' && !Array.isArray(j)) {
      const m = (j as Record<string, unknown>).mountpoint;
      if (typeof m === 'string') return m;
    }
  } catch {
    // not JSON: the client's own mountpoint
  }
  return fallback;
}
