// Values in rules: strings (EMQX binaries), numbers, booleans, maps (objects), arrays, and
// undefined (EMQX's `undefined`: a missing key). JSON null reads as undefined.
import { topicMatches } from '@nemq/sdk';

export type Value = unknown;
export type Row = Record<string, unknown>;

export function isMap(v: unknown): v is Row {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** a JSON text read as a value, when it is one (objects and arrays only, as payloads are used) */
export function maybeJson(v: unknown): unknown {
  if (typeof v === 'string') {
    const c = v.charCodeAt(0);
    // only `{` or `[` can start the objects paths read into
    if (c === 123 || c === 91) {
      try {
        return JSON.parse(v);
      } catch {
        return v;
      }
    }
    return v;
  }
  if (Buffer.isBuffer(v)) return maybeJson(v.toString('utf8'));
  return v;
}

/** `v.key` or `v[index]` (1-based, negative counts from the end) */
export function step(v: unknown, key: string | number): unknown {
  if (v === undefined || v === null) return undefined;
  if (typeof key === 'number') {
    if (typeof v === 'string' || Buffer.isBuffer(v)) v = maybeJson(v);
    if (!Array.isArray(v)) return undefined;
    const i = key > 0 ? key - 1 : key < 0 ? v.length + key : -1;
    const r = i >= 0 ? v[i] : undefined;
    return r === null ? undefined : r;
  }
  if (typeof v === 'string' || Buffer.isBuffer(v)) v = maybeJson(v);
  if (!isMap(v)) return undefined;
  const r = v[key];
  return r === null ? undefined : r;
}

/** sets `path` in `row`, making the maps on the way */
export function putPath(row: Row, path: readonly string[], value: unknown): void {
  let m = row;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    let next = m[k];
    if (typeof next === 'string') next = maybeJson(next);
    if (!isMap(next)) next = {};
    else if (Object.isFrozen(next)) next = { ...next };
    m[k] = next;
    m = next as Row;
  }
  m[path[path.length - 1]!] = value;
}

/** EMQX's `str()`: text of any value (maps and arrays as JSON) */
export function toStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return 'undefined';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatStr(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return JSON.stringify(v);
}

/** floats with at most 10 decimals, trailing zeros removed (float_to_binary [{decimals,10},compact]) */
export function floatStr(f: number): string {
  if (!Number.isFinite(f)) return String(f);
  const s = f.toFixed(10).replace(/0+$/, '');
  return s.endsWith('.') ? `${s}0` : s;
}

export function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    const n = t === '' ? Number.NaN : Number(t);
    if (Number.isNaN(n)) throw new Error(`bad number: ${v}`);
    return n;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new Error(`bad number: ${toStr(v)}`);
}

function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `=` as EMQX compares: a number and a text compare as numbers, an atom-like boolean as its text */
export function eq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return (a ?? undefined) === (b ?? undefined);
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'number' && tb === 'string') return tryNum(b as string) === a;
  if (ta === 'string' && tb === 'number') return tryNum(a as string) === b;
  if (ta === 'boolean' && tb === 'string') return String(a) === b;
  if (ta === 'string' && tb === 'boolean') return a === String(b);
  return sameJson(a, b);
}

function tryNum(s: string): number | undefined {
  const n = s.trim() === '' ? Number.NaN : Number(s);
  return Number.isNaN(n) ? undefined : n;
}

/** `<` `>` `<=` `>=`; false when either side is undefined */
export function order(op: string, a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined || a === null || b === null) return op.length === 2 && a === b;
  if (typeof a === 'number' && typeof b === 'string') b = tryNum(b) ?? b;
  else if (typeof a === 'string' && typeof b === 'number') a = tryNum(a) ?? a;
  const x = a as number;
  const y = b as number;
  switch (op) {
    case '>': return x > y;
    case '<': return x < y;
    case '>=': return x >= y || eq(a, b);
    default: return x <= y || eq(a, b);
  }
}

/** `topic =~ filter` */
export function topicMatch(t: unknown, f: unknown): boolean {
  if (t === undefined && f === undefined) return true;
  if (typeof t !== 'string' || typeof f !== 'string') return false;
  return topicMatches(f, t);
}

/** `+`: numbers add, texts concatenate */
export function plus(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  return toNum(a) + toNum(b);
}

export function arith(op: string, a: unknown, b: unknown): number {
  const x = toNum(a);
  const y = toNum(b);
  switch (op) {
    case '-': return x - y;
    case '*': return x * y;
    case '/':
      if (y === 0) throw new Error('badarith');
      return x / y;
    case 'div':
      if (y === 0 || !Number.isInteger(x) || !Number.isInteger(y)) throw new Error('badarith');
      return Math.trunc(x / y);
    default:
      if (y === 0 || !Number.isInteger(x) || !Number.isInteger(y)) throw new Error('badarith');
      return x % y;
  }
}

/** every column of a row as a plain object (rows may make some columns on first read) */
export function plain(row: Row): Row {
  const f = (row as { full?: () => Row }).full;
  return typeof f === 'function' ? f.call(row) : row;
}
