// dashboard.listener values and the static file handler on their own.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBind } from '../src/listen';
import { contentType, staticFiles } from '../src/static';

test('parseBind takes port, ip:port and [ipv6]:port, and refuses anything else', () => {
  expect(parseBind('18083')).toEqual({ host: undefined, port: 18083 });
  expect(parseBind('0')).toEqual({ host: undefined, port: 0 });
  expect(parseBind(' 127.0.0.1:18083 ')).toEqual({ host: '127.0.0.1', port: 18083 });
  expect(parseBind('localhost:1')).toEqual({ host: 'localhost', port: 1 });
  expect(parseBind('[::1]:18083')).toEqual({ host: '::1', port: 18083 });
  for (const bad of ['', 'x', '65536', '-1', '1.2.3.4:', ':80', '::1:80', 'a b:80', '1.2.3.4:80:90', '[::1]', '1e3']) expect([bad, parseBind(bad)]).toEqual([bad, undefined]);
});

test('content types by extension', () => {
  expect(contentType('a/app-X.js')).toBe('text/javascript; charset=utf-8');
  expect(contentType('x.CSS')).toBe('text/css; charset=utf-8');
  expect(contentType('x.svg')).toBe('image/svg+xml');
  expect(contentType('x.bin')).toBe('application/octet-stream');
});

describe('staticFiles', () => {
  let root: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'nemq-www-'));
    mkdirSync(join(root, 'www/static'), { recursive: true });
    writeFileSync(join(root, 'www/index.html'), '<h1>hi</h1>');
    writeFileSync(join(root, 'www/static/a.css'), 'body{}');
    writeFileSync(join(root, 'secret.txt'), 'no');
    const files = staticFiles(join(root, 'www'));
    server = createServer((req, res) => {
      if (!files(req, res)) res.writeHead(418).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  test('serves index and static files, with ETag and 304, HEAD without a body', async () => {
    const r = await fetch(base + '/');
    expect([r.status, await r.text(), r.headers.get('cache-control')]).toEqual([200, '<h1>hi</h1>', 'no-cache']);
    const css = await fetch(base + '/static/a.css');
    expect([css.status, css.headers.get('content-type'), css.headers.get('content-encoding')]).toEqual([200, 'text/css; charset=utf-8', null]);
    expect((await fetch(base + '/static/a.css', { headers: { 'if-none-match': css.headers.get('etag')! } })).status).toBe(304);
    const head = await fetch(base + '/static/a.css', { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, '6', '']);
  });

  test('never leaves its root; other paths are left to the caller', async () => {
    // node:http sends the path as written (fetch would resolve the dots first); the handler resolves
    // them as a URL does, so this is `/secret.txt`, not a file of www/, and left to the caller
    const raw = (path: string) => new Promise<number>((resolve, reject) => get(base + path, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject));
    expect(await raw('/static/../../secret.txt')).toBe(418);
    expect(await raw('/static/%2e%2e/%2e%2e/secret.txt')).toBe(418);
    // an encoded slash is decoded after that: refused
    for (const p of ['/static/..%2f..%2fsecret.txt', '/static/%00', '/static/']) {
      expect([p, (await fetch(base + p)).status]).toEqual([p, 404]);
    }
    expect((await fetch(base + '/static/%E0%A4%A')).status).toBe(400);
    expect((await fetch(base + '/other')).status).toBe(418);
  });
});
