// Typed settings from ctx.config, and the hook rules
// `bridge.kafka.hook.<hookpoint>.<N> = {"topic": ..., "filter": ..., "key": ..., "strategy": ...}`.
import { compileFilter, validTopicFilter, type ConfValues } from '@nemq/sdk';

/** The hook points a rule can name (EMQX Kafka bridge docs). */
export const HOOKS = [
  'client.connected',
  'client.disconnected',
  'session.subscribed',
  'session.unsubscribed',
  'message.publish',
  'message.delivered',
  'message.acked',
] as const;
export type BridgeHook = (typeof HOOKS)[number];

/** hooks whose events carry an MQTT topic, so a rule's `filter` applies */
const FILTERED: ReadonlySet<BridgeHook> = new Set(['session.subscribed', 'session.unsubscribed', 'message.publish', 'message.delivered', 'message.acked']);

export type Strategy = 'random' | 'roundrobin' | 'first_key_dispatch';
export const STRATEGIES: readonly Strategy[] = ['random', 'roundrobin', 'first_key_dispatch'];

export interface Rule {
  /** conf key it came from, e.g. `bridge.kafka.hook.message.publish.1` */
  readonly key: string;
  readonly hook: BridgeHook;
  /** N of the key, rules of one hook run in N order */
  readonly n: number;
  /** Kafka topic */
  readonly topic: string;
  /** MQTT topic filter; undefined = every event (client hooks, or no filter given) */
  readonly filter: string | undefined;
  /** Kafka record key: `${clientid}`, `${username}` or none */
  readonly key_by: 'clientid' | 'username' | undefined;
  readonly strategy: Strategy;
  /** matches an MQTT topic against `filter` without allocating */
  readonly match: (topic: string) => boolean;
}

export class ConfigError extends Error {}

