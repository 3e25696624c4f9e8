// The built-in SQL functions of EMQX 4.3 (math, bits, types, strings, maps, arrays, hashes,
// encodings, time, and the message shortcuts topic(), clientid(), ...). Texts index from 0 in
// substr; arrays from 1 in nth/sublist, as EMQX.
import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { topicMatches } from '@nemq/sdk';
import type { Scope } from './scope.js';
import { floatStr, isMap, maybeJson, step, toNum, toStr, type Row } from './values.js';

export type Fn = (args: unknown[], s: Scope) => unknown;

function int(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = toNum(v);
  return Math.round(n) === n ? n : Math.trunc(n);
}
function str(v: unknown): string {
  return toStr(v);
}
function strArg(v: unknown): string {
  if (typeof v !== 'string') throw new Error(`not a string: ${toStr(v)}`);
  return v;
}
function list(v: unknown): unknown[] {
  const l = typeof v === 'string' ? maybeJson(v) : v;
  if (!Array.isArray(l)) throw new Error(`not an array: ${toStr(v)}`);
  return l;
}
function map(v: unknown): Row {
  const m = typeof v === 'string' ? maybeJson(v) : v;
  if (!isMap(m)) throw new Error(`not a map: ${toStr(v)}`);
  return m;
}
function num1(f: (x: number) => number): Fn {
  return ([a]) => f(toNum(a));
}
function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
const TIME_UNITS: Record<string, number> = { second: 1000, millisecond: 1, microsecond: 0.001, nanosecond: 0.000001 };
function unit(u: unknown): number {
  const f = TIME_UNITS[u === undefined ? 'second' : toStr(u)];
  if (f === undefined) throw new Error(`bad time unit: ${toStr(u)}`);
  return f;
}
function rfc3339(ms: number, u: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const local = new Date(ms + off * 60000).toISOString().slice(0, 19);
  const frac = u === 1 ? `.${String(Math.floor(ms) % 1000).padStart(3, '0')}` : '';
  const sign = off >= 0 ? '+' : '-';
  const hh = String(Math.floor(Math.abs(off) / 60)).padStart(2, '0');
  const mm = String(Math.abs(off) % 60).padStart(2, '0');
  return `${local}${frac}${sign}${hh}:${mm}`;
}
function hash(alg: string): Fn {
  return ([a]) => createHash(alg).update(typeof a === 'string' ? a : toStr(a)).digest('hex');
}
function splitText(s: string, sep: string, mode: string): string[] {
  let parts: string[];
  if (mode.startsWith('leading')) {
    const i = s.indexOf(sep);
    parts = i < 0 ? [s] : [s.slice(0, i), s.slice(i + sep.length)];
  } else if (mode.startsWith('trailing')) {
    const i = s.lastIndexOf(sep);
    parts = i < 0 ? [s] : [s.slice(0, i), s.slice(i + sep.length)];
  } else parts = s.split(sep);
  return mode.endsWith('notrim') ? parts : parts.filter((p) => p !== '');
}

