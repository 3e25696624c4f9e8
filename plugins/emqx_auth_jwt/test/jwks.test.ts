// The JWKS cache against a real node:http server: kept keys on failure, reported reasons.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Jwks } from '../src/jwks';
import { ecPair, jwk } from './sign';

describe('Jwks', () => {
  const server = createServer((req, res) => {
    if (req.url === '/ok') res.end(JSON.stringify({ keys: [jwk(ecPair('P-256'), 'a'), jwk(ecPair('P-256'), 'b')] }));
    else if (req.url === '/500') res.writeHead(500).end('{"keys":[]}');
    else res.end('not json');
  });
  let base = '';
  const errors: string[] = [];
  const logger = { debug: () => undefined, info: () => undefined, warning: () => undefined, error: () => undefined };
  const make = (path: string, url = base): Jwks =>
    new Jwks({ url: url + path, intervalMs: 60_000, timeoutMs: 2000, signal: new AbortController().signal, logger, backendError: (_k, r) => void errors.push(r) });

  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => void errors.splice(0));

  test('a good fetch sets the keys by kid', async () => {
    const j = make('/ok');
    expect(await j.refresh()).toBe(true);
    expect([...j.keys!.keys()]).toEqual(['a', 'b']);
    expect(errors).toEqual([]);
  });

  test('a failed fetch keeps the last good keys and says why', async () => {
    const j = make('/ok');
    await j.refresh();
    const kept = j.keys;
    (j as unknown as { where: string }).where = `${base}/500`;
    expect(await j.refresh()).toBe(false);
    (j as unknown as { where: string }).where = `${base}/garbage`;
    expect(await j.refresh()).toBe(false);
    expect(j.keys).toBe(kept);
    expect(errors[0]).toMatch(/HTTP status 500; keeping the 2 key id\(s\)/);
    expect(errors[1]).toMatch(/not JSON/);
  });

  test('user:password in the URL goes as Basic authorization', async () => {
    let auth: string | undefined;
    const s = createServer((req, res) => {
      auth = req.headers.authorization;
      res.end('{"keys":[]}');
    }).listen(0, '127.0.0.1');
    await once(s, 'listening');
    const j = make('/jwks', `http://us%40er:p%3Ass@127.0.0.1:${(s.address() as AddressInfo).port}`);
    expect(await j.refresh()).toBe(true);
    await new Promise((r) => s.close(r));
    expect(auth).toBe(`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
  });

  test('not an http(s) URL is refused at start', () => {
    expect(() => make('', 'file:///etc/passwd')).toThrow(/not http/);
    expect(() => make('', 'nope')).toThrow(/not a URL/);
  });

  test('unreachable before any fetch: no keys; the URL is shown without its password', async () => {
    const dead = createServer().listen(0, '127.0.0.1');
    await once(dead, 'listening');
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const j = make('/jwks', `http://user:s3cret@127.0.0.1:${port}`);
    expect(await j.refresh()).toBe(false);
    expect(j.keys).toBeUndefined();
    expect(errors[0]).toMatch(/ECONNREFUSED/);
    expect(errors[0]).toMatch(/no JWKS keys yet/);
    expect(errors[0]).not.toMatch(/s3cret/);
  });
});
