// emqx_dashboard's server: login, users, password change, admins ctl, 401s, routes from the
// shared table, port 0, the default-password hint.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basic, call, startDash, type DashNode } from './helpers';

const ADMIN = basic('admin', 'public');
let d: DashNode;

afterEach(async () => {
  await d?.stop();
});

test('port 0 binds a free port and logs it; the default password is warned about and hinted', async () => {
  d = await startDash();
  expect(d.port()).toBeGreaterThan(0);
  expect(d.log.join('')).toMatch(/\[warning\] \[emqx_dashboard\] Start http:dashboard listener on 127\.0\.0\.1:\d+ successfully/);
  expect(d.log.join('')).toContain("Using the default password for dashboard user 'admin'");
  const auth = await call(d.base, 'POST', '/api/v4/auth', { body: { username: 'admin', password: 'public' } });
  expect(auth.json).toEqual({ code: 0, default_password: true });
  const users = await call(d.base, 'GET', '/api/v4/users', { auth: ADMIN });
  expect(users.json).toEqual({ code: 0, data: [{ username: 'admin', tags: 'administrator' }], default_password: true });
});

test('POST /auth: 0 for a good password, 103 for a bad one, 104 for none; no credentials needed', async () => {
  d = await startDash();
  expect((await call(d.base, 'POST', '/api/v4/auth', { body: { username: 'admin', password: 'nope' } })).json).toEqual({ code: 103, message: 'Username/Password error' });
  expect((await call(d.base, 'POST', '/api/v4/auth', { body: { username: 'ghost', password: 'public' } })).json.code).toBe(103);
  expect((await call(d.base, 'POST', '/api/v4/auth', { body: { username: 'admin' } })).json.code).toBe(104);
  expect((await call(d.base, 'POST', '/api/v4/auth', { body: '{not json' })).json.code).toBe(109);
  expect(d.log.join('')).toContain('dashboard login failed for "admin"');
});

test('every other route needs a dashboard user: 401 without or with bad credentials', async () => {
  d = await startDash();
  for (const [method, path] of [['GET', '/api/v4/users'], ['GET', '/api/v4/'], ['DELETE', '/api/v4/users/x'], ['PUT', '/api/v4/change_pwd/admin']]) {
    const r = await call(d.base, method!, path!);
    expect([path, r.status, r.text]).toEqual([path, 401, 'UNAUTHORIZED']);
    expect(r.headers.get('www-authenticate')).toBe('Basic Realm="minirest-server"');
    expect((await call(d.base, method!, path!, { auth: basic('admin', 'wrong') })).status).toBe(401);
  }
  expect((await call(d.base, 'GET', '/api/v4/nothing-here', { auth: ADMIN })).text).toBe('Not found.');
  const list = await call(d.base, 'GET', '/api/v4/', { auth: ADMIN });
  expect(list.json.data.map((r: { name: string }) => r.name).sort()).toEqual(['auth_user', 'change_pwd', 'create_user', 'delete_user', 'list_users', 'update_user']);
});

test('users CRUD with EMQX codes; admin cannot be deleted; users are kept in dashboard_users.json', async () => {
  d = await startDash();
  const post = (body: unknown) => call(d.base, 'POST', '/api/v4/users', { auth: ADMIN, body });
  expect((await post({ username: 'ann', password: 'pw1', tags: 'viewer' })).json).toEqual({ code: 0 });
  expect((await post({ username: 'ann', password: 'pw2' })).json).toEqual({ code: 113, message: 'Username Already Exist' });
  expect((await post({ username: 'bob' })).json.code).toBe(104);
  expect((await post({ username: 'bad name', password: 'x' })).json.code).toBe(108);
  expect((await call(d.base, 'GET', '/api/v4/users', { auth: basic('ann', 'pw1') })).json.data).toEqual([
    { username: 'admin', tags: 'administrator' },
    { username: 'ann', tags: 'viewer' },
  ]);
  expect((await call(d.base, 'PUT', '/api/v4/users/ann', { auth: ADMIN, body: { tags: 'ops' } })).json).toEqual({ code: 0 });
  expect((await call(d.base, 'PUT', '/api/v4/users/nobody', { auth: ADMIN, body: { tags: 'x' } })).json).toEqual({ code: 105, message: 'Username Not Found' });
  expect((await call(d.base, 'DELETE', '/api/v4/users/admin', { auth: ADMIN })).json).toEqual({ code: 106, message: 'Cannot delete admin' });
  const file = JSON.parse(readFileSync(join(d.dir, 'dashboard_users.json'), 'utf8'));
  expect(file.users.map((u: { username: string; tags: string }) => [u.username, u.tags])).toEqual([['admin', 'administrator'], ['ann', 'ops']]);
  // only salted hashes on disk
  expect(JSON.stringify(file)).not.toContain('pw1');
  expect(file.users[1].hash).toMatch(/^[0-9a-f]{64}$/);
  expect((await call(d.base, 'DELETE', '/api/v4/users/ann', { auth: ADMIN })).json).toEqual({ code: 0 });
  expect((await call(d.base, 'DELETE', '/api/v4/users/ann', { auth: ADMIN })).json.code).toBe(105);
  expect((await call(d.base, 'GET', '/api/v4/users', { auth: basic('ann', 'pw1') })).status).toBe(401);
});