/** `500ms`, `3S`, `1m`, `2h`, or a bare number of ms; case-insensitive because EMQX writes `5S`. */
export function parseDuration(text: string, what: string): number {
  const s = text.trim().toLowerCase();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let ms = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while (pos < s.length && (m = re.exec(s)) !== null) {
    ms += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  if (s.length === 0 || pos !== s.length || !Number.isFinite(ms)) throw new ConfigError(`${what}: expected a duration like 500ms, 3S, 1m; got "${text}"`);
  return Math.ceil(ms);
}

const HOOK_KEY = /^bridge\.kafka\.hook\.([a-z_]+\.[a-z_]+)\.([^.]+)$/;

/** Rules from conf keys `bridge.kafka.hook.<hook>.<N>`, sorted by hook then N. Throws ConfigError. */
export function parseRules(config: ConfValues): Rule[] {
  const rules: Rule[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith('bridge.kafka.hook.')) continue;
    const m = HOOK_KEY.exec(key);
    if (!m) throw new ConfigError(`${key}: expected bridge.kafka.hook.<hookpoint>.<N>`);
    const hook = m[1] as BridgeHook;
    if (!HOOKS.includes(hook)) throw new ConfigError(`${key}: unknown hook ${m[1]} (one of ${HOOKS.join(', ')})`);
    const n = Number(m[2]);
    if (typeof value !== 'string') throw new ConfigError(`${key}: expected a JSON object`);
    let spec: unknown;
    try {
      spec = JSON.parse(value);
    } catch (err) {
      throw new ConfigError(`${key}: bad JSON: ${(err as Error).message}`);
    }
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new ConfigError(`${key}: expected a JSON object like {"topic": "..."}`);
    const o = spec as Record<string, unknown>;
    const topic = o.topic;
    if (typeof topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw new ConfigError(`${key}: "topic" must be a Kafka topic name ([A-Za-z0-9._-], 1..249 chars)`);
    let filter: string | undefined;
    if (o.filter !== undefined) {
      if (typeof o.filter !== 'string' || !validTopicFilter(o.filter)) throw new ConfigError(`${key}: "filter" must be an MQTT topic filter`);
      // client events have no topic: EMQX ignores a filter there
      filter = FILTERED.has(hook) ? o.filter : undefined;
    }
    let keyBy: Rule['key_by'];
    if (o.key !== undefined) {
      if (o.key === '${clientid}') keyBy = 'clientid';
      else if (o.key === '${username}') keyBy = 'username';
      else throw new ConfigError(`${key}: "key" must be \${clientid} or \${username}`);
    }
    const strategy = (o.strategy ?? 'random') as Strategy;
    if (!STRATEGIES.includes(strategy)) throw new ConfigError(`${key}: "strategy" must be one of ${STRATEGIES.join(', ')}`);
    if (o.format !== undefined && o.format !== 'json') throw new ConfigError(`${key}: "format" must be json`);
    rules.push({ key, hook, n: Number.isFinite(n) ? n : 0, topic, filter, key_by: keyBy, strategy, match: filter === undefined ? () => true : compileFilter(filter) });
  }
  return rules.sort((a, b) => (a.hook === b.hook ? a.n - b.n : HOOKS.indexOf(a.hook) - HOOKS.indexOf(b.hook)));
}

export interface Settings {
  servers: string[];
  produce: 'sync' | 'async';
  syncTimeout: number;
  acks: -1 | 0 | 1;
  ackTimeout: number;
  maxBatchBytes: number;
  minBatchBytes: number;
  maxSendAhead: number;
  compression: 'no_compression' | 'gzip' | 'snappy';
  payload: 'base64' | 'plain';
  maxTotalBytes: number;
  batchSize: number;
  lingerMs: number;
  reconnectMs: number;
  replayqDir: string | undefined;
  metadataRefreshMs: number;
}

export function parseSettings(c: ConfValues): Settings {
  const num = (k: string): number => c[k] as number;
  const servers = (c['bridge.kafka.servers'] as readonly string[]).map((s) => s.trim()).filter((s) => s !== '');
  if (servers.length === 0) throw new ConfigError('bridge.kafka.servers: no Kafka server given');
  for (const s of servers) if (!/^[^:\s]+:\d{1,5}$/.test(s)) throw new ConfigError(`bridge.kafka.servers: expected host:port, got "${s}"`);
  const acks = { all_isr: -1, leader_only: 1, none: 0 } as const;
  const settings: Settings = {
    servers,
    produce: c['bridge.kafka.produce'] as Settings['produce'],
    syncTimeout: parseDuration(c['bridge.kafka.produce.sync_timeout'] as string, 'bridge.kafka.produce.sync_timeout'),
    acks: acks[c['bridge.kafka.producer.required_acks'] as keyof typeof acks],
    ackTimeout: parseDuration(c['bridge.kafka.producer.ack_timeout'] as string, 'bridge.kafka.producer.ack_timeout'),
    maxBatchBytes: num('bridge.kafka.producer.max_batch_bytes'),
    minBatchBytes: num('bridge.kafka.producer.min_batch_bytes'),
    maxSendAhead: num('bridge.kafka.producer.max_send_ahead'),
    compression: c['bridge.kafka.producer.compression'] as Settings['compression'],
    payload: c['bridge.kafka.encode_payload_type'] as Settings['payload'],
    maxTotalBytes: num('bridge.kafka.producer.replayq_max_total_bytes'),
    batchSize: num('bridge.kafka.producer.batch_size'),
    lingerMs: parseDuration(c['bridge.kafka.producer.max_linger_time'] as string, 'bridge.kafka.producer.max_linger_time'),
    reconnectMs: num('bridge.kafka.reconnect_interval'),
    replayqDir: c['bridge.kafka.replayq_dir'] as string | undefined,
    metadataRefreshMs: parseDuration(c['bridge.kafka.min_metadata_refresh_interval'] as string, 'bridge.kafka.min_metadata_refresh_interval'),
  };
  if (settings.syncTimeout <= 0) throw new ConfigError('bridge.kafka.produce.sync_timeout: must be > 0');
  if (settings.maxSendAhead < 0) throw new ConfigError('bridge.kafka.producer.max_send_ahead: must be >= 0');
  if (settings.batchSize < 1) throw new ConfigError('bridge.kafka.producer.batch_size: must be >= 1');
  if (settings.maxBatchBytes < 1) throw new ConfigError('bridge.kafka.producer.max_batch_bytes: must be >= 1');
  if (settings.maxTotalBytes < 1) throw new ConfigError('bridge.kafka.producer.replayq_max_total_bytes: must be >= 1');
  if (settings.reconnectMs < 1) settings.reconnectMs = 1;
  return settings;
}
