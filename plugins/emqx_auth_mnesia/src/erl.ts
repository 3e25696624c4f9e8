// Erlang's `~p` of the terms the ctl commands print (emqx_ctl:print), so the output reads as
// EMQX's: a binary is <<"text">> when every byte is printable latin-1, else <<1,2,3>>.
const ESCAPES: Readonly<Record<number, string>> = { 0x22: '\\"', 0x5c: '\\\\', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x08: '\\b', 0x0c: '\\f', 0x1b: '\\e' };

const printable = (b: number): boolean => (b >= 0x20 && b <= 0x7e) || b >= 0xa0 || ESCAPES[b] !== undefined;

/** `~p` of a binary */
export function erlBinary(value: string | Buffer): string {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (b.length === 0) return '<<>>';
  if (!b.every(printable)) return `<<${[...b].join(',')}>>`;
  let s = '';
  for (const c of b) s += ESCAPES[c] ?? String.fromCharCode(c);
  return `<<"${s}">>`;
}
