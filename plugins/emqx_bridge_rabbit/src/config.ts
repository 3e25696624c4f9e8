// Servers `bridge.rabbit.<N>.*` and hook rules `bridge.rabbit.hook.<hookpoint>.<N> =
// {"topic": "t/#", "action": "on_message_publish", "rabbit": 1, "exchange": "topic:emq.pub"}`.
import { compileFilter, validTopicFilter, type ConfValues } from '@nemq/sdk';

/** The hook points a rule can name: EMQX's documented four plus the session and client events. */
export const HOOKS = [
  'client.connected',
  'client.disconnected',
  'client.subscribe',
  'client.unsubscribe',
  'session.subscribed',
  'session.unsubscribed',
  'message.publish',
  'message.delivered',
  'message.acked',
] as const;
export type BridgeHook = (typeof HOOKS)[number];

/** hooks whose events carry MQTT topics, so a rule's `topic` filter applies */
const FILTERED: ReadonlySet<BridgeHook> = new Set(['client.subscribe', 'client.unsubscribe', 'session.subscribed', 'session.unsubscribed', 'message.publish', 'message.delivered', 'message.acked']);

export const EXCHANGE_TYPES = ['direct', 'topic', 'fanout', 'headers'] as const;
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];

export interface Rule {
  /** conf key it came from */
  readonly key: string;
  readonly hook: BridgeHook;
  readonly n: number;
  /** the server N it goes to */
  readonly rabbit: string;
  readonly exchangeType: ExchangeType;
  readonly exchange: string;
  /** MQTT topic filter; undefined = every event */
  readonly filter: string | undefined;
  /** message.publish only: 'raw' = the MQTT payload as the body (EMQX), 'json' = EMQX's JSON fields */
  readonly format: 'raw' | 'json';
  readonly match: (topic: string) => boolean;
}

export interface Server {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly poolSize: number;
  readonly username: string;
  readonly password: string;
  readonly vhost: string;
  /** seconds, 0 = off */
  readonly heartbeat: number;
  /** ms: longest back-off between connect attempts */
  readonly reconnectMs: number;
}

export class ConfigError extends Error {}

/** `500ms`, `3s`, `1m`, or a bare number in `bareUnit` ms */
export function parseDuration(text: string, what: string, bareUnit = 1): number {
  const s = text.trim().toLowerCase();
  if (/^\d+$/.test(s)) return Number(s) * bareUnit;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s);
  if (!m) throw new ConfigError(`${what}: expected a duration like 500ms, 30s, 1m; got "${text}"`);
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return Math.ceil(Number(m[1]) * unit[m[2]!]!);
}

const SERVER_KEY = /^bridge\.rabbit\.([^.]+)\.(server|pool_size|username|password|virtual_host|heartbeat|reconnect_wait)$/;

export function parseServers(c: ConfValues): Map<string, Server> {
  const ids = new Set<string>();
  for (const key of Object.keys(c)) {
    const m = SERVER_KEY.exec(key);
    if (m && m[1] !== 'hook') ids.add(m[1]!);
  }
  const out = new Map<string, Server>();
  for (const id of ids) {
    const get = (k: string): string | undefined => {
      const v = c[`bridge.rabbit.${id}.${k}`];
      return v === undefined || v === '' ? undefined : String(v);
    };
    const server = get('server');
    if (server === undefined) throw new ConfigError(`bridge.rabbit.${id}.server: missing`);
    const hm = /^([^:\s]+):(\d{1,5})$/.exec(server.trim());
    if (!hm) throw new ConfigError(`bridge.rabbit.${id}.server: expected host:port, got "${server}"`);
    const poolSize = Number(get('pool_size') ?? '4');
    if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 64) throw new ConfigError(`bridge.rabbit.${id}.pool_size: expected 1..64`);
    const heartbeatMs = parseDuration(get('heartbeat') ?? '30', `bridge.rabbit.${id}.heartbeat`, 1000);
    out.set(id, {
      id,
      host: hm[1]!,
      port: Number(hm[2]),
      poolSize,
      username: get('username') ?? 'guest',
      password: get('password') ?? 'guest',
      vhost: get('virtual_host') ?? '/',
      heartbeat: Math.round(heartbeatMs / 1000),
      reconnectMs: Math.max(1, parseDuration(get('reconnect_wait') ?? '2s', `bridge.rabbit.${id}.reconnect_wait`)),
    });
  }
  return out;
}

const HOOK_KEY = /^bridge\.rabbit\.hook\.([a-z_]+\.[a-z_]+)\.([^.]+)$/;

/** Rules from `bridge.rabbit.hook.<hook>.<N>`, sorted by hook then N. Throws ConfigError. */
export function parseRules(c: ConfValues, servers: ReadonlyMap<string, Server>): Rule[] {
  const rules: Rule[] = [];
  for (const [key, value] of Object.entries(c)) {
    if (!key.startsWith('bridge.rabbit.hook.')) continue;
    const m = HOOK_KEY.exec(key);
    if (!m) throw new ConfigError(`${key}: expected bridge.rabbit.hook.<hookpoint>.<N>`);
    const hook = m[1] as BridgeHook;
    if (!HOOKS.includes(hook)) throw new ConfigError(`${key}: unknown hook ${m[1]} (one of ${HOOKS.join(', ')})`);
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(String(value)) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`${key}: bad JSON: ${(err as Error).message}`);
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new ConfigError(`${key}: expected a JSON object like {"exchange": "topic:emq.pub", "rabbit": 1}`);
    const action = `on_${hook.replace('.', '_')}`;
    if (o.action !== undefined && o.action !== action) throw new ConfigError(`${key}: "action" must be "${action}" for ${hook}`);
    const rabbit = String(o.rabbit ?? '1');
    if (!servers.has(rabbit)) throw new ConfigError(`${key}: "rabbit": ${rabbit} names no bridge.rabbit.${rabbit}.server`);
    const ex = o.exchange;
    const em = typeof ex === 'string' ? /^([a-z]+):(.+)$/.exec(ex) : null;
    if (!em || !(EXCHANGE_TYPES as readonly string[]).includes(em[1]!) || em[2]!.length > 255) {
      throw new ConfigError(`${key}: "exchange" must be "<type>:<name>", type one of ${EXCHANGE_TYPES.join(', ')}`);
    }
    let filter: string | undefined;
    if (o.topic !== undefined) {
      if (typeof o.topic !== 'string' || !validTopicFilter(o.topic)) throw new ConfigError(`${key}: "topic" must be an MQTT topic filter`);
      filter = FILTERED.has(hook) ? o.topic : undefined;
    }
    const format = o.format ?? 'raw';
    if (format !== 'raw' && format !== 'json') throw new ConfigError(`${key}: "format" must be raw or json`);
    const n = Number(m[2]);
    rules.push({
      key, hook, n: Number.isFinite(n) ? n : 0, rabbit,
      exchangeType: em[1] as ExchangeType, exchange: em[2]!,
      filter, format, match: filter === undefined ? () => true : compileFilter(filter),
    });
  }
  return rules.sort((a, b) => (a.hook === b.hook ? a.n - b.n : HOOKS.indexOf(a.hook) - HOOKS.indexOf(b.hook)));
}
