// emqx_rule_engine: EMQX 4.x rules. `SELECT ... FROM "<filter>" WHERE ...` compiled once per
// rule, run on message.publish for the topics in FROM and on the `$events/...` hook points;
// each result goes to the rule's actions (republish, inspect, do_nothing, data_to_webserver,
// and whatever other plugins add through the SDK's ruleRegistry()).
import { join } from 'node:path';
import { definePlugin, ruleRegistry, type Message, type QoS } from '@nemq/sdk';
import { BUILTIN_ACTIONS, BUILTIN_TYPES } from './actions.js';
import { registerApi } from './api.js';
import { registerCtl } from './ctl.js';
import { Engine, type ResourceDef, type RuleDef } from './engine.js';
import {
  EVENTS_FROM, EVENT_NAMES, connectedRow, deliveryRow, disconnectedRow, droppedRow, publishRow, subRow,
} from './events.js';
import { RuleStore, parseRow, rowOf } from './store.js';
import type { Row } from './values.js';

const eventKeys = Object.fromEntries(EVENT_NAMES.map((n) => [`rule_engine.events.${n}`, { type: 'string' as const, default: 'off' }]));

/** `on`, `on, qos1`, `off` → the QoS to publish `$events/<name>` at, or undefined for off */
export function eventSetting(v: string): QoS | undefined {
  const [toggle, qos] = v.split(',').map((s) => s.trim().toLowerCase());
  if (toggle !== 'on') return undefined;
  const m = /^qos([012])$/.exec(qos ?? 'qos0');
  return m ? (Number(m[1]) as QoS) : 0;
}

