/**
 * A small reader for the Erlang terms used in acl.conf (what `file:consult/1`
 * accepts, restricted to what ACL rules need): tuples `{…}`, lists `[…]`,
 * atoms (`allow`, `'and'`), strings `"…"` (adjacent strings concatenate),
 * binaries `<<"…">>`, integers; `%` comments; each top-level term ends with
 * a `.` followed by white space, a comment or the end of the file.
 */

export type Term =
  | { readonly type: 'atom'; readonly value: string; readonly line: number }
  | { readonly type: 'string'; readonly value: string; readonly line: number }
  | { readonly type: 'binary'; readonly value: string; readonly line: number }
  | { readonly type: 'integer'; readonly value: number; readonly line: number }
  | { readonly type: 'tuple'; readonly items: readonly Term[]; readonly line: number }
  | { readonly type: 'list'; readonly items: readonly Term[]; readonly line: number };

/** A syntax or rule error in an Erlang-terms file; the message starts with `file:line:`. */
export class TermSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'TermSyntaxError';
  }
}

type Tok =
  | { readonly k: 'punct'; readonly v: '{' | '}' | '[' | ']' | ',' | '|' | '<<' | '>>' | '/'; readonly line: number }
  | { readonly k: 'dot'; readonly line: number }
  | { readonly k: 'atom'; readonly v: string; readonly line: number }
  | { readonly k: 'string'; readonly v: string; readonly line: number }
  | { readonly k: 'integer'; readonly v: number; readonly line: number }
  | { readonly k: 'var'; readonly v: string; readonly line: number }
  | { readonly k: 'eof'; readonly line: number };

const ESC: Readonly<Record<string, string>> = {
  n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', e: '\x1b', s: ' ', d: '\x7f',
  '\\': '\\', '"': '"', "'": "'",
};

function tokenize(src: string, file: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  const fail = (msg: string): never => {
    throw new TermSyntaxError(file, line, `syntax error: ${msg}`);
  };

  const readQuoted = (quote: '"' | "'"): string => {
    const startLine = line;
    let out = '';
    i++; // opening quote
    for (;;) {
      const c = src[i];
      if (c === undefined) throw new TermSyntaxError(file, startLine, `syntax error: unterminated ${quote === '"' ? 'string' : 'quoted atom'}`);
      if (c === quote) {
        i++;
        return out;
      }
      if (c === '\n') line++;
      if (c !== '\\') {
        out += c;
        i++;
        continue;
      }
      const e = src[i + 1];
      if (e === undefined) fail('unterminated escape');
      else if (/[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(src.slice(i + 1)) ?? ['0'];
        out += String.fromCodePoint(parseInt(m[0], 8));
        i += 1 + m[0].length;
      } else if (e === 'x') {
        const m = /^x(?:\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{2}))/.exec(src.slice(i + 1));
        if (!m) fail('bad \\x escape');
        else {
          out += String.fromCodePoint(parseInt(m[1] ?? m[2] ?? '0', 16));
          i += 1 + m[0].length;
        }
      } else if (e === '^') {
        const c2 = src[i + 2];
        if (c2 === undefined) fail('bad \\^ escape');
        else out += String.fromCharCode((c2.charCodeAt(0) & 0x1f) >>> 0);
        i += 3;
      } else {
        out += ESC[e] ?? e;
        i += 2;
      }
    }
  };

  while (i < src.length) {
    const c = src[i] ?? '';
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '%') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === '[' || c === ']' || c === ',' || c === '|' || c === '/') {
      toks.push({ k: 'punct', v: c, line });
      i++;
    } else if (c === '<' && src[i + 1] === '<') {
      toks.push({ k: 'punct', v: '<<', line });
      i += 2;
    } else if (c === '>' && src[i + 1] === '>') {
      toks.push({ k: 'punct', v: '>>', line });
      i += 2;
    } else if (c === '.') {
      const next = src[i + 1];
      if (next !== undefined && !/\s/.test(next) && next !== '%') fail(`unexpected "${next}" after "."`);
      toks.push({ k: 'dot', line });
      i++;
    } else if (c === '"') {
      const l = line;
      toks.push({ k: 'string', v: readQuoted('"'), line: l });
    } else if (c === "'") {
      const l = line;
      toks.push({ k: 'atom', v: readQuoted("'"), line: l });
    } else if (/[a-z]/.test(c)) {
      const m = /^[a-z][A-Za-z0-9_@]*/.exec(src.slice(i));
      const v = m?.[0] ?? c;
      toks.push({ k: 'atom', v, line });
      i += v.length;
    } else if (/[A-Z_]/.test(c)) {
      const m = /^[A-Z_][A-Za-z0-9_@]*/.exec(src.slice(i));
      const v = m?.[0] ?? c;
      toks.push({ k: 'var', v, line });
      i += v.length;
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+/.exec(src.slice(i));
      if (!m) fail(`unexpected "${c}"`);
      else {
        toks.push({ k: 'integer', v: Number(m[0]), line });
        i += m[0].length;
      }
    } else {
      fail(`unexpected "${c}"`);
    }
  }
  toks.push({ k: 'eof', line });
  return toks;
}

