// Taps the hooks the rules name and turns each event into a queued write or a read. Writes go
// through the rule's pool (pool.ts); reads (subscriptions at connect, offline and retained
// messages at subscribe) answer the client through the broker.
import { randomBytes } from 'node:crypto';
import type { ClientInfo, Message, QoS } from '../data.js';
import type { PluginContext } from '../plugin.js';
import { isWildcard } from '../topic.js';
import type { BackendPool, PoolStats } from './pool.js';
import type { BackendHook, BackendRule } from './rules.js';
import type { StoredMessage, WriteOp } from './store.js';

const BOOT = randomBytes(4).toString('hex').toUpperCase();
let nextId = 0x40000000;
// the time part of the last msgid: messages of one millisecond share it
let lastTs = -1;
let lastPrefix = '';

/** EMQX's message id (a GUID) for a message: time in µs, this process, the message's number, in hex */
export function msgidOf(msg: Message): string {
  const known = msg.headers.backend_msgid;
  if (typeof known === 'string') return known;
  if (msg.timestamp !== lastTs) {
    lastTs = msg.timestamp;
    lastPrefix = (msg.timestamp * 1000).toString(16).toUpperCase().padStart(16, '0') + BOOT;
  }
  const id = (msg.id >>> 0).toString(16).toUpperCase();
  return lastPrefix + (id.length >= 8 ? id : '00000000'.slice(id.length) + id);
}

/** a stored row as a message to deliver; its acknowledgement maps back to the stored msgid (kept in its headers) */
export function storedToMessage(m: StoredMessage, retain: boolean): Message {
  return {
    id: nextId++ >>> 0, qos: m.qos, from: m.sender, flags: { retain, dup: false, sys: false }, topic: m.topic,
    payload: m.payload, properties: undefined, timestamp: m.arrived, headers: retain ? { retained: true, backend_msgid: m.msgid } : { backend_msgid: m.msgid },
  };
}

function stored(msg: Message, node: string): StoredMessage {
  return { msgid: msgidOf(msg), topic: msg.topic, sender: msg.from, node, qos: msg.qos, retain: msg.flags.retain, payload: msg.payload, arrived: msg.timestamp };
}

function clientVars(ci: ClientInfo, node: string): Record<string, string | number> {
  return { clientid: ci.clientid, username: ci.username ?? '', peerhost: ci.peerhost, node };
}

function messageVars(msg: Message, ci: ClientInfo | undefined, node: string): Record<string, string | number> {
  return {
    msgid: msgidOf(msg), topic: msg.topic, payload: msg.payload.toString(), qos: msg.qos, retain: msg.flags.retain ? 1 : 0,
    clientid: ci ? ci.clientid : msg.from, username: ci ? ci.username ?? '' : String(msg.headers.username ?? ''),
    from: msg.from, node, timestamp: msg.timestamp,
  };
}

export interface Backend {
  readonly rules: readonly BackendRule[];
  readonly pools: ReadonlyMap<string, BackendPool>;
  /** the pools of rule engine resources (ruleactions.ts), shown by `stats` after the conf's pools */
  readonly resources: Map<string, BackendPool>;
}

