// Pools `backend.redis.<pool>.*` and rules `backend.redis.hook.<hookpoint>.<N> =
// {"topic": "queue/#", "action": {"function": "on_message_fetch_for_queue"}, "pool": "pool1"}`
// or `{"action": {"commands": ["SET conn:${clientid} clientid"]}, "pool": "pool1"}`.
import { compileFilter, validTopicFilter, type ConfValues } from '@nemq/sdk';

/** hook point → the functions EMQX documents for it (and nemq's two for mqtt:sub) */
export const FUNCTIONS = {
  'client.connected': ['on_client_connected', 'on_subscribe_lookup'],
  'client.disconnected': ['on_client_disconnected'],
  'session.subscribed': ['on_message_fetch_for_queue', 'on_message_fetch_for_pubsub', 'on_retain_lookup', 'on_client_subscribe'],
  'session.unsubscribed': ['on_client_unsubscribe'],
  'message.publish': ['on_message_publish', 'on_message_retain', 'on_retain_delete'],
  'message.delivered': [],
  'message.acked': ['on_message_acked_for_queue', 'on_message_acked_for_pubsub'],
} as const;
export type Hook = keyof typeof FUNCTIONS;
export const HOOKS = Object.keys(FUNCTIONS) as Hook[];

/** placeholders a raw command may use, by hook point (EMQX's "Redis Command Line Parameters") */
export const PARAMS: Record<Hook, readonly string[]> = {
  'client.connected': ['clientid', 'username', 'node'],
  'client.disconnected': ['clientid', 'username', 'node', 'reason'],
  'session.subscribed': ['clientid', 'username', 'topic', 'qos'],
  'session.unsubscribed': ['clientid', 'username', 'topic'],
  'message.publish': ['message', 'msgid', 'topic', 'payload', 'qos', 'clientid', 'username'],
  'message.delivered': ['msgid', 'topic', 'clientid', 'username', 'payload', 'qos'],
  'message.acked': ['msgid', 'topic', 'clientid', 'username'],
};

export interface Rule {
  readonly key: string;
  readonly hook: Hook;
  readonly n: number;
  readonly pool: string;
  readonly filter: string | undefined;
  readonly match: (topic: string) => boolean;
  /** a documented function, or undefined for raw commands */
  readonly fn: string | undefined;
  /** raw commands: each an argument list of literal strings and `${param}` placeholders */
  readonly commands: ReadonlyArray<ReadonlyArray<string>>;
}

export interface Pool {
  readonly name: string;
  readonly type: 'single' | 'sentinel';
  readonly servers: ReadonlyArray<{ host: string; port: number }>;
  readonly sentinel: string | undefined;
  readonly poolSize: number;
  readonly database: number;
  readonly password: string | undefined;
  readonly channel: string | undefined;
}

export class ConfigError extends Error {}

const POOL_KEY = /^backend\.redis\.([^.]+)\.(type|server|sentinel|pool_size|database|password|channel)$/;

export function parsePools(c: ConfValues): Map<string, Pool> {
  const names = new Set<string>();
  for (const key of Object.keys(c)) {
    const m = POOL_KEY.exec(key);
    if (m && m[1] !== 'hook' && m[1] !== 'msg') names.add(m[1]!);
  }
  const out = new Map<string, Pool>();
  for (const name of names) {
    const get = (k: string): string | undefined => {
      const v = c[`backend.redis.${name}.${k}`];
      return v === undefined || v === '' ? undefined : String(v);
    };
    const type = (get('type') ?? 'single') as Pool['type'];
    if (type !== 'single' && type !== 'sentinel') throw new ConfigError(`backend.redis.${name}.type: single or sentinel (cluster is not supported)`);
    const server = get('server');
    if (server === undefined) throw new ConfigError(`backend.redis.${name}.server: missing`);
    const servers = server.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
      const m = /^([^:\s]+):(\d{1,5})$/.exec(s);
      if (!m) throw new ConfigError(`backend.redis.${name}.server: expected host:port, got "${s}"`);
      return { host: m[1]!, port: Number(m[2]) };
    });
    if (type === 'single' && servers.length !== 1) throw new ConfigError(`backend.redis.${name}.server: one host:port for type single`);
    const sentinel = get('sentinel');
    if (type === 'sentinel' && sentinel === undefined) throw new ConfigError(`backend.redis.${name}.sentinel: the master name is needed for type sentinel`);
    const poolSize = Number(get('pool_size') ?? '8');
    const database = Number(get('database') ?? '0');
    if (!Number.isInteger(poolSize) || poolSize < 1) throw new ConfigError(`backend.redis.${name}.pool_size: expected an integer >= 1`);
    if (!Number.isInteger(database) || database < 0) throw new ConfigError(`backend.redis.${name}.database: expected an integer >= 0`);
    out.set(name, { name, type, servers, sentinel, poolSize, database, password: get('password'), channel: get('channel') });
  }
  return out;
}

