// Serving the node's API routes over HTTP as EMQX's minirest does: `/api/v4/...` (and the
// `/api/v3/...` paths of the 3.x user guide), HTTP Basic auth, JSON bodies, EMQX's envelope.
// emqx_management (8081) and emqx_dashboard (18083) each run one with their own credentials.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiCode, RawReply, type ApiRequest, type HttpMethod } from './api.js';
import type { ApiRoutes, Logger } from './plugin.js';

export interface ApiServerOptions {
  readonly routes: ApiRoutes;
  readonly listener: 'management' | 'dashboard';
  /** checks Basic credentials */
  authenticate(user: string, password: string): boolean | Promise<boolean>;
  readonly logger: Logger;
  /** largest body read, bytes (default 10 MB) */
  readonly maxBody?: number;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** `Authorization: Basic ...` as [user, password] */
export function basicCredentials(header: string | undefined): [string, string] | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const text = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : [text.slice(0, i), text.slice(i + 1)];
}

export function unauthorized(res: ServerResponse): void {
  sendText(res, 401, 'UNAUTHORIZED', { 'www-authenticate': 'Basic Realm="minirest-server"' });
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        resolve('too_large');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Handles `/api/v4/...` (and `/api/v3/...`); returns false for any other path so the caller can
 * serve it (`/status`, the dashboard's files).
 */
export function apiHandler(o: ApiServerOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const max = o.maxBody ?? 10 * 1024 * 1024;
  const run = async (req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> => {
    const method = req.method ?? 'GET';
    const listing = path === '' || path === '/';
    const hit = listing || !METHODS.has(method) ? undefined : o.routes.match(method, path, o.listener);
    if (listing && method !== 'GET') return sendText(res, 400, 'Bad Request');
    if (!listing && !hit) return sendText(res, 404, 'Not found.');
    let user: string | undefined;
    if (listing || hit!.route.auth !== false) {
      const cred = basicCredentials(req.headers.authorization);
      if (!cred || !(await o.authenticate(cred[0], cred[1]))) return unauthorized(res);
      user = cred[0];
    }
    if (listing) {
      const data = o.routes.list(o.listener).map((r) => ({ name: r.name, method: r.method, path: r.path, descr: r.descr }));
      return sendJson(res, 200, { code: 0, data });
    }
    const raw = await readBody(req, max);
    if (raw === 'too_large') return sendJson(res, 413, { code: ApiCode.PARAMETER_TYPE_ERROR, message: `request body is larger than ${max} bytes` });
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return sendJson(res, 400, { code: ApiCode.NOT_JSON, message: 'Request body is not JSON' });
      }
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
    const request: ApiRequest = { method: method as HttpMethod, path, params: hit!.params, query, body, headers: req.headers, user, listener: o.listener };
    const out = await hit!.handler(request);
    if (out instanceof RawReply) {
      res.writeHead(out.status, { 'content-type': out.contentType, 'content-length': Buffer.byteLength(out.body), ...out.headers });
      res.end(out.body);
      return;
    }
    sendJson(res, 200, out ?? { code: 0 });
  };
  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      sendText(res, 400, 'Bad Request');
      return true;
    }
    const m = /^\/api\/v[34](\/.*)?$/.exec(url.pathname);
    if (!m) return false;
    const path = (m[1] ?? '').replace(/\/+$/, '') || (m[1] ? '/' : '');
    run(req, res, url, path).catch((err: Error) => {
      o.logger.error(`${req.method} ${url.pathname} failed: ${err.stack ?? err.message}`);
      if (!res.headersSent) sendJson(res, 500, { code: ApiCode.UNKNOWN_ERROR, message: err.message });
      else res.destroy();
    });
    return true;
  };
}