/** taps every hook a rule names; the pools must be started */
export function tapBackend(ctx: PluginContext, rules: readonly BackendRule[], pools: ReadonlyMap<string, BackendPool>): Backend {
  const node = ctx.broker.nodeName;
  const of = (h: BackendHook): Array<[BackendRule, BackendPool]> => rules.filter((r) => r.hook === h).map((r) => [r, pools.get(r.pool)!]);
  const sqlOp = (r: BackendRule, vars: Record<string, string | number>): WriteOp => ({ kind: 'sql', sql: r.sql!, vars });

  // at session.created the client is not connected yet: a refused subscribe is tried again a few times
  const subscribeOne = async (pool: BackendPool, clientid: string, topic: string, qos: QoS, tries: number): Promise<void> => {
    try {
      if (await ctx.admin.call(node, 'subscribe', { clientid, topic, qos })) return;
      if (tries > 1 && !ctx.signal.aborted) {
        await new Promise((r) => setTimeout(r, 50));
        return subscribeOne(pool, clientid, topic, qos, tries - 1);
      }
      ctx.logger.debug(`${pool.name}: ${clientid} is gone or ${topic} is not a filter`);
    } catch (err) {
      ctx.logger.warning(`${pool.name}: subscribing ${clientid} to ${topic}: ${(err as Error).message}`);
    }
  };
  const subscribeAll = (pool: BackendPool, clientid: string): void => {
    void pool.read(`subscription lookup of ${clientid}`, (s) => s.subscriptions(clientid)).then(async (subs) => {
      for (const { topic, qos } of subs ?? []) await subscribeOne(pool, clientid, String(topic), (qos === 1 || qos === 2 ? qos : 0) as QoS, 20);
    });
  };

  const connected = of('client.connected');
  if (connected.length > 0) {
    ctx.hooks.tap('client.connected', (ci) => {
      for (const [r, pool] of connected) {
        if (r.fn === 'on_client_connected') pool.enqueue({ kind: 'connected', clientid: ci.clientid, node, at: Date.now() });
        else if (r.fn === 'on_subscribe_lookup') subscribeAll(pool, ci.clientid);
        else if (r.sql) pool.enqueue(sqlOp(r, clientVars(ci, node)));
      }
    });
  }
  const created = of('session.created');
  if (created.length > 0) {
    ctx.hooks.tap('session.created', (ci) => {
      for (const [r, pool] of created) {
        if (r.fn === 'on_subscribe_lookup') subscribeAll(pool, ci.clientid);
        else if (r.sql) pool.enqueue(sqlOp(r, clientVars(ci, node)));
      }
    });
  }
  const disconnected = of('client.disconnected');
  if (disconnected.length > 0) {
    ctx.hooks.tap('client.disconnected', (ci, reason) => {
      for (const [r, pool] of disconnected) {
        if (r.fn === 'on_client_disconnected') pool.enqueue({ kind: 'disconnected', clientid: ci.clientid, at: Date.now() });
        else if (r.sql) pool.enqueue(sqlOp(r, { ...clientVars(ci, node), reason }));
      }
    });
  }
  const subscribed = of('session.subscribed');
  if (subscribed.length > 0) {
    ctx.hooks.tap('session.subscribed', (ci, topic, opts) => {
      for (const [r, pool] of subscribed) {
        if (!r.match(topic)) continue;
        if (r.sql) {
          pool.enqueue(sqlOp(r, { ...clientVars(ci, node), topic, qos: opts.qos }));
          continue;
        }
        // stored rows are looked up by topic name: a wildcard or shared subscription finds none (as EMQX)
        if (opts.share !== undefined || isWildcard(topic)) continue;
        const clientid = ci.clientid;
        if (r.fn === 'on_message_fetch') {
          const o = { maxReturned: r.maxReturned, since: r.timeRange === undefined ? undefined : Date.now() - r.timeRange };
          void pool.read(`offline messages of ${clientid} on ${topic}`, (s) => s.fetch(clientid, topic, o)).then((ms) => {
            for (const m of ms ?? []) ctx.broker.deliverTo(clientid, topic, storedToMessage(m, false));
          });
        } else if (r.fn === 'on_retain_lookup') {
          // retain handling [MQTT-3.3.1-9], [MQTT-3.3.1-10]
          if (opts.rh === 2 || (opts.rh === 1 && opts.is_new === false)) continue;
          void pool.read(`retained messages of ${topic}`, (s) => s.retained(topic)).then((ms) => {
            for (const m of ms ?? []) ctx.broker.deliverTo(clientid, topic, storedToMessage(m, true));
          });
        }
      }
    });
  }
  const unsubscribed = of('session.unsubscribed');
  if (unsubscribed.length > 0) {
    ctx.hooks.tap('session.unsubscribed', (ci, topic) => {
      for (const [r, pool] of unsubscribed) if (r.sql && r.match(topic)) pool.enqueue(sqlOp(r, { ...clientVars(ci, node), topic }));
    });
  }

  // the hot path: a filter test per rule; for a match one row object and one op
  const publish = of('message.publish');
  if (publish.length > 0) {
    ctx.hooks.tap('message.publish', (msg) => {
      if (msg.flags.sys || msg.headers.allow_publish === false) return undefined;
      let row: StoredMessage | undefined;
      for (const [r, pool] of publish) {
        if (!r.match(msg.topic)) continue;
        const json = r.payloadFormat === 'mongo_json';
        switch (r.fn) {
          case 'on_message_publish':
            if (msg.qos > 0) pool.enqueue({ kind: 'message', m: (row ??= stored(msg, node)), json });
            break;
          case 'on_message_store':
            pool.enqueue({ kind: 'message', m: (row ??= stored(msg, node)), json });
            break;
          case 'on_message_retain':
            if (msg.flags.retain && msg.payload.length > 0) pool.enqueue({ kind: 'retain', m: (row ??= stored(msg, node)), json });
            break;
          case 'on_retain_delete':
            // an empty retained message removes the topic's retained message [MQTT-3.3.1-6]
            if (msg.flags.retain && msg.payload.length === 0) pool.enqueue({ kind: 'retain_delete', topic: msg.topic });
            break;
          default:
            if (r.sql) pool.enqueue(sqlOp(r, messageVars(msg, undefined, node)));
        }
      }
      return undefined;
    });
  }
  const acked = of('message.acked');
  if (acked.length > 0) {
    ctx.hooks.tap('message.acked', (ci, msg) => {
      for (const [r, pool] of acked) {
        if (!r.match(msg.topic)) continue;
        if (r.fn === 'on_message_acked') pool.enqueue({ kind: 'acked', clientid: ci.clientid, topic: msg.topic, msgid: msgidOf(msg) });
        else if (r.sql) pool.enqueue(sqlOp(r, messageVars(msg, ci, node)));
      }
    });
  }
  const delivered = of('message.delivered');
  if (delivered.length > 0) {
    ctx.hooks.tap('message.delivered', (ci, msg) => {
      for (const [r, pool] of delivered) if (r.sql && r.match(msg.topic)) pool.enqueue(sqlOp(r, messageVars(msg, ci, node)));
      return undefined;
    });
  }
  return { rules, pools, resources: new Map() };
}

