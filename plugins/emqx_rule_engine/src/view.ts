// How rules, actions, resources and resource types are shown: the API's maps and the ctl lines.
import type { ResourceTypeSpec, RuleActionSpec } from '@nemq/sdk';
import type { ActionDef, Engine, ResourceDef, RuleInst } from './engine.js';
import { atom, term } from './erlterm.js';

export function ruleMetrics(r: RuleInst, node: string): Record<string, unknown>[] {
  return [{ node, ...r.metrics, speed: 0, speed_max: 0, speed_last5m: 0 }];
}

export function printableActions(e: Engine, r: RuleInst, list: ActionDef[], node: string): Record<string, unknown>[] {
  return list.map((a) => ({
    id: a.id,
    name: a.name,
    params: a.params,
    metrics: [{ node, ...e.actionMetrics(a, r) }],
    fallbacks: printableActions(e, r, a.fallbacks, node),
  }));
}

export function ruleMap(e: Engine, r: RuleInst, node: string): Record<string, unknown> {
  const d = r.def;
  return {
    id: d.id,
    for: r.sql.from,
    rawsql: d.rawsql,
    actions: printableActions(e, r, d.actions, node),
    on_action_failed: d.on_action_failed,
    metrics: ruleMetrics(r, node),
    enabled: d.enabled,
    created_at: d.created_at,
    description: d.description,
  };
}

export function actionMap(a: RuleActionSpec): Record<string, unknown> {
  return { name: a.name, category: a.category ?? 'other', app: a.app, for: a.for ?? '$any', types: a.types, params: a.params, title: a.title, description: a.description };
}

export function resourceMap(r: ResourceDef): Record<string, unknown> {
  return { id: r.id, type: r.type, config: r.config, description: r.description };
}

export function typeMap(t: ResourceTypeSpec): Record<string, unknown> {
  return { name: t.name, provider: t.provider, params: t.params, title: t.title, description: t.description };
}

const sortKeys = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
};

function metricsTerm(rows: Record<string, unknown>[]): string {
  return term(rows.map((m) => ({ ...m, node: atom(String(m.node)) })), true);
}

/** `rule(id='...', for='...', rawsql='...', actions=..., on_action_failed='...', metrics=..., enabled='...', description='...')` */
export function ruleLine(e: Engine, r: RuleInst, node: string): string {
  const d = r.def;
  const actions = JSON.stringify(sortKeys(printableActions(e, r, d.actions, node)));
  return `rule(id='${d.id}', for='${term(r.sql.from)}', rawsql='${d.rawsql.replace(/\n/g, '')}', actions=${term(actions)}, on_action_failed='${d.on_action_failed}', metrics=${metricsTerm(ruleMetrics(r, node))}, enabled='${d.enabled}', description='${d.description}')\n`;
}

export function actionLine(a: RuleActionSpec): string {
  return `action(name='${a.name}', app='${a.app}', for='${a.for ?? '$any'}', types=${term(a.types.map((t) => atom(t)))}, title ='${a.title.en}', description='${a.description.en}')\n`;
}

export function resourceLine(r: ResourceDef, alive: boolean, node: string): string {
  const status = term([{ is_alive: alive, node: atom(node) }], true);
  return `resource(id='${r.id}', type='${r.type}', config=${term(r.config)}, status=${status}, description='${r.description}')\n`;
}

export function typeLine(t: ResourceTypeSpec): string {
  return `resource_type(name='${t.name}', provider='${t.provider}', title ='${t.title.en}', description='${t.description.en}')\n`;
}
