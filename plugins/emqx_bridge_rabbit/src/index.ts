// emqx_bridge_rabbit: hook events to RabbitMQ exchanges through the rules
// `bridge.rabbit.hook.<hookpoint>.<N> = {"topic": ..., "action": ..., "rabbit": N, "exchange": "type:name"}`
// (EMQX Enterprise's RabbitMQ bridge). Hooks only capture the event into a bounded buffer per
// server; a drain loop publishes with publisher confirms. `emqx_ctl rabbit stats` shows it.
import { definePlugin } from '@nemq/sdk';
import { AmqpConnector } from './amqp.js';
import { Bridge, type BridgeStats } from './bridge.js';
import { ConfigError, parseRules, parseServers, type BridgeHook, type Rule } from './config.js';
import { Kind, Rec, connRec, recSize } from './records.js';
import { schema } from './schema.js';

export { schema } from './schema.js';
export { Bridge, type BridgeStats, type Link, type Connector } from './bridge.js';
export { parseRules, parseServers, parseDuration, ConfigError, type Rule, type Server } from './config.js';
export { Kind, Rec, toAmqp, base62, routingKey } from './records.js';
export { BoundedQueue } from './queue.js';

const STAT_ORDER: Array<keyof BridgeStats> = [
  'status', 'connections', 'pool_size', 'buffered', 'buffered_bytes', 'max_buffer_bytes', 'inflight', 'enqueued', 'sent', 'dropped', 'batches', 'failed_batches', 'reconnects', 'last_error',
];

/** `emqx_ctl rabbit stats` text: per server a header line, then `name : value` lines */
export function formatStats(id: string, b: Bridge): string {
  const st = b.stats();
  return `rabbit ${id} (${b.name}):\n` + STAT_ORDER.map((k) => `  ${k.padEnd(16)}: ${st[k]}\n`).join('');
}

