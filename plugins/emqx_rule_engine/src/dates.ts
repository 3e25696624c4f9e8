// format_date / date_to_unix_ts / timezone_to_second: EMQX's date formats, `%Y %m %d %H %M %S`,
// `%N` (nanoseconds), `%3N`, `%6N`, `%z` (+0800), `%:z` (+08:00), `%::z` (+08:00:00); offsets
// `Z`, `local`, `+08:00`, `+0800`, `-05:00:00` or a number of seconds.
import { toNum, toStr } from './values.js';

const UNITS: Record<string, number> = { second: 1e9, millisecond: 1e6, microsecond: 1e3, nanosecond: 1 };

function nsPer(u: unknown): number {
  const n = UNITS[toStr(u)];
  if (n === undefined) throw new Error(`bad time unit: ${toStr(u)}`);
  return n;
}

export function offsetSeconds(o: unknown, at = Date.now()): number {
  if (o === undefined) return 0;
  if (typeof o === 'number') return Math.trunc(o);
  const s = toStr(o);
  if (s === 'Z' || s === 'z') return 0;
  if (s === 'local') return -new Date(at).getTimezoneOffset() * 60;
  const m = /^([+-])(\d\d):?(\d\d)(?::(\d\d))?$/.exec(s);
  if (!m) throw new Error(`bad_time_offset: ${s}`);
  const v = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -v : v;
}

const p2 = (n: number): string => String(n).padStart(2, '0');

function zone(sec: number, style: 0 | 1 | 2): string {
  const sign = sec < 0 ? '-' : '+';
  const a = Math.abs(sec);
  const h = p2(Math.floor(a / 3600));
  const m = p2(Math.floor((a % 3600) / 60));
  if (style === 0) return `${sign}${h}${m}`;
  if (style === 1) return `${sign}${h}:${m}`;
  return `${sign}${h}:${m}:${p2(a % 60)}`;
}

/** format_date(unit, offset, format[, time]) */
export function formatDate(unit: unknown, offset: unknown, fmt: unknown, time?: unknown): string {
  const per = nsPer(unit);
  // milliseconds and the nanoseconds below them apart: nanoseconds since 1970 exceed 2^53
  let ms: number;
  let sub = 0;
  if (time === undefined) ms = Date.now();
  else {
    const t = toNum(time);
    if (per >= 1e6) ms = t * (per / 1e6);
    else {
      const k = 1e6 / per;
      ms = Math.floor(t / k);
      sub = (t - ms * k) * per;
    }
  }
  const off = offsetSeconds(offset, ms);
  const d = new Date(ms + off * 1000);
  const frac = (((ms % 1000) + 1000) % 1000) * 1e6 + sub;
  return toStr(fmt).replace(/%(::z|:z|z|3N|6N|N|Y|m|d|H|M|S)/g, (_m, k: string) => {
    switch (k) {
      case 'Y': return String(d.getUTCFullYear());
      case 'm': return p2(d.getUTCMonth() + 1);
      case 'd': return p2(d.getUTCDate());
      case 'H': return p2(d.getUTCHours());
      case 'M': return p2(d.getUTCMinutes());
      case 'S': return p2(d.getUTCSeconds());
      case 'N': return String(frac).padStart(9, '0');
      case '3N': return String(Math.floor(frac / 1e6)).padStart(3, '0');
      case '6N': return String(Math.floor(frac / 1e3)).padStart(6, '0');
      case 'z': return zone(off, 0);
      case ':z': return zone(off, 1);
      default: return zone(off, 2);
    }
  });
}

/** date_to_unix_ts(unit, [offset,] format, text): the text read by the format */
export function dateToUnixTs(unit: unknown, a: unknown, b: unknown, c?: unknown): number {
  const [offset, fmt, text] = c === undefined ? [undefined, a, b] : [a, b, c];
  const f = toStr(fmt);
  const s = toStr(text);
  const parts: Record<string, number> = { Y: 1970, m: 1, d: 1, H: 0, M: 0, S: 0, ns: 0 };
  let zoneSec: number | undefined;
  let i = 0;
  for (let j = 0; j < f.length;) {
    const m = /^%(::z|:z|z|3N|6N|N|Y|m|d|H|M|S)/.exec(f.slice(j));
    if (!m) {
      if (s[i] !== f[j]) throw new Error(`date does not match the format at ${i}`);
      i++;
      j++;
      continue;
    }
    j += m[0].length;
    const k = m[1]!;
    if (k.endsWith('z')) {
      const z = /^(Z|z|[+-]\d\d(?::?\d\d)?(?::\d\d)?)/.exec(s.slice(i));
      if (!z) throw new Error(`no time zone at ${i}`);
      zoneSec = offsetSeconds(z[1]);
      i += z[1]!.length;
      continue;
    }
    const width = k === 'Y' ? 4 : k === 'N' ? 9 : k === '3N' ? 3 : k === '6N' ? 6 : 2;
    const digits = s.slice(i, i + width);
    if (!/^\d+$/.test(digits) || digits.length !== width) throw new Error(`no ${k} at ${i}`);
    i += width;
    const n = Number(digits);
    if (k === 'N') parts.ns = n;
    else if (k === '3N') parts.ns = n * 1e6;
    else if (k === '6N') parts.ns = n * 1e3;
    else parts[k] = n;
  }
  const off = zoneSec ?? offsetSeconds(offset);
  const ms = Date.UTC(parts.Y!, parts.m! - 1, parts.d!, parts.H!, parts.M!, parts.S!) - off * 1000 + Math.floor(parts.ns! / 1e6);
  const rest = parts.ns! % 1e6;
  const per = nsPer(unit);
  if (per >= 1e6) return Math.floor(ms / (per / 1e6));
  return ms * (1e6 / per) + Math.floor(rest / per);
}
