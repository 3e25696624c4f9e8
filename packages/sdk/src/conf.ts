// A plugin's conf schema (etc/plugins/<name>.conf) and the typed values it gives ctx.config.

/** Value types of conf keys (same syntax as etc/emqx.conf). */
export type ConfType =
  | 'string' | 'integer' | 'float' | 'boolean' /* on|off|true|false */
  | 'duration' /* 5s, 1m, 500ms → ms */ | 'bytesize' /* 64KB → bytes */
  | 'enum' | 'ipport' /* host:port or port → "host:port" */ | 'list' /* comma separated → string[] */;

export interface ConfField {
  readonly type: ConfType;
  /** as it would be written in the file */
  readonly default?: string;
  /** enum values */
  readonly values?: readonly string[];
  readonly required?: boolean;
  readonly doc?: string;
}

/**
 * Keys as written in the conf file. A `$name` level matches any one level:
 * `bridge.mqtt.$name.address` matches `bridge.mqtt.aws.address`.
 */
export type ConfSchema = Readonly<Record<string, ConfField>>;

export type ConfValue = string | number | boolean | readonly string[];

/** Conf values by key as written; untyped (see ConfValuesOf for a schema's typed view). */
export type ConfValues = Readonly<Record<string, ConfValue | undefined>>;

/** the string value of `key`; undefined when it is unset, empty or not a string */
export function confString(c: ConfValues, key: string): string | undefined {
  const v = c[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The value type of one field. */
export type FieldValue<F extends ConfField> = F['type'] extends 'integer' | 'float' | 'duration' | 'bytesize'
  ? number
  : F['type'] extends 'boolean'
    ? boolean
    : F['type'] extends 'list'
      ? readonly string[]
      : F['type'] extends 'enum'
        ? F extends { readonly values: readonly (infer V extends string)[] } ? V : string
        : string;

type Always<F extends ConfField> = F extends { readonly default: string } ? true : F extends { readonly required: true } ? true : false;
type FixedKey<K> = K extends `${string}$${string}` ? never : K;

/**
 * ctx.config for schema S: every key without a `$name` level has its type, and is
 * `| undefined` only when it has neither a default nor `required`. Keys under a `$name`
 * level are read by their concrete name (`bridge.mqtt.aws.address`) as ConfValue.
 */
export type ConfValuesOf<S extends ConfSchema> = string extends keyof S ? ConfValues : {
  readonly [K in keyof S as FixedKey<K>]: Always<S[K]> extends true ? FieldValue<S[K]> : FieldValue<S[K]> | undefined;
} & { readonly [key: string]: ConfValue | undefined };
