// Typed settings from ctx.config and the rules
// `web.hook.rule.<hookpoint>.<N> = {"action": "on_<hook_with_underscores>", "topic": "<filter>"}`.
import { backendTls, compileFilter, validTopicFilter, type BackendTls, type ConfValues } from '@nemq/sdk';

/** The hook points a rule can name, and the action each one must give. */
export const HOOKS = [
  'client.connect', 'client.connack', 'client.connected', 'client.disconnected',
  'client.subscribe', 'client.unsubscribe',
  'session.subscribed', 'session.unsubscribed', 'session.terminated',
  'message.publish', 'message.delivered', 'message.acked', 'message.dropped',
] as const;
export type WebHook = (typeof HOOKS)[number];

/** hooks whose events carry a topic, so a rule's `topic` filter applies (as EMQX: the others ignore it) */
const FILTERED: ReadonlySet<WebHook> = new Set([
  'client.subscribe', 'client.unsubscribe', 'session.subscribed', 'session.unsubscribed',
  'message.publish', 'message.delivered', 'message.acked', 'message.dropped',
]);

export interface Rule {
  /** conf key it came from, e.g. `web.hook.rule.message.publish.1` */
  readonly key: string;
  readonly hook: WebHook;
  readonly n: number;
  /** undefined: every event */
  readonly filter: string | undefined;
  readonly match: (topic: string) => boolean;
}

export type Encoding = 'plain' | 'base62' | 'base64';

export interface Settings {
  readonly url: URL;
  /** origin for the pool: `http://host:port` */
  readonly origin: string;
  /** path and query of web.hook.url */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly encoding: Encoding;
  readonly tls: BackendTls | undefined;
  readonly poolSize: number;
  readonly pipelining: number;
  readonly requestTimeout: number;
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly reconnectInterval: number;
}

export class ConfigError extends Error {}

const RULE_KEY = /^web\.hook\.rule\.([a-z_]+\.[a-z_]+)\.([^.]+)$/;
const HEADER = 'web.hook.headers.';

/** Rules sorted by hook, then N. Throws ConfigError with the key at fault. */
export function parseRules(config: ConfValues): Rule[] {
  const rules: Rule[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith('web.hook.rule.') || value === undefined) continue;
    const m = RULE_KEY.exec(key);
    if (!m) throw new ConfigError(`${key}: expected web.hook.rule.<hookpoint>.<N>`);
    const hook = m[1] as WebHook;
    if (!HOOKS.includes(hook)) throw new ConfigError(`${key}: unknown hook point ${m[1]} (one of ${HOOKS.join(', ')})`);
    let spec: unknown;
    try {
      spec = JSON.parse(String(value));
    } catch (err) {
      throw new ConfigError(`${key}: bad JSON: ${(err as Error).message}`);
    }
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new ConfigError(`${key}: expected a JSON object like {"action": "on_${hook.replace('.', '_')}"}`);
    const o = spec as Record<string, unknown>;
    const want = `on_${hook.replace('.', '_')}`;
    if (o.action !== want) throw new ConfigError(`${key}: "action" must be "${want}", got ${JSON.stringify(o.action)}`);
    let filter: string | undefined;
    if (o.topic !== undefined) {
      if (typeof o.topic !== 'string' || !validTopicFilter(o.topic)) throw new ConfigError(`${key}: "topic" must be a valid topic filter, got ${JSON.stringify(o.topic)}`);
      if (FILTERED.has(hook)) filter = o.topic;
    }
    const n = /^\d+$/.test(m[2]!) ? Number(m[2]) : Number.MAX_SAFE_INTEGER;
    rules.push({ key, hook, n, filter, match: filter === undefined ? () => true : compileFilter(filter) });
  }
  rules.sort((a, b) => (a.hook < b.hook ? -1 : a.hook > b.hook ? 1 : a.n - b.n));
  return rules;
}

function int(c: ConfValues, key: string, min: number): number {
  const v = c[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ConfigError(`${key}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

export function parseSettings(c: ConfValues): Settings {
  const raw = String(c['web.hook.url'] ?? 'http://127.0.0.1:80');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`web.hook.url: not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`web.hook.url: expected http:// or https://, got "${raw}"`);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c)) {
    if (k.startsWith(HEADER) && typeof v === 'string') headers[k.slice(HEADER.length).toLowerCase()] = v;
  }
  headers['content-type'] ??= 'application/json';
  const tls = url.protocol === 'https:' ? backendTls(c, 'web.hook.ssl') : undefined;
  const pipelining = c['web.hook.enable_pipelining'] === false ? 1 : int(c, 'web.hook.pipelining_depth', 1);
  return {
    url,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    headers,
    encoding: (c['web.hook.body.encoding_of_payload_field'] ?? 'plain') as Encoding,
    tls,
    poolSize: int(c, 'web.hook.pool_size', 1),
    pipelining,
    requestTimeout: int(c, 'web.hook.request_timeout', 1),
    maxEvents: int(c, 'web.hook.backlog.max_events', 1),
    maxBytes: int(c, 'web.hook.backlog.max_bytes', 1),
    reconnectInterval: int(c, 'web.hook.reconnect_interval', 1),
  };
}
