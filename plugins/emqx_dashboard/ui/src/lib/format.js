// Numbers, sizes and times as people read them.
export function bytes(n) {
  if (typeof n === 'string') return n;
  if (typeof n !== 'number' || !Number.isFinite(n)) return '-';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${u[i]}`;
}

/** `1.21G` / `512.00M` (EMQX's memory strings) or a number, as bytes */
export function toBytes(v) {
  if (typeof v === 'number') return v;
  const m = /^([\d.]+)\s*([KMGT]?)B?$/i.exec(String(v ?? ''));
  if (!m) return NaN;
  return Number(m[1]) * 1024 ** ' KMGT'.indexOf((m[2] || ' ').toUpperCase());
}

export function num(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '-';
  return n >= 100 || Number.isInteger(n) ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/** EMQX times are `YYYY-MM-DD HH:MM:SS` strings or ms numbers */
export function time(t) {
  if (t === undefined || t === null || t === '') return '-';
  if (typeof t === 'string') return t;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString();
}

export const yesno = (b) => (b ? 'yes' : 'no');
