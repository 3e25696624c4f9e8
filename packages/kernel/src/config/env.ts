/**
 * `EMQX_*` environment overrides, as EMQX 4.x (cuttlefish) reads them:
 * drop the `EMQX_` prefix, lower-case, and write `__` as `.`:
 *
 *   EMQX_LISTENER__TCP__EXTERNAL=127.0.0.1:21883   → listener.tcp.external
 *   EMQX_ZONE__EXTERNAL__MAX_INFLIGHT=64            → zone.external.max_inflight
 *   EMQX_ALLOW_ANONYMOUS=false                      → allow_anonymous
 *
 * Only names whose mapped key matches the schema are taken; anything else
 * (EMQX_NAME, EMQX_HOST, plugin keys such as EMQX_AUTH__MYSQL__SERVER) is
 * left alone, since plugins and start scripts read those themselves.
 *
 * As in EMQX 4.3 (its cuttlefish fork):
 * - an empty value **unsets** the key, so `EMQX_LISTENER__SSL__EXTERNAL=`
 *   removes that listener and a key with a schema default falls back to it;
 * - four keys also have a legacy single-underscore name, which wins over the
 *   `__` form: EMQX_NODE_NAME (node.name), EMQX_NODE_COOKIE (node.cookie),
 *   EMQX_MAX_PORTS (node.max_ports), EMQX_MAX_PACKET_SIZE (mqtt.max_packet_size).
 */
import { lookupKey, type KeyMatch } from './schema.js';

export const ENV_PREFIX = 'EMQX_';

/** EMQX 4.3 schema `override_env` names (after the prefix) → key. */
export const ENV_ALIASES: Readonly<Record<string, string>> = {
  NODE_NAME: 'node.name',
  NODE_COOKIE: 'node.cookie',
  MAX_PORTS: 'node.max_ports',
  MAX_PACKET_SIZE: 'mqtt.max_packet_size',
};

/** `EMQX_ZONE__EXTERNAL__MAX_INFLIGHT` → `zone.external.max_inflight`; `undefined` without the prefix. */
export function envNameToKey(name: string, prefix = ENV_PREFIX): string | undefined {
  if (!name.startsWith(prefix) || name.length === prefix.length) return undefined;
  return name.slice(prefix.length).toLowerCase().replace(/__/g, '.');
}

/** `listener.tcp.external` → `EMQX_LISTENER__TCP__EXTERNAL`. */
export function keyToEnvName(key: string, prefix = ENV_PREFIX): string {
  return prefix + key.toUpperCase().replace(/\./g, '__');
}

export interface EnvOverride {
  readonly name: string;
  readonly key: string;
  /** `''` means: unset the key. */
  readonly value: string;
  readonly match: KeyMatch;
}

/**
 * The env vars that map to schema keys, in the order to apply them (by name,
 * legacy aliases last so they win). `existingKeys` lets a
 * variable reach a key spelled with capitals in the file (`zone.Ext.x`):
 * when one matches case-insensitively, its spelling is used.
 */
export function collectEnvOverrides(
  env: NodeJS.ProcessEnv,
  existingKeys: Iterable<string> = [],
): EnvOverride[] {
  const byLower = new Map<string, string>();
  for (const k of existingKeys) byLower.set(k.toLowerCase(), k);
  const out: EnvOverride[] = [];
  const aliases: EnvOverride[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined) continue;
    const alias = name.startsWith(ENV_PREFIX) ? ENV_ALIASES[name.slice(ENV_PREFIX.length)] : undefined;
    const aliasMatch = alias === undefined ? undefined : lookupKey(alias);
    if (alias !== undefined && aliasMatch) {
      aliases.push({ name, key: alias, value, match: aliasMatch });
      continue;
    }
    const lower = envNameToKey(name);
    if (lower === undefined || lower.split('.').some((s) => s === '')) continue;
    const key = byLower.get(lower) ?? lower;
    const match = lookupKey(key) ?? lookupKey(lower);
    if (!match) continue;
    out.push({ name, key, value, match });
  }
  return [...out, ...aliases];
}
