// emqx_backend_redis: client status, subscriptions, messages, retained messages and acks in
// Redis with EMQX Enterprise's layout (keys.ts), chosen by the rules
// `backend.redis.hook.<hookpoint>.<N> = {"topic": ..., "action": {"function": ...}, "pool": "pool1"}`.
// Hooks only append commands to the pool's buffer; a drain loop writes them in pipelines.
import { compileFilter, definePlugin, type Message, type PluginContext, type QoS } from '@nemq/sdk';
import { ConfigError, parsePools, parseRules, type Hook, type Rule } from './config.js';
import { ackedKey, base62, clientKey, hasWildcard, messageFields, msgKey, nodeKey, retainKey, scanPattern, storedMessage, subKey, topicKey } from './keys.js';
import { schema } from './schema.js';
import { Store, type Arg, type StoreStats } from './store.js';

export { schema } from './schema.js';
export { parsePools, parseRules, ConfigError, type Rule, type Pool } from './config.js';
export { Store, type StoreStats } from './store.js';
export { base62, unbase62, scanPattern, storedMessage, messageFields } from './keys.js';
export { BoundedQueue } from './queue.js';

const STAT_ORDER: Array<keyof StoreStats> = [
  'status', 'buffered', 'buffered_bytes', 'max_buffer_bytes', 'inflight', 'enqueued', 'written', 'dropped', 'pipelines', 'failed_pipelines', 'errors', 'last_error',
];

export function formatStats(s: Store): string {
  const st = s.stats();
  return `pool ${s.pool.name}:\n` + STAT_ORDER.map((k) => `  ${k.padEnd(16)}: ${st[k]}\n`).join('');
}

type Vals = Record<string, string | Buffer>;

/** raw commands with `${param}` filled in: an argument that is just a placeholder takes the value as is (a payload stays bytes) */
export function expand(commands: Rule['commands'], vals: Vals): Arg[][] {
  return commands.map((args) => args.map((a) => {
    const whole = /^\$\{([^}]*)\}$/.exec(a);
    if (whole) return vals[whole[1]!] ?? '';
    return a.replace(/\$\{([^}]*)\}/g, (_m, k: string) => String(vals[k] ?? ''));
  }));
}

const secs = (): number => Math.floor(Date.now() / 1000);

/** the filter as the client wrote it: session.subscribed gives the share group apart */
function clientFilter(topic: string, share: string | undefined): string {
  if (share === undefined) return topic;
  return share === '$queue' ? `$queue/${topic}` : `$share/${share}/${topic}`;
}

function messageJson(m: Message): string {
  return JSON.stringify({ id: base62(m.id), from: m.from, qos: m.qos, topic: m.topic, retain: m.flags.retain, payload: m.payload.toString('utf8'), ts: Math.floor(m.timestamp / 1000) });
}

