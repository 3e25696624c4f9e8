// WebSocket behind a proxy: the client address from the upgrade request's
// proxy_address_header (first of X-Forwarded-For) and proxy_port_header, as EMQX 4.3.
import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

export interface Peer {
  host: string;
  port: number;
}

/** `socketPeer` unless the headers name a valid address (and port) */
export function forwardedPeer(headers: IncomingHttpHeaders, socketPeer: Peer, addressHeader?: string, portHeader?: string): Peer {
  let { host, port } = socketPeer;
  const addr = first(addressHeader ? headers[addressHeader.toLowerCase()] : undefined);
  if (addr !== undefined && isIP(addr)) host = addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4 ? addr.slice(7) : addr;
  const p = first(portHeader ? headers[portHeader.toLowerCase()] : undefined);
  if (p !== undefined && /^[0-9]{1,5}$/.test(p) && Number(p) <= 65535) port = Number(p);
  return { host, port };
}

/** the first of a comma/space separated list (a repeated header counts as one list) */
function first(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v.join(',') : v;
  return s.split(/[, ]+/).find((x) => x.length > 0);
}
