/**
 * Reader for the cuttlefish `.conf` syntax used by emqx.conf (EMQX's
 * cuttlefish fork):
 *
 *   # comment                      (only whole lines; leading blanks allowed)
 *   key.with.dots = bare value     (runs to the end of the line, trailing
 *                                   blanks dropped; a `#` inside is kept, so
 *                                   `topic = a/#` works)
 *   key = "quoted value"           (a value that is entirely one "…" string is
 *                                   unquoted; \" \\ \n \t \r escapes)
 *   {{ placeholder }}              (template lines are skipped)
 *   include other.conf             (returned as an entry with `include: true`)
 *
 * Keys are dot-separated words of letters, digits, `_`, `-`, `@`, `/`, `:`.
 * Later duplicates are kept here; the loader lets the last one win.
 */
import { ConfigError } from './errors.js';
import type { ConfEntry } from './types.js';

const KEY_RE = /^[A-Za-z0-9_@/:-]+(?:\.[A-Za-z0-9_@/:-]+)*$/;

/** Same as `parseConfText`, but appends syntax problems to `problems` instead of throwing. */
export function scanConfText(text: string, file: string, problems: string[]): ConfEntry[] {
  const entries: ConfEntry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const where = `${file}:${line}`;
    const body = raw.trim();
    if (body === '' || body.startsWith('#') || /^\{\{.*\}\}$/.test(body)) return;

    const eq = body.indexOf('=');
    const inc = eq < 0 ? /^include\s+(\S.*)$/.exec(body) : null;
    if (inc) {
      entries.push({ key: 'include', value: (inc[1] ?? '').trim(), line, include: true });
      return;
    }
    if (eq < 0) {
      problems.push(`${where}: syntax error: expected "key = value", got ${JSON.stringify(body)}`);
      return;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY_RE.test(key)) {
      problems.push(
        `${where}: syntax error: bad key ${JSON.stringify(key)} ` +
          '(expected dot-separated words of letters, digits and _ - @ / :)',
      );
      return;
    }
    const rest = body.slice(eq + 1).trimStart();
    const value = readValue(rest);
    if (typeof value !== 'string') {
      problems.push(`${where}: ${key}: syntax error: ${value.error}`);
      return;
    }
    entries.push({ key, value, line });
  });
  return entries;
}

/** Parse conf text into `{ key, value, line }` entries; throws `ConfigError` listing every syntax error. */
export function parseConfText(text: string, file = '<text>'): ConfEntry[] {
  const problems: string[] = [];
  const entries = scanConfText(text, file, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return entries;
}

function readValue(rest: string): string | { error: string } {
  const value = rest.trimEnd();
  if (value === '') return { error: 'missing value after "=" (write "" for an empty string)' };
  if (/^"(?:[^"\\]|\\.)*"$/.test(value)) return unquote(value.slice(1, -1));
  return value;
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };

function unquote(body: string): string | { error: string } {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = body[i + 1];
    const mapped = next === undefined ? undefined : ESCAPES[next];
    if (mapped === undefined) return { error: `unknown escape "\\${next ?? ''}" in quoted value` };
    out += mapped;
    i++;
  }
  return out;
}
