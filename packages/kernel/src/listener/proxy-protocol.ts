// PROXY protocol header (HAProxy, versions 1 and 2), read before any MQTT byte on a
// listener with proxy_protocol = on (esockd_proxy_protocol in EMQX).
import { SocketAddress, isIPv4, isIPv6, type Socket } from 'node:net';

export interface ProxyAddress {
  host: string;
  port: number;
}

export type ProxyHeader =
  /** not enough bytes yet */
  | { kind: 'more' }
  | { kind: 'error'; reason: string }
  /** `size` header bytes; `source` is absent for PROXY UNKNOWN and v2 LOCAL (keep the socket's address) */
  | { kind: 'done'; size: number; source?: ProxyAddress; dest?: ProxyAddress };

const V2_SIG = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1');
const V1_MAX = 107; // the longest v1 line, CRLF included
const MORE: ProxyHeader = { kind: 'more' };

/** Parse the header at the start of `buf` (all bytes received so far). Pure. */
export function parseProxyHeader(buf: Buffer): ProxyHeader {
  if (buf.length === 0) return MORE;
  if (buf[0] === 0x0d) return parseV2(buf);
  if (buf[0] === 0x50) return parseV1(buf);
  return { kind: 'error', reason: 'no PROXY header' };
}

function parseV1(buf: Buffer): ProxyHeader {
  const prefix = 'PROXY ';
  const n = Math.min(buf.length, prefix.length);
  if (buf.toString('latin1', 0, n) !== prefix.slice(0, n)) return { kind: 'error', reason: 'no PROXY header' };
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end < 0 || end + 2 > V1_MAX) return buf.length >= V1_MAX ? { kind: 'error', reason: 'PROXY v1 line too long' } : MORE;
  const size = end + 2;
  const parts = buf.toString('latin1', prefix.length, end).split(' ');
  if (parts[0] === 'UNKNOWN') return { kind: 'done', size };
  if (parts.length !== 5 || (parts[0] !== 'TCP4' && parts[0] !== 'TCP6')) return { kind: 'error', reason: 'bad PROXY v1 line' };
  const family = parts[0] === 'TCP4' ? 4 : 6;
  const [src, dst] = [parts[1]!, parts[2]!];
  const sport = v1Port(parts[3]!);
  const dport = v1Port(parts[4]!);
  if (!validIp(src, family) || !validIp(dst, family) || sport < 0 || dport < 0) return { kind: 'error', reason: 'bad PROXY v1 address' };
  const host = (a: string): string => (family === 6 ? shortV6(a) : a);
  return { kind: 'done', size, source: { host: host(src), port: sport }, dest: { host: host(dst), port: dport } };
}

function v1Port(s: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(s)) return -1;
  const n = Number(s);
  return n <= 65535 ? n : -1;
}

function validIp(s: string, family: 4 | 6): boolean {
  return family === 4 ? isIPv4(s) : isIPv6(s);
}

/** the short form Node gives remoteAddress (`2001:db8::1`), v4-mapped as plain v4 */
function shortV6(s: string): string {
  const a = new SocketAddress({ address: s, family: 'ipv6' }).address;
  return a.startsWith('::ffff:') && isIPv4(a.slice(7)) ? a.slice(7) : a;
}

function parseV2(buf: Buffer): ProxyHeader {
  const n = Math.min(buf.length, V2_SIG.length);
  if (buf.compare(V2_SIG, 0, n, 0, n) !== 0) return { kind: 'error', reason: 'no PROXY header' };
  if (buf.length < 16) return MORE;
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return { kind: 'error', reason: 'bad PROXY v2 version' };
  const cmd = verCmd & 0x0f;
  const family = buf[13]! >> 4;
  const transport = buf[13]! & 0x0f;
  const len = buf.readUInt16BE(14);
  const size = 16 + len;
  if (buf.length < size) return MORE;
  if (cmd === 0) return { kind: 'done', size }; // LOCAL: the proxy's own connection (health check)
  if (cmd !== 1) return { kind: 'error', reason: 'bad PROXY v2 command' };
  if (transport !== 1) return { kind: 'error', reason: 'unsupported PROXY v2 transport' };
  // the addresses, then TLVs, which are skipped
  if (family === 1 && len >= 12) {
    return { kind: 'done', size, source: { host: ipv4(buf, 16), port: buf.readUInt16BE(24) }, dest: { host: ipv4(buf, 20), port: buf.readUInt16BE(26) } };
  }
  if (family === 2 && len >= 36) {
    return { kind: 'done', size, source: { host: ipv6(buf, 16), port: buf.readUInt16BE(48) }, dest: { host: ipv6(buf, 32), port: buf.readUInt16BE(50) } };
  }
  return { kind: 'error', reason: 'unsupported PROXY v2 address family' };
}

function ipv4(b: Buffer, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function ipv6(b: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(at + i * 2).toString(16));
  return shortV6(groups.join(':'));
}

/**
 * Read the header off a fresh socket, then call `done` with the source address (or
 * undefined to keep the socket's) and the socket paused, any bytes after the header
 * put back. On a bad header, a close or the timeout `fail` is called and the socket destroyed.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number, done: (source: ProxyAddress | undefined) => void, fail: (reason: string) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  const finish = (): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.off('error', onError);
  };
  const bad = (reason: string): void => {
    finish();
    socket.destroy();
    fail(reason);
  };
  const onData = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const h = parseProxyHeader(buf);
    if (h.kind === 'more') return;
    if (h.kind === 'error') return bad(h.reason);
    finish();
    socket.pause();
    if (buf.length > h.size) socket.unshift(buf.subarray(h.size));
    done(h.source);
  };
  const onClose = (): void => bad('closed before the PROXY header');
  const onError = (err: Error): void => bad(err.message);
  const timer = setTimeout(() => bad('no PROXY header in time'), timeoutMs);
  socket.on('data', onData);
  socket.on('close', onClose);
  socket.on('error', onError);
}
