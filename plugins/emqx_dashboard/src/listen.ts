// The dashboard's listeners: `dashboard.listener.http` (and `.https`) as `port`, `ip:port` or
// `[ipv6]:port`; port 0 takes a free port (the bound address is logged).
import * as http from 'node:http';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface Bind {
  host: string | undefined;
  port: number;
}

/** `18083`, `127.0.0.1:18083`, `[::1]:18083`; undefined when it is none of these */
export function parseBind(value: string): Bind | undefined {
  const v = value.trim();
  let host: string | undefined;
  let port: string;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(v);
  if (v6) {
    host = v6[1];
    port = v6[2]!;
  } else if (/^\d+$/.test(v)) {
    port = v;
  } else {
    const i = v.lastIndexOf(':');
    if (i <= 0 || v.indexOf(':') !== i) return undefined;
    host = v.slice(0, i);
    port = v.slice(i + 1);
    if (!/^[A-Za-z0-9.-]+$/.test(host) || !/^\d+$/.test(port)) return undefined;
  }
  const n = Number(port);
  if (!Number.isInteger(n) || n < 0 || n > 65535) return undefined;
  return { host, port: n };
}

export interface ListenOptions {
  bind: Bind;
  /** listen on `::` when no ip is given */
  inet6: boolean;
  ipv6Only: boolean;
  maxClients: number;
  /** https: key and certificate files */
  tls?: { certfile: string; keyfile: string; cacertfile?: string | undefined };
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** starts a server; resolves with it and the address it is bound to (`ip:port`) */
export function listen(o: ListenOptions, handler: Handler): Promise<{ server: http.Server; address: string; port: number }> {
  const server = o.tls
    ? https.createServer({ cert: readFileSync(o.tls.certfile), key: readFileSync(o.tls.keyfile), ...(o.tls.cacertfile ? { ca: readFileSync(o.tls.cacertfile) } : {}) }, handler)
    : http.createServer(handler);
  server.maxConnections = o.maxClients;
  // browsers keep connections open; do not hold shutdown for them
  server.keepAliveTimeout = 5000;
  const host = o.bind.host ?? (o.inet6 ? '::' : '0.0.0.0');
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: o.bind.port, ipv6Only: o.inet6 && o.ipv6Only }, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      const address = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
      resolve({ server, address, port: a.port });
    });
  });
}

/** closes the server and every open connection */
export function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
