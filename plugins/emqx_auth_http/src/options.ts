// The conf values as request settings (EMQX's emqx_auth_http_app:translate_env/1 and the
// cuttlefish translations of priv/emqx_auth_http.schema), computed once at start.
import { PLACEHOLDERS, backendTls, confString, type BackendTls, type ConfValues, type Placeholder } from '@nemq/sdk';

export type ReqName = 'auth_req' | 'super_req' | 'acl_req';
export type Method = 'get' | 'post';
/** how params travel: the query string (GET), or a form or JSON body (POST) */
export type Encoding = 'query' | 'form' | 'json';

/** one `<key>=<value>` of `params`; the value is literal text, one placeholder, or text with placeholders */
export type Param =
  | { readonly key: string; readonly kind: 'text'; readonly text: string }
  | { readonly key: string; readonly kind: 'var'; readonly var: Placeholder }
  | { readonly key: string; readonly kind: 'template'; readonly text: string };

export interface RequestSpec {
  readonly name: ReqName;
  readonly url: string;
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  /** path and the URL's own query (if any) */
  readonly path: string;
  readonly method: Method;
  /** lower-case names, `_` written as `-`; no content-type on GET */
  readonly headers: Readonly<Record<string, string>>;
  readonly encoding: Encoding;
  readonly params: readonly Param[];
}

export interface Retry {
  /** retries after the first attempt, on connection failures only */
  readonly times: number;
  /** ms before the first retry */
  readonly interval: number;
  /** factor applied to the interval after each retry */
  readonly backoff: number;
}

export interface HttpOptions {
  readonly auth: RequestSpec | undefined;
  readonly super: RequestSpec | undefined;
  readonly acl: RequestSpec | undefined;
  /** ms for one attempt, from sending to the whole answer */
  readonly timeout: number;
  /** ms to open a connection (TCP, and the TLS handshake for https) */
  readonly connectTimeout: number;
  /** connections per request kind */
  readonly poolSize: number;
  /** EMQX's pipelining depth (accepted; Node's agent sends one request per connection at a time) */
  readonly pipelining: number;
  readonly retry: Retry;
  readonly ssl: BackendTls;
}

export const SHIPPED_AUTH_PARAMS = 'clientid=%c,username=%u,password=%P';
export const SHIPPED_SUPER_PARAMS = 'clientid=%c,username=%u';
export const SHIPPED_ACL_PARAMS = 'access=%A,username=%u,clientid=%c,ipaddr=%a,topic=%t,mountpoint=%m';
const SHIPPED: Record<ReqName, string> = { auth_req: SHIPPED_AUTH_PARAMS, super_req: SHIPPED_SUPER_PARAMS, acl_req: SHIPPED_ACL_PARAMS };

function num(c: ConfValues, k: string, dflt: number): number {
  const v = c[k];
  return typeof v === 'number' ? v : v === undefined ? dflt : Number(v);
}

/** `k1=v1,k2=v2`: split on `,` then on the first `=`; empty pieces are skipped (EMQX's string:tokens) */
export function parseParams(text: string): Param[] {
  const out: Param[] = [];
  for (const piece of text.split(',')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const key = eq < 0 ? piece : piece.slice(0, eq);
    const value = eq < 0 ? '' : piece.slice(eq + 1);
    if (key === '') continue;
    if ((PLACEHOLDERS as readonly string[]).includes(value)) out.push({ key, kind: 'var', var: value as Placeholder });
    else if (/%[ucaCdPprtAm]/.test(value)) out.push({ key, kind: 'template', text: value });
    else out.push({ key, kind: 'text', text: value });
  }
  return out;
}

/** `content_type` → `content-type`, lower case; a later duplicate loses to the first (EMQX's proplists) */
export function normaliseHeaders(pairs: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) {
    const name = k.replace(/_/g, '-').toLowerCase();
    if (!(name in out)) out[name] = v;
  }
  return out;
}

/** `enable_pipelining`: an integer, or true (100) / false (1); anything else 100 (EMQX's translation) */
export function parsePipelining(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = String(v ?? '100').trim();
  if (/^-?\d+$/.test(s)) return Number(s);
  return s === 'false' ? 1 : 100;
}

/** one of auth_req / super_req / acl_req, or undefined when its url is unset (that request is off) */
export function requestSpec(c: ConfValues, name: ReqName): RequestSpec | undefined {
  const p = `auth.http.${name}`;
  const url = confString(c, `${p}.url`);
  if (url === undefined) return undefined;
  let u: URL;
  try {
    // EMQX adds http:// to a URL without a scheme
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`);
  } catch {
    throw new Error(`${p}.url: not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${p}.url: the scheme must be http or https: ${url}`);
  const tls = u.protocol === 'https:';
  const method = (confString(c, `${p}.method`) ?? 'post').toLowerCase();
  if (method !== 'get' && method !== 'post') throw new Error(`${p}.method must be get or post, got ${method}`);

  const prefix = `${p}.headers.`;
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(c)) if (k.startsWith(prefix) && v !== undefined) pairs.push([k.slice(prefix.length), String(v)]);
  const headers = normaliseHeaders(pairs);
  let encoding: Encoding = 'query';
  if (method === 'post') {
    // EMQX accepts exactly these two (anything else fails every request); none given: a form
    const ct = headers['content-type'] ?? 'application/x-www-form-urlencoded';
    const base = ct.split(';')[0]!.trim().toLowerCase();
    if (base === 'application/x-www-form-urlencoded') encoding = 'form';
    else if (base === 'application/json') encoding = 'json';
    else throw new Error(`${p}.headers.content-type must be application/x-www-form-urlencoded or application/json for post, got ${ct}`);
    headers['content-type'] = ct;
  } else {
    delete headers['content-type'];
  }
  return {
    name,
    url,
    tls,
    host: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
    port: u.port === '' ? (tls ? 443 : 80) : Number(u.port),
    path: (u.pathname === '' ? '/' : u.pathname) + u.search,
    method,
    headers,
    encoding,
    params: parseParams(confString(c, `${p}.params`) ?? SHIPPED[name]),
  };
}

export function httpOptions(c: ConfValues): HttpOptions {
  const poolSize = num(c, 'auth.http.pool_size', 32);
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new Error(`auth.http.pool_size must be at least 1, got ${poolSize}`);
  const timeout = num(c, 'auth.http.timeout', 5000);
  const connectTimeout = num(c, 'auth.http.connect_timeout', 5000);
  if (!(timeout > 0)) throw new Error(`auth.http.timeout must be more than 0, got ${timeout}`);
  if (!(connectTimeout > 0)) throw new Error(`auth.http.connect_timeout must be more than 0, got ${connectTimeout}`);
  const times = num(c, 'auth.http.request.retry_times', 2);
  const interval = num(c, 'auth.http.request.retry_interval', 0);
  const backoff = num(c, 'auth.http.request.retry_backoff', 2);
  if (!Number.isInteger(times) || times < 0) throw new Error(`auth.http.request.retry_times must be 0 or more, got ${times}`);
  if (!(backoff >= 1)) throw new Error(`auth.http.request.retry_backoff must be at least 1.0, got ${backoff}`);
  return {
    auth: requestSpec(c, 'auth_req'),
    super: requestSpec(c, 'super_req'),
    acl: requestSpec(c, 'acl_req'),
    timeout,
    connectTimeout,
    poolSize,
    pipelining: parsePipelining(c['auth.http.enable_pipelining']),
    retry: { times, interval, backoff },
    ssl: backendTls(c, 'auth.http.ssl'),
  };
}
