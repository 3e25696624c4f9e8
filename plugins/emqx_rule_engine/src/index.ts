// emqx_rule_engine: EMQX 4.x rules. `SELECT ... FROM "<filter>" WHERE ...` compiled once per
// rule, run on message.publish for the topics in FROM and on the `$events/...` hook points;
// each result goes to the rule's actions (republish, inspect, do_nothing, data_to_webserver,
// and whatever other plugins add through the SDK's ruleRegistry()).
import { join } from 'node:path';
import { definePlugin, ruleRegistry, type Message, type QoS } from '@nemq/sdk';
import { BUILTIN_ACTIONS, BUILTIN_TYPES } from './actions.js';
import { registerApi } from './api.js';
import { registerCtl } from './ctl.js';
import { Engine, type NodeMetrics, type ResourceDef, type RuleDef } from './engine.js';
import {
  EVENTS_FROM, EVENT_NAMES, EVENT_TOPICS, connectedRow, deliveryRow, disconnectedRow, droppedRow, publishRow, subRow,
} from './events.js';
import { RuleStore, parseRow, rowOf } from './store.js';
import type { Row } from './values.js';

/** event name → hook point */
const EVENT_POINT: Record<string, string> = Object.fromEntries(Object.entries(EVENT_TOPICS).map(([t, p]) => [t.slice('$events/'.length), p]));

const eventKeys = Object.fromEntries(EVENT_NAMES.map((n) => [`rule_engine.events.${n}`, { type: 'string' as const, default: 'off' }]));

/** `on`, `on, qos1`, `off` → the QoS to publish `$events/<name>` at, or undefined for off */
export function eventSetting(v: string): QoS | undefined {
  const [toggle, qos] = v.split(',').map((s) => s.trim().toLowerCase());
  if (toggle !== 'on') return undefined;
  const m = /^qos([012])$/.exec(qos ?? 'qos0');
  return m ? (Number(m[1]) as QoS) : 0;
}

export const schema = {
  'rule_engine.ignore_sys_message': { type: 'boolean', default: 'on' },
  ...eventKeys,
} as const;

