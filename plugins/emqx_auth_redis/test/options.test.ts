import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { schema } from '../src/index';
import { clientSettings, DEFAULT_QUERY_TIMEOUT } from '../src/options';

describe('clientSettings', () => {
  test('defaults: single 127.0.0.1:6379, pool 8, database 0, query timeout 5 s, no TLS', () => {
    const s = clientSettings({});
    expect(s).toMatchObject({ type: 'single', servers: [{ host: '127.0.0.1', port: 6379 }], pool: 8, database: 0, queryTimeout: DEFAULT_QUERY_TIMEOUT, tls: undefined, password: undefined });
  });
  test('sentinel: a list of sentinels (default port 26379) and the master name', () => {
    const s = clientSettings({ 'auth.redis.type': 'sentinel', 'auth.redis.server': '10.0.0.1:26379, 10.0.0.2, [::1]:26380', 'auth.redis.sentinel': 'mymaster' });
    expect(s.servers).toEqual([{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26379 }, { host: '::1', port: 26380 }]);
    expect(s.sentinel).toBe('mymaster');
    expect(() => clientSettings({ 'auth.redis.type': 'sentinel', 'auth.redis.server': '10.0.0.1:26379' })).toThrow(/master name/);
  });
  test('cluster: seed nodes; single takes one server only', () => {
    expect(clientSettings({ 'auth.redis.type': 'cluster', 'auth.redis.server': 'a:7000,b:7001' }).servers).toHaveLength(2);
    expect(() => clientSettings({ 'auth.redis.server': 'a:1,b:2' })).toThrow(/type single takes one server/);
  });
  test('bad pool, database, type are refused', () => {
    expect(() => clientSettings({ 'auth.redis.pool': 0 })).toThrow(/pool/);
    expect(() => clientSettings({ 'auth.redis.database': -1 })).toThrow(/database/);
    expect(() => clientSettings({ 'auth.redis.type': 'ring' })).toThrow(/unknown type/);
  });
  test('query_timeout and password', () => {
    expect(clientSettings({ 'auth.redis.query_timeout': 1500, 'auth.redis.password': 'pw' })).toMatchObject({ queryTimeout: 1500, password: 'pw', username: undefined });
    expect(clientSettings({ 'auth.redis.username': 'u' }).username).toBe('u');
  });
  test('TLS: ssl.* files are read; the 4.0–4.2 keys are the fallback; verify and SNI', () => {
    const d = mkdtempSync(join(tmpdir(), 'redis-tls-'));
    for (const f of ['ca.pem', 'old-ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(d, f), f);
    const t = clientSettings({ 'auth.redis.ssl': true, 'auth.redis.ssl.cacertfile': join(d, 'ca.pem'), 'auth.redis.cafile': join(d, 'old-ca.pem'), 'auth.redis.certfile': join(d, 'cert.pem'), 'auth.redis.keyfile': join(d, 'key.pem'), 'auth.redis.ssl.verify': true }).tls!;
    expect(String(t.ca)).toBe('ca.pem');
    expect(String(t.cert)).toBe('cert.pem');
    expect(String(t.key)).toBe('key.pem');
    expect(t.rejectUnauthorized).toBe(true);
    expect(t.servername).toBeUndefined();
    expect(clientSettings({ 'auth.redis.ssl': true, 'auth.redis.ssl.server_name_indication': 'redis.example' }).tls!.servername).toBe('redis.example');
    expect(clientSettings({ 'auth.redis.ssl': true, 'auth.redis.ssl.server_name_indication': 'disable' }).tls!.checkServerIdentity).toBeDefined();
    expect(() => clientSettings({ 'auth.redis.ssl': true, 'auth.redis.ssl.cacertfile': join(d, 'missing.pem') })).toThrow(/missing.pem/);
    expect(clientSettings({ 'auth.redis.ssl': false, 'auth.redis.ssl.cacertfile': join(d, 'missing.pem') }).tls).toBeUndefined();
  });
});

describe('the shipped etc/emqx_auth_redis.conf', () => {
  test('reads without problems and gives the EMQX defaults', () => {
    const file = join(__dirname, '../etc/emqx_auth_redis.conf');
    const { values, problems } = readPluginConf(readFileSync(file, 'utf8'), file, schema);
    expect(problems).toEqual([]);
    expect(clientSettings(values)).toMatchObject({ type: 'single', servers: [{ host: '127.0.0.1', port: 6379 }], pool: 8, database: 0, tls: undefined });
    expect(values['auth.redis.auth_cmd']).toBe('HMGET mqtt_user:%u password');
    expect(values['auth.redis.super_cmd']).toBe('HGET mqtt_user:%u is_superuser');
    expect(values['auth.redis.acl_cmd']).toBe('HGETALL mqtt_acl:%u');
    expect(values['auth.redis.password_hash']).toBe('plain');
    // the copy users edit is the same file
    expect(readFileSync(join(__dirname, '../../../etc/plugins/emqx_auth_redis.conf'), 'utf8')).toBe(readFileSync(file, 'utf8'));
  });
});
