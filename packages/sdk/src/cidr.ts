/**
 * IPv4 / IPv6 addresses and CIDR blocks, for `{ipaddr, "10.0.0.0/8"}` ACL
 * rules and `listener.*.access.N` rules.
 *
 * As in EMQX (esockd_cidr with host-bit adjustment), host bits in a CIDR are
 * cleared: `192.168.1.5/24` means `192.168.1.0/24`. A plain address is a /32
 * (or /128). IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`, what a dual-stack Node
 * socket reports) are compared as IPv4.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  readonly prefix: number;
  /** Normalised text, e.g. `192.168.1.0/24`. */
  readonly text: string;
}

export function parseIp(input: string): IpAddress | undefined {
  const raw = parseRawIp(input);
  if (!raw) return undefined;
  return raw.family === 6 && isV4Mapped(raw.bytes) ? { family: 4, bytes: raw.bytes.slice(12) } : raw;
}

/** Parse without folding IPv4-mapped IPv6 addresses down to IPv4. */
function parseRawIp(input: string): IpAddress | undefined {
  let s = input.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct); // IPv6 zone id
  if (isIPv4(s)) return { family: 4, bytes: Uint8Array.from(s.split('.').map(Number)) };
  if (!isIPv6(s)) return undefined;
  const bytes = ipv6Bytes(s);
  return bytes ? { family: 6, bytes } : undefined;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/** `s` has already passed `isIPv6`. */
function ipv6Bytes(s: string): Uint8Array | undefined {
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const lastPart = text.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    // embedded IPv4 tail → two hex groups
    const v4 = lastPart.split('.').map(Number);
    const hi = (((v4[0] ?? 0) << 8) | (v4[1] ?? 0)).toString(16);
    const lo = (((v4[2] ?? 0) << 8) | (v4[3] ?? 0)).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = text.split('::');
  const groupsOf = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((h) => parseInt(h, 16));
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  const zeros = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...new Array<number>(Math.max(0, zeros)).fill(0), ...tail];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Parse `addr` or `addr/len`; `undefined` when malformed. */
export function parseCidr(input: string): Cidr | undefined {
  const s = input.trim();
  const slash = s.indexOf('/');
  const raw = parseRawIp(slash < 0 ? s : s.slice(0, slash));
  if (!raw) return undefined;
  const max = raw.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const lenText = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) return undefined;
    prefix = Number(lenText);
    if (prefix > max) return undefined;
  }
  let family = raw.family;
  let bytes = raw.bytes;
  if (family === 6 && isV4Mapped(bytes) && prefix >= 96) {
    // ::ffff:10.0.0.0/104 is the IPv4 block 10.0.0.0/8
    family = 4;
    bytes = bytes.slice(12);
    prefix -= 96;
  }
  const masked = maskBytes(bytes, prefix);
  const addr = family === 4 ? Array.from(masked).join('.') : formatV6(masked);
  return { family, bytes: masked, prefix, text: `${addr}/${prefix}` };
}

function mapV4(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    const mask = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    out[i] = (bytes[i] ?? 0) & mask;
  }
  return out;
}

function formatV6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** Does `ip` (string or parsed) fall inside `cidr`? Different families never match. */
export function cidrMatch(cidr: Cidr, ip: string | IpAddress): boolean {
  let addr = typeof ip === 'string' ? parseIp(ip) : ip;
  if (!addr) return false;
  if (cidr.family === 6 && addr.family === 4) addr = { family: 6, bytes: mapV4(addr.bytes) };
  if (cidr.family !== addr.family) return false;
  const masked = maskBytes(addr.bytes, cidr.prefix);
  return masked.every((b, i) => b === cidr.bytes[i]);
}
