// emqx_bridge_kafka: hook events to Kafka topics through the rules
// `bridge.kafka.hook.<hookpoint>.<N> = {"topic": ..., "filter": ...}` (EMQX Enterprise's
// Kafka bridge). Hooks only capture the event into a bounded buffer; a drain loop sends
// batches with kafkajs. `emqx_ctl kafka stats` shows the buffer and the counters.
import { definePlugin } from '@nemq/sdk';
import { Bridge, type BridgeStats, type Sender } from './bridge.js';
import { ConfigError, parseRules, parseSettings, type BridgeHook, type Rule, type Settings } from './config.js';
import { KafkajsSender } from './kafka.js';
import { Kind, payloadEncoder, Rec, recSize } from './records.js';
import { schema } from './schema.js';

export { schema } from './schema.js';
export { Bridge, RecordsRejected, type BridgeStats, type Sender, type TopicBatch, type OutMessage } from './bridge.js';
export { parseRules, parseSettings, parseDuration, ConfigError, type Rule, type Settings } from './config.js';
export { Kind, Rec, encodeValue, payloadEncoder, recordKey, recSize } from './records.js';
export { BoundedQueue } from '@nemq/sdk';
export { KafkajsSender, createPartitioner } from './kafka.js';

const STAT_ORDER: Array<keyof BridgeStats> = [
  'status', 'buffered', 'buffered_bytes', 'max_buffer_bytes', 'inflight', 'unsent_bytes', 'enqueued', 'sent', 'dropped', 'batches', 'requests', 'failed_batches', 'rejected', 'last_error',
];

/** `emqx_ctl kafka stats` text: one `name : value` line per counter */
export function formatStats(st: BridgeStats): string {
  return STAT_ORDER.map((k) => `${k.padEnd(16)}: ${st[k]}\n`).join('');
}

export default definePlugin({
  schema,
  start(ctx) {
    let settings: Settings;
    let rules: Rule[];
    try {
      settings = parseSettings(ctx.config);
      rules = parseRules(ctx.config);
    } catch (err) {
      if (err instanceof ConfigError) throw new Error(`emqx_bridge_kafka.conf: ${err.message}`);
      throw err;
    }
    if (settings.replayqDir !== undefined) ctx.logger.warning(`bridge.kafka.replayq_dir = ${settings.replayqDir}: nemq buffers in memory only (bridge.kafka.producer.replayq_max_total_bytes)`);
    if (rules.length === 0) ctx.logger.warning('no bridge.kafka.hook.* rules: nothing will be sent to Kafka');

    const node = ctx.broker.nodeName;
    const sender: Sender = new KafkajsSender(settings, `emqx_bridge_kafka@${node}`, ctx.logger);
    const bridge = new Bridge(sender, settings, node, ctx.logger);
    const enc = payloadEncoder(settings.payload);
    const of = (h: BridgeHook): Rule[] => rules.filter((r) => r.hook === h);

    const connected = of('client.connected');
    if (connected.length > 0) {
      ctx.hooks.tap('client.connected', (ci) => {
        const u = ci.username ?? null;
        const size = recSize(ci.clientid, u, '', '', '');
        const ts = Date.now();
        for (const r of connected) bridge.enqueue(new Rec(r, Kind.Connected, ci.clientid, u, '', '', 0, '', ts, size));
      });
    }
    const disconnected = of('client.disconnected');
    if (disconnected.length > 0) {
      ctx.hooks.tap('client.disconnected', (ci, why) => {
        const u = ci.username ?? null;
        const size = recSize(ci.clientid, u, why, '', '');
        const ts = Date.now();
        for (const r of disconnected) bridge.enqueue(new Rec(r, Kind.Disconnected, ci.clientid, u, why, '', 0, '', ts, size));
      });
    }
    for (const [hook, kind] of [['session.subscribed', Kind.Subscribed], ['session.unsubscribed', Kind.Unsubscribed]] as const) {
      const rs = of(hook);
      if (rs.length === 0) continue;
      ctx.hooks.tap(hook, (ci, topic, opts) => {
        const ts = Date.now();
        for (const r of rs) {
          if (!r.match(topic)) continue;
          const u = ci.username ?? null;
          bridge.enqueue(new Rec(r, kind, ci.clientid, u, topic, '', opts.qos, '', ts, recSize(ci.clientid, u, topic, '', '')));
        }
      });
    }

    // the hot paths: a filter test per rule, and for a match one string and one record
    const publish = of('message.publish');
    if (publish.length > 0) {
      ctx.hooks.tap('message.publish', (msg) => {
        if (msg.headers.allow_publish === false) return msg;
        const topic = msg.topic;
        let payload: string | undefined;
        for (const r of publish) {
          if (!r.match(topic)) continue;
          payload ??= enc(msg.payload);
          const u = msg.headers.username ?? null;
          bridge.enqueue(new Rec(r, Kind.Publish, msg.from, u, topic, payload, msg.qos, '', msg.timestamp, recSize(msg.from, u, topic, payload, '')));
        }
        return msg;
      });
    }
    const delivered = of('message.delivered');
    if (delivered.length > 0) {
      ctx.hooks.tap('message.delivered', (ci, msg) => {
        const topic = msg.topic;
        let payload: string | undefined;
        for (const r of delivered) {
          if (!r.match(topic)) continue;
          payload ??= enc(msg.payload);
          const u = ci.username ?? null;
          bridge.enqueue(new Rec(r, Kind.Delivered, ci.clientid, u, topic, payload, msg.qos, msg.from, Date.now(), recSize(ci.clientid, u, topic, payload, msg.from)));
        }
        return msg;
      });
    }
    const acked = of('message.acked');
    if (acked.length > 0) {
      ctx.hooks.tap('message.acked', (ci, msg) => {
        const topic = msg.topic;
        let payload: string | undefined;
        for (const r of acked) {
          if (!r.match(topic)) continue;
          payload ??= enc(msg.payload);
          const u = ci.username ?? null;
          bridge.enqueue(new Rec(r, Kind.Acked, ci.clientid, u, topic, payload, msg.qos, msg.from, Date.now(), recSize(ci.clientid, u, topic, payload, msg.from)));
        }
      });
    }

    ctx.ctl('kafka', [
      ['kafka stats', 'Show the Kafka bridge status, buffer and counters'],
      ['kafka rules', 'Show the bridge rules: hook, MQTT filter, Kafka topic'],
    ], (args) => {
      if (args.length === 1 && args[0] === 'stats') return formatStats(bridge.stats());
      if (args.length === 1 && args[0] === 'rules') {
        return rules.map((r) => `${r.key}: hook=${r.hook}, filter=${r.filter ?? '-'}, topic=${r.topic}, key=${r.key_by === undefined ? '-' : `\${${r.key_by}}`}, strategy=${r.strategy}\n`).join('');
      }
      return undefined;
    });

    bridge.start();
    ctx.onDispose(async () => {
      const lost = await bridge.stop(Math.min(settings.syncTimeout, 2000));
      if (lost > 0) ctx.logger.warning(`unloaded with ${lost} records not yet in Kafka: dropped`);
    });
  },
});