const HOOK_KEY = /^backend\.redis\.hook\.([a-z_]+\.[a-z_]+)\.([^.]+)$/;

/** Rules, sorted by hook then N. Throws ConfigError. */
export function parseRules(c: ConfValues, pools: ReadonlyMap<string, Pool>): Rule[] {
  const rules: Rule[] = [];
  for (const [key, value] of Object.entries(c)) {
    if (!key.startsWith('backend.redis.hook.')) continue;
    const m = HOOK_KEY.exec(key);
    if (!m) throw new ConfigError(`${key}: expected backend.redis.hook.<hookpoint>.<N>`);
    const hook = m[1] as Hook;
    if (!HOOKS.includes(hook)) throw new ConfigError(`${key}: unknown hook ${m[1]} (one of ${HOOKS.join(', ')})`);
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(String(value)) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`${key}: bad JSON: ${(err as Error).message}`);
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new ConfigError(`${key}: expected a JSON object`);
    const pool = String(o.pool ?? 'pool1');
    if (!pools.has(pool)) throw new ConfigError(`${key}: "pool": "${pool}" names no backend.redis.${pool}.server`);
    const a = o.action as Record<string, unknown> | undefined;
    if (a === null || typeof a !== 'object' || Array.isArray(a)) throw new ConfigError(`${key}: "action" must be {"function": ...} or {"commands": [...]}`);
    let fn: string | undefined;
    const commands: string[][] = [];
    if (a.function !== undefined) {
      const allowed = FUNCTIONS[hook] as readonly string[];
      if (typeof a.function !== 'string' || !allowed.includes(a.function)) {
        throw new ConfigError(`${key}: "function" must be one of ${allowed.join(', ') || '(none: use "commands")'} for ${hook}`);
      }
      fn = a.function;
    } else if (Array.isArray(a.commands) && a.commands.length > 0) {
      for (const cmd of a.commands) {
        if (typeof cmd !== 'string' || cmd.trim() === '') throw new ConfigError(`${key}: each command must be a non-empty string`);
        const args = cmd.trim().split(' ').filter((s) => s !== '');
        for (const arg of args) {
          for (const ph of arg.matchAll(/\$\{([^}]*)\}/g)) {
            if (!PARAMS[hook].includes(ph[1]!)) throw new ConfigError(`${key}: \${${ph[1]}} is not a parameter of ${hook} (${PARAMS[hook].join(', ')})`);
          }
        }
        commands.push(args);
      }
    } else {
      throw new ConfigError(`${key}: "action" must be {"function": ...} or {"commands": [...]}`);
    }
    let filter: string | undefined;
    if (o.topic !== undefined) {
      if (typeof o.topic !== 'string' || !validTopicFilter(o.topic)) throw new ConfigError(`${key}: "topic" must be an MQTT topic filter`);
      filter = hook.startsWith('client.') ? undefined : o.topic;
    }
    const n = Number(m[2]);
    rules.push({ key, hook, n: Number.isFinite(n) ? n : 0, pool, filter, match: filter === undefined ? () => true : compileFilter(filter), fn, commands });
  }
  return rules.sort((x, y) => (x.hook === y.hook ? x.n - y.n : HOOKS.indexOf(x.hook) - HOOKS.indexOf(y.hook)));
}
