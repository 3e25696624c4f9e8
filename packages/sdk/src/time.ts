// Times as EMQX prints them.

/** `YYYY-MM-DD HH:mm:ss` in local time (emqx_ctl, $SYS datetime, the HTTP API); `at` is a Date or ms since the epoch */
export function datetime(at: Date | number = new Date()): string {
  const d = typeof at === 'number' ? new Date(at) : at;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