/** Read every `Term.` in `src`; throws `TermSyntaxError` at the first syntax error. */
export function parseTerms(src: string, file = '<acl>'): Term[] {
  const toks = tokenize(src, file);
  let p = 0;
  const peek = (): Tok => toks[p] ?? { k: 'eof', line: 0 };
  const next = (): Tok => toks[p++] ?? { k: 'eof', line: 0 };
  const show = (t: Tok): string =>
    t.k === 'eof' ? 'end of file' : t.k === 'dot' ? '"."' : t.k === 'string' ? JSON.stringify(t.v) : `"${t.v}"`;
  const fail = (t: Tok, msg: string): never => {
    throw new TermSyntaxError(file, t.line, `syntax error: ${msg}, got ${show(t)}`);
  };

  const term = (): Term => {
    const t = next();
    switch (t.k) {
      case 'atom':
        return { type: 'atom', value: t.v, line: t.line };
      case 'integer':
        return { type: 'integer', value: t.v, line: t.line };
      case 'string': {
        let value = t.v;
        for (let n = peek(); n.k === 'string'; n = peek()) {
          value += n.v;
          p++;
        }
        return { type: 'string', value, line: t.line };
      }
      case 'var':
        return fail(t, 'variables are not allowed');
      case 'punct':
        if (t.v === '{') return { type: 'tuple', items: sequence('}'), line: t.line };
        if (t.v === '[') return { type: 'list', items: sequence(']'), line: t.line };
        if (t.v === '<<') return binary(t.line);
        return fail(t, 'expected a term');
      default:
        return fail(t, 'expected a term');
    }
  };

  const sequence = (close: '}' | ']'): Term[] => {
    const items: Term[] = [];
    const first = peek();
    if (first.k === 'punct' && first.v === close) {
      p++;
      return items;
    }
    for (;;) {
      items.push(term());
      const t = next();
      if (t.k === 'punct' && t.v === ',') continue;
      if (t.k === 'punct' && t.v === close) return items;
      return fail(t, `expected "," or "${close}"`);
    }
  };

  // <<>>, <<"abc">>, <<"abc"/utf8>>, <<"a", "b">>
  const binary = (line: number): Term => {
    let value = '';
    const first = peek();
    if (first.k === 'punct' && first.v === '>>') {
      p++;
      return { type: 'binary', value, line };
    }
    for (;;) {
      const s = next();
      if (s.k !== 'string') return fail(s, 'expected a string inside <<>>');
      value += s.v;
      const t = peek();
      if (t.k === 'punct' && t.v === '/') {
        p++;
        const ty = next();
        if (ty.k !== 'atom' || (ty.v !== 'utf8' && ty.v !== 'binary')) fail(ty, 'expected utf8');
      }
      const sep = next();
      if (sep.k === 'punct' && sep.v === ',') continue;
      if (sep.k === 'punct' && sep.v === '>>') return { type: 'binary', value, line };
      return fail(sep, 'expected "," or ">>"');
    }
  };

  const out: Term[] = [];
  while (peek().k !== 'eof') {
    out.push(term());
    const t = next();
    if (t.k !== 'dot') fail(t, 'expected "." after a term');
  }
  return out;
}
