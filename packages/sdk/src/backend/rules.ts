// EMQX Enterprise's data persistence rules, shared by every emqx_backend_* plugin:
//   backend.<db>.hook.<hookpoint>.<N> = {"topic": "#", "action": {"function": "on_message_publish"}, "pool": "pool1"}
//   backend.<db>.hook.<hookpoint>.<N> = {"action": {"sql": ["insert into t(c) values(${clientid})"]}, "pool": "pool1"}
// and the pools `backend.<db>.<pool>.<key>`. Parsed once at start; a bad rule stops the load.
import type { ConfValue, ConfValues } from '../conf.js';
import { compileFilter, validTopicFilter } from '../topic.js';

export const BACKEND_HOOKS = [
  'client.connected', 'client.disconnected', 'session.created', 'session.subscribed', 'session.unsubscribed',
  'message.publish', 'message.delivered', 'message.acked',
] as const;
export type BackendHook = (typeof BACKEND_HOOKS)[number];

/** each built-in function and the hooks it may be put on */
export const BACKEND_FUNCTIONS = {
  on_client_connected: ['client.connected'],
  on_client_disconnected: ['client.disconnected'],
  on_subscribe_lookup: ['client.connected', 'session.created'],
  on_message_fetch: ['session.subscribed'],
  on_retain_lookup: ['session.subscribed'],
  on_message_publish: ['message.publish'],
  on_message_store: ['message.publish'],
  on_message_retain: ['message.publish'],
  on_retain_delete: ['message.publish'],
  on_message_acked: ['message.acked'],
} as const satisfies Record<string, readonly BackendHook[]>;
export type BackendFunction = keyof typeof BACKEND_FUNCTIONS;

/** the `${name}` values an SQL action may use, by hook (EMQX's SQL parameters, plus a few) */
export const SQL_VARS: Record<BackendHook, readonly string[]> = {
  'client.connected': ['clientid', 'username', 'peerhost', 'node'],
  'client.disconnected': ['clientid', 'username', 'peerhost', 'node', 'reason'],
  'session.created': ['clientid', 'username', 'node'],
  'session.subscribed': ['clientid', 'username', 'topic', 'qos', 'node'],
  'session.unsubscribed': ['clientid', 'username', 'topic', 'node'],
  'message.publish': ['msgid', 'topic', 'payload', 'qos', 'retain', 'clientid', 'username', 'node', 'timestamp'],
  'message.delivered': ['msgid', 'topic', 'payload', 'qos', 'clientid', 'username', 'from', 'node', 'timestamp'],
  'message.acked': ['msgid', 'topic', 'payload', 'qos', 'clientid', 'username', 'from', 'node', 'timestamp'],
};

/** one SQL text of an action: `${name}` turned into bind parameters by the driver */
export interface SqlTemplate {
  /** the text split at the variables: parts.length = vars.length + 1 */
  readonly parts: readonly string[];
  readonly vars: readonly string[];
}

export interface BackendRule {
  /** the conf key, e.g. `backend.mysql.hook.message.publish.1` */
  readonly key: string;
  readonly hook: BackendHook;
  /** `topic` of the rule; undefined = every topic */
  readonly topic: string | undefined;
  readonly match: (topic: string) => boolean;
  readonly fn: BackendFunction | undefined;
  readonly sql: readonly SqlTemplate[] | undefined;
  readonly pool: string;
  /** on_message_fetch: `offline_opts.max_returned_count` (or `backend.<db>.max_returned_count`); undefined = no limit */
  readonly maxReturned: number | undefined;
  /** on_message_fetch: `offline_opts.time_range` in ms; undefined = no limit */
  readonly timeRange: number | undefined;
  /** MongoDB: `payload_format` (mongo_json | plain_text) */
  readonly payloadFormat: 'mongo_json' | 'plain_text';
}

export class BackendConfigError extends Error {}

/** `2h`, `30m`, `10s`, `1d`, `infinity` → ms (undefined for infinity) */
export function parseTimeRange(v: unknown, key: string): number | undefined {
  if (v === undefined || v === 'infinity') return undefined;
  const m = /^(\d+)([dhms])$/.exec(String(v).trim());
  if (!m) throw new BackendConfigError(`${key}: time range must be like 2h, 30m, 10s, 1d or infinity, not ${JSON.stringify(v)}`);
  return Number(m[1]) * { d: 86400_000, h: 3600_000, m: 60_000, s: 1000 }[m[2] as 'd' | 'h' | 'm' | 's'];
}

function parseCount(v: unknown, key: string): number | undefined {
  if (v === undefined || v === 'infinity') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new BackendConfigError(`${key}: max_returned_count must be a positive integer or infinity, not ${JSON.stringify(v)}`);
  return n;
}

/** splits `insert ... values(${clientid}, ${topic})` at its variables; `allowed` undefined: any name or path (`${payload.x}`) */
export function parseSqlTemplate(sql: string, allowed: readonly string[] | undefined, key: string): SqlTemplate {
  const parts: string[] = [];
  const vars: string[] = [];
  const re = /\$\{([A-Za-z_$][A-Za-z0-9_.]*)\}/g;
  let at = 0;
  for (let m = re.exec(sql); m !== null; m = re.exec(sql)) {
    if (allowed !== undefined && !allowed.includes(m[1]!)) throw new BackendConfigError(`${key}: \${${m[1]}} is not available here (use ${allowed.map((a) => `\${${a}}`).join(', ')})`);
    parts.push(sql.slice(at, m.index));
    vars.push(m[1]!);
    at = m.index + m[0].length;
  }
  parts.push(sql.slice(at));
  return { parts, vars };
}

