// One effective setting: a key's typed value and where it came from (file line, env, default).
import type { SchemaEntry } from './schema.js';

/** One key's effective value. */
export interface Setting {
  readonly key: string;
  readonly value: unknown;
  /** The text it was parsed from. */
  readonly text: string;
  /** `etc/emqx.conf:12`, `env EMQX_…`, `override` or `default`. */
  readonly source: string;
  readonly entry: SchemaEntry;
  readonly vars: Readonly<Record<string, string>>;
}
