// <node.data_dir>/loaded_modules: one `{emqx_mod_presence, true}.` line per module, as EMQX
// writes it. Missing: EMQX's template (the internal ACL and presence on, the rest off).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export const DEFAULT_LOADED: Readonly<Record<string, boolean>> = { emqx_mod_acl_internal: true, emqx_mod_presence: true };

/** the modules the file names, true = loaded; undefined when there is no file */
export function readLoaded(file: string): Map<string, boolean> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const out = new Map<string, boolean>();
  for (const m of text.matchAll(/\{\s*([a-z0-9_]+)\s*,\s*(true|false)\s*\}\s*\./g)) out.set(m[1]!, m[2] === 'true');
  return out;
}

export function writeLoaded(file: string, mods: ReadonlyMap<string, boolean>): void {
  const text = [...mods].map(([n, on]) => `{${n}, ${on}}.\n`).join('');
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
