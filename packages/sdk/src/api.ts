// HTTP API v4 routes (EMQX's minirest `rest_api` attributes). A plugin adds routes with
// ctx.api(); the listeners that serve them (emqx_management on 8081, emqx_dashboard on 18083)
// find them in the node's one route table, so a route exists exactly while its plugin runs.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRoute {
  /** EMQX's name for it, e.g. `list_clients` (`GET /api/v4/` lists them) */
  readonly name: string;
  readonly method: HttpMethod;
  /** under `/api/v4`; `:name` binds one path segment (URL-decoded), e.g. `/clients/:clientid` */
  readonly path: string;
  readonly descr: string;
  /** false: served without credentials (`/emqx_prometheus`); default true */
  readonly auth?: boolean;
  /** which listener serves it; default both (EMQX: `/apps` is on the dashboard only) */
  readonly listener?: 'both' | 'management' | 'dashboard';
}

export interface ApiRequest {
  readonly method: HttpMethod;
  /** the path under `/api/v4` */
  readonly path: string;
  /** the `:name` bindings, decoded */
  readonly params: Readonly<Record<string, string>>;
  /** the query string (first value of each key) */
  readonly query: Readonly<Record<string, string>>;
  /** the JSON body (undefined when empty) */
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** the app id or dashboard user that authenticated; undefined on routes without auth */
  readonly user: string | undefined;
  /** which listener it came through */
  readonly listener: 'management' | 'dashboard';
}

/** a reply that is not EMQX's JSON envelope (Prometheus text, a file) */
export class RawReply {
  constructor(
    readonly status: number,
    readonly body: string | Buffer,
    readonly contentType = 'text/plain; charset=utf-8',
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** the JSON the handler returns is sent as is (with HTTP 200); a RawReply as it says */
export type ApiHandler = (req: ApiRequest) => unknown | Promise<unknown>;

/** EMQX's result codes (emqx_mgmt.hrl) */
export const ApiCode = {
  SUCCESS: 0,
  RPC_ERROR: 101,
  UNKNOWN_ERROR: 102,
  ERROR_USERNAME_OR_PWD: 103,
  EMPTY_USERNAME_OR_PWD: 104,
  USER_NOT_FOUND: 105,
  ADMIN_NOT_ALLOWED: 106,
  MISSING_PARAMETER: 107,
  PARAMETER_TYPE_ERROR: 108,
  NOT_JSON: 109,
  PLUGIN_LOADED: 110,
  PLUGIN_UNLOADED: 111,
  CLIENT_OFFLINE: 112,
  USER_EXISTS: 113,
  OLD_PASSWORD_ERROR: 114,
  BAD_TOPIC: 115,
  BAD_QOS: 116,
} as const;

export interface PageMeta {
  page: number;
  limit: number;
  /** -1 when filters made the total unknown (EMQX: fuzzy queries) */
  count: number;
  hasnext: boolean;
}

/** `{"code":0}` or `{"code":0,"data":...}` (and `meta` for pages) */
export function ok(data?: unknown, meta?: PageMeta): Record<string, unknown> {
  const out: Record<string, unknown> = { code: 0 };
  if (data !== undefined) out.data = data;
  if (meta !== undefined) out.meta = meta;
  return out;
}

/** `{"code":N,"message":"..."}` */
export function fail(code: number, message: string): Record<string, unknown> {
  return { code, message };
}

/** `_page` and `_limit` as EMQX reads them: page from 1, limit capped at `max_row_limit` */
export function pageOf(query: Readonly<Record<string, string>>, maxRowLimit: number): { page: number; limit: number } {
  const page = Math.max(1, Number.parseInt(query._page ?? '1', 10) || 1);
  const limit = Math.min(maxRowLimit, Math.max(1, Number.parseInt(query._limit ?? String(maxRowLimit), 10) || maxRowLimit));
  return { page, limit };
}

/** one page of an array, with EMQX's meta */
export function paginate<T>(rows: readonly T[], query: Readonly<Record<string, string>>, maxRowLimit: number): { data: T[]; meta: PageMeta } {
  const { page, limit } = pageOf(query, maxRowLimit);
  const start = (page - 1) * limit;
  const data = rows.slice(start, start + limit);
  return { data, meta: { page, limit, count: rows.length, hasnext: start + limit < rows.length } };
}

/** a path template matched segment by segment; returns the bindings or undefined */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split('/');
  const p = path.split('/');
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i]!;
    if (seg.startsWith(':')) {
      if (p[i] === '') return undefined;
      try {
        params[seg.slice(1)] = decodeURIComponent(p[i]!);
      } catch {
        return undefined;
      }
    } else if (seg !== p[i]) return undefined;
  }
  return params;
}