export interface RuleOptions {
  /** whether `"action": {"sql": [...]}` is allowed (SQL databases) */
  readonly sql: boolean;
  /** the pools defined (`backend.<db>.<pool>.server`) */
  readonly pools: readonly string[];
}

/** every `<prefix>.hook.<hookpoint>.<N>` rule, in key order (N numerically) */
export function parseBackendRules(c: ConfValues, prefix: string, o: RuleOptions): BackendRule[] {
  const head = `${prefix}.hook.`;
  const keys = Object.keys(c).filter((k) => k.startsWith(head) && c[k] !== undefined);
  const seq = (k: string): number => Number(k.slice(k.lastIndexOf('.') + 1));
  keys.sort((a, b) => {
    const ha = a.slice(0, a.lastIndexOf('.'));
    const hb = b.slice(0, b.lastIndexOf('.'));
    return ha === hb ? seq(a) - seq(b) : ha < hb ? -1 : 1;
  });
  const maxDefault = parseCount(c[`${prefix}.max_returned_count`], `${prefix}.max_returned_count`);
  const rangeDefault = parseTimeRange(c[`${prefix}.time_range`], `${prefix}.time_range`);
  return keys.map((key) => parseRule(key, key.slice(head.length, key.lastIndexOf('.')), c[key]!, o, maxDefault, rangeDefault));
}

function parseRule(key: string, hook: string, value: ConfValue, o: RuleOptions, maxDefault: number | undefined, rangeDefault: number | undefined): BackendRule {
  if (!(BACKEND_HOOKS as readonly string[]).includes(hook)) throw new BackendConfigError(`${key}: unknown hook ${hook} (one of ${BACKEND_HOOKS.join(', ')})`);
  const h = hook as BackendHook;
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(String(value)) as Record<string, unknown>;
  } catch (err) {
    throw new BackendConfigError(`${key}: not JSON: ${(err as Error).message}`);
  }
  if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new BackendConfigError(`${key}: must be a JSON object`);
  const pool = j.pool ?? 'pool1';
  if (typeof pool !== 'string' || !o.pools.includes(pool)) throw new BackendConfigError(`${key}: pool ${JSON.stringify(pool)} is not defined (pools: ${o.pools.join(', ') || 'none'})`);
  let topic: string | undefined;
  if (j.topic !== undefined) {
    if (typeof j.topic !== 'string' || !validTopicFilter(j.topic)) throw new BackendConfigError(`${key}: bad topic filter ${JSON.stringify(j.topic)}`);
    topic = j.topic;
  }
  const action = j.action as Record<string, unknown> | undefined;
  if (action === null || typeof action !== 'object') throw new BackendConfigError(`${key}: "action" must be {"function": ...} or {"sql": [...]}`);
  let fn: BackendFunction | undefined;
  let sql: SqlTemplate[] | undefined;
  if (action.function !== undefined) {
    const f = String(action.function);
    const hooks = (BACKEND_FUNCTIONS as Record<string, readonly string[]>)[f];
    if (!hooks) throw new BackendConfigError(`${key}: unknown function ${f}`);
    if (!hooks.includes(h)) throw new BackendConfigError(`${key}: ${f} runs on ${hooks.join(' or ')}, not ${h}`);
    fn = f as BackendFunction;
  } else if (action.sql !== undefined) {
    if (!o.sql) throw new BackendConfigError(`${key}: this backend has no SQL actions`);
    const list = typeof action.sql === 'string' ? [action.sql] : action.sql;
    if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string')) throw new BackendConfigError(`${key}: "sql" must be a list of statements`);
    sql = (list as string[]).map((s) => parseSqlTemplate(s, SQL_VARS[h], key));
  } else {
    throw new BackendConfigError(`${key}: "action" must be {"function": ...} or {"sql": [...]}`);
  }
  const off = (j.offline_opts ?? {}) as Record<string, unknown>;
  const fmt = j.payload_format ?? 'mongo_json';
  if (fmt !== 'mongo_json' && fmt !== 'plain_text') throw new BackendConfigError(`${key}: payload_format must be mongo_json or plain_text`);
  const match = topic === undefined ? () => true : compileFilter(topic);
  return {
    key, hook: h, topic, match, fn, sql, pool,
    maxReturned: off.max_returned_count !== undefined ? parseCount(off.max_returned_count, key) : maxDefault,
    timeRange: off.time_range !== undefined ? parseTimeRange(off.time_range, key) : rangeDefault,
    payloadFormat: fmt,
  };
}

/** the pools: `<prefix>.<pool>.<key> = value` for every pool that has a `server` */
export function parsePools(c: ConfValues, prefix: string): Map<string, Map<string, ConfValue>> {
  const out = new Map<string, Map<string, ConfValue>>();
  const head = `${prefix}.`;
  for (const [k, v] of Object.entries(c)) {
    if (!k.startsWith(head) || v === undefined) continue;
    const rest = k.slice(head.length);
    const dot = rest.indexOf('.');
    if (dot < 0) continue;
    const pool = rest.slice(0, dot);
    if (pool === 'hook' || pool === 'topology') continue;
    let m = out.get(pool);
    if (!m) out.set(pool, (m = new Map()));
    m.set(rest.slice(dot + 1), v);
  }
  for (const [name, m] of out) if (!m.has('server')) out.delete(name);
  return out;
}
