// etc/plugins/<name>.conf: EMQX key = value lines checked against the plugin's schema.
import type { ConfField, ConfSchema, ConfValues } from '@nemq/sdk';
import { parseConfText } from '../config/parse.js';
import { envNameToKey } from '../config/env.js';
import { describeType, parseValue, type ValueType } from '../config/values.js';

function valueType(f: ConfField): ValueType {
  switch (f.type) {
    case 'integer':
      return { kind: 'integer' };
    case 'float':
      return { kind: 'float' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'duration':
      return { kind: 'duration', unit: 'ms' };
    case 'bytesize':
      return { kind: 'bytesize' };
    case 'enum':
      return { kind: 'enum', values: f.values ?? [] };
    case 'ipport':
      return { kind: 'bind' };
    case 'list':
      return { kind: 'list' };
    default:
      return { kind: 'string' };
  }
}

/** the schema key a conf key matches (`$name` = any one level) */
export function schemaKey(schema: ConfSchema, key: string): string | undefined {
  if (schema[key]) return key;
  const parts = key.split('.');
  outer: for (const pattern of Object.keys(schema)) {
    const pp = pattern.split('.');
    if (pp.length !== parts.length) continue;
    for (let i = 0; i < pp.length; i++) if (!pp[i]!.startsWith('$') && pp[i] !== parts[i]) continue outer;
    return pattern;
  }
  return undefined;
}

function convert(f: ConfField, text: string): unknown {
  const v = parseValue(valueType(f), text);
  if (v === undefined) return undefined;
  if (f.type === 'ipport') {
    const b = v as { host: string; port: number };
    return `${b.host}:${b.port}`;
  }
  return v;
}

/**
 * `EMQX_*` variables naming a key of this schema (EMQX_MANAGEMENT__LISTENER__HTTP → management.listener.http),
 * as lines appended to the file so they win; an empty value unsets the key.
 */
export function envConfLines(schema: ConfSchema, env: NodeJS.ProcessEnv): { lines: string; unset: Set<string> } {
  let lines = '';
  const unset = new Set<string>();
  for (const name of Object.keys(env).sort()) {
    const key = envNameToKey(name);
    if (key === undefined || schemaKey(schema, key) === undefined) continue;
    const v = env[name] ?? '';
    if (v === '') unset.add(key);
    else lines += `\n${key} = ${v}`;
  }
  return { lines, unset };
}

/** Parses and checks conf text; returns typed values or the list of problems (file:line: key: …). */
export function readPluginConf(text: string, file: string, schema: ConfSchema, env: NodeJS.ProcessEnv = {}): { values: ConfValues; problems: string[] } {
  const over = envConfLines(schema, env);
  text += over.lines;
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  let entries: ReturnType<typeof parseConfText> = [];
  try {
    entries = parseConfText(text, file);
  } catch (err) {
    return { values: values as ConfValues, problems: (err as { problems?: string[] }).problems ?? [String(err)] };
  }
  for (const e of entries) {
    if (over.unset.has(e.key)) continue;
    const pattern = schemaKey(schema, e.key);
    if (pattern === undefined) {
      problems.push(`${file}:${e.line}: ${e.key}: unknown key`);
      continue;
    }
    const f = schema[pattern]!;
    const v = convert(f, e.value);
    if (v === undefined) {
      problems.push(`${file}:${e.line}: ${e.key}: expected ${f.type === 'ipport' ? '[ip:]port' : describeType(valueType(f))}, got "${e.value}"`);
      continue;
    }
    values[e.key] = v;
  }
  for (const [pattern, f] of Object.entries(schema)) {
    if (pattern.includes('$') || pattern in values) continue;
    if (f.default !== undefined) values[pattern] = convert(f, f.default);
    else if (f.required) problems.push(`${file}: ${pattern}: required`);
  }
  return { values: Object.freeze(values) as ConfValues, problems };
}
