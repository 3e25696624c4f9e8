// A real node:http(s) auth server for the e2e tests: it answers /mqtt/auth, /mqtt/superuser
// and /mqtt/acl from the kit fixtures (passwords checked with the SDK's checkPassword against
// storedHash, ACL by KIT_ACL with the SDK's checkRules), and records what it received.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPassword, checkRules, compileTopic, type AclRule, type AclWho } from '@nemq/sdk';
import { KIT_ACL, KIT_USERS, storedHash, type KitRule } from '../../../test/authkit';

export interface Received {
  readonly method: string;
  readonly path: string;
  /** the query string's params */
  readonly query: Record<string, string>;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** the params wherever they came: query (GET), form or JSON body (POST) */
  readonly params: Record<string, string>;
}

/** a forced answer for one path, instead of the fixture logic */
export interface Force {
  readonly status: number;
  readonly body?: string;
  /** ms before answering */
  readonly delay?: number;
  /** drop the connection without an answer for this many requests first */
  readonly reset?: number;
}

const STORED = new Map(KIT_USERS.map((u) => [u.username, { ...u, stored: storedHash('sha256', u.password, '') }]));

const who = (w: KitRule['who']): AclWho => (w === 'all' ? { type: 'all' } : 'username' in w ? { type: 'user', value: w.username } : { type: 'client', value: w.clientid });
const RULES: AclRule[] = KIT_ACL.map((r) => ({ permission: r.permission, who: who(r.who), access: r.access, topics: [compileTopic(r.topic)] }));

function params(method: string, ct: string | undefined, query: URLSearchParams, body: string): Record<string, string> {
  if (method === 'GET') return Object.fromEntries(query);
  if (ct?.startsWith('application/json')) return JSON.parse(body) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(body));
}

export class AuthServer {
  readonly server: http.Server;
  port = 0;
  /** connections accepted since the last reset */
  sockets = 0;
  readonly received: Received[] = [];
  readonly force = new Map<string, Force>();
  private readonly open = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(tls?: { key: Buffer; cert: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean }) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = tls ? https.createServer({ ...tls, keepAliveTimeout: 30_000 }, handler) : http.createServer({ keepAliveTimeout: 30_000 }, handler);
    this.server.on(tls ? 'secureConnection' : 'connection', (s: Socket) => {
      this.sockets++;
      this.open.add(s);
      s.on('close', () => this.open.delete(s));
    });
  }

  reset(): void {
    this.sockets = 0;
    this.received.length = 0;
    this.force.clear();
  }

  /** the requests to `path` received since the last reset */
  to(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  listen(port = this.port): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** stops listening and drops every connection (kept-alive ones too) */
  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      this.server.close(() => resolve());
      for (const s of this.open) s.destroy();
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks).toString('utf8');
      let p: Record<string, string>;
      try {
        p = params(req.method ?? '', req.headers['content-type'], u.searchParams, body);
      } catch {
        res.writeHead(400).end();
        return;
      }
      this.received.push({ method: req.method ?? '', path: u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers, body, params: p });
      const forced = this.force.get(u.pathname);
      if (forced?.reset) {
        this.force.set(u.pathname, { ...forced, reset: forced.reset - 1 });
        req.socket.destroy();
        return;
      }
      if (forced) {
        const answer = () => {
          if (!res.destroyed) res.writeHead(forced.status).end(forced.body ?? '');
        };
        if (forced.delay) {
          const t = setTimeout(() => {
            this.timers.delete(t);
            answer();
          }, forced.delay);
          this.timers.add(t);
        } else answer();
        return;
      }
      const [status, text] = this.decide(u.pathname, p);
      res.writeHead(status).end(text);
    });
  }

  private decide(path: string, p: Record<string, string>): [number, string] {
    const user = p.username === undefined ? undefined : STORED.get(p.username);
    switch (path) {
      case '/mqtt/auth':
        if (!user) return [200, 'ignore'];
        return checkPassword('sha256', p.password ?? '', user.stored) ? [200, 'ok'] : [403, ''];
      case '/mqtt/superuser':
        return user?.superuser ? [200, ''] : [403, ''];
      case '/mqtt/acl': {
        const action = p.access === '1' ? 'subscribe' : p.access === '2' ? 'publish' : undefined;
        if (!action || p.topic === undefined) return [400, ''];
        const v = checkRules(RULES, { clientid: p.clientid ?? '', username: p.username === 'undefined' ? undefined : p.username }, action, p.topic);
        return v === 'allow' ? [200, ''] : v === 'deny' ? [403, ''] : [200, 'ignore'];
      }
      default:
        return [404, ''];
    }
  }
}

/** a CA and a server certificate for 127.0.0.1 / localhost signed by it, made with openssl in a temp dir */
export function makeCerts(): { dir: string; ca: string; otherCa: string; key: Buffer; cert: Buffer; clientKey: string; clientCert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nemq-http-certs-'));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=nemq test CA');
  ssl('req', '-x509', ...ec, '-keyout', f('other.key'), '-out', f('other.pem'), '-days', '2', '-subj', '/CN=nemq other CA');
  ssl('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf'));
  ssl('req', ...ec, '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=nemq broker');
  ssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('client.pem'), '-days', '2');
  return { dir, ca: f('ca.pem'), otherCa: f('other.pem'), key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')), clientKey: f('client.key'), clientCert: f('client.pem') };
}
