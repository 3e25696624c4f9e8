// The pool on its own against a local node:http server: every call gets its own answer,
// deadlines, retries and close.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type PoolOptions } from '../src/client';
import { requestSpec } from '../src/options';

let server: http.Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const delay = Number(new URL(req.url!, 'http://x').searchParams.get('delay') ?? 0);
    setTimeout(() => res.writeHead(200).end(req.url), delay);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const opts: PoolOptions = { poolSize: 3, timeout: 500, connectTimeout: 500, retry: { times: 0, interval: 0, backoff: 2 }, ssl: { verify: false } };
const pool = (o: Partial<PoolOptions> = {}) =>
  new Pool(requestSpec({ 'auth.http.auth_req.url': `http://127.0.0.1:${port}/a`, 'auth.http.auth_req.method': 'get', 'auth.http.auth_req.params': '' }, 'auth_req')!, { ...opts, ...o });
const get = (path: string) => ({ path, headers: {}, body: undefined });

test('50 concurrent calls each get their own answer over at most pool_size connections', async () => {
  const p = pool();
  connections = 0;
  const paths = Array.from({ length: 50 }, (_, i) => `/a?n=${i}&delay=${i % 5}`);
  const out = await Promise.all(paths.map((x) => p.send(get(x))));
  expect(out).toEqual(paths.map((x) => ({ ok: true, status: 200, body: x })));
  expect(connections).toBeLessThanOrEqual(3);
  p.close();
});

test('a slow answer misses the deadline; the next call works', async () => {
  const p = pool({ timeout: 100 });
  const t0 = Date.now();
  expect(await p.send(get('/a?delay=1000'))).toEqual({ ok: false, error: 'timeout (100ms)' });
  expect(Date.now() - t0).toBeLessThan(900);
  expect(await p.send(get('/a?x=1'))).toEqual({ ok: true, status: 200, body: '/a?x=1' });
  p.close();
});

test('connection refused is retried retry_times times with the backoff, then reported', async () => {
  const dead = http.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise((r) => dead.close(r));
  const p = new Pool(requestSpec({ 'auth.http.auth_req.url': `http://127.0.0.1:${deadPort}/a`, 'auth.http.auth_req.method': 'get' }, 'auth_req')!, { ...opts, retry: { times: 2, interval: 50, backoff: 2 } });
  const t0 = Date.now();
  const o = await p.send(get('/a'));
  expect(o.ok).toBe(false);
  expect((o as { error: string }).error).toMatch(/ECONNREFUSED/);
  // 50ms + 100ms of waiting between the three attempts
  expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  p.close();
});

test('a closed pool fails calls instead of opening connections', async () => {
  const p = pool();
  p.close();
  connections = 0;
  expect(await p.send(get('/a'))).toEqual({ ok: false, error: 'the plugin is stopping' });
  expect(connections).toBe(0);
});
