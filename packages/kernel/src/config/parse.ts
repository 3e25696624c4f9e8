/**
 * Reader for the cuttlefish `.conf` syntax used by emqx.conf:
 *
 *   # comment                      (a `#` outside quotes ends the line)
 *   key.with.dots = bare value     (trailing blanks dropped)
 *   key = "quoted value"           (\" \\ \n \t escapes; `#` allowed inside)
 *
 * Keys are dot-separated words of letters, digits, `_` and `-`.
 * Later duplicates are kept here; the loader lets the last one win.
 */
import { ConfigError } from './errors.js';
import type { ConfEntry } from './types.js';

const KEY_RE = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/** Same as `parseConfText`, but appends syntax problems to `problems` instead of throwing. */
export function scanConfText(text: string, file: string, problems: string[]): ConfEntry[] {
  const entries: ConfEntry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const where = `${file}:${line}`;
    const body = raw.trim();
    if (body === '' || body.startsWith('#')) return;

    const eq = body.indexOf('=');
    if (eq < 0) {
      problems.push(`${where}: syntax error: expected "key = value", got ${JSON.stringify(body)}`);
      return;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY_RE.test(key)) {
      problems.push(
        `${where}: syntax error: bad key ${JSON.stringify(key)} ` +
          '(expected dot-separated words of letters, digits, "_" and "-")',
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
  if (rest.startsWith('"')) return readQuoted(rest);
  const hash = rest.indexOf('#');
  const value = (hash < 0 ? rest : rest.slice(0, hash)).trimEnd();
  if (value === '') return { error: 'missing value after "=" (write "" for an empty string)' };
  return value;
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };

function readQuoted(rest: string): string | { error: string } {
  let out = '';
  for (let i = 1; i < rest.length; i++) {
    const c = rest[i];
    if (c === '\\') {
      const next = rest[i + 1];
      const mapped = next === undefined ? undefined : ESCAPES[next];
      if (mapped === undefined) return { error: `unknown escape "\\${next ?? ''}" in quoted value` };
      out += mapped;
      i++;
    } else if (c === '"') {
      const tail = rest.slice(i + 1).trim();
      if (tail !== '' && !tail.startsWith('#')) {
        return { error: `unexpected text after closing quote: ${JSON.stringify(tail)}` };
      }
      return out;
    } else {
      out += c;
    }
  }
  return { error: 'unterminated quoted value' };
}