test('PUT /change_pwd: 114 for a wrong old password; the new one works, the hint goes, and it survives a restart', async () => {
  d = await startDash();
  const dir = d.dir;
  const change = (old_pwd: string, new_pwd: string) => call(d.base, 'PUT', '/api/v4/change_pwd/admin', { auth: ADMIN, body: { old_pwd, new_pwd } });
  expect((await change('wrong', 'secret')).json).toEqual({ code: 114, message: 'Username/Password error' });
  expect((await change('public', 'secret')).json).toEqual({ code: 0 });
  expect((await call(d.base, 'GET', '/api/v4/users', { auth: ADMIN })).status).toBe(401);
  const users = await call(d.base, 'GET', '/api/v4/users', { auth: basic('admin', 'secret') });
  expect(users.json.default_password).toBeUndefined();
  expect((await call(d.base, 'PUT', '/api/v4/change_pwd/ghost', { auth: basic('admin', 'secret'), body: { old_pwd: 'a', new_pwd: 'b' } })).json.code).toBe(105);
  // a restart on the same data dir keeps the new password (the conf only seeds a missing user)
  await d.node.stop();
  d = await startDash(undefined, dir);
  expect((await call(d.base, 'POST', '/api/v4/auth', { body: { username: 'admin', password: 'secret' } })).json).toEqual({ code: 0 });
  expect(d.log.join('')).not.toContain('Using the default password');
});

test('emqx_ctl admins add|passwd|del print EMQX 4.3 strings', async () => {
  d = await startDash();
  const ctl = async (...args: string[]) => (await d.node.ctl.run(['admins', ...args])).output;
  expect(await ctl('add', 'ops', 'pw', 'operators')).toBe('ok\n');
  expect(await ctl('add', 'ops', 'pw', 'operators')).toBe('Error: <<"Username Already Exist">>\n');
  expect((await call(d.base, 'POST', '/api/v4/auth', { body: { username: 'ops', password: 'pw' } })).json.code).toBe(0);
  expect(await ctl('passwd', 'ops', 'pw2')).toBe('ok\n');
  expect(await ctl('passwd', 'ghost', 'pw2')).toBe('{error,<<"Username Not Found">>}\n');
  expect((await call(d.base, 'POST', '/api/v4/auth', { body: { username: 'ops', password: 'pw2' } })).json.code).toBe(0);
  expect(await ctl('del', 'ops')).toBe('ok\n');
  expect(await ctl('del', 'ops')).toBe('{error,<<"Username Not Found">>}\n');
  const usage = await ctl('what');
  expect(usage).toContain('admins add <Username> <Password> <Tags>');
  expect(usage).toContain('admins passwd <Username> <Password>');
  expect(usage).toContain('admins del <Username>');
});

test('routes other plugins add appear on the dashboard listener; unloading takes the dashboard down', async () => {
  d = await startDash();
  const p = d.port();
  // the retainer adds no routes; the node's table is shared, so add one as a plugin would
  d.node.apiRoutes.add('test', { name: 'probe', method: 'GET', path: '/probe/:x', descr: 'probe' }, (req) => ({ code: 0, data: { x: req.params.x, user: req.user, via: req.listener } }));
  expect((await call(d.base, 'GET', '/api/v4/probe/a%2Fb', { auth: ADMIN })).json).toEqual({ code: 0, data: { x: 'a/b', user: 'admin', via: 'dashboard' } });
  d.node.apiRoutes.add('test', { name: 'mgmt_only', method: 'GET', path: '/only-mgmt', descr: '', listener: 'management' }, () => ({ code: 0 }));
  expect((await call(d.base, 'GET', '/api/v4/only-mgmt', { auth: ADMIN })).status).toBe(404);
  await d.node.plugins!.unload('emqx_dashboard');
  await expect(fetch(`http://127.0.0.1:${p}/`)).rejects.toThrow();
  expect(d.node.apiRoutes.list('dashboard').map((r) => r.name)).toEqual(['probe']);
  expect((await d.node.ctl.run(['admins', 'add', 'x', 'y'])).output).not.toBe('ok\n');
});

