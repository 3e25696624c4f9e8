// Typed reads of the effective settings, shared by the section builders.
import type { Setting } from '../setting.js';

export interface Reader {
  val(key: string): unknown;
  num(key: string): number;
  optNum(key: string): number | undefined;
  bool(key: string): boolean;
  optBool(key: string): boolean | undefined;
  str(key: string): string;
  optStr(key: string): string | undefined;
  /** A list value; [] when unset. */
  strs(key: string): readonly string[];
  /** Settings whose schema pattern is `pattern`, in insertion order. */
  family(pattern: string): Setting[];
  /** Every setting, in insertion order. */
  all(): Setting[];
  /** Record a problem against the key's source line. */
  problem(key: string, msg: string): void;
}

export function reader(settings: ReadonlyMap<string, Setting>, problems: string[]): Reader {
  const val = (key: string): unknown => settings.get(key)?.value;
  return {
    val,
    num: (key) => val(key) as number,
    optNum: (key) => val(key) as number | undefined,
    bool: (key) => val(key) as boolean,
    optBool: (key) => val(key) as boolean | undefined,
    str: (key) => val(key) as string,
    optStr: (key) => val(key) as string | undefined,
    strs: (key) => (val(key) as string[] | undefined) ?? [],
    family: (pattern) => [...settings.values()].filter((s) => s.entry.key === pattern),
    all: () => [...settings.values()],
    problem: (key, msg) => {
      problems.push(`${settings.get(key)?.source ?? 'config'}: ${key}: ${msg}`);
    },
  };
}

/** Drop `undefined` members so optional fields are absent rather than present-but-undefined. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Order `$id` bindings numerically when both are integers, else as strings. */
export const byId = (a: string, b: string): number => {
  const na = Number(a);
  const nb = Number(b);
  return Number.isInteger(na) && Number.isInteger(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
};