export const FUNCS: Record<string, Fn> = {
  // message shortcuts
  msgid: (_a, s) => s.cols.id,
  qos: (_a, s) => s.cols.qos,
  flags: (_a, s) => s.cols.flags,
  flag: ([f], s) => step(s.cols.flags, toStr(f)),
  topic: ([n], s) => (n === undefined ? s.cols.topic : toStr(s.cols.topic).split('/')[int(n) - 1]),
  clientid: (_a, s) => s.cols.clientid,
  clientip: (_a, s) => s.cols.peerhost,
  peerhost: (_a, s) => s.cols.peerhost,
  username: (_a, s) => s.cols.username,
  payload: ([p], s) => {
    if (p === undefined) return s.cols.payload;
    let v = s.ev.payload();
    for (const k of toStr(p).split('.')) v = step(v, k);
    return v;
  },
  contains_topic: ([l, t]) => list(l).some((x) => (Array.isArray(x) ? x[0] : x) === t),
  contains_topic_match: ([l, t]) => list(l).some((x) => topicMatches(toStr(Array.isArray(x) ? x[0] : x), toStr(t))),
  null: () => undefined,
  // math
  abs: num1(Math.abs),
  acos: num1(Math.acos),
  acosh: num1(Math.acosh),
  asin: num1(Math.asin),
  asinh: num1(Math.asinh),
  atan: num1(Math.atan),
  atanh: num1(Math.atanh),
  ceil: num1(Math.ceil),
  cos: num1(Math.cos),
  cosh: num1(Math.cosh),
  exp: num1(Math.exp),
  floor: num1(Math.floor),
  fmod: ([a, b]) => toNum(a) % toNum(b),
  log: num1(Math.log),
  log10: num1(Math.log10),
  log2: num1(Math.log2),
  power: ([a, b]) => toNum(a) ** toNum(b),
  round: num1((x) => (x < 0 ? -Math.round(-x) : Math.round(x))),
  sin: num1(Math.sin),
  sinh: num1(Math.sinh),
  sqrt: num1(Math.sqrt),
  tan: num1(Math.tan),
  tanh: num1(Math.tanh),
  // bits (integers)
  bitnot: ([a]) => ~int(a),
  bitand: ([a, b]) => int(a) & int(b),
  bitor: ([a, b]) => int(a) | int(b),
  bitxor: ([a, b]) => int(a) ^ int(b),
  bitsl: ([a, b]) => int(a) << int(b),
  bitsr: ([a, b]) => int(a) >> int(b),
  bitsize: ([a]) => Buffer.byteLength(str(a)) * 8,
  // types
  str: ([a]) => str(a),
  str_utf8: ([a]) => str(a),
  bool: ([a]) => {
    if (a === true || a === 'true' || a === 1) return true;
    if (a === false || a === 'false' || a === 0) return false;
    throw new Error(`bad boolean: ${toStr(a)}`);
  },
  int: ([a]) => int(a),
  float: ([a]) => toNum(a),
  float2str: ([a, p]) => toNum(a).toFixed(int(p)),
  map: ([a]) => map(a),
  bin2hexstr: ([a]) => Buffer.from(str(a)).toString('hex').toUpperCase(),
  hexstr2bin: ([a]) => Buffer.from(str(a), 'hex').toString('latin1'),
  is_null: ([a]) => a === undefined || a === null,
  is_not_null: ([a]) => a !== undefined && a !== null,
  is_str: ([a]) => typeof a === 'string',
  is_bool: ([a]) => typeof a === 'boolean',
  is_int: ([a]) => typeof a === 'number' && Number.isInteger(a),
  is_float: ([a]) => typeof a === 'number' && !Number.isInteger(a),
  is_num: ([a]) => typeof a === 'number',
  is_map: ([a]) => isMap(a),
  is_array: ([a]) => Array.isArray(a),
  // strings
  lower: ([a]) => strArg(a).toLowerCase(),
  upper: ([a]) => strArg(a).toUpperCase(),
  trim: ([a]) => strArg(a).trim(),
  ltrim: ([a]) => strArg(a).trimStart(),
  rtrim: ([a]) => strArg(a).trimEnd(),
  reverse: ([a]) => [...strArg(a)].reverse().join(''),
  strlen: ([a]) => [...strArg(a)].length,
  substr: ([a, st, len]) => {
    const chars = [...strArg(a)];
    const from = int(st);
    return chars.slice(from, len === undefined ? undefined : from + int(len)).join('');
  },
  split: ([a, sep, mode]) => splitText(strArg(a), strArg(sep), mode === undefined ? 'all' : toStr(mode)),
  concat: ([a, b]) => str(a) + str(b),
  tokens: ([a, seps, nocrlf]) => {
    const set = strArg(seps) + (nocrlf === 'nocrlf' ? '\r\n' : '');
    return strArg(a).split(new RegExp(`[${escapeRe(set)}]+`)).filter((p) => p !== '');
  },
  sprintf: ([fmt, ...args]) => sprintf(strArg(fmt), args),
  pad: ([a, len, where, ch]) => {
    const s = strArg(a);
    const n = int(len);
    const c = ch === undefined ? ' ' : strArg(ch);
    const w = where === undefined ? 'trailing' : toStr(where);
    const missing = Math.max(0, n - [...s].length);
    if (w === 'leading') return c.repeat(missing) + s;
    if (w === 'both') return c.repeat(Math.floor(missing / 2)) + s + c.repeat(missing - Math.floor(missing / 2));
    return s + c.repeat(missing);
  },
  replace: ([a, p, r, where]) => {
    const s = strArg(a);
    const pat = strArg(p);
    const rep = strArg(r);
    const w = where === undefined ? 'all' : toStr(where);
    if (w === 'all') return s.split(pat).join(rep);
    const i = w === 'leading' ? s.indexOf(pat) : s.lastIndexOf(pat);
    return i < 0 ? s : s.slice(0, i) + rep + s.slice(i + pat.length);
  },
  regex_match: ([a, re]) => new RegExp(strArg(re)).test(strArg(a)),
  regex_replace: ([a, re, r]) => strArg(a).replace(new RegExp(strArg(re), 'g'), strArg(r)),
  ascii: ([a]) => strArg(a).charCodeAt(0),
  find: ([a, p, where]) => {
    const s = strArg(a);
    const i = where === 'trailing' ? s.lastIndexOf(strArg(p)) : s.indexOf(strArg(p));
    return i < 0 ? '' : s.slice(i);
  },
  // maps
  map_new: () => ({}),
  map_get: ([k, m, d]) => mapGet(k, m, d),
  mget: ([k, m, d]) => mapGet(k, m, d),
  map_put: ([k, v, m]) => mapPut(k, v, m),
  mput: ([k, v, m]) => mapPut(k, v, m),
  // arrays
  nth: ([n, l]) => {
    const a = list(l);
    const i = int(n);
    if (i < 1 || i > a.length) throw new Error(`nth: no element ${i}`);
    return a[i - 1];
  },
  length: ([l]) => list(l).length,
  sublist: ([a, b, c]) => {
    if (c === undefined) return list(b).slice(0, int(a));
    const st = int(a) - 1;
    return list(c).slice(st, st + int(b));
  },
  first: ([l]) => {
    const a = list(l);
    if (a.length === 0) throw new Error('first: empty array');
    return a[0];
  },
  last: ([l]) => {
    const a = list(l);
    if (a.length === 0) throw new Error('last: empty array');
    return a[a.length - 1];
  },
  contains: ([x, l]) => list(l).some((y) => y === x || JSON.stringify(y) === JSON.stringify(x)),
  // hashes
  md5: hash('md5'),
  sha: hash('sha1'),
  sha256: hash('sha256'),
  // encodings
  base64_encode: ([a]) => Buffer.from(str(a)).toString('base64'),
  base64_decode: ([a]) => Buffer.from(strArg(a), 'base64').toString('utf8'),
  json_encode: ([a]) => JSON.stringify(a ?? null),
  json_decode: ([a]) => JSON.parse(strArg(a)),
  // time
  now_timestamp: ([u]) => Math.floor(Date.now() / unit(u)),
  now_rfc3339: ([u]) => rfc3339(Date.now(), unit(u)),
  unix_ts_to_rfc3339: ([ts, u]) => rfc3339(toNum(ts) * unit(u), unit(u)),
  rfc3339_to_unix_ts: ([s, u]) => {
    const ms = Date.parse(strArg(s));
    if (Number.isNaN(ms)) throw new Error(`bad rfc3339 time: ${toStr(s)}`);
    return Math.floor(ms / unit(u));
  },
  uuid_v4: () => randomUUID(),
};

function mapGet(k: unknown, m: unknown, d: unknown): unknown {
  let v: unknown = map(m);
  for (const key of toStr(k).split('.')) v = step(v, key);
  return v === undefined ? d : v;
}

function mapPut(k: unknown, v: unknown, m: unknown): Row {
  const out: Row = { ...map(m) };
  const path = toStr(k).split('.');
  let cur = out;
  for (let i = 0; i < path.length - 1; i++) {
    const next = isMap(cur[path[i]!]) ? { ...(cur[path[i]!] as Row) } : {};
    cur[path[i]!] = next;
    cur = next;
  }
  cur[path[path.length - 1]!] = v;
  return out;
}

/** `~s ~p ~w ~b ~f ~n ~~` of Erlang's io_lib:format, as sprintf uses them */
function sprintf(fmt: string, args: unknown[]): string {
  let i = 0;
  return fmt.replace(/~([spwbfn~])/g, (_m, c: string) => {
    if (c === '~') return '~';
    if (c === 'n') return '\n';
    const a = args[i++];
    if (c === 'f') return toNum(a).toFixed(6);
    if (c === 'p' || c === 'w') return typeof a === 'string' ? JSON.stringify(a) : toStr(a);
    return toStr(a);
  });
}

export { floatStr };