test('a taken port or a bad listener value fails the plugin start with a clear error', async () => {
  d = await startDash();
  const taken = d.port();
  const other = await startDash(`dashboard.listener.http = 127.0.0.1:${taken}\n`).catch((e: Error) => e);
  expect(other).toBeInstanceOf(Error);
  expect((other as Error).message).toMatch(/cannot start the http:dashboard listener on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  const bad = await startDash('dashboard.listener.http = nope:nope:1\n').catch((e: Error) => e);
  expect((bad as Error).message).toContain('dashboard.listener.http = nope:nope:1: expected a port, ip:port or [ipv6]:port');
});

test('/ serves the built app and /static its bundle with content types and cache headers', async () => {
  d = await startDash();
  const www = join(__dirname, '../www');
  expect(existsSync(join(www, 'index.html'))).toBe(true); // built by `npm run setup` (build:ui)
  const index = await fetch(d.base + '/');
  expect(index.status).toBe(200);
  expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(index.headers.get('cache-control')).toBe('no-cache');
  const html = await index.text();
  const js = /src="(\/static\/[^"]+\.js)"/.exec(html)?.[1];
  const css = /href="(\/static\/[^"]+\.css)"/.exec(html)?.[1];
  expect(js && css).toBeTruthy();
  const r = await fetch(d.base + js!);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  // fetch asks for gzip: the precompressed copy is sent
  expect(r.headers.get('content-encoding')).toBe('gzip');
  expect(await r.text()).toContain('/api/v4');
  const etag = r.headers.get('etag')!;
  expect((await fetch(d.base + js!, { headers: { 'if-none-match': etag } })).status).toBe(304);
  expect((await fetch(d.base + css!)).headers.get('content-type')).toBe('text/css; charset=utf-8');
  expect((await fetch(d.base + '/static/nope.js')).status).toBe(404);
  expect((await fetch(d.base + '/static/..%2F..%2Fpackage.json')).status).toBe(404);
  expect((await fetch(d.base + '/static/%2e%2e/%2e%2e/package.json')).status).toBe(404);
  expect((await fetch(d.base + '/static/x.js', { method: 'POST' })).status).toBe(405);
  expect((await fetch(d.base + '/elsewhere')).status).toBe(404);
});

test('dashboard.listener.https serves the same app and API over TLS', async () => {
  const certs = join(__dirname, '../../../etc/certs');
  d = await startDash([
    'dashboard.listener.http = 127.0.0.1:0',
    'dashboard.listener.https = 127.0.0.1:0',
    `dashboard.listener.https.certfile = ${join(certs, 'cert.pem')}`,
    `dashboard.listener.https.keyfile = ${join(certs, 'key.pem')}`,
    '',
  ].join('\n'));
  const m = /Start https:dashboard listener on 127\.0\.0\.1:(\d+) successfully/.exec(d.log.join(''));
  expect(m).not.toBeNull();
  const body = await new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(m![1]), path: '/api/v4/auth', method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve(s));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ username: 'admin', password: 'public' }));
  });
  expect(JSON.parse(body)).toEqual({ code: 0, default_password: true });
});

test('https without certfile/keyfile fails the start with a clear error', async () => {
  const err = await startDash('dashboard.listener.http = 127.0.0.1:0\ndashboard.listener.https = 127.0.0.1:0\n').catch((e: Error) => e);
  expect((err as Error).message).toContain('dashboard.listener.https needs dashboard.listener.https.certfile and .keyfile');
});

test('a broken dashboard_users.json is kept aside and the default user comes back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nemq-dash-'));
  writeFileSync(join(dir, 'dashboard_users.json'), '{broken');
  d = await startDash(undefined, dir);
  expect(d.log.join('')).toContain('dashboard_users.json is not valid JSON');
  expect(existsSync(join(dir, 'dashboard_users.json.bad'))).toBe(true);
  expect((await call(d.base, 'POST', '/api/v4/auth', { body: { username: 'admin', password: 'public' } })).json.code).toBe(0);
});
