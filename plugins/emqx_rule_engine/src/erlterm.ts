// Erlang's `~0p` printing of the terms `emqx_ctl rules|resources ...` shows: binaries as
// <<"...">>, maps as #{k => v,...} with sorted keys, lists as [a,b], atoms bare or quoted.

/** an atom (printed bare when it can be, else in single quotes) */
export class Atom {
  constructor(readonly name: string) {}
}

export const atom = (name: string): Atom => new Atom(name);

function atomText(a: string): string {
  return /^[a-z][a-zA-Z0-9_@]*$/.test(a) ? a : `'${a.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function binText(s: string): string {
  return `<<"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}">>`;
}

function floatText(n: number): string {
  const s = String(n);
  return /[.e]/.test(s) ? s.replace(/e\+?/, 'e') : `${s}.0`;
}

/**
 * `atomKeys`: map keys print as atoms (`#{matched => 0}`), else as binaries (`#{<<"url">> => ...}`,
 * as decoded JSON is). Values: strings are binaries, except Atom values.
 */
export function term(v: unknown, atomKeys = false): string {
  if (v instanceof Atom) return atomText(v.name);
  if (typeof v === 'string') return binText(v);
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : floatText(v);
  if (typeof v === 'boolean') return String(v);
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => term(x, atomKeys)).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    const parts = keys.map((k) => `${atomKeys ? atomText(k) : binText(k)} => ${term((v as Record<string, unknown>)[k], atomKeys)}`);
    return `#{${parts.join(',')}}`;
  }
  return String(v);
}
