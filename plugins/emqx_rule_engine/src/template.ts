// `${var}` templates of actions (republish topic and payload, web hook bodies): compiled once
// into parts; `${a.b}` reads into maps (and JSON texts) of the selected row.
import { step, toStr, type Row } from './values.js';

export type Template = (row: Row) => string;

export function compileTemplate(text: string): Template {
  const parts: Array<string | string[]> = [];
  const re = /\$\{([^}]+)\}/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(m[1]!.trim().split('.'));
    last = re.lastIndex;
  }
  if (last < text.length) parts.push(text.slice(last));
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const s = parts[0];
    return () => s;
  }
  return (row) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : toStr(lookup(row, p));
    return out;
  };
}

/** the value of `path` in `row` */
export function lookup(row: Row, path: readonly string[]): unknown {
  let v: unknown = row[path[0]!];
  for (let i = 1; i < path.length; i++) v = step(v, path[i]!);
  return v;
}

/** a template that is one `${var}`: its path, else undefined */
export function singleVar(text: string): string[] | undefined {
  const m = /^\$\{([^}]+)\}$/.exec(text.trim());
  return m ? m[1]!.trim().split('.') : undefined;
}
