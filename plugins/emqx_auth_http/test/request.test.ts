// Pure parts: conf → request settings, request building, answer mapping.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { schema } from '../src/index';
import { httpOptions, normaliseHeaders, parseParams, parsePipelining, requestSpec } from '../src/options';
import { buildRequest, formEncode } from '../src/request';
import { aclVerdict, authVerdict, bodyMountpoint, superVerdict } from '../src/status';

const ci = {
  clientid: 'c 1',
  username: 'al&ce',
  password: Buffer.from('p=w+d'),
  peerhost: '::ffff:10.1.2.3',
  sockport: 1883,
  protocol: 'mqtt',
  mountpoint: 'mp/',
  cn: 'CN1',
  dn: 'CN=CN1,O=x',
};

const conf = (over: Record<string, string | number | boolean | undefined>) => ({
  'auth.http.auth_req.url': 'http://127.0.0.1:8991/mqtt/auth',
  'auth.http.auth_req.method': 'post',
  'auth.http.auth_req.headers.content_type': 'application/x-www-form-urlencoded',
  ...over,
});

describe('the shipped conf file', () => {
  test('parses against the schema with EMQX defaults', () => {
    const text = readFileSync(join(__dirname, '../etc/emqx_auth_http.conf'), 'utf8');
    const { values, problems } = readPluginConf(text, 'emqx_auth_http.conf', schema);
    expect(problems).toEqual([]);
    const o = httpOptions(values);
    expect(o.timeout).toBe(5000);
    expect(o.connectTimeout).toBe(5000);
    expect(o.poolSize).toBe(32);
    expect(o.pipelining).toBe(100);
    expect(o.retry).toEqual({ times: 2, interval: 0, backoff: 2 });
    expect(o.super).toBeUndefined();
    expect(o.auth).toMatchObject({ host: '127.0.0.1', port: 80, path: '/mqtt/auth', method: 'post', encoding: 'form', tls: false });
    expect(o.auth!.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded' });
    expect(o.acl!.params.map((p) => p.key)).toEqual(['access', 'username', 'clientid', 'ipaddr', 'topic', 'mountpoint']);
    expect(readFileSync(join(__dirname, '../../../etc/plugins/emqx_auth_http.conf'), 'utf8')).toBe(text);
  });
});

describe('options', () => {
  test('params: whole placeholders, templates and literal text; empty pieces skipped', () => {
    expect(parseParams('a=%u,,b=x%cy,c=lit,d=,e=%Z')).toEqual([
      { key: 'a', kind: 'var', var: '%u' },
      { key: 'b', kind: 'template', text: 'x%cy' },
      { key: 'c', kind: 'text', text: 'lit' },
      { key: 'd', kind: 'text', text: '' },
      { key: 'e', kind: 'text', text: '%Z' },
    ]);
  });
  test('headers: _ → -, lower case, the first of duplicates wins', () => {
    expect(normaliseHeaders([['Content_Type', 'a'], ['content-type', 'b'], ['X_Api_Key', 'k']])).toEqual({ 'content-type': 'a', 'x-api-key': 'k' });
  });
  test('enable_pipelining as EMQX translates it', () => {
    expect(parsePipelining('100')).toBe(100);
    expect(parsePipelining('true')).toBe(100);
    expect(parsePipelining('false')).toBe(1);
    expect(parsePipelining('8')).toBe(8);
    expect(parsePipelining(undefined)).toBe(100);
  });
  test('url: https default port, [ipv6], a URL without scheme, its own query kept', () => {
    expect(requestSpec(conf({ 'auth.http.auth_req.url': 'https://example.com/a' }), 'auth_req')).toMatchObject({ tls: true, port: 443, host: 'example.com', path: '/a' });
    expect(requestSpec(conf({ 'auth.http.auth_req.url': 'http://[::1]:81/a?x=1' }), 'auth_req')).toMatchObject({ host: '::1', port: 81, path: '/a?x=1' });
    expect(requestSpec(conf({ 'auth.http.auth_req.url': 'localhost:8080' }), 'auth_req')).toMatchObject({ host: 'localhost', port: 8080, path: '/' });
    expect(requestSpec(conf({ 'auth.http.auth_req.url': undefined }), 'auth_req')).toBeUndefined();
    expect(() => requestSpec(conf({ 'auth.http.auth_req.url': 'ftp://x/y' }), 'auth_req')).toThrow(/scheme/);
  });
  test('POST needs a form or JSON content-type (none: a form); GET drops content-type', () => {
    expect(() => requestSpec(conf({ 'auth.http.auth_req.headers.content_type': 'text/plain' }), 'auth_req')).toThrow(/content-type/);
    expect(requestSpec(conf({ 'auth.http.auth_req.headers.content_type': 'application/json; charset=utf-8' }), 'auth_req')!.encoding).toBe('json');
    const none = requestSpec(conf({ 'auth.http.auth_req.headers.content_type': undefined }), 'auth_req')!;
    expect(none.encoding).toBe('form');
    expect(none.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const get = requestSpec(conf({ 'auth.http.auth_req.method': 'get', 'auth.http.auth_req.headers.accept': '*/*' }), 'auth_req')!;
    expect(get.encoding).toBe('query');
    expect(get.headers).toEqual({ accept: '*/*' });
  });
  test('bad numbers are refused at start', () => {
    expect(() => httpOptions(conf({ 'auth.http.pool_size': 0 }))).toThrow(/pool_size/);
    expect(() => httpOptions(conf({ 'auth.http.request.retry_times': -1 }))).toThrow(/retry_times/);
    expect(() => httpOptions(conf({ 'auth.http.request.retry_backoff': 0.5 }))).toThrow(/retry_backoff/);
    expect(() => httpOptions(conf({ 'auth.http.timeout': 0 }))).toThrow(/timeout/);
  });
});

describe('request building', () => {
  const params = 'clientid=%c,username=%u,password=%P,ip=%a,port=%p,proto=%r,cn=%C,dn=%d,tag=u-%u,fixed=1';
  const expected = { clientid: 'c 1', username: 'al&ce', password: 'p=w+d', ip: '10.1.2.3', port: '1883', proto: 'mqtt', cn: 'CN1', dn: 'CN=CN1,O=x', tag: 'u-al&ce', fixed: '1' };

  test('GET: params in the query string, form-encoded after the URL\'s own query', () => {
    const spec = requestSpec(conf({ 'auth.http.auth_req.method': 'get', 'auth.http.auth_req.url': 'http://h/auth?k=v', 'auth.http.auth_req.params': params }), 'auth_req')!;
    const r = buildRequest(spec, ci);
    expect(r.body).toBeUndefined();
    expect(r.path.startsWith('/auth?k=v&')).toBe(true);
    expect(Object.fromEntries(new URLSearchParams(r.path.split('?')[1]!))).toEqual({ k: 'v', ...expected });
    expect(r.path).toContain('clientid=c+1&username=al%26ce&password=p%3Dw%2Bd');
  });
  test('POST form body', () => {
    const spec = requestSpec(conf({ 'auth.http.auth_req.params': params }), 'auth_req')!;
    const r = buildRequest(spec, ci);
    expect(r.path).toBe('/mqtt/auth');
    expect(Object.fromEntries(new URLSearchParams(r.body!))).toEqual(expected);
  });
  test('POST JSON body: string values', () => {
    const spec = requestSpec(conf({ 'auth.http.auth_req.headers.content_type': 'application/json', 'auth.http.auth_req.params': params }), 'auth_req')!;
    expect(JSON.parse(buildRequest(spec, ci).body!)).toEqual(expected);
  });
  test('ACL: %A %t %m; a missing value is sent as undefined (EMQX)', () => {
    const spec = requestSpec(conf({ 'auth.http.acl_req.url': 'http://h/acl' }), 'acl_req')!;
    const pub = Object.fromEntries(new URLSearchParams(buildRequest(spec, ci, { topic: 'a/b c', access: 'publish' }).body!));
    expect(pub).toEqual({ access: '2', username: 'al&ce', clientid: 'c 1', ipaddr: '10.1.2.3', topic: 'a/b c', mountpoint: 'mp/' });
    const sub = Object.fromEntries(new URLSearchParams(buildRequest(spec, { clientid: 'x', peerhost: '::1' }, { topic: 't', access: 'subscribe' }).body!));
    expect(sub).toEqual({ access: '1', username: 'undefined', clientid: 'x', ipaddr: '::1', topic: 't', mountpoint: 'undefined' });
  });
  test('missing values as EMQX writes them: undefined for username/password/mountpoint, null for CN/DN/topic/access', () => {
    const spec = requestSpec(conf({ 'auth.http.auth_req.params': 'u=%u,p=%P,m=%m,cn=%C,dn=%d,t=%t,a=%A,x=x-%C' }), 'auth_req')!;
    expect(Object.fromEntries(new URLSearchParams(buildRequest(spec, { clientid: 'c' }).body!))).toEqual({ u: 'undefined', p: 'undefined', m: 'undefined', cn: 'null', dn: 'null', t: 'null', a: 'null', x: 'x-undefined' });
  });
  test('client text is only ever a value: & = and newlines are encoded', () => {
    expect(formEncode(['u'], ['a&b=c\r\nX: y'])).toBe('u=a%26b%3Dc%0D%0AX%3A+y');
    expect(formEncode(['k'], ["!'()~*"])).toBe('k=%21%27%28%29%7E*');
  });
});

describe('answers', () => {
  const ok = (status: number, body = '') => ({ ok: true as const, status, body });
  test.each([
    [200, '', 'success'],
    [200, 'ignore', 'ignore'],
    [200, 'ignore\n', 'success'],
    [400, '', 'bad_username_or_password'],
    [401, '', 'bad_username_or_password'],
    [403, '', 'not_authorized'],
    [429, '', 'banned'],
    [503, '', 'server_unavailable'],
    [504, '', 'server_busy'],
    [404, '', 'http_backend_error'],
    [500, '', 'http_backend_error'],
    [204, '', 'http_backend_error'],
    [302, '', 'http_backend_error'],
  ])('auth: %d %j → %s', (status, body, want) => {
    const v = authVerdict(ok(status, body));
    expect(v.kind === 'refuse' ? v.result : v.kind).toBe(want);
    if (v.kind === 'refuse') expect(v.backend).toBe(status >= 500 || ![400, 401, 403, 429].includes(status));
  });
  test('auth: no answer → refused as a backend error', () => {
    expect(authVerdict({ ok: false, error: 'ECONNREFUSED' })).toEqual({ kind: 'refuse', result: 'http_backend_error', backend: true });
  });
  test('superuser: only 200', () => {
    expect(superVerdict(ok(200))).toBe(true);
    expect(superVerdict(ok(200, 'ignore'))).toBe(true);
    expect(superVerdict(ok(403))).toBe(false);
    expect(superVerdict({ ok: false, error: 'x' })).toBe(false);
  });
  test('ACL: 200 allow, ignore, other statuses deny, no answer no opinion', () => {
    expect(aclVerdict(ok(200))).toEqual({ result: 'allow', backend: false });
    expect(aclVerdict(ok(200, 'ignore'))).toEqual({ result: undefined, backend: false });
    expect(aclVerdict(ok(403))).toEqual({ result: 'deny', backend: false });
    expect(aclVerdict(ok(404))).toEqual({ result: 'deny', backend: false });
    expect(aclVerdict(ok(503))).toEqual({ result: 'deny', backend: true });
    expect(aclVerdict({ ok: false, error: 'timeout' })).toEqual({ result: undefined, backend: true });
  });
  test('mountpoint from a JSON object body', () => {
    expect(bodyMountpoint('{"mountpoint":"t/%c/"}', undefined)).toBe('t/%c/');
    expect(bodyMountpoint('{"x":1}', 'keep/')).toBe('keep/');
    expect(bodyMountpoint('{bad', undefined)).toBeUndefined();
    expect(bodyMountpoint('ok', undefined)).toBeUndefined();
    expect(bodyMountpoint('{"mountpoint":1}', undefined)).toBeUndefined();
  });
});
