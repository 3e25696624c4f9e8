/**
 * Value types of emqx.conf and their parsers. Each parser takes the text as
 * written (bare or unquoted) and returns the typed value, or `undefined` when
 * the text is not valid; `describeType` gives the "expected …" wording used
 * in error messages.
 *
 * Units: durations → ms, byte sizes → bytes (1KB = 1024), percent → fraction.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { parseCidr } from '@nemq/sdk';
import type { FlappingPolicy, GcPolicy, ListenerAccessRule, RateLimit, ShutdownPolicy } from './types.js';

export type ValueType =
  | { readonly kind: 'string'; readonly pattern?: RegExp; readonly expected?: string }
  /** A file-system path; relative ones resolve against the install root. */
  | { readonly kind: 'path' }
  | { readonly kind: 'integer'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'float'; readonly min?: number; readonly max?: number }
  /** `on | off | true | false`. */
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /**
   * `15s`, `1m`, `2h`, `1d`, `500ms`, `1h30m`; `unit` is the unit EMQX keeps the
   * value in: a bare number is read in it, and `s` values are rounded up to
   * whole seconds as EMQX does. The result is always ms.
   */
  | { readonly kind: 'duration'; readonly unit: 'ms' | 's' }
  | { readonly kind: 'bytesize' }
  | { readonly kind: 'percent' }
  /** Listener bind: `port`, `ip:port`, `[v6]:port`, `hostname:port`. */
  | { readonly kind: 'bind' }
  /** Comma (and, with `spaces`, blank) separated words; `none` → [] when `noneIsEmpty`. */
  | {
      readonly kind: 'list';
      readonly values?: readonly string[];
      readonly spaces?: boolean;
      readonly noneIsEmpty?: boolean;
    }
  | { readonly kind: 'gcPolicy' }
  | { readonly kind: 'shutdownPolicy' }
  | { readonly kind: 'flapping' }
  | { readonly kind: 'rate' }
  | { readonly kind: 'priorities' }
  | { readonly kind: 'access' }
  /** First alternative that accepts the text wins. */
  | { readonly kind: 'union'; readonly of: readonly ValueType[] };

export type Bind = { readonly host: string; readonly port: number; readonly portOnly: boolean };

export function describeType(t: ValueType): string {
  switch (t.kind) {
    case 'string':
      return t.expected ?? 'a string';
    case 'path':
      return 'a path';
    case 'integer':
      return t.min !== undefined && t.max !== undefined
        ? `an integer ${t.min}..${t.max}`
        : t.min !== undefined
          ? `an integer >= ${t.min}`
          : 'an integer';
    case 'float':
      return 'a number';
    case 'boolean':
      return 'on | off | true | false';
    case 'enum':
      return t.values.join(' | ');
    case 'duration':
      return 'a duration like 500ms, 15s, 1m, 2h, 1d';
    case 'bytesize':
      return 'a size like 1024, 64KB, 1MB, 1GB';
    case 'percent':
      return 'a percentage like 80%';
    case 'bind':
      return '[ip:]port';
    case 'list':
      return t.values ? `a comma-separated list of ${t.values.join(' | ')}` : 'a comma-separated list';
    case 'gcPolicy':
      return 'Count|Bytes, e.g. 16000|16MB';
    case 'shutdownPolicy':
      return 'default or MaxMailboxLen|MaxHeapSize, e.g. 10000|64MB';
    case 'flapping':
      return 'Threshold, Window, BanTime, e.g. 30, 1m, 5m';
    case 'rate':
      return 'Limit,Period, e.g. 100,10s or 100KB,10s';
    case 'priorities':
      return 'none or topic=priority pairs (0..255), e.g. topic/1=10,topic/2=8';
    case 'access':
      return 'allow|deny all|<ip/cidr>, e.g. allow all or deny 10.0.0.0/8';
    case 'union':
      return t.of.map(describeType).join(', or ');
  }
}

/** Parse `text` as `t`; `undefined` when invalid. Paths are returned as written. */
export function parseValue(t: ValueType, text: string): unknown {
  const s = text.trim();
  switch (t.kind) {
    case 'string':
      return t.pattern && !t.pattern.test(text) ? undefined : text;
    case 'path':
      return s === '' ? undefined : s;
    case 'integer': {
      const n = parseInteger(s);
      if (n === undefined) return undefined;
      if ((t.min !== undefined && n < t.min) || (t.max !== undefined && n > t.max)) return undefined;
      return n;
    }
    case 'float': {
      if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return undefined;
      const n = Number(s);
      if ((t.min !== undefined && n < t.min) || (t.max !== undefined && n > t.max)) return undefined;
      return n;
    }
    case 'boolean':
      return parseBoolean(s);
    case 'enum':
      return t.values.includes(s) ? s : undefined;
    case 'duration':
      return parseDuration(s, t.unit);
    case 'bytesize':
      return parseBytesize(s);
    case 'percent':
      return parsePercent(s);
    case 'bind':
      return parseBind(s);
    case 'list': {
      if (t.noneIsEmpty && s === 'none') return [];
      const items = s.split(t.spaces ? /[,\s]+/ : /,/).map((x) => x.trim()).filter((x) => x !== '');
      if (t.values && items.some((x) => !t.values?.includes(x))) return undefined;
      return items;
    }
    case 'gcPolicy':
      return parseGcPolicy(s);
    case 'shutdownPolicy':
      return parseShutdownPolicy(s);
    case 'flapping':
      return parseFlapping(s);
    case 'rate':
      return parseRate(s);
    case 'priorities':
      return parsePriorities(s);
    case 'access':
      return parseAccess(s);
    case 'union':
      for (const alt of t.of) {
        const v = parseValue(alt, text);
        if (v !== undefined) return v;
      }
      return undefined;
  }
}

