// emqx_auth_http end to end: the shared auth conformance kit and the HTTP specifics, against a
// real node:http(s) server started here (test/server.ts) and two real brokers loading the plugin
// from plugins/emqx_auth_http/dist (build first), driven by real mqtt.js clients.
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { KIT_USERS, runAuthKit, suback, type KitHandle } from '../../../test/authkit';
import { AuthServer, makeCerts } from './server';

jest.setTimeout(60_000);

const srv = new AuthServer();
const alice = KIT_USERS[0]!;
const aliceLogin = { username: alice.username, password: alice.password, clientId: alice.clientid! };
const base = (port: number) => `http://127.0.0.1:${port}`;

const metric = (kit: KitHandle, name: string): number => kit.strict().node.metrics.snapshot()[name] ?? 0;

/** a port nothing listens on */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

runAuthKit({
  plugin: 'emqx_auth_http',
  title: 'HTTP (node:http server)',
  hashes: [],
  acl: 'rules',
  placeholders: true,
  superuser: true,
  async setup() {
    await srv.listen(0);
  },
  async teardown() {
    await srv.close();
  },
  conf: () => ({
    'auth.http.auth_req.url': `${base(srv.port)}/mqtt/auth`,
    'auth.http.auth_req.method': 'post',
    'auth.http.auth_req.headers.content_type': 'application/x-www-form-urlencoded',
    'auth.http.auth_req.params': 'clientid=%c,username=%u,password=%P',
    'auth.http.super_req.url': `${base(srv.port)}/mqtt/superuser`,
    'auth.http.super_req.method': 'post',
    'auth.http.super_req.headers.content-type': 'application/x-www-form-urlencoded',
    'auth.http.super_req.params': 'clientid=%c,username=%u',
    'auth.http.acl_req.url': `${base(srv.port)}/mqtt/acl`,
    'auth.http.acl_req.method': 'post',
    'auth.http.acl_req.headers.content-type': 'application/x-www-form-urlencoded',
    'auth.http.acl_req.params': 'access=%A,username=%u,clientid=%c,ipaddr=%a,topic=%t,mountpoint=%m',
    'auth.http.timeout': '2s',
    'auth.http.connect_timeout': '1s',
    'auth.http.pool_size': '4',
    'auth.http.request.retry_times': '1',
    'auth.http.request.retry_interval': '20ms',
  }),
  down: () => srv.close(),
  up: () => srv.listen(srv.port),
  extra(kit) {
    const { clients } = kit;
    const strictUrl = () => kit.strict().url;
    // a test's conf changes last until its end
    let changed = false;
    const configure = (over: Record<string, string | undefined>): Promise<void> => {
      changed = true;
      return kit.reconfigure(over);
    };
    beforeEach(() => srv.reset());
    afterEach(async () => {
      srv.force.clear();
      if (changed) await kit.reconfigure({});
      changed = false;
    });

    describe('what the server receives', () => {
      test('POST form: params in the body, content-type form, the configured headers', async () => {
        await configure({ 'auth.http.auth_req.headers.x_api_key': 'k-123', 'auth.http.auth_req.headers.Accept': '*/*' });
        srv.reset();
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0);
        const [r] = srv.to('/mqtt/auth');
        expect(r).toMatchObject({ method: 'POST', query: {}, params: { clientid: alice.clientid, username: 'alice', password: 'public' } });
        expect(r!.body).toBe('clientid=kit-alice&username=alice&password=public');
        expect(r!.headers['content-type']).toBe('application/x-www-form-urlencoded');
        expect(r!.headers['x-api-key']).toBe('k-123');
        expect(r!.headers.accept).toBe('*/*');
        expect(r!.headers['content-length']).toBe(String(r!.body.length));
      });

      test('GET: params in the query string, no body, no content-type', async () => {
        await configure({ 'auth.http.auth_req.method': 'get', 'auth.http.auth_req.url': `${base(srv.port)}/mqtt/auth?src=nemq` });
        srv.reset();
        expect(await clients.code(strictUrl(), { protocolVersion: 4, ...aliceLogin })).toBe(0);
        expect(await clients.code(strictUrl(), { protocolVersion: 4, ...aliceLogin, password: 'nope' })).toBe(5);
        const [r] = srv.to('/mqtt/auth');
        expect(r).toMatchObject({ method: 'GET', body: '', query: { src: 'nemq', clientid: alice.clientid, username: 'alice', password: 'public' } });
        expect(r!.headers['content-type']).toBeUndefined();
      });

      test('POST JSON: params as a JSON object', async () => {
        await configure({ 'auth.http.auth_req.headers.content_type': 'application/json', 'auth.http.auth_req.params': 'u=%u,c=%c,p=%P,ip=%a,port=%p,proto=%r,fixed=x' });
        srv.reset();
        // the fixture logic reads username/password; these keys are renamed, so the answer is forced
        srv.force.set('/mqtt/auth', { status: 200, body: 'ok' });
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0);
        const [r] = srv.to('/mqtt/auth');
        expect(r!.headers['content-type']).toBe('application/json');
        expect(JSON.parse(r!.body)).toEqual({ u: 'alice', c: alice.clientid, p: 'public', ip: '127.0.0.1', port: String(kit.strict().node.listeners[0]!.port), proto: 'mqtt', fixed: 'x' });
      });

      test('ACL: access 1 / 2, topic, client; GET ACL in the query string', async () => {
        await configure({ 'auth.http.acl_req.method': 'get' });
        const c = await clients.connected(strictUrl(), { protocolVersion: 5, ...aliceLogin });
        srv.reset();
        expect(await suback(c, 'news/x y')).toBe(1);
        await new Promise<void>((r) => c.publish('open/a', 'p', { qos: 1 }, () => r()));
        const acl = srv.to('/mqtt/acl');
        expect(acl.map((r) => [r.method, r.query.access, r.query.topic])).toEqual([['GET', '1', 'news/x y'], ['GET', '2', 'open/a']]);
        expect(acl[0]!.query).toMatchObject({ username: 'alice', clientid: alice.clientid, ipaddr: '127.0.0.1', mountpoint: 'undefined' });
      });

      test('a JSON body with a mountpoint sets the client mountpoint', async () => {
        const root = KIT_USERS[1]!;
        const watcher = await clients.connected(strictUrl(), { protocolVersion: 5, username: root.username, password: root.password });
        expect(await suback(watcher, 'tenant1/#')).toBe(1);
        const seen = new Promise<string>((resolve) => watcher.once('message', (topic: string) => resolve(topic)));
        srv.force.set('/mqtt/auth', { status: 200, body: '{"mountpoint":"tenant1/"}' });
        const c = await clients.connected(strictUrl(), { protocolVersion: 5, ...aliceLogin });
        await new Promise<void>((r) => c.publish('both/m', 'x', { qos: 1 }, () => r()));
        expect(await seen).toBe('tenant1/both/m');
      });
    });

    describe('status codes', () => {
      // [status, body, v3.1.1 CONNACK, v5 CONNACK, counted as a backend error]
      test.each(([
        [200, 'ok', 0, 0, false],
        [400, '', 4, 0x86, false],
        [401, '', 4, 0x86, false],
        [403, '', 5, 0x87, false],
        [429, '', 5, 0x8a, false],
        [503, '', 3, 0x88, true],
        [504, '', 3, 0x89, true],
        [500, '', 5, 0x87, true],
        [404, '', 5, 0x87, true],
      ] as const).map(([s, b, v3, v5, be]) => [s, b, v3, `0x${v5.toString(16)}`, be ? 'a backend error' : 'not a backend error', v5, be] as const))(
        'auth_req answers %d %j → v3.1.1 %d, v5 %s, %s', async (status, body, v3, _label, _be, v5, backend) => {
        srv.force.set('/mqtt/auth', { status, body });
        const before = metric(kit, 'client.auth.backend_error');
        expect(await clients.code(strictUrl(), { protocolVersion: 4, ...aliceLogin })).toBe(v3);
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(v5);
        // refusals never fall through to allow_anonymous
        expect(await clients.code(kit.open().url, { protocolVersion: 5, ...aliceLogin })).toBe(v5);
        expect(metric(kit, 'client.auth.backend_error') - before).toBe(backend ? 2 : 0);
      });

      test('200 ignore → the next backend / allow_anonymous decides', async () => {
        srv.force.set('/mqtt/auth', { status: 200, body: 'ignore' });
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0x87);
        expect(await clients.code(strictUrl(), { protocolVersion: 4, ...aliceLogin })).toBe(5);
        expect(await clients.code(kit.open().url, { protocolVersion: 5, ...aliceLogin })).toBe(0);
      });

      test('connection refused → 0x87 / 5, counted', async () => {
        const port = await deadPort();
        await configure({ 'auth.http.auth_req.url': `${base(port)}/mqtt/auth` });
        const before = metric(kit, 'client.auth.backend_error');
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0x87);
        expect(await clients.code(strictUrl(), { protocolVersion: 4, ...aliceLogin })).toBe(5);
        expect(await clients.code(kit.open().url, { protocolVersion: 5, ...aliceLogin })).toBe(0x87);
        expect(metric(kit, 'client.auth.backend_error') - before).toBe(2);
      });

      test('timeout → 0x87 / 5 within auth.http.timeout, counted', async () => {
        await configure({ 'auth.http.timeout': '300ms' });
        srv.force.set('/mqtt/auth', { status: 200, body: 'ok', delay: 5_000 });
        const before = metric(kit, 'client.auth.backend_error');
        const t0 = Date.now();
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0x87);
        expect(Date.now() - t0).toBeLessThan(2_000);
        expect(metric(kit, 'client.auth.backend_error') - before).toBe(1);
        // timeouts are not retried
        expect(srv.to('/mqtt/auth')).toHaveLength(1);
      });

      test('a connection dropped without an answer is retried (retry_times); with 0 retries it is a backend error', async () => {
        srv.force.set('/mqtt/auth', { status: 200, body: 'ok', reset: 1 });
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0);
        expect(srv.to('/mqtt/auth')).toHaveLength(2);
        await configure({ 'auth.http.request.retry_times': '0' });
        srv.reset();
        srv.force.set('/mqtt/auth', { status: 200, body: 'ok', reset: 1 });
        const before = metric(kit, 'client.auth.backend_error');
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0x87);
        expect(metric(kit, 'client.auth.backend_error') - before).toBe(1);
        expect(srv.to('/mqtt/auth')).toHaveLength(1);
      });

      test('connect_timeout: a server that accepts TCP but never finishes the TLS handshake', async () => {
        const mute = createServer(() => undefined);
        await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
        try {
          await configure({ 'auth.http.auth_req.url': `https://127.0.0.1:${(mute.address() as AddressInfo).port}/mqtt/auth`, 'auth.http.connect_timeout': '300ms', 'auth.http.timeout': '10s' });
          const before = metric(kit, 'client.auth.backend_error');
          const t0 = Date.now();
          expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0x87);
          expect(Date.now() - t0).toBeLessThan(3_000);
          expect(metric(kit, 'client.auth.backend_error') - before).toBe(1);
        } finally {
          mute.close();
        }
      });

      test('an answer body over 64 KiB is garbage: refused and counted', async () => {
        srv.force.set('/mqtt/auth', { status: 200, body: 'x'.repeat(100_000) });
        const before = metric(kit, 'client.auth.backend_error');
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0x87);
        expect(metric(kit, 'client.auth.backend_error') - before).toBe(1);
      });

      test('ACL: 200 allow, 200 ignore → acl_nomatch, 403 / 503 deny, timeout → no opinion + counted', async () => {
        await configure({ 'auth.http.timeout': '300ms' });
        const c = await clients.connected(strictUrl(), { protocolVersion: 5, ...aliceLogin });
        const acl = (status: number, body = '', delay = 0) => srv.force.set('/mqtt/acl', { status, body, delay });
        acl(200);
        expect(await suback(c, 'secret/a')).toBe(1);
        acl(200, 'ignore');
        expect(await suback(c, 'secret/b')).toBe(1);
        acl(403);
        expect(await suback(c, 'news/c')).toBe(0x87);
        const before = metric(kit, 'client.acl.backend_error');
        acl(503);
        expect(await suback(c, 'news/d')).toBe(0x87);
        acl(200, '', 5_000);
        expect(await suback(c, 'secret/e')).toBe(1);
        expect(metric(kit, 'client.acl.backend_error') - before).toBe(2);
      });

      test('a $ username is not asked about ACL', async () => {
        srv.force.set('/mqtt/auth', { status: 200, body: 'ok' });
        const c = await clients.connected(strictUrl(), { protocolVersion: 5, username: '$sys-user', password: 'x' });
        srv.reset();
        expect(await suback(c, 'secret/plans')).toBe(1);
        expect(srv.to('/mqtt/acl')).toHaveLength(0);
      });
    });

    describe('connections', () => {
      test('keep-alive: many requests over few connections (at most pool_size per request kind)', async () => {
        await configure({ 'auth.http.pool_size': '2' });
        srv.reset();
        for (let i = 0; i < 6; i++) expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0);
        await Promise.all(Array.from({ length: 8 }, () => clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })));
        expect(srv.to('/mqtt/auth')).toHaveLength(14);
        // one pool for auth_req and one for super_req, two connections each at most
        expect(srv.sockets).toBeGreaterThan(0);
        expect(srv.sockets).toBeLessThanOrEqual(4);
      });

      test('unload closes the pools (the server sees its connections end)', async () => {
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0);
        const open = (srv as unknown as { open: Set<unknown> }).open;
        expect(open.size).toBeGreaterThan(0);
        await kit.strict().node.plugins!.unload('emqx_auth_http');
        await kit.open().node.plugins!.unload('emqx_auth_http');
        try {
          for (let i = 0; i < 100 && open.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
          expect(open.size).toBe(0);
        } finally {
          await kit.strict().node.plugins!.load('emqx_auth_http');
          await kit.open().node.plugins!.load('emqx_auth_http');
        }
      });
    });

    describe('TLS', () => {
      const certs = makeCerts();
      const tls = new AuthServer({ key: certs.key, cert: certs.cert });
      beforeAll(() => tls.listen(0));
      afterAll(async () => {
        await tls.close();
        rmSync(certs.dir, { recursive: true, force: true });
      });
      const over = (ca: string, extra: Record<string, string> = {}) => ({
        'auth.http.auth_req.url': `https://127.0.0.1:${tls.port}/mqtt/auth`,
        'auth.http.ssl.cacertfile': ca,
        'auth.http.ssl.verify': 'true',
        ...extra,
      });

      test('https with the test CA and verify = true: logged in over TLS', async () => {
        await configure(over(certs.ca));
        tls.reset();
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0);
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin, password: 'bad' })).toBe(0x87);
        expect(tls.to('/mqtt/auth')).toHaveLength(2);
        expect(tls.sockets).toBe(1);
      });

      test('server_name_indication = localhost matches the certificate; a wrong name is refused', async () => {
        await configure(over(certs.ca, { 'auth.http.ssl.server_name_indication': 'localhost' }));
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0);
        await configure(over(certs.ca, { 'auth.http.ssl.server_name_indication': 'other.example' }));
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0x87);
        await configure(over(certs.ca, { 'auth.http.ssl.server_name_indication': 'disable' }));
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0);
      });

      test('a server that asks for a client certificate: certfile/keyfile sent; without them refused', async () => {
        const mtls = new AuthServer({ key: certs.key, cert: certs.cert, ca: readFileSync(certs.ca), requestCert: true, rejectUnauthorized: true });
        await mtls.listen(0);
        try {
          const url = `https://127.0.0.1:${mtls.port}/mqtt/auth`;
          await configure({ ...over(certs.ca), 'auth.http.auth_req.url': url, 'auth.http.ssl.certfile': certs.clientCert, 'auth.http.ssl.keyfile': certs.clientKey });
          expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0);
          expect(mtls.to('/mqtt/auth')).toHaveLength(1);
          await configure({ ...over(certs.ca), 'auth.http.auth_req.url': url });
          expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0x87);
          expect(mtls.to('/mqtt/auth')).toHaveLength(1);
        } finally {
          await mtls.close();
        }
      });

      test('a wrong CA is refused (0x87, counted, nothing reaches the server); verify = false lets it through', async () => {
        await configure(over(certs.otherCa));
        tls.reset();
        const before = metric(kit, 'client.auth.backend_error');
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0x87);
        expect(metric(kit, 'client.auth.backend_error') - before).toBe(1);
        expect(tls.to('/mqtt/auth')).toHaveLength(0);
        await configure(over(certs.otherCa, { 'auth.http.ssl.verify': 'false' }));
        expect(await clients.code(strictUrl(), { protocolVersion: 5, ...aliceLogin })).toBe(0);
      });
    });
  },
});
