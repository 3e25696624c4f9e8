// peer_cert_as_username / peer_cert_as_clientid on TLS listeners: the identity comes from
// the client certificate, and ClientInfo.cn/dn are filled from it. The client certificate
// and its CA are made here with openssl, in a temp dir.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, connect, closeAll, waitFor, CERTS, type TestBroker } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'nemq-peercert-'));
const f = (n: string): string => join(dir, n);
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'ignore' });
};
openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', f('ca.key'), '-out', f('ca.pem'));
openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/C=SE/O=nemq/CN=device-7', '-keyout', f('client.key'), '-out', f('client.csr'));
openssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-out', f('client.pem'));
const clientCert = readFileSync(f('client.pem'));
const clientKey = readFileSync(f('client.key'));
const der = new X509Certificate(clientCert).raw;

type Seen = { clientid: string; username: string | undefined; cn?: string; dn?: string };
const seen: Seen[] = [];
let b: TestBroker;
const ssl = (name: string, extra: object): object => ({
  proto: 'ssl', name, host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 10,
  keyfile: join(CERTS, 'key.pem'), certfile: join(CERTS, 'cert.pem'), cacertfile: f('ca.pem'), verify: true, failIfNoPeerCert: false, ...extra,
});
beforeAll(async () => {
  b = await startBroker({
    listeners: [
      ssl('names', { peerCertAsUsername: 'cn', peerCertAsClientid: 'dn' }),
      ssl('digests', { peerCertAsUsername: 'md5', peerCertAsClientid: 'pem' }),
      ssl('off', {}),
    ] as never,
  });
  b.node.tap('peercert-test', 'client.connected', ((ci: Seen) => {
    seen.push({ clientid: ci.clientid, username: ci.username, cn: ci.cn, dn: ci.dn });
  }) as never);
});
afterEach(async () => {
  await closeAll();
  seen.length = 0;
});
afterAll(async () => {
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
});

const url = (i: number): string => `mqtts://127.0.0.1:${b.node.listeners[i]!.port}`;
const withCert = { cert: clientCert, key: clientKey, rejectUnauthorized: false, protocolVersion: 4 as const };

test('cn as username, dn as client id', async () => {
  await connect(url(0), { ...withCert, clientId: 'from-packet', username: 'packet-user' });
  await waitFor(() => seen.length === 1);
  expect(seen[0]).toEqual({ clientid: 'CN=device-7,O=nemq,C=SE', username: 'device-7', cn: 'device-7', dn: 'CN=device-7,O=nemq,C=SE' });
});

test('md5 and pem of the DER certificate', async () => {
  await connect(url(1), { ...withCert, clientId: 'from-packet', username: 'packet-user' });
  await waitFor(() => seen.length === 1);
  expect(seen[0]!.username).toBe(createHash('md5').update(der).digest('hex'));
  expect(seen[0]!.clientid).toBe(der.toString('base64'));
  expect(seen[0]!.cn).toBe('device-7');
});

test('no client certificate: the packet decides', async () => {
  await connect(url(0), { rejectUnauthorized: false, protocolVersion: 4, clientId: 'no-cert', username: 'packet-user' });
  await waitFor(() => seen.length === 1);
  expect(seen[0]).toEqual({ clientid: 'no-cert', username: 'packet-user', cn: undefined, dn: undefined });
});

test('not configured: the packet decides, cn/dn still filled', async () => {
  await connect(url(2), { ...withCert, clientId: 'from-packet', username: 'packet-user' });
  await waitFor(() => seen.length === 1);
  expect(seen[0]).toEqual({ clientid: 'from-packet', username: 'packet-user', cn: 'device-7', dn: 'CN=device-7,O=nemq,C=SE' });
});
