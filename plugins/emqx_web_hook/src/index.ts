// emqx_web_hook: POSTs EMQX 4.3's JSON for each hook event named by a rule
// `web.hook.rule.<hookpoint>.<N> = {"action": "on_<hook>", "topic": "<filter>"}` to web.hook.url.
// Hooks only build the body and append it to a bounded backlog; a sender drains it over
// keep-alive connections. `emqx_ctl webhook stats` shows the backlog and the counters.
import { definePlugin, type Message } from '@nemq/sdk';
import { ConfigError, parseRules, parseSettings, type Rule, type Settings, type WebHook } from './config.js';
import { Bodies, payloadEncoder } from './events.js';
import { Sender, type SenderStats } from './sender.js';
import { schema } from './schema.js';

export { schema } from './schema.js';
export { parseRules, parseSettings, ConfigError, HOOKS, type Rule, type Settings } from './config.js';
export { Bodies, base62, optsJson, payloadEncoder, peerAddress } from './events.js';
export { Backlog } from './backlog.js';
export { Sender, type SenderStats } from './sender.js';

const STAT_ORDER: Array<keyof SenderStats> = ['status', 'backlog', 'backlog_bytes', 'inflight', 'enqueued', 'sent', 'failed', 'dropped', 'retried', 'last_error'];

/** `emqx_ctl webhook stats`: the sender's counters, then EMQX's per-event `webhook.<event>` counters */
export function formatStats(st: SenderStats, events: Record<string, number>): string {
  return STAT_ORDER.map((k) => `${k.padEnd(28)}: ${st[k]}\n`).join('') + Object.entries(events).map(([k, v]) => `${k.padEnd(28)}: ${v}\n`).join('');
}

const isSys = (m: Message): boolean => m.flags.sys || m.topic.startsWith('$SYS/');

export default definePlugin({
  schema,
  start(ctx) {
    let settings: Settings;
    let rules: Rule[];
    try {
      settings = parseSettings(ctx.config);
      rules = parseRules(ctx.config);
    } catch (err) {
      if (err instanceof ConfigError) throw new Error(`emqx_web_hook.conf: ${err.message}`);
      throw err;
    }
    if (rules.length === 0) ctx.logger.warning('no web.hook.rule.* rules: no event will be sent');
    const sender = new Sender(settings, ctx.logger);
    const b = new Bodies(ctx.broker.nodeName, payloadEncoder(settings.encoding));
    const counts: Record<string, number> = {};
    const of = (h: WebHook): Rule[] => rules.filter((r) => r.hook === h);
    /** rules of `h`, or undefined when there are none (then the hook is not tapped at all) */
    const ruled = (h: WebHook): Rule[] | undefined => {
      const rs = of(h);
      if (rs.length === 0) return undefined;
      counts[`webhook.${h.replace('.', '_')}`] = 0;
      return rs;
    };
    const send = (metric: string, body: string): void => {
      counts[metric]!++;
      sender.enqueue(body);
    };
    // events without a topic: one request per rule, as EMQX hooks once per rule
    const each = (rs: Rule[], metric: string, body: () => string): void => {
      for (let i = 0; i < rs.length; i++) send(metric, body());
    };

    let rs: Rule[] | undefined;
    if ((rs = ruled('client.connect'))) {
      const r = rs;
      ctx.hooks.tap('client.connect', (ci) => {
        each(r, 'webhook.client_connect', () => b.connect(ci));
        return undefined;
      });
    }
    if ((rs = ruled('client.connack'))) {
      const r = rs;
      ctx.hooks.tap('client.connack', (ci, rc) => {
        each(r, 'webhook.client_connack', () => b.connack(ci, rc));
        return undefined;
      });
    }
    if ((rs = ruled('client.connected'))) {
      const r = rs;
      ctx.hooks.tap('client.connected', (cl, ci) => each(r, 'webhook.client_connected', () => b.connected(cl, ci)));
    }
    if ((rs = ruled('client.disconnected'))) {
      const r = rs;
      ctx.hooks.tap('client.disconnected', (cl, why, ci) => each(r, 'webhook.client_disconnected', () => b.disconnected(cl, why, ci)));
    }
    if ((rs = ruled('session.terminated'))) {
      const r = rs;
      ctx.hooks.tap('session.terminated', (cl, why) => each(r, 'webhook.session_terminated', () => b.terminated(cl, why)));
    }
    for (const [hook, action] of [['client.subscribe', 'client_subscribe'], ['client.unsubscribe', 'client_unsubscribe']] as const) {
      const r = ruled(hook);
      if (!r) continue;
      const metric = `webhook.${action}`;
      ctx.hooks.tap(hook, (cl, _props, filters) => {
        for (const rule of r) {
          for (const [topic, opts] of filters) if (rule.match(topic)) send(metric, b.subscription(action, cl, topic, opts));
        }
        return undefined;
      });
    }
    if ((rs = ruled('session.subscribed'))) {
      const r = rs;
      ctx.hooks.tap('session.subscribed', (cl, topic, opts) => {
        for (const rule of r) if (rule.match(topic)) send('webhook.session_subscribed', b.subscription('session_subscribed', cl, topic, opts));
      });
    }
    if ((rs = ruled('session.unsubscribed'))) {
      const r = rs;
      ctx.hooks.tap('session.unsubscribed', (cl, topic) => {
        for (const rule of r) if (rule.match(topic)) send('webhook.session_unsubscribed', b.unsubscribed(cl, topic));
      });
    }

    // the message hooks: a filter test per rule; $SYS messages are never sent (as EMQX)
    if ((rs = ruled('message.publish'))) {
      const r = rs;
      ctx.hooks.tap('message.publish', (m) => {
        if (m.headers.allow_publish === false || isSys(m)) return undefined;
        for (const rule of r) if (rule.match(m.topic)) send('webhook.message_publish', b.publish(m));
        return undefined;
      });
    }
    if ((rs = ruled('message.delivered'))) {
      const r = rs;
      ctx.hooks.tap('message.delivered', (cl, m) => {
        if (isSys(m)) return undefined;
        for (const rule of r) if (rule.match(m.topic)) send('webhook.message_delivered', b.delivery('message_delivered', cl, m));
        return undefined;
      });
    }
    if ((rs = ruled('message.acked'))) {
      const r = rs;
      ctx.hooks.tap('message.acked', (cl, m) => {
        if (isSys(m)) return;
        for (const rule of r) if (rule.match(m.topic)) send('webhook.message_acked', b.delivery('message_acked', cl, m));
      });
    }
    if ((rs = ruled('message.dropped'))) {
      const r = rs;
      ctx.hooks.tap('message.dropped', (m, _by, reason) => {
        if (isSys(m)) return;
        for (const rule of r) if (rule.match(m.topic)) send('webhook.message_dropped', b.dropped(m, reason));
      });
    }

    ctx.ctl('webhook', [
      ['webhook stats', 'Show the web hook backlog and counters'],
      ['webhook rules', 'Show the web hook rules: hook point and topic filter'],
    ], (args) => {
      if (args.length === 1 && args[0] === 'stats') return formatStats(sender.stats(), counts);
      if (args.length === 1 && args[0] === 'rules') return rules.map((r) => `${r.key}: hook=${r.hook}, topic=${r.filter ?? '-'}\n`).join('');
      return undefined;
    });

    ctx.onDispose(async () => {
      const lost = await sender.stop(Math.min(settings.requestTimeout, 2000));
      if (lost > 0) ctx.logger.warning(`unloaded with ${lost} events not sent: dropped`);
    });
  },
});
