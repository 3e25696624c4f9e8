/**
 * emqx.conf: parsing, schema, EMQX_* env overrides and the typed Config.
 */
export { loadConfig } from './load.js';
export { parseConfText } from './parse.js';
export { ConfigError } from './errors.js';
export { SCHEMA, lookupKey, ZONE_GLOBAL_FALLBACK, type SchemaEntry, type KeyMatch } from './schema.js';
export { envNameToKey, keyToEnvName, ENV_PREFIX } from './env.js';
export { DEFAULT_ZONE } from './build/index.js';
export {
  describeType,
  parseValue,
  parseDuration,
  parseBytesize,
  parseBind,
  type ValueType,
  type Bind,
} from './values.js';
export type * from './types.js';
