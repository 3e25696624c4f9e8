// The single-page app's files from www/: `/` is index.html (never cached, it names the current
// bundle), `/static/...` are the bundle's files (their names carry a content hash, so cached a year;
// a `.gz` copy beside one is sent to browsers that accept gzip).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface File {
  body: Buffer;
  etag: string;
  mtime: number;
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function contentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** a request handler for www/; returns false for paths it does not serve */
export function staticFiles(root: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  const cache = new Map<string, File>();
  const read = (file: string): File | undefined => {
    let st;
    try {
      st = statSync(file);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const hit = cache.get(file);
    if (hit && hit.mtime === st.mtimeMs) return hit;
    const body = readFileSync(file);
    const f = { body, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`, mtime: st.mtimeMs };
    cache.set(file, f);
    return f;
  };
  return (req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      send(res, 400, 'Bad Request');
      return true;
    }
    const index = path === '/' || path === '/index.html';
    if (!index && !path.startsWith('/static/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'Method Not Allowed');
      return true;
    }
    const rel = index ? 'index.html' : normalize(path.slice(1));
    const file = join(root, rel);
    // no way out of www/ (`..`, absolute paths, NUL)
    if (rel.includes('\0') || !file.startsWith(root + sep) || rel.split(sep).includes('..')) {
      send(res, 404, 'Not found.');
      return true;
    }
    const gzip = !index && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const zipped = gzip ? read(`${file}.gz`) : undefined;
    const f = zipped ?? read(file);
    if (!f) {
      send(res, 404, index ? 'Not found. The dashboard UI is not built: run `npm run setup`.' : 'Not found.');
      return true;
    }
    const headers: Record<string, string | number> = {
      'content-type': contentType(file),
      etag: f.etag,
      'cache-control': index ? 'no-cache' : 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    };
    if (!index) headers.vary = 'accept-encoding';
    if (zipped) headers['content-encoding'] = 'gzip';
    if (req.headers['if-none-match'] === f.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    headers['content-length'] = f.body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : f.body);
    return true;
  };
}
