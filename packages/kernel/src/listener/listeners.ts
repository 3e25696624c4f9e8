// TCP, TLS, WebSocket and secure WebSocket listeners (EMQX listener.<proto>.<name>).
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { WebSocketServer } from 'ws';
import type { ChannelEnv } from '../channel/channel.js';
import { cidrMatch, parseCidr, type Cidr } from '@nemq/sdk';
import { Connection, SocketConnection, WsConnection, stripV4 } from '../connection/connection.js';
import { readProxyHeader } from './proxy-protocol.js';
import { certIdentity } from './peer-cert.js';
import { forwardedPeer } from './forwarded.js';
import type { PeerCertField } from '../config/types.js';
import { AcceptGate } from '../limit/accept.js';

export interface ListenerSpec {
  proto: 'tcp' | 'ssl' | 'ws' | 'wss';
  name: string;
  host: string;
  port: number;
  zone: string;
  maxConnections: number;
  backlog?: number;
  nodelay?: boolean;
  keyfile?: string;
  certfile?: string;
  cacertfile?: string;
  verify?: boolean;
  failIfNoPeerCert?: boolean;
  mqttPath?: string;
  /** `listener.<proto>.<name>.access.<N>`, in order; first match decides, no match allows */
  access?: ReadonlyArray<{ action: 'allow' | 'deny'; cidr: string }>;
  /** ws: largest frame accepted (bytes) */
  maxFrameSize?: number;
  /** tcp: a PROXY protocol header (v1 or v2) comes first and names the client */
  proxyProtocol?: boolean;
  /** how long to wait for that header (ms); esockd's default is 5s */
  proxyProtocolTimeout?: number;
  /** ssl/wss: username / client id from the client certificate */
  peerCertAsUsername?: PeerCertField;
  peerCertAsClientid?: PeerCertField;
  /** ws/wss: request headers naming the client behind a proxy (EMQX: X-Forwarded-For / X-Forwarded-Port) */
  proxyAddressHeader?: string;
  proxyPortHeader?: string;
  /** `max_conn_rate`: connections taken per second; the excess waits (limit/accept.ts) */
  maxConnRate?: number;
  /** ssl/wss: `tls_versions` (tlsv1 … tlsv1.3), `ciphers`, `psk_ciphers` (OpenSSL names), `honor_cipher_order` */
  tlsVersions?: readonly string[];
  ciphers?: readonly string[];
  pskCiphers?: readonly string[];
  honorCipherOrder?: boolean;
}

const TLS_NAMES: Record<string, tls.SecureVersion> = { tlsv1: 'TLSv1', 'tlsv1.1': 'TLSv1.1', 'tlsv1.2': 'TLSv1.2', 'tlsv1.3': 'TLSv1.3' };
const TLS_ORDER = ['tlsv1', 'tlsv1.1', 'tlsv1.2', 'tlsv1.3'];

type AccessRule = { allow: boolean; cidr: Cidr | undefined };

export class Listener {
  private readonly access: AccessRule[];
  server: net.Server | http.Server | undefined = undefined;
  wss: WebSocketServer | undefined = undefined;
  readonly connections = new Set<Connection>();
  /** connections closed for a missing or bad PROXY header */
  proxyErrors = 0;
  /** sockets still waiting for their PROXY header */
  private proxyWaiting = 0;
  /** max_conn_rate; undefined when unlimited */
  readonly gate: AcceptGate | undefined;

  constructor(readonly spec: ListenerSpec, private readonly env: ChannelEnv) {
    this.access = [];
    for (const r of spec.access ?? []) {
      const cidr = r.cidr === 'all' ? undefined : parseCidr(r.cidr);
      if (r.cidr !== 'all' && cidr === undefined) throw new Error(`listener ${this.id}: bad access rule address ${r.cidr}`);
      this.access.push({ allow: r.action === 'allow', cidr });
    }
    this.gate = spec.maxConnRate ? new AcceptGate(spec.maxConnRate, spec.backlog ?? 1024, env.logger, this.id) : undefined;
  }

  /** esockd-style access rules on the peer address */
  allowed(peer: string | undefined): boolean {
    if (this.access.length === 0) return true;
    const ip = peer ?? '';
    for (const r of this.access) if (r.cidr === undefined || cidrMatch(r.cidr, ip)) return r.allow;
    return true;
  }

  get id(): string {
    return `${this.spec.proto}:${this.spec.name}`;
  }

  /** EMQX's listener identifier, e.g. `mqtt:tcp:external` (emqx_ctl listeners, the HTTP API) */
  get identifier(): string {
    return `mqtt:${this.id}`;
  }

