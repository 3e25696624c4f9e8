/**
 * loadConfig: read emqx.conf → apply EMQX_* env → apply overrides → check
 * every key and value against the schema → fill schema defaults the way
 * cuttlefish does → build the typed, deep-frozen Config.
 *
 * All problems are collected and thrown together as one ConfigError.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { buildConfig } from './build/index.js';
import { collectEnvOverrides } from './env.js';
import { ConfigError } from './errors.js';
import { scanConfText } from './parse.js';
import { instantiate, lookupKey, resolvePath, SCHEMA, type KeyMatch, type SchemaEntry } from './schema.js';
import type { Setting } from './setting.js';
import type { Config, LoadConfigOptions } from './types.js';
import { describeType, parseValue } from './values.js';

export type { Setting };

/**
 * `{{ platform_etc_dir }}`-style placeholders found in EMQX's source-tree
 * emqx.conf, with the values of a relocatable install.
 */
const PLATFORM_DIRS: Readonly<Record<string, string>> = {
  platform_etc_dir: 'etc',
  platform_data_dir: 'data',
  platform_log_dir: 'log',
  platform_plugins_dir: 'plugins',
  platform_lib_dir: 'lib',
  platform_bin_dir: 'bin',
  crash_dump: 'log/crash.dump',
};

function expandPlaceholders(text: string): string {
  return text.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (all, name: string) => PLATFORM_DIRS[name] ?? all);
}

export function loadConfig(opts: LoadConfigOptions): Config {
  const problems: string[] = [];
  const file = opts.file ?? '<text>';

  let text = opts.text;
  if (text === undefined) {
    if (opts.file === undefined) throw new ConfigError(['loadConfig: give `file` or `text`']);
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError([`${file}: cannot read: ${(err as Error).message}`]);
    }
  }
  const baseDir = resolve(
    opts.baseDir ?? (opts.file !== undefined ? dirname(dirname(resolve(opts.file))) : process.cwd()),
  );

  const settings = new Map<string, Setting>();
  const set = (key: string, raw: string, source: string, match: KeyMatch, where: string): void => {
    const expanded = expandPlaceholders(raw);
    const value = parseValue(match.entry.type, expanded);
    if (value === undefined) {
      problems.push(`${where}: ${key}: expected ${describeType(match.entry.type)}, got ${JSON.stringify(raw)}`);
      return;
    }
    // re-setting moves nothing: a Map keeps first-insertion order, so listeners stay in file order
    settings.set(key, { key, value, text: expanded, source, entry: match.entry, vars: match.vars });
  };

  // 1. the file; later duplicates win. `include <file>` lines add another
  //    file's settings without overriding this one's (as cuttlefish merges them)
  const entries = scanConfText(text, file, problems);
  const own = new Set(entries.filter((e) => !e.include).map((e) => e.key));
  const included: Array<{ key: string; value: string; where: string }> = [];
  for (const e of entries.filter((x) => x.include)) {
    const incPath = expandPlaceholders(e.value);
    const incFile = isAbsolute(incPath) ? incPath : resolve(baseDir, incPath);
    let incText: string;
    try {
      incText = readFileSync(incFile, 'utf8');
    } catch (err) {
      problems.push(`${file}:${e.line}: include ${e.value}: cannot read: ${(err as Error).message}`);
      continue;
    }
    for (const ie of scanConfText(incText, incPath, problems)) {
      if (ie.include) problems.push(`${incPath}:${ie.line}: include: nested includes are not supported`);
      else if (!own.has(ie.key)) included.push({ key: ie.key, value: ie.value, where: `${incPath}:${ie.line}` });
    }
  }
  for (const e of [
    ...included,
    ...entries.filter((x) => !x.include).map((x) => ({ key: x.key, value: x.value, where: `${file}:${x.line}` })),
  ]) {
    const where = e.where;
    const match = lookupKey(e.key);
    if (!match) {
      problems.push(`${where}: ${e.key}: unknown key`);
      continue;
    }
    set(e.key, e.value, where, match, where);
  }

  // 2. EMQX_* environment
  if (opts.env) {
    for (const o of collectEnvOverrides(opts.env, settings.keys())) {
      const where = `env ${o.name}`;
      if (o.value === '') settings.delete(o.key); // EMQX: an empty value unsets the key
      else set(o.key, o.value, where, o.match, where);
    }
  }

  // 3. explicit overrides
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    const match = lookupKey(key);
    if (!match) {
      problems.push(`override: ${key}: unknown key`);
      continue;
    }
    set(key, value, 'override', match, 'override');
  }

  // 4. schema defaults, cuttlefish style: plain keys always; `$var` keys once
  //    for every binding that appears in a configured key of the same family
  fillDefaults(settings);

  // 5. relative paths → install root
  for (const [key, s] of settings) {
    if (s.entry.type.kind === 'path' && typeof s.value === 'string' && !isAbsolute(s.value)) {
      settings.set(key, { ...s, value: resolvePath(baseDir, s.value) });
    }
  }

  const config = buildConfig(settings, baseDir, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function prefixOf(pattern: string): string | undefined {
  const segs = pattern.split('.');
  let last = -1;
  segs.forEach((s, i) => {
    if (s.startsWith('$')) last = i;
  });
  return last < 0 ? undefined : segs.slice(0, last + 1).join('.');
}

function fillDefaults(settings: Map<string, Setting>): void {
  // bindings per pattern prefix ending at a variable, from configured keys:
  // `listener.tcp.external.access.1` binds `listener.tcp.$name` to external
  // and `listener.tcp.$name.access.$id` to external/1
  const bindings = new Map<string, Map<string, Readonly<Record<string, string>>>>();
  for (const s of settings.values()) {
    const segs = s.entry.key.split('.');
    segs.forEach((seg, i) => {
      if (!seg.startsWith('$')) return;
      const prefix = segs.slice(0, i + 1).join('.');
      const vars: Record<string, string> = {};
      for (const v of segs.slice(0, i + 1)) {
        const bound = s.vars[v];
        if (v.startsWith('$') && bound !== undefined) vars[v] = bound;
      }
      const id = instantiate(prefix, vars);
      let m = bindings.get(prefix);
      if (!m) bindings.set(prefix, (m = new Map()));
      if (!m.has(id)) m.set(id, vars);
    });
  }
  for (const entry of SCHEMA) {
    if (entry.default === undefined) continue;
    const prefix = prefixOf(entry.key);
    const varSets = prefix === undefined ? [{}] : [...(bindings.get(prefix)?.values() ?? [])];
    for (const vars of varSets) {
      const key = instantiate(entry.key, vars);
      if (settings.has(key)) continue;
      const value = parseValue(entry.type, entry.default);
      if (value === undefined) throw new Error(`schema default of ${entry.key} does not parse: ${entry.default}`);
      settings.set(key, { key, value, text: entry.default, source: 'default', entry, vars });
    }
  }
}
