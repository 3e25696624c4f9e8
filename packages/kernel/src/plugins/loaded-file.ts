// data/loaded_plugins in EMQX's format: `{name, true}.`, `{name, false}.` or `name.` per line.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** name → load at boot; later lines win */
export function readLoaded(file: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  if (!existsSync(file)) return out;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/%.*$/, '').trim();
    if (!line) continue;
    const t = /^\{\s*'?([A-Za-z0-9_@.-]+)'?\s*,\s*(true|false)\s*\}\s*\.$/.exec(line);
    if (t) {
      out.set(t[1]!, t[2] === 'true');
      continue;
    }
    const a = /^'?([A-Za-z0-9_@.-]+)'?\s*\.$/.exec(line);
    if (a) out.set(a[1]!, true);
  }
  return out;
}

export function writeLoaded(file: string, entries: Map<string, boolean>): void {
  mkdirSync(dirname(file), { recursive: true });
  const lines = [...entries].map(([n, on]) => `{${n}, ${on}}.`);
  writeFileSync(file, lines.join('\n') + '\n');
}
