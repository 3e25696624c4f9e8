// A TLS front for the test Redis: a CA and a server certificate for `localhost` made with
// openssl, and a node:tls server that passes each connection on to Redis's plain port.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';

export interface TlsFront {
  readonly port: number;
  readonly ca: string;
  /** a CA that did not sign the server certificate */
  readonly otherCa: string;
  close(): Promise<void>;
}

function makeCa(dir: string, name: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
}

export async function tlsFront(redisPort: number): Promise<TlsFront> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.csr')], { stdio: 'ignore' });
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName = DNS:localhost\n');
  execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'server.csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'),
    '-CAcreateserial', '-days', '2', '-extfile', join(dir, 'ext.cnf'), '-out', join(dir, 'server.pem')], { stdio: 'ignore' });
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) }, (s) => {
    const up = net.connect(redisPort, '127.0.0.1');
    sockets.add(s).add(up);
    s.pipe(up).pipe(s);
    const end = (): void => {
      s.destroy();
      up.destroy();
    };
    s.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    ca: join(dir, 'ca.pem'),
    otherCa: join(dir, 'other-ca.pem'),
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