  get address(): string {
    const a = this.server?.address();
    if (a && typeof a === 'object') return `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
    return `${this.spec.host}:${this.spec.port}`;
  }

  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : this.spec.port;
  }

  async start(): Promise<void> {
    const s = this.spec;
    const env = this.env;
    const accept = (socket: net.Socket, type: 'tcp' | 'ssl'): void => {
      // sockets waiting for the rate or a PROXY header hold a place too
      if (this.connections.size + this.proxyWaiting + (this.gate?.waiting ?? 0) >= s.maxConnections || !this.allowed(socket.remoteAddress)) {
        socket.destroy();
        return;
      }
      if (s.nodelay !== false) socket.setNoDelay(true);
      const open = (): void => {
        if (s.proxyProtocol && type === 'tcp') return this.acceptProxied(socket);
        const conn = new SocketConnection(env, s.zone, socket, type, this.connections);
        if (type === 'ssl') conn.cert = certIdentity(socket as tls.TLSSocket, s.peerCertAsUsername, s.peerCertAsClientid);
      };
      if (this.gate !== undefined) this.gate.admit(socket, open);
      else open();
    };
    if (s.proto === 'tcp') {
      this.server = net.createServer((sock) => accept(sock, 'tcp'));
    } else if (s.proto === 'ssl') {
      this.server = tls.createServer(this.tlsOptions(), (sock) => accept(sock, 'ssl'));
      this.server.on('tlsClientError', () => undefined);
    } else {
      const server = s.proto === 'wss' ? https.createServer(this.tlsOptions()) : http.createServer();
      server.on('request', (_req, res) => {
        res.writeHead(404);
        res.end();
      });
      const path = s.mqttPath ?? '/mqtt';
      // subprotocols as EMQX: mqtt, mqttv3.1, mqtt-v3, mqtt-v3.1.1, mqtt-v5
      this.wss = new WebSocketServer({
        server,
        path,
        perMessageDeflate: false,
        ...(s.maxFrameSize ? { maxPayload: s.maxFrameSize } : {}),
        handleProtocols: (protocols) => {
          for (const p of ['mqtt', 'mqttv3.1', 'mqtt-v3', 'mqtt-v3.1.1', 'mqtt-v5']) if (protocols.has(p)) return p;
          return false;
        },
      });
      this.wss.on('connection', (ws, req) => {
        if (this.connections.size >= s.maxConnections || !this.allowed(req.socket.remoteAddress)) {
          ws.terminate();
          return;
        }
        const sock = req.socket;
        sock.setNoDelay(true);
        const open = (): void => {
          const peer = forwardedPeer(req.headers, { host: stripV4(sock.remoteAddress), port: sock.remotePort ?? 0 }, s.proxyAddressHeader, s.proxyPortHeader);
          const conn = new WsConnection(env, s.zone, ws, s.proto as 'ws' | 'wss', {
            host: peer.host, port: peer.port, localHost: stripV4(sock.localAddress), localPort: sock.localPort ?? 0,
          }, this.connections);
          if (s.proto === 'wss') conn.cert = certIdentity(sock as tls.TLSSocket, s.peerCertAsUsername, s.peerCertAsClientid);
        };
        if (this.gate !== undefined) this.gate.admit(sock, open);
        else open();
      });
      this.server = server;
    }
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: s.host, port: s.port, backlog: s.backlog ?? 1024 }, () => {
        server.off('error', reject);
        server.on('error', (err) => env.logger.error(`listener ${this.id}: ${err.message}`));
        resolve();
      });
    });
  }

  /** the PROXY header first (proxy-protocol.ts), then the connection with the address it names */
  private acceptProxied(socket: net.Socket): void {
    const from = `${stripV4(socket.remoteAddress)}:${socket.remotePort ?? 0}`;
    this.proxyWaiting++;
    readProxyHeader(socket, this.spec.proxyProtocolTimeout ?? 5000, (source) => {
      this.proxyWaiting--;
      new SocketConnection(this.env, this.spec.zone, socket, 'tcp', this.connections, source);
      socket.resume();
    }, (reason) => {
      this.proxyWaiting--;
      this.proxyErrors++;
      this.env.logger.warning(`listener ${this.id}: ${from} closed: ${reason}`);
    });
  }

  private tlsOptions(): tls.TlsOptions {
    const s = this.spec;
    if (!s.keyfile || !s.certfile) throw new Error(`listener ${this.id}: keyfile and certfile are required`);
    const o: tls.TlsOptions = { key: readFileSync(s.keyfile), cert: readFileSync(s.certfile) };
    if (s.cacertfile) o.ca = readFileSync(s.cacertfile);
    if (s.verify) {
      o.requestCert = true;
      o.rejectUnauthorized = s.failIfNoPeerCert === true;
    }
    const versions = (s.tlsVersions ?? []).filter((v) => v in TLS_NAMES).sort((a, b) => TLS_ORDER.indexOf(a) - TLS_ORDER.indexOf(b));
    if (versions.length > 0) {
      o.minVersion = TLS_NAMES[versions[0]!];
      o.maxVersion = TLS_NAMES[versions[versions.length - 1]!];
    }
    if (s.honorCipherOrder) o.honorCipherOrder = true;
    if (s.pskCiphers?.length) {
      // TLS-PSK (RFC 4279): the secret comes from the tls_handshake.psk_lookup hook (emqx_psk_file)
      o.ciphers = s.pskCiphers.join(':');
      o.pskCallback = (_sock, identity) => this.pskSecret(identity);
    } else if (s.ciphers?.length) {
      o.ciphers = s.ciphers.join(':');
    }
    return o;
  }

  private pskSecret(identity: string): Buffer | null {
    const hook = this.env.registry.hooks['tls_handshake.psk_lookup'];
    let secret: Buffer | undefined;
    try {
      secret = hook.isUsed() ? hook.call(identity) : undefined;
    } catch (e) {
      this.env.logger.error(`listener ${this.id}: tls_handshake.psk_lookup failed: ${(e as Error).message}`);
    }
    if (secret instanceof Uint8Array && secret.length > 0) return secret;
    this.env.metrics['client.psk.unknown']++;
    this.env.logger.warning(`listener ${this.id}: TLS-PSK identity ${JSON.stringify(identity)} has no secret; handshake refused`);
    return null;
  }

  /** stop accepting; resolves once every connection is gone, so close those first */
  stop(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.gate?.stop();
    this.wss?.close();
    return closed;
  }
}
