// auth.ldap.filters.<n>.key / .value / .op (EMQX 4.3): equality terms joined left to right, in the
// order of <n>; term n's op joins it to term n+1, so 1 and 2 or 3 is ((1 and 2) or 3). When set,
// they are the whole search filter instead of (&(objectClass=...)(uid=...)). Values may hold
// ${user} (the username, always as an equality value, never filter text), ${username_attr} and
// ${device_dn}; keys are attribute names and may hold ${username_attr} only.
import type { ConfValues } from '@nemq/sdk';

export interface FilterTerm {
  readonly attribute: string;
  /** with ${user} still in it; ${username_attr} and ${device_dn} already replaced */
  readonly value: string;
}

export interface FilterChain {
  readonly first: FilterTerm;
  readonly rest: ReadonlyArray<{ readonly op: 'and' | 'or'; readonly term: FilterTerm }>;
}

const PREFIX = 'auth.ldap.filters.';

/** the chain of auth.ldap.filters.*, undefined when none is set; throws on a chain EMQX could not build */
export function parseFilters(c: ConfValues, vars: { usernameAttr: string; deviceDn: string }): FilterChain | undefined {
  const byN = new Map<string, { key?: string; value?: string; op?: string }>();
  for (const [k, v] of Object.entries(c)) {
    if (!k.startsWith(PREFIX) || v === undefined) continue;
    const m = /^([^.]+)\.(key|value|op)$/.exec(k.slice(PREFIX.length));
    if (!m) throw new Error(`unknown key ${k} (auth.ldap.filters.<n>.key, .value or .op)`);
    const f = byN.get(m[1]!) ?? {};
    f[m[2] as 'key' | 'value' | 'op'] = String(v);
    byN.set(m[1]!, f);
  }
  if (byN.size === 0) return undefined;
  const order = [...byN.keys()].sort((a, b) => {
    const na = Number(a);
    const nb = Number(b);
    return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
  });
  const sub = (s: string): string => s.split('${username_attr}').join(vars.usernameAttr).split('${device_dn}').join(vars.deviceDn);
  const terms: FilterTerm[] = [];
  const ops: ('and' | 'or')[] = [];
  order.forEach((n, i) => {
    const f = byN.get(n)!;
    const at = `${PREFIX}${n}`;
    if (f.key === undefined || f.key === '') throw new Error(`${at}.key is missing`);
    if (f.value === undefined) throw new Error(`${at}.value is missing`);
    const attribute = sub(f.key);
    if (!/^[A-Za-z][A-Za-z0-9-]*$|^[0-9]+(\.[0-9]+)+$/.test(attribute)) throw new Error(`${at}.key must be an attribute name, got ${JSON.stringify(f.key)}`);
    terms.push({ attribute, value: sub(f.value) });
    const last = i === order.length - 1;
    if (last && f.op !== undefined) throw new Error(`${at}.op has no next filter to join`);
    if (!last) {
      if (f.op !== 'and' && f.op !== 'or') throw new Error(`${at}.op must be and or or${f.op === undefined ? ' (it joins the next filter)' : `, got ${JSON.stringify(f.op)}`}`);
      ops.push(f.op);
    }
  });
  return { first: terms[0]!, rest: ops.map((op, i) => ({ op, term: terms[i + 1]! })) };
}