export default definePlugin({
  schema,
  start(ctx) {
    let rules: Rule[];
    let servers;
    try {
      servers = parseServers(ctx.config);
      if (servers.size === 0) throw new ConfigError('no bridge.rabbit.<N>.server given');
      rules = parseRules(ctx.config, servers);
    } catch (err) {
      if (err instanceof ConfigError) throw new Error(`emqx_bridge_rabbit.conf: ${err.message}`);
      throw err;
    }
    const maxBufferBytes = ctx.config['bridge.rabbit.max_buffer_bytes'] as number;
    const batchSize = Math.max(1, ctx.config['bridge.rabbit.batch_size'] as number);
    if (rules.length === 0) ctx.logger.warning('no bridge.rabbit.hook.* rules: nothing will be sent to RabbitMQ');
    const node = ctx.broker.nodeName;
    const bridges = new Map<string, Bridge>();
    for (const [id, s] of servers) {
      const conn = new AmqpConnector(s, rules, node, `emqx_bridge_rabbit@${node}`);
      bridges.set(id, new Bridge(s, conn, { maxBufferBytes, batchSize }, ctx.logger));
    }
    // each rule carries its bridge, so a hook does no lookup
    type Bound = { r: Rule; b: Bridge };
    const of = (h: BridgeHook): Bound[] => rules.filter((r) => r.hook === h).map((r) => ({ r, b: bridges.get(r.rabbit)! }));

    const connected = of('client.connected');
    if (connected.length > 0) {
      ctx.hooks.tap('client.connected', (ci) => {
        for (const { r, b } of connected) b.enqueue(connRec(r, Kind.Connected, ci.clientid, ci.username ?? null, ''));
      });
    }
    const disconnected = of('client.disconnected');
    if (disconnected.length > 0) {
      ctx.hooks.tap('client.disconnected', (ci, reason) => {
        for (const { r, b } of disconnected) b.enqueue(connRec(r, Kind.Disconnected, ci.clientid, ci.username ?? null, reason));
      });
    }
    for (const [hook, kind] of [['client.subscribe', Kind.Subscribe], ['client.unsubscribe', Kind.Unsubscribe]] as const) {
      const rs = of(hook);
      if (rs.length === 0) continue;
      ctx.hooks.tap(hook, (ci, _props, filters) => {
        const ts = Date.now();
        for (const { r, b } of rs) {
          const fs: Array<[string, number]> = [];
          let bytes = 0;
          for (const [t, o] of filters) {
            if (!r.match(t)) continue;
            fs.push([t, o.qos]);
            bytes += t.length;
          }
          if (fs.length === 0) continue;
          b.enqueue(new Rec(r, kind, ci.clientid, ci.username ?? null, '', EMPTY, 0, '', 0, fs, ts, 200 + ci.clientid.length + bytes));
        }
        return undefined;
      });
    }
    for (const [hook, kind] of [['session.subscribed', Kind.Subscribed], ['session.unsubscribed', Kind.Unsubscribed]] as const) {
      const rs = of(hook);
      if (rs.length === 0) continue;
      ctx.hooks.tap(hook, (ci, topic, opts) => {
        const ts = Date.now();
        for (const { r, b } of rs) {
          if (r.match(topic)) b.enqueue(new Rec(r, kind, ci.clientid, ci.username ?? null, topic, EMPTY, opts.qos, '', 0, undefined, ts, recSize(ci.clientid, topic, EMPTY)));
        }
      });
    }

    // the hot paths: a filter test per rule, and for a match one record
    const publish = of('message.publish');
    if (publish.length > 0) {
      ctx.hooks.tap('message.publish', (msg) => {
        if (msg.headers.allow_publish === false) return msg;
        const topic = msg.topic;
        let payload: Buffer | undefined;
        for (const { r, b } of publish) {
          if (!r.match(topic)) continue;
          // a copy: the parsed payload is a view into the socket's read chunk
          payload ??= Buffer.from(msg.payload);
          b.enqueue(new Rec(r, Kind.Publish, msg.from, msg.headers.username ?? null, topic, payload, msg.qos, '', msg.id, undefined, msg.timestamp, recSize(msg.from, topic, payload)));
        }
        return msg;
      });
    }
    const delivered = of('message.delivered');
    if (delivered.length > 0) {
      ctx.hooks.tap('message.delivered', (ci, msg) => {
        const topic = msg.topic;
        let payload: Buffer | undefined;
        for (const { r, b } of delivered) {
          if (!r.match(topic)) continue;
          payload ??= Buffer.from(msg.payload);
          b.enqueue(new Rec(r, Kind.Delivered, ci.clientid, ci.username ?? null, topic, payload, msg.qos, msg.from, msg.id, undefined, Date.now(), recSize(ci.clientid, topic, payload)));
        }
        return msg;
      });
    }
    const acked = of('message.acked');
    if (acked.length > 0) {
      ctx.hooks.tap('message.acked', (ci, msg) => {
        const topic = msg.topic;
        for (const { r, b } of acked) {
          if (!r.match(topic)) continue;
          b.enqueue(new Rec(r, Kind.Acked, ci.clientid, ci.username ?? null, topic, EMPTY, msg.qos, msg.from, msg.id, undefined, Date.now(), recSize(ci.clientid, topic, EMPTY)));
        }
      });
    }

    ctx.ctl('rabbit', [
      ['rabbit stats', 'Show each RabbitMQ server: status, buffer and counters'],
      ['rabbit rules', 'Show the bridge rules: hook, MQTT filter, server, exchange'],
    ], (args) => {
      if (args.length === 1 && args[0] === 'stats') return [...bridges].map(([id, b]) => formatStats(id, b)).join('');
      if (args.length === 1 && args[0] === 'rules') {
        return rules.map((r) => `${r.key}: hook=${r.hook}, topic=${r.filter ?? '-'}, rabbit=${r.rabbit}, exchange=${r.exchangeType}:${r.exchange}\n`).join('');
      }
      return undefined;
    });

    for (const b of bridges.values()) b.start();
    ctx.onDispose(async () => {
      const lost = await Promise.all([...bridges.values()].map((b) => b.stop(2000)));
      const n = lost.reduce((a, x) => a + x, 0);
      if (n > 0) ctx.logger.warning(`unloaded with ${n} messages not yet confirmed by RabbitMQ: dropped`);
    });
  },
});

const EMPTY = Buffer.alloc(0);