async function scanKeys(store: Store, pattern: string, type: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await store.read<[string, string[]]>(['scan', cursor, 'MATCH', pattern, 'COUNT', 1000, 'TYPE', type]);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

/** the topics with stored keys `<prefix><topic>` that `filter` matches */
async function matchingTopics(store: Store, prefix: string, filter: string, type: string): Promise<string[]> {
  if (!hasWildcard(filter)) return [filter];
  const match = compileFilter(filter);
  return (await scanKeys(store, scanPattern(prefix, filter), type)).map((k) => k.slice(prefix.length)).filter((t) => match(t));
}

class Backend {
  readonly stores = new Map<string, Store>();
  private readonly ttl: number;
  private readonly node: string;

  constructor(private readonly ctx: PluginContext, readonly rules: Rule[], ttl: number) {
    this.ttl = ttl > 0 ? ttl : 3600;
    this.node = ctx.broker.nodeName;
  }

  private failed(what: string, err: unknown): void {
    this.ctx.logger.warning(`${what}: ${(err as Error)?.message ?? String(err)}`);
  }

  connected(s: Store, r: Rule, cid: string, username: string | undefined): void {
    if (r.fn === 'on_client_connected') {
      const now = secs();
      s.write(['hset', clientKey(cid), 'state', 1, 'online_at', now, 'offline_at', 'undefined']);
      s.write(['hset', nodeKey(this.node), cid, now]);
    } else if (r.fn === 'on_subscribe_lookup') {
      s.read<Record<string, string>>(['hgetall', subKey(cid)]).then(async (subs) => {
        for (const [topic, q] of Object.entries(subs)) {
          const qos = Math.min(2, Math.max(0, Number(q) | 0)) as QoS;
          await this.ctx.admin.call(this.node, 'subscribe', { clientid: cid, topic, qos });
        }
      }).catch((err: unknown) => this.failed(`restoring the subscriptions of ${cid} from ${subKey(cid)}`, err));
    } else this.raw(s, r, { clientid: cid, username: username ?? '', node: this.node });
  }

  disconnected(s: Store, r: Rule, cid: string, username: string | undefined, reason: string): void {
    if (r.fn === 'on_client_disconnected') {
      s.write(['hset', clientKey(cid), 'state', 0, 'offline_at', secs()]);
      s.write(['hdel', nodeKey(this.node), cid]);
    } else this.raw(s, r, { clientid: cid, username: username ?? '', node: this.node, reason });
  }

  subscribed(s: Store, r: Rule, cid: string, username: string | undefined, topic: string, qos: number, share: string | undefined, rh: number, isNew: boolean): void {
    switch (r.fn) {
      case 'on_client_subscribe':
        s.write(['hset', subKey(cid), clientFilter(topic, share), qos]);
        return;
      case 'on_message_fetch_for_queue':
      case 'on_message_fetch_for_pubsub':
        this.fetch(s, cid, topic, r.fn === 'on_message_fetch_for_pubsub').catch((err: unknown) => this.failed(`fetching stored messages of ${topic} for ${cid}`, err));
        return;
      case 'on_retain_lookup':
        // no retained messages for shared subscriptions, and MQTT 5 retain handling [MQTT-3.3.1-9] [MQTT-3.3.1-10]
        if (share !== undefined || rh === 2 || (rh === 1 && !isNew)) return;
        this.retained(s, cid, topic).catch((err: unknown) => this.failed(`looking up retained messages of ${topic} for ${cid}`, err));
        return;
      default:
        this.raw(s, r, { clientid: cid, username: username ?? '', topic, qos: String(qos) });
    }
  }

  unsubscribed(s: Store, r: Rule, cid: string, username: string | undefined, topic: string, share: string | undefined): void {
    if (r.fn === 'on_client_unsubscribe') s.write(['hdel', subKey(cid), clientFilter(topic, share)]);
    else this.raw(s, r, { clientid: cid, username: username ?? '', topic });
  }

  publish(s: Store, r: Rule, m: Message): void {
    switch (r.fn) {
      case 'on_message_publish': {
        // stored: QoS 1 and 2 messages
        if (m.qos === 0) return;
        const id = base62(m.id);
        s.write(['hset', msgKey(id), ...messageFields(m)]);
        s.write(['expire', msgKey(id), this.ttl]);
        s.write(['zadd', topicKey(m.topic), m.timestamp, id]);
        return;
      }
      case 'on_message_retain':
        if (m.flags.retain && m.payload.length > 0) s.write(['hset', retainKey(m.topic), ...messageFields(m)]);
        return;
      case 'on_retain_delete':
        // an empty retained message clears the topic's retained message [MQTT-3.3.1-10]
        if (m.flags.retain && m.payload.length === 0) s.write(['del', retainKey(m.topic)]);
        return;
      default:
        this.raw(s, r, { message: messageJson(m), msgid: base62(m.id), topic: m.topic, payload: m.payload, qos: String(m.qos), clientid: m.from, username: m.headers.username ?? '' });
    }
  }

  delivered(s: Store, r: Rule, cid: string, username: string | undefined, m: Message): void {
    this.raw(s, r, { msgid: base62(m.id), topic: m.topic, clientid: cid, username: username ?? '', payload: m.payload, qos: String(m.qos) });
  }

  acked(s: Store, r: Rule, cid: string, username: string | undefined, m: Message): void {
    const id = base62(m.id);
    if (r.fn === 'on_message_acked_for_queue') {
      // one to one: the message is done once acknowledged
      s.write(['del', msgKey(id)]);
      s.write(['zrem', topicKey(m.topic), id]);
    } else if (r.fn === 'on_message_acked_for_pubsub') {
      // one to many: remember how far this client has read the topic
      s.write(['set', ackedKey(cid, m.topic), id]);
    } else this.raw(s, r, { msgid: id, topic: m.topic, clientid: cid, username: username ?? '' });
  }

  private raw(s: Store, r: Rule, vals: Vals): void {
    for (const cmd of expand(r.commands, vals)) s.write(cmd);
  }

  /** stored messages of the topics `filter` matches, oldest first; pubsub: only after the client's last ack */
  private async fetch(s: Store, cid: string, filter: string, pubsub: boolean): Promise<void> {
    for (const t of await matchingTopics(s, 'mqtt:msg:', filter, 'zset')) {
      let ids = await s.read<string[]>(['zrange', topicKey(t), 0, -1]);
      if (pubsub) {
        const last = await s.read<string | null>(['get', ackedKey(cid, t)]);
        const i = last === null ? -1 : ids.indexOf(last);
        if (i >= 0) ids = ids.slice(i + 1);
      }
      const hashes = await Promise.all(ids.map((id) => s.read<Record<string, Buffer>>(['hgetallBuffer', msgKey(id)])));
      for (let i = 0; i < ids.length; i++) {
        const m = storedMessage(hashes[i]!, false);
        // expired (mqtt:msg:<id> gone): drop it from the topic's set
        if (!m) s.write(['zrem', topicKey(t), ids[i]!]);
        else this.ctx.broker.deliverTo(cid, filter, m);
      }
    }
  }

  private async retained(s: Store, cid: string, filter: string): Promise<void> {
    const topics = await matchingTopics(s, 'mqtt:retain:', filter, 'hash');
    const hashes = await Promise.all(topics.map((t) => s.read<Record<string, Buffer>>(['hgetallBuffer', retainKey(t)])));
    for (const h of hashes) {
      const m = storedMessage(h, true);
      if (m) this.ctx.broker.deliverTo(cid, filter, m);
    }
  }

  /** `PUBLISH <channel> {"type": "subscribe"|"unsubscribe", "topic": ..., "clientid": ..., "qos": ...}`: acts for a client on this node */
  async command(text: string): Promise<void> {
    let o: { type?: unknown; topic?: unknown; clientid?: unknown; qos?: unknown };
    try {
      o = JSON.parse(text) as typeof o;
    } catch {
      this.ctx.logger.warning(`channel message is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    if (typeof o?.topic !== 'string' || typeof o.clientid !== 'string' || (o.type !== 'subscribe' && o.type !== 'unsubscribe')) {
      this.ctx.logger.warning(`channel message needs {"type": "subscribe"|"unsubscribe", "topic": ..., "clientid": ...}: ${text.slice(0, 200)}`);
      return;
    }
    try {
      if (o.type === 'subscribe') {
        const qos = Math.min(2, Math.max(0, Number(o.qos ?? 0) | 0)) as QoS;
        await this.ctx.admin.call(this.node, 'subscribe', { clientid: o.clientid, topic: o.topic, qos });
      } else {
        await this.ctx.admin.call(this.node, 'unsubscribe', { clientid: o.clientid, topic: o.topic });
      }
    } catch (err) {
      this.failed(`channel ${o.type} ${o.topic} for ${o.clientid}`, err);
    }
  }
}

export default definePlugin({
  schema,
  start(ctx) {
    let rules: Rule[];
    let pools;
    try {
      pools = parsePools(ctx.config);
      if (pools.size === 0) throw new ConfigError('no backend.redis.<pool>.server given');
      rules = parseRules(ctx.config, pools);
    } catch (err) {
      if (err instanceof ConfigError) throw new Error(`emqx_backend_redis.conf: ${err.message}`);
      throw err;
    }
    const be = new Backend(ctx, rules, ctx.config['backend.redis.msg.expired_after'] as number);
    const maxBytes = ctx.config['backend.redis.max_buffer_bytes'] as number;
    const batch = Math.max(1, ctx.config['backend.redis.batch_size'] as number);
    for (const [name, p] of pools) be.stores.set(name, new Store(p, batch, maxBytes, ctx.logger));
    if (rules.length === 0) ctx.logger.warning('no backend.redis.hook.* rules: nothing will be stored');

    type Bound = { r: Rule; s: Store };
    const of = (h: Hook): Bound[] => rules.filter((r) => r.hook === h).map((r) => ({ r, s: be.stores.get(r.pool)! }));

    const connected = of('client.connected');
    if (connected.length > 0) {
      ctx.hooks.tap('client.connected', (ci) => {
        for (const { r, s } of connected) be.connected(s, r, ci.clientid, ci.username);
      });
    }
    const disconnected = of('client.disconnected');
    if (disconnected.length > 0) {
      ctx.hooks.tap('client.disconnected', (ci, reason) => {
        for (const { r, s } of disconnected) be.disconnected(s, r, ci.clientid, ci.username, reason);
      });
    }
    const subscribed = of('session.subscribed');
    if (subscribed.length > 0) {
      ctx.hooks.tap('session.subscribed', (ci, topic, o) => {
        for (const { r, s } of subscribed) if (r.match(topic)) be.subscribed(s, r, ci.clientid, ci.username, topic, o.qos, o.share, o.rh, o.is_new !== false);
      });
    }
    const unsubscribed = of('session.unsubscribed');
    if (unsubscribed.length > 0) {
      ctx.hooks.tap('session.unsubscribed', (ci, topic, o) => {
        for (const { r, s } of unsubscribed) if (r.match(topic)) be.unsubscribed(s, r, ci.clientid, ci.username, topic, o.share);
      });
    }
    // the hot paths: a filter test per rule, and for a match a few command arrays
    const publish = of('message.publish');
    if (publish.length > 0) {
      ctx.hooks.tap('message.publish', (msg) => {
        if (msg.headers.allow_publish === false || msg.flags.sys) return msg;
        for (const { r, s } of publish) if (r.match(msg.topic)) be.publish(s, r, msg);
        return msg;
      });
    }
    const delivered = of('message.delivered');
    if (delivered.length > 0) {
      ctx.hooks.tap('message.delivered', (ci, msg) => {
        for (const { r, s } of delivered) if (r.match(msg.topic)) be.delivered(s, r, ci.clientid, ci.username, msg);
        return msg;
      });
    }
    const acked = of('message.acked');
    if (acked.length > 0) {
      ctx.hooks.tap('message.acked', (ci, msg) => {
        for (const { r, s } of acked) if (r.match(msg.topic)) be.acked(s, r, ci.clientid, ci.username, msg);
      });
    }

    // the channel: the backend subscribes and acts on requests published to it
    const subscribers: Array<{ quit(): Promise<unknown> } & { disconnect(): void }> = [];
    for (const s of be.stores.values()) {
      const channel = s.pool.channel;
      if (channel === undefined) continue;
      const sub = s.client.duplicate({ enableOfflineQueue: true, lazyConnect: false });
      sub.on('error', () => undefined);
      sub.subscribe(channel).catch((err: unknown) => ctx.logger.warning(`subscribing to Redis channel ${channel}: ${(err as Error).message}`));
      sub.on('message', (_ch: string, text: string) => void be.command(text));
      subscribers.push(sub);
    }

    ctx.ctl('backend_redis', [
      ['backend_redis stats', 'Show each Redis pool: status, buffer and counters'],
      ['backend_redis rules', 'Show the backend rules: hook, MQTT filter, action, pool'],
    ], (args) => {
      if (args.length === 1 && args[0] === 'stats') return [...be.stores.values()].map(formatStats).join('');
      if (args.length === 1 && args[0] === 'rules') {
        return rules.map((r) => `${r.key}: hook=${r.hook}, topic=${r.filter ?? '-'}, action=${r.fn ?? `commands(${r.commands.length})`}, pool=${r.pool}\n`).join('');
      }
      return undefined;
    });

    for (const s of be.stores.values()) s.start();
    ctx.onDispose(async () => {
      for (const sub of subscribers) sub.disconnect();
      const lost = await Promise.all([...be.stores.values()].map((s) => s.stop(2000)));
      const n = lost.reduce((a, x) => a + x, 0);
      if (n > 0) ctx.logger.warning(`unloaded with ${n} commands not yet written to Redis: dropped`);
    });
  },
});
