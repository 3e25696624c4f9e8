// The module settings of emqx_modules.conf: subscriptions by the broker and rewrite rules.
import { compileFilter, validTopicFilter, type ConfValues, type QoS } from '@nemq/sdk';

export class ConfigError extends Error {}

export interface AutoSub {
  /** conf N */
  readonly n: number;
  /** with `%c` / `%u` levels */
  readonly topic: string;
  readonly qos: QoS;
  readonly nl: 0 | 1;
  readonly rap: 0 | 1;
  readonly rh: 0 | 1 | 2;
}

export interface RewriteRule {
  readonly key: string;
  readonly filter: string;
  readonly re: RegExp;
  readonly dest: string;
  readonly match: (topic: string) => boolean;
}

const num = (k: string): number => (/^\d+$/.test(k) ? Number(k) : Number.MAX_SAFE_INTEGER);

function small(c: ConfValues, key: string, max: number, dflt: number): number {
  const v = c[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new ConfigError(`${key}: expected 0..${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** `module.subscription.<N>.topic` and its `.qos` (default 1), `.nl`, `.rap`, `.rh` (default 0), in N order */
export function parseSubscriptions(c: ConfValues): AutoSub[] {
  const out: AutoSub[] = [];
  for (const [key, v] of Object.entries(c)) {
    const m = /^module\.subscription\.([^.]+)\.topic$/.exec(key);
    if (!m || typeof v !== 'string' || v === '') continue;
    if (!validTopicFilter(v.replace(/%[cu]/g, 'x'))) throw new ConfigError(`${key}: not a valid topic filter: "${v}"`);
    const p = `module.subscription.${m[1]}`;
    out.push({
      n: num(m[1]!), topic: v,
      qos: small(c, `${p}.qos`, 2, 1) as QoS,
      nl: small(c, `${p}.nl`, 1, 0) as 0 | 1,
      rap: small(c, `${p}.rap`, 1, 0) as 0 | 1,
      rh: small(c, `${p}.rh`, 2, 0) as 0 | 1 | 2,
    });
  }
  return out.sort((a, b) => a.n - b.n);
}

/** replaces whole levels `%c` and `%u` (a `%u` stays as it is when there is no username, as EMQX) */
export function feedVars(topic: string, clientid: string, username: string | undefined): string {
  if (!topic.includes('%')) return topic;
  return topic.split('/').map((l) => (l === '%c' ? clientid : l === '%u' && username !== undefined ? username : l)).join('/');
}

function parseRule(key: string, v: string): RewriteRule {
  const parts = v.trim().split(/\s+/);
  if (parts.length !== 3) throw new ConfigError(`${key}: expected "<topic filter> <regex> <destination>", got "${v}"`);
  const [filter, re, dest] = parts as [string, string, string];
  if (!validTopicFilter(filter)) throw new ConfigError(`${key}: not a valid topic filter: "${filter}"`);
  let rx: RegExp;
  try {
    rx = new RegExp(re);
  } catch (err) {
    throw new ConfigError(`${key}: bad regex "${re}": ${(err as Error).message}`);
  }
  return { key, filter, re: rx, dest, match: compileFilter(filter) };
}

/** pub and sub rules in N order; `module.rewrite.rule.N` (the 4.0-4.2 form) goes in both */
export function parseRewrite(c: ConfValues): { pub: RewriteRule[]; sub: RewriteRule[] } {
  const pub: Array<[number, RewriteRule]> = [];
  const sub: Array<[number, RewriteRule]> = [];
  for (const [key, v] of Object.entries(c)) {
    const m = /^module\.rewrite\.(?:(pub|sub)\.)?rule\.([^.]+)$/.exec(key);
    if (!m || typeof v !== 'string' || v === '') continue;
    const r = parseRule(key, v);
    const n = num(m[2]!);
    if (m[1] !== 'sub') pub.push([n, r]);
    if (m[1] !== 'pub') sub.push([n, r]);
  }
  const order = (a: [number, RewriteRule], b: [number, RewriteRule]): number => a[0] - b[0];
  return { pub: pub.sort(order).map((x) => x[1]), sub: sub.sort(order).map((x) => x[1]) };
}

/**
 * EMQX's rewrite: the first rule whose filter matches the topic decides; when its regex
 * matches, `$1`..`$N` in the destination take the groups, else the topic stays.
 */
export function rewrite(topic: string, rules: readonly RewriteRule[]): string {
  for (const r of rules) {
    if (!r.match(topic)) continue;
    const m = r.re.exec(topic);
    if (!m) return topic;
    return r.dest.replace(/\$(\d+)/g, (_, i: string) => m[Number(i)] ?? '');
  }
  return topic;
}
