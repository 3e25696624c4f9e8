// Tokens of EMQX's rule SQL. Keywords are case-insensitive; strings are in single or
// double quotes (FROM takes double-quoted topic filters); `--` starts a comment.

export type TokKind = 'id' | 'num' | 'str' | 'op' | 'kw' | 'eof';

export interface Token {
  kind: TokKind;
  /** keywords upper-cased; identifiers as written */
  text: string;
  num?: number;
  /** offset in the SQL, for error messages */
  pos: number;
}

export class SqlError extends Error {}

const KEYWORDS = new Set([
  'SELECT', 'FROM', 'WHERE', 'AS', 'AND', 'OR', 'NOT', 'IN', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END',
  'FOREACH', 'DO', 'INCASE', 'DIV', 'MOD', 'TRUE', 'FALSE',
]);

const OPS = ['>=', '<=', '<>', '!=', '=~', '..', '=', '>', '<', '+', '-', '*', '/', ',', '(', ')', '[', ']', '.'];

function isIdStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$';
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    const pos = i;
    if (c === "'" || c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= n) throw new SqlError(`unterminated string at ${pos}`);
        const d = sql[i]!;
        if (d === c) {
          if (sql[i + 1] === c) { s += c; i += 2; continue; }
          i++;
          break;
        }
        if (d === '\\' && i + 1 < n) {
          const e = sql[i + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          i += 2;
          continue;
        }
        s += d;
        i++;
      }
      out.push({ kind: 'str', text: s, pos });
      continue;
    }
    if (c === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) throw new SqlError(`unterminated identifier at ${pos}`);
      out.push({ kind: 'id', text: sql.slice(i + 1, end), pos });
      i = end + 1;
      continue;
    }
    if (isDigit(c)) {
      let j = i;
      if (c === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
        j += 2;
        while (j < n && /[0-9a-fA-F]/.test(sql[j]!)) j++;
        out.push({ kind: 'num', text: sql.slice(i, j), num: Number.parseInt(sql.slice(i + 2, j), 16), pos });
        i = j;
        continue;
      }
      while (j < n && isDigit(sql[j]!)) j++;
      // a `.` followed by a digit continues the number (but `1..3` is a range)
      if (sql[j] === '.' && isDigit(sql[j + 1] ?? '')) {
        j++;
        while (j < n && isDigit(sql[j]!)) j++;
      }
      if ((sql[j] === 'e' || sql[j] === 'E') && /[-+0-9]/.test(sql[j + 1] ?? '')) {
        j += 2;
        while (j < n && isDigit(sql[j]!)) j++;
      }
      out.push({ kind: 'num', text: sql.slice(i, j), num: Number(sql.slice(i, j)), pos });
      i = j;
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && (isIdStart(sql[j]!) || isDigit(sql[j]!))) j++;
      const word = sql.slice(i, j);
      const up = word.toUpperCase();
      out.push(KEYWORDS.has(up) ? { kind: 'kw', text: up, pos } : { kind: 'id', text: word, pos });
      i = j;
      continue;
    }
    const op = OPS.find((o) => sql.startsWith(o, i));
    if (op === undefined) throw new SqlError(`unexpected character '${c}' at ${pos}`);
    out.push({ kind: 'op', text: op, pos });
    i += op.length;
  }
  out.push({ kind: 'eof', text: '', pos: n });
  return out;
}