export default definePlugin({
  schema: {
    'rule_engine.ignore_sys_message': { type: 'boolean', default: 'on' },
    ...eventKeys,
  },
  async start(ctx) {
    const c = ctx.config as Record<string, unknown>;
    const node = ctx.broker.nodeName;
    const ignoreSys = c['rule_engine.ignore_sys_message'] !== false;
    const registry = ruleRegistry();
    const builtins = [...BUILTIN_ACTIONS.map((a) => registry.addAction(a)), ...BUILTIN_TYPES.map((t) => registry.addResourceType(t))];
    ctx.onDispose(() => builtins.forEach((off) => off()));

    const store = new RuleStore(join(ctx.dataDir, 'rules', 'rule_engine.json'), (m) => ctx.logger.error(m));
    let table: { set(k: string, v: string): void; delete(k: string): void } | undefined;
    const engine = new Engine({
      node,
      logger: ctx.logger,
      publish: (topic, payload, o) => { ctx.broker.publish(topic, payload, o); },
      actions: () => registry.actions(),
      resourceTypes: () => registry.resourceTypes(),
      saved: (kind, id, def) => {
        store.put(kind, id, def);
        if (def === undefined) table?.delete(id);
        else table?.set(id, rowOf(kind, def));
      },
    });
    ctx.onDispose(() => engine.dispose());

    // a row from disk or another node: applied without saving it back
    const apply = async (kind: 'rule' | 'resource', def: RuleDef | ResourceDef | undefined, id: string): Promise<void> => {
      try {
        if (kind === 'resource') {
          if (def === undefined) await engine.deleteResource(id, false);
          else await engine.createResource(def as ResourceDef, false);
        } else if (def === undefined) engine.deleteRule(id, false);
        else await engine.createRule(def as RuleDef, false);
        store.put(kind, id, def);
      } catch (e) {
        ctx.logger.error(`cannot restore ${id}: ${(e as Error).message}`);
      }
    };
    const saved = store.load();
    for (const r of saved.resources) await apply('resource', r, r.id);
    for (const r of saved.rules) await apply('rule', r, r.id);

    // a plugin adding an action: saved rules that could not start for want of it start now
    const offChange = registry.onChange(() => {
      const names = new Set(registry.actions().map((a) => a.name));
      const known = (l: RuleDef['actions']): boolean => l.every((a) => names.has(a.name) && known(a.fallbacks));
      for (const d of store.rules.values()) {
        if (!engine.rules.has(d.id) && known(d.actions)) void apply('rule', d, d.id);
      }
    });
    ctx.onDispose(offChange);

    table = ctx.cluster.table('rule_engine', {
      changed: (id, json) => {
        const row = json === undefined ? undefined : parseRow(json);
        void apply(id.startsWith('resource:') ? 'resource' : 'rule', row?.def, id);
      },
      loaded: (rows) => {
        void (async () => {
          const parsed = [...rows.values()].map(parseRow).filter((r) => r !== undefined);
          for (const r of parsed) if (r.kind === 'resource') await apply('resource', r.def, r.def.id);
          for (const r of parsed) if (r.kind === 'rule') await apply('rule', r.def, r.def.id);
        })();
      },
      rows: () => [
        ...[...store.resources.values()].map((d) => [d.id, rowOf('resource', d)] as const),
        ...[...store.rules.values()].map((d) => [d.id, rowOf('rule', d)] as const),
      ],
    });

    // ---- events
    const publishAt = new Map<string, QoS>();
    for (const n of EVENT_NAMES) {
      const q = eventSetting(String(c[`rule_engine.events.${n}`] ?? 'off'));
      if (q !== undefined) publishAt.set(n, q);
    }
    const skip = (m: Message): boolean => m.from === EVENTS_FROM || (ignoreSys && m.flags.sys);
    // the event as `$events/<name>` (when its conf key is on) and through the rules of that event
    const event = (point: string, name: string, row: () => Row): void => {
      const q = publishAt.get(name);
      if (q !== undefined) {
        const r = row();
        ctx.broker.publish(`$events/${name}`, JSON.stringify(r), { qos: q, from: EVENTS_FROM });
        engine.applyEvent(point, () => r);
      } else if (engine.eventRules.has(point)) engine.applyEvent(point, row);
    };

    ctx.hooks.tap('message.publish', (m) => {
      if (engine.publishRules.length === 0 || skip(m)) return m;
      engine.applyTopic(m.topic, () => publishRow(m, node));
      return m;
    });
    ctx.hooks.tap('client.connected', (ci, conn) => event('client.connected', 'client_connected', () => connectedRow(ci, conn, node)));
    ctx.hooks.tap('client.disconnected', (ci, reason, conn) => event('client.disconnected', 'client_disconnected', () => disconnectedRow(ci, reason, conn, node)));
    ctx.hooks.tap('session.subscribed', (ci, topic, opts) => event('session.subscribed', 'session_subscribed', () => subRow('session.subscribed', ci, topic, opts, node)));
    ctx.hooks.tap('session.unsubscribed', (ci, topic, opts) => event('session.unsubscribed', 'session_unsubscribed', () => subRow('session.unsubscribed', ci, topic, opts, node)));
    ctx.hooks.tap('message.delivered', (ci, m) => {
      if (!skip(m)) event('message.delivered', 'message_delivered', () => deliveryRow('message.delivered', ci, m, node));
      return undefined;
    });
    ctx.hooks.tap('message.acked', (ci, m) => {
      if (!skip(m)) event('message.acked', 'message_acked', () => deliveryRow('message.acked', ci, m, node));
    });
    ctx.hooks.tap('message.dropped', (m, _by, reason) => {
      if (!skip(m)) event('message.dropped', 'message_dropped', () => droppedRow(m, reason, node));
    });
    ctx.hooks.tap('delivery.dropped', (ci, m, reason) => {
      if (!skip(m)) event('delivery.dropped', 'delivery_dropped', () => deliveryRow('delivery.dropped', ci, m, node, reason));
    });

    registerCtl(ctx, engine);
    registerApi(ctx, engine);
    ctx.logger.info(`rule engine started with ${engine.rules.size} rules, ${engine.resources.size} resources`);
  },
});

export { Engine } from './engine.js';
export { compileSql } from './compile.js';