export default definePlugin({
  schema,
  async start(ctx) {
    const c = ctx.config as Record<string, unknown>;
    const node = ctx.broker.nodeName;
    const ignoreSys = c['rule_engine.ignore_sys_message'] !== false;
    // $events/<name> publishing: checked first, so a bad value refuses the load before anything starts
    const publishAt = new Map<string, QoS>();
    for (const n of EVENT_NAMES) {
      const v = String(c[`rule_engine.events.${n}`] ?? 'off');
      if (!/^\s*(on|off)\s*(,\s*qos[012]\s*)?$/i.test(v)) throw new Error(`rule_engine.events.${n}: expected on | off [, qos0|qos1|qos2], got '${v}'`);
      const q = eventSetting(v);
      if (q !== undefined) publishAt.set(n, q);
    }
    const registry = ruleRegistry();
    const builtins = [...BUILTIN_ACTIONS.map((a) => registry.addAction(a)), ...BUILTIN_TYPES.map((t) => registry.addResourceType(t))];
    ctx.onDispose(() => builtins.forEach((off) => off()));

    const store = new RuleStore(join(ctx.dataDir, 'rules', 'rule_engine.json'), (m) => ctx.logger.error(m));
    let table: { set(k: string, v: string): void; delete(k: string): void } | undefined;
    let metricsTable: { set(k: string, v: string): void } | undefined;
    let lastShared = '';
    // hook points rules asked for before the taps below exist (rules restored at start)
    const pending = new Set<string>();
    let need = (points: ReadonlySet<string>): void => { for (const p of points) pending.add(p); };
    const engine = new Engine({
      node,
      logger: ctx.logger,
      publish: (topic, payload, o) => { ctx.broker.publish(topic, payload, o); },
      actions: () => registry.actions(),
      resourceTypes: () => registry.resourceTypes(),
      needs: (points) => need(points),
      peers: () => ctx.cluster.nodes().filter((n) => n !== node),
      sampled: () => {
        // counters for the other nodes' listings, only when there are other nodes
        if (ctx.cluster.nodes().length < 2) return;
        const json = JSON.stringify(engine.snapshot());
        if (json !== lastShared) metricsTable?.set(node, (lastShared = json));
      },
      saved: (kind, id, def) => {
        store.put(kind, id, def);
        if (def === undefined) table?.delete(id);
        else table?.set(id, rowOf(kind, def));
      },
    });
    ctx.onDispose(() => engine.dispose());

    // a row from disk or another node: applied without saving it back
    let booted = false;
    const apply = async (kind: 'rule' | 'resource', def: RuleDef | ResourceDef | undefined, id: string, fromDisk = false): Promise<void> => {
      // kept even when it cannot start yet (its action or resource comes later)
      if (!fromDisk) store.put(kind, id, def);
      try {
        if (kind === 'resource') {
          if (def === undefined) await engine.deleteResource(id, false);
          else {
            await engine.createResource(def as ResourceDef, false);
            // rules that came before their resource (another node's rows arrive in any order)
            for (const d of booted ? store.rules.values() : []) {
              if (!engine.rules.has(d.id) && d.actions.some((a) => a.params.$resource === id)) void apply('rule', d, d.id, true);
            }
          }
        } else if (def === undefined) engine.deleteRule(id, false);
        else await engine.createRule(def as RuleDef, false);
      } catch (e) {
        ctx.logger.error(`cannot restore ${id}: ${(e as Error).message}`);
      }
    };
    const saved = store.load();
    for (const r of saved.resources) await apply('resource', r, r.id, true);
    for (const r of saved.rules) await apply('rule', r, r.id, true);
    booted = true;

    // a plugin adding an action: saved rules that could not start for want of it start now
    const offChange = registry.onChange(() => {
      const names = new Set(registry.actions().map((a) => a.name));
      const known = (l: RuleDef['actions']): boolean => l.every((a) => names.has(a.name) && known(a.fallbacks));
      for (const d of store.rules.values()) {
        if (!engine.rules.has(d.id) && known(d.actions)) void apply('rule', d, d.id, true);
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

    const readMetrics = (n: string, json: string | undefined): void => {
      if (n === node) return;
      if (json === undefined) { engine.remote.delete(n); return; }
      try {
        engine.remote.set(n, JSON.parse(json) as NodeMetrics);
      } catch {
        ctx.logger.warning(`bad rule metrics row from ${n}`);
      }
    };
    metricsTable = ctx.cluster.table('rule_engine_metrics', {
      changed: readMetrics,
      loaded: (rows) => rows.forEach((json, n) => readMetrics(n, json)),
      rows: () => [[node, JSON.stringify(engine.snapshot())] as const],
    });

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

    // a hook is tapped only once something needs it (a rule, or `$events/<name>` publishing),
    // so a node with the rule engine loaded and no rules runs no extra code per message
    const taps: Record<string, () => void> = {
      'message.publish': () => ctx.hooks.tap('message.publish', (m) => {
        if (engine.publishRules.length === 0 || skip(m)) return m;
        engine.applyTopic(m.topic, () => publishRow(m, node));
        return m;
      }),
      'client.connected': () => ctx.hooks.tap('client.connected', (ci, conn) => event('client.connected', 'client_connected', () => connectedRow(ci, conn, node))),
      'client.disconnected': () => ctx.hooks.tap('client.disconnected', (ci, reason, conn) => event('client.disconnected', 'client_disconnected', () => disconnectedRow(ci, reason, conn, node))),
      'session.subscribed': () => ctx.hooks.tap('session.subscribed', (ci, topic, opts) => event('session.subscribed', 'session_subscribed', () => subRow('session.subscribed', ci, topic, opts, node))),
      'session.unsubscribed': () => ctx.hooks.tap('session.unsubscribed', (ci, topic, opts) => event('session.unsubscribed', 'session_unsubscribed', () => subRow('session.unsubscribed', ci, topic, opts, node))),
      'message.delivered': () => ctx.hooks.tap('message.delivered', (ci, m) => {
        if (!skip(m)) event('message.delivered', 'message_delivered', () => deliveryRow('message.delivered', ci, m, node));
        return undefined;
      }),
      'message.acked': () => ctx.hooks.tap('message.acked', (ci, m) => {
        if (!skip(m)) event('message.acked', 'message_acked', () => deliveryRow('message.acked', ci, m, node));
      }),
      'message.dropped': () => ctx.hooks.tap('message.dropped', (m, _by, reason) => {
        if (!skip(m)) event('message.dropped', 'message_dropped', () => droppedRow(m, reason, node));
      }),
      'delivery.dropped': () => ctx.hooks.tap('delivery.dropped', (ci, m, reason) => {
        if (!skip(m)) event('delivery.dropped', 'delivery_dropped', () => deliveryRow('delivery.dropped', ci, m, node, reason));
      }),
    };
    const tapped = new Set<string>();
    need = (points) => {
      for (const p of points) {
        if (tapped.has(p) || ctx.signal.aborted) continue;
        tapped.add(p);
        taps[p]?.();
      }
    };
    need(new Set([...publishAt.keys()].map((n) => EVENT_POINT[n]!)));
    need(pending);

    registerCtl(ctx, engine);
    registerApi(ctx, engine);
    ctx.logger.info(`rule engine started with ${engine.rules.size} rules, ${engine.resources.size} resources`);
  },
});

export { Engine } from './engine.js';
export { compileSql } from './compile.js';
