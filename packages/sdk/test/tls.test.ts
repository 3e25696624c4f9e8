import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendTls, tlsConnectOptions } from '../src/index';

test('backendTls reads the prefix keys; cafile stands in for cacertfile; verify true|verify_peer', () => {
  expect(backendTls({ 'a.ssl.cafile': '/ca', 'a.ssl.verify': true }, 'a.ssl')).toEqual({ cacertfile: '/ca', certfile: undefined, keyfile: undefined, verify: true, serverNameIndication: undefined });
  expect(backendTls({ 'a.ssl.cacertfile': '/c', 'a.ssl.cafile': '/ca', 'a.ssl.verify': 'verify_peer' }, 'a.ssl')).toMatchObject({ cacertfile: '/c', verify: true });
  expect(backendTls({}, 'a.ssl').verify).toBe(false);
});

test('tlsConnectOptions reads the files, names the server, or skips the name check with disable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nemq-tls-'));
  writeFileSync(join(dir, 'ca.pem'), 'CA');
  const o = tlsConnectOptions({ cacertfile: join(dir, 'ca.pem'), verify: true }, 'db.example');
  expect(o.ca?.toString()).toBe('CA');
  expect(o.rejectUnauthorized).toBe(true);
  expect(o.servername).toBe('db.example');
  const d = tlsConnectOptions({ verify: false, serverNameIndication: 'disable' }, 'h');
  expect(d.servername).toBeUndefined();
  expect(d.checkServerIdentity?.('h', {} as never)).toBeUndefined();
  expect(() => tlsConnectOptions({ cacertfile: join(dir, 'missing.pem'), verify: true }, 'h')).toThrow(/missing\.pem/);
});