const STAT_ORDER: Array<keyof PoolStats> = ['status', 'buffered', 'max_buffer', 'enqueued', 'written', 'batches', 'dropped', 'failed', 'retries', 'lookups', 'lookup_errors', 'last_error'];

/** `emqx_ctl <command> stats` text: per pool, one `name : value` line per counter */
export function formatBackendStats(pools: ReadonlyMap<string, BackendPool>, resources: ReadonlyMap<string, BackendPool> = new Map()): string {
  let out = '';
  for (const [name, p] of [...pools, ...[...resources].map(([id, r]) => [`resource ${id}`, r] as const)]) {
    p.stats.buffered = p.length;
    out += `pool ${name}\n` + STAT_ORDER.map((k) => `  ${k.padEnd(14)}: ${p.stats[k]}\n`).join('');
  }
  return out;
}

/** `emqx_ctl <command> rules` text: one line per rule */
export function formatBackendRules(rules: readonly BackendRule[]): string {
  return rules.map((r) => `${r.key}: hook=${r.hook}, topic=${r.topic ?? '-'}, action=${r.fn ?? `sql(${r.sql!.length})`}, pool=${r.pool}\n`).join('');
}

/** registers `emqx_ctl <command> stats|rules` */
export function backendCtl(ctx: PluginContext, command: string, b: Backend): void {
  ctx.ctl(command, [[`${command} stats`, 'Show each pool: buffer, writes, drops, lookups'], [`${command} rules`, 'Show the hook rules: hook, topic, action, pool']], (args) => {
    if (args[0] === 'stats') return formatBackendStats(b.pools, b.resources);
    if (args[0] === 'rules') return formatBackendRules(b.rules) || 'no rules\n';
    return undefined;
  });
}