export function parseInteger(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function parseBoolean(s: string): boolean | undefined {
  switch (s.toLowerCase()) {
    case 'on':
    case 'true':
      return true;
    case 'off':
    case 'false':
      return false;
    default:
      return undefined;
  }
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  f: 14 * 86_400_000,
};

/** `1h30m`, `500ms`, `1.5h`; a bare number is in `unit`. Result in ms. */
export function parseDuration(s: string, unit: 'ms' | 's'): number | undefined {
  const unitMs = unit === 's' ? 1000 : 1;
  let ms: number;
  if (/^\d+$/.test(s)) {
    ms = Number(s) * unitMs;
  } else {
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|f)/gy;
    ms = 0;
    let pos = 0;
    let m: RegExpExecArray | null;
    while (pos < s.length && (m = re.exec(s)) !== null) {
      ms += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? NaN);
      pos = re.lastIndex;
    }
    if (pos !== s.length || s.length === 0) return undefined;
  }
  if (!Number.isFinite(ms)) return undefined;
  // EMQX keeps these in whole `unit`s, rounding up
  return Math.ceil(ms / unitMs) * unitMs;
}

const BYTE_UNITS: Readonly<Record<string, number>> = { '': 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

export function parseBytesize(s: string): number | undefined {
  const m = /^(\d+)\s*(KB|MB|GB|TB)?$/i.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]) * (BYTE_UNITS[(m[2] ?? '').toUpperCase()] ?? NaN);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function parsePercent(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*%$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= 100 ? n / 100 : undefined;
}

export function parseBind(s: string): Bind | undefined {
  const port = (p: string): number | undefined => {
    if (!/^\d{1,5}$/.test(p)) return undefined;
    const n = Number(p);
    return n <= 65535 ? n : undefined;
  };
  if (/^\d+$/.test(s)) {
    const p = port(s);
    return p === undefined ? undefined : { host: '0.0.0.0', port: p, portOnly: true };
  }
  let host: string;
  let portText: string;
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (bracket) {
    host = bracket[1] ?? '';
    portText = bracket[2] ?? '';
    if (!isIPv6(host)) return undefined;
  } else {
    const colon = s.lastIndexOf(':');
    if (colon <= 0) return undefined;
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    const hostname = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
    if (!isIPv4(host) && !isIPv6(host) && !hostname.test(host)) return undefined;
  }
  const p = port(portText);
  return p === undefined ? undefined : { host, port: p, portOnly: false };
}

function splitTokens(s: string, seps: RegExp): string[] {
  return s.split(seps).filter((x) => x !== '');
}

export function parseGcPolicy(s: string): GcPolicy | undefined {
  const parts = splitTokens(s, /[|\s]+/);
  if (parts.length !== 2) return undefined;
  const count = parseInteger(parts[0] ?? '');
  const bytes = parseBytesize(parts[1] ?? '');
  if (count === undefined || count < 0 || bytes === undefined) return undefined;
  return { count, bytes };
}

export function parseShutdownPolicy(s: string): ShutdownPolicy | undefined {
  // EMQX's `default` on a 64-bit VM
  if (s === 'default') return { maxMessageQueueLen: 10000, maxHeapSize: 64 * 1024 * 1024 };
  const parts = splitTokens(s, /[|\s]+/);
  if (parts.length !== 2) return undefined;
  const len = parseInteger(parts[0] ?? '');
  const size = parseBytesize(parts[1] ?? '');
  if (len === undefined || len < 0 || size === undefined) return undefined;
  return { maxMessageQueueLen: len, maxHeapSize: size };
}

export function parseFlapping(s: string): FlappingPolicy | undefined {
  const parts = splitTokens(s, /[,\s]+/);
  if (parts.length !== 3) return undefined;
  const threshold = parseInteger(parts[0] ?? '');
  const windowMs = parseDuration(parts[1] ?? '', 'ms');
  const banMs = parseDuration(parts[2] ?? '', 's');
  if (threshold === undefined || threshold < 0 || windowMs === undefined || banMs === undefined) return undefined;
  return { threshold, windowMs, banMs };
}

export function parseRate(s: string): RateLimit | undefined {
  const parts = splitTokens(s, /[,\s]+/);
  if (parts.length !== 2) return undefined;
  const limit = parseBytesize(parts[0] ?? '');
  const periodMs = parseDuration(parts[1] ?? '', 's');
  if (limit === undefined || periodMs === undefined || periodMs === 0) return undefined;
  return { limit, periodMs };
}

export function parsePriorities(s: string): Readonly<Record<string, number>> | null | undefined {
  if (s === 'none') return null;
  const out: Record<string, number> = {};
  for (const item of s.split(',')) {
    const parts = splitTokens(item, /[=\s]+/);
    if (parts.length !== 2) return undefined;
    const prio = parseInteger(parts[1] ?? '');
    if (prio === undefined || prio < 0 || prio > 255) return undefined;
    out[parts[0] ?? ''] = prio;
  }
  return out;
}

export function parseAccess(s: string): ListenerAccessRule | undefined {
  const parts = splitTokens(s, /\s+/);
  if (parts.length !== 2) return undefined;
  const [action, target] = parts;
  if (action !== 'allow' && action !== 'deny') return undefined;
  if (target === 'all') return { action, cidr: 'all' };
  if (target === undefined || parseCidr(target) === undefined) return undefined;
  return { action, cidr: target };
}
