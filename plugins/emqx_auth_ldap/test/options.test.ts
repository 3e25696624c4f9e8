// How auth.ldap.* becomes the pool's and the lookup's settings, and the shipped conf file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { lookupOptions, poolOptions, schema, tlsOptions } from '../src/index';

const CERTS = join(__dirname, '../../../etc/certs');

describe('poolOptions', () => {
  test('one ldap:// URL per server, in order, with the port', () => {
    const p = poolOptions({ 'auth.ldap.servers': '10.0.0.1, ldap.example.com,::1', 'auth.ldap.port': 1389, 'auth.ldap.pool': 3, 'auth.ldap.timeout': 2000, 'auth.ldap.bind_dn': 'cn=a', 'auth.ldap.bind_password': 'pw' });
    expect(p.urls).toEqual(['ldap://10.0.0.1:1389', 'ldap://ldap.example.com:1389', 'ldap://[::1]:1389']);
    expect(p).toMatchObject({ size: 3, timeout: 2000, bindDn: 'cn=a', bindPassword: 'pw' });
    expect(p.tls).toBeUndefined();
  });

  test('ssl.enable: ldaps:// and the TLS options', () => {
    const p = poolOptions({ 'auth.ldap.servers': 'h', 'auth.ldap.port': 636, 'auth.ldap.ssl.enable': true, 'auth.ldap.ssl.verify': 'verify_peer', 'auth.ldap.ssl.cacertfile': join(CERTS, 'cacert.pem') });
    expect(p.urls).toEqual(['ldaps://h:636']);
    expect(p.tls?.rejectUnauthorized).toBe(true);
    expect(Buffer.isBuffer(p.tls?.ca)).toBe(true);
  });

  test('bad values are refused', () => {
    expect(() => poolOptions({ 'auth.ldap.servers': ' , ' })).toThrow(/empty/);
    expect(() => poolOptions({ 'auth.ldap.port': 0 })).toThrow(/port/);
    expect(() => poolOptions({ 'auth.ldap.port': 70000 })).toThrow(/port/);
    expect(() => poolOptions({ 'auth.ldap.pool': 0 })).toThrow(/pool/);
  });
});

describe('tlsOptions (auth.ldap.ssl.*)', () => {
  test('verify_none by default; no servername so each server is checked by its own host', () => {
    const t = tlsOptions({}, 'h1');
    expect(t.rejectUnauthorized).toBe(false);
    expect(t.servername).toBeUndefined();
    expect(t.checkServerIdentity).toBeUndefined();
  });

  test('server_name_indication: a name, or disable (no name check)', () => {
    expect(tlsOptions({ 'auth.ldap.ssl.server_name_indication': 'ldap.example.com' }, 'h1').servername).toBe('ldap.example.com');
    const d = tlsOptions({ 'auth.ldap.ssl.server_name_indication': 'disable' }, 'h1');
    expect(d.checkServerIdentity?.('x', {} as never)).toBeUndefined();
  });

  test('certfile / keyfile are read; a missing file throws with its path', () => {
    const t = tlsOptions({ 'auth.ldap.ssl.certfile': join(CERTS, 'cert.pem'), 'auth.ldap.ssl.keyfile': join(CERTS, 'key.pem') }, 'h');
    expect(String(t.cert)).toMatch(/BEGIN CERTIFICATE/);
    expect(String(t.key)).toMatch(/PRIVATE KEY/);
    expect(() => tlsOptions({ 'auth.ldap.ssl.cacertfile': '/nonexistent/ca.pem' }, 'h')).toThrow(/\/nonexistent\/ca\.pem/);
  });
});

describe('lookupOptions', () => {
  test('EMQX defaults when unset', () => {
    expect(lookupOptions({})).toEqual({ customBaseDn: '${username_attr}=${user},${device_dn}', deviceDn: '', objectClass: 'mqttUser', usernameAttr: 'uid' });
  });
});

describe('the shipped etc/emqx_auth_ldap.conf', () => {
  test('reads without problems, gives the EMQX 4.3 defaults, and is the file in etc/plugins', () => {
    const file = join(__dirname, '../etc/emqx_auth_ldap.conf');
    const text = readFileSync(file, 'utf8');
    expect(readFileSync(join(__dirname, '../../../etc/plugins/emqx_auth_ldap.conf'), 'utf8')).toBe(text);
    const { values, problems } = readPluginConf(text, file, schema);
    expect(problems).toEqual([]);
    const p = poolOptions(values);
    expect(p).toMatchObject({ urls: ['ldap://127.0.0.1:389'], size: 8, bindDn: 'cn=root,dc=emqx,dc=io', bindPassword: 'public', timeout: 30_000, tls: undefined });
    expect(lookupOptions(values)).toEqual({ customBaseDn: '${username_attr}=${user},${device_dn}', deviceDn: 'ou=device,dc=emqx,dc=io', objectClass: 'mqttUser', usernameAttr: 'uid' });
    expect(values['auth.ldap.password.attributetype']).toBe('userPassword');
    expect(values['auth.ldap.bind_as_user']).toBe(false);
  });
});
