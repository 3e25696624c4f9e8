// Rules, their action instances and resources, and running them on events. A rule is
// compiled once when created; an event runs only the rules whose FROM matches it.
import { randomBytes } from 'node:crypto';
import { compileFilter, type RuleActionFn, type RuleActionSpec, type ResourceTypeSpec } from '@nemq/sdk';
import { compileSql, type CompiledSql } from './compile.js';
import { EVENT_TOPICS } from './events.js';
import { EventData } from './scope.js';
import type { Row } from './values.js';

export interface ActionDef {
  id: string;
  name: string;
  params: Row;
  fallbacks: ActionDef[];
}

/** an action as given to create/update (ids made when missing) */
export interface ActionInput {
  name: string;
  id?: string;
  params?: Row;
  fallbacks?: ActionInput[];
}

export type RuleInput = Partial<Omit<RuleDef, 'actions'>> & { rawsql: string; actions?: ActionInput[] };

export interface RuleDef {
  id: string;
  rawsql: string;
  actions: ActionDef[];
  enabled: boolean;
  on_action_failed: 'continue' | 'stop';
  description: string;
  created_at: number;
}

export interface ResourceDef {
  id: string;
  type: string;
  config: Row;
  description: string;
  created_at: number;
}

export interface RuleMetrics {
  matched: number;
  passed: number;
  failed: number;
  exception: number;
  no_result: number;
}

export interface ActionMetrics {
  success: number;
  failed: number;
  taken: number;
}

interface ActionInst {
  def: ActionDef;
  spec: RuleActionSpec;
  fn: RuleActionFn;
  metrics: ActionMetrics;
  fallbacks: ActionInst[];
}

export interface RuleInst {
  def: RuleDef;
  sql: CompiledSql;
  /** message topics (not `$events/...`) */
  matchers: Array<(topic: string) => boolean>;
  /** hook points of its `$events/...` topics */
  events: string[];
  actions: ActionInst[];
  metrics: RuleMetrics;
  meta: { rule_id: string };
}

interface ResourceInst {
  def: ResourceDef;
  spec: ResourceTypeSpec;
  state: unknown;
}

export interface EngineOptions {
  node: string;
  logger: { info(m: string): void; warning(m: string): void; error(m: string): void };
  publish(topic: string, payload: string | Buffer, opts: { qos: 0 | 1 | 2; retain: boolean; from: string }): void;
  actions(): RuleActionSpec[];
  resourceTypes(): ResourceTypeSpec[];
  /** a rule or resource changed (persist it) */
  saved(kind: 'rule' | 'resource', id: string, def: RuleDef | ResourceDef | undefined): void;
}

export class RuleError extends Error {}

const hex8 = (): string => randomBytes(4).toString('hex');

function isThenable(v: unknown): v is Promise<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as Promise<unknown>).then === 'function';
}

export class Engine {
  readonly rules = new Map<string, RuleInst>();
  readonly resources = new Map<string, ResourceInst>();
  /** enabled rules on message topics, in creation order */
  publishRules: RuleInst[] = [];
  /** enabled rules by event hook point */
  eventRules = new Map<string, RuleInst[]>();

  constructor(private readonly o: EngineOptions) {}

  actionSpec(name: string): RuleActionSpec | undefined {
    return this.o.actions().find((a) => a.name === name);
  }

  typeSpec(name: string): ResourceTypeSpec | undefined {
    return this.o.resourceTypes().find((t) => t.name === name);
  }

  /** actions sorted by title, as EMQX lists them */
  actionSpecs(): RuleActionSpec[] {
    return [...this.o.actions()].sort((a, b) => a.title.en.localeCompare(b.title.en));
  }

  typeSpecs(): ResourceTypeSpec[] {
    return [...this.o.resourceTypes()].sort((a, b) => a.title.en.localeCompare(b.title.en));
  }

  /** creates and destroys a resource (a dry run) */
  async testResource(type: string, config: Row): Promise<void> {
    const spec = this.typeSpec(type);
    if (!spec) throw new RuleError(`Resource Type ${type} Not Found`);
    const state = await spec.create('resource:test', config);
    await spec.destroy?.(state);
  }

  /** new config or description; the rules using it get their actions made again */
  async updateResource(id: string, patch: { config?: Row; description?: string }): Promise<ResourceDef> {
    const r = this.resources.get(id);
    if (!r) throw new RuleError(`Resource ${id} Not Found`);
    const def = await this.createResource({ ...r.def, config: patch.config ?? r.def.config, description: patch.description ?? r.def.description }, false);
    this.o.saved('resource', id, def);
    for (const rule of this.list()) {
      if (rule.def.actions.some((a) => a.params.$resource === id)) await this.createRule(rule.def);
    }
    return def;
  }

  // ---- resources

  async createResource(input: { id?: string; type: string; config?: Row; description?: string; created_at?: number }, save = true): Promise<ResourceDef> {
    const spec = this.typeSpec(input.type);
    if (!spec) throw new RuleError(`Resource Type ${input.type} Not Found`);
    const id = input.id || `resource:${hex8()}`;
    if (save && this.resources.has(id)) throw new RuleError('Already Exists');
    const def: ResourceDef = { id, type: input.type, config: input.config ?? {}, description: input.description ?? '', created_at: input.created_at ?? Date.now() };
    const state = await spec.create(id, def.config);
    const old = this.resources.get(id);
    this.resources.set(id, { def, spec, state });
    if (old) await old.spec.destroy?.(old.state);
    if (save) this.o.saved('resource', id, def);
    return def;
  }

  async deleteResource(id: string, save = true): Promise<void> {
    const r = this.resources.get(id);
    if (!r) return;
    const users = [...this.rules.values()].filter((x) => x.def.actions.some((a) => a.params.$resource === id)).map((x) => x.def.id);
    if (users.length > 0 && save) throw new RuleError(`Found rules ${JSON.stringify(users)} depends on this resource, disable them first`);
    this.resources.delete(id);
    await r.spec.destroy?.(r.state);
    if (save) this.o.saved('resource', id, undefined);
  }

  async resourceAlive(id: string): Promise<boolean> {
    const r = this.resources.get(id);
    if (!r) return false;
    try {
      return r.spec.status ? await r.spec.status(r.state) : true;
    } catch {
      return false;
    }
  }

  // ---- rules

  /** checks the SQL and actions and (re)creates the rule; throws RuleError with EMQX's reason */
  async createRule(input: RuleInput, save = true): Promise<RuleDef> {
    const id = input.id || `rule:${hex8()}`;
    if (save && input.id === undefined && this.rules.has(id)) throw new RuleError('Already Exists');
    let sql: CompiledSql;
    try {
      sql = compileSql(input.rawsql);
    } catch (e) {
      throw new RuleError(`Bad Arguments: {select_and_transform_error,${(e as Error).message}}`);
    }
    const actionDefs = (input.actions ?? []).map((a) => this.actionDef(a));
    const actions = await Promise.all(actionDefs.map((a) => this.instantiate(a, id)));
    const def: RuleDef = {
      id,
      rawsql: input.rawsql,
      actions: actionDefs,
      enabled: input.enabled ?? true,
      on_action_failed: input.on_action_failed ?? 'continue',
      description: input.description ?? '',
      created_at: input.created_at ?? Date.now(),
    };
    const matchers: RuleInst['matchers'] = [];
    const events: string[] = [];
    for (const t of sql.from) {
      const ev = EVENT_TOPICS[t];
      if (ev !== undefined) events.push(ev);
      else if (!t.startsWith('$events/')) matchers.push(compileFilter(t));
      else throw new RuleError(`Bad Arguments: {unknown_event,${t}}`);
    }
    const old = this.rules.get(id);
    const inst: RuleInst = { def, sql, matchers, events, actions, meta: { rule_id: id }, metrics: old?.metrics ?? { matched: 0, passed: 0, failed: 0, exception: 0, no_result: 0 } };
    this.rules.set(id, inst);
    if (old) this.destroyActions(old.actions);
    this.reindex();
    if (save) this.o.saved('rule', id, def);
    return def;
  }

  async updateRule(id: string, patch: Partial<Omit<RuleDef, 'actions'>> & { actions?: ActionInput[] }): Promise<RuleDef> {
    const r = this.rules.get(id);
    if (!r) throw new RuleError(`Rule ${id} Not Found`);
    const d = r.def;
    return this.createRule({
      id,
      rawsql: patch.rawsql ?? d.rawsql,
      actions: patch.actions ?? d.actions,
      enabled: patch.enabled ?? d.enabled,
      on_action_failed: patch.on_action_failed ?? d.on_action_failed,
      description: patch.description ?? d.description,
      created_at: d.created_at,
    });
  }

  deleteRule(id: string, save = true): void {
    const r = this.rules.get(id);
    if (!r) return;
    this.rules.delete(id);
    this.destroyActions(r.actions);
    this.reindex();
    if (save) this.o.saved('rule', id, undefined);
  }

  resetMetrics(id: string): void {
    const r = this.rules.get(id);
    if (!r) return;
    r.metrics = { matched: 0, passed: 0, failed: 0, exception: 0, no_result: 0 };
    const reset = (l: ActionInst[]): void => l.forEach((a) => { a.metrics = { success: 0, failed: 0, taken: 0 }; reset(a.fallbacks); });
    reset(r.actions);
  }

  /** rules sorted by creation time */
  list(): RuleInst[] {
    return [...this.rules.values()].sort((a, b) => a.def.created_at - b.def.created_at);
  }

  actionMetrics(a: ActionDef, r: RuleInst): ActionMetrics {
    const find = (l: ActionInst[]): ActionInst | undefined => {
      for (const x of l) {
        if (x.def.id === a.id) return x;
        const f = find(x.fallbacks);
        if (f) return f;
      }
      return undefined;
    };
    return find(r.actions)?.metrics ?? { success: 0, failed: 0, taken: 0 };
  }

  async dispose(): Promise<void> {
    for (const r of this.rules.values()) this.destroyActions(r.actions);
    this.rules.clear();
    this.reindex();
    for (const r of this.resources.values()) await r.spec.destroy?.(r.state);
    this.resources.clear();
  }

  private actionDef(a: ActionInput): ActionDef {
    if (typeof a.name !== 'string' || !this.actionSpec(a.name)) throw new RuleError(`Action ${String(a.name)} Not Found`);
    return {
      id: a.id || `${a.name}_${hex8()}`,
      name: a.name,
      params: a.params && typeof a.params === 'object' ? a.params : {},
      fallbacks: (a.fallbacks ?? []).map((f) => this.actionDef(f)),
    };
  }

  private async instantiate(def: ActionDef, ruleId: string): Promise<ActionInst> {
    const spec = this.actionSpec(def.name)!;
    const resId = def.params.$resource;
    let resource: unknown;
    if (resId !== undefined) {
      const r = this.resources.get(String(resId));
      if (!r) throw new RuleError(`Resource ${String(resId)} Not Found`);
      resource = r.state;
    } else if (spec.types.length > 0) throw new RuleError(`Bad Arguments: {resource_required,${def.name}}`);
    let fn: RuleActionFn;
    try {
      fn = await spec.create(def.params, { id: def.id, ruleId, resource, publish: this.o.publish, logger: this.o.logger });
    } catch (e) {
      throw new RuleError(`Bad Arguments: {invalid_params,${(e as Error).message}}`);
    }
    const fallbacks = await Promise.all(def.fallbacks.map((f) => this.instantiate(f, ruleId)));
    return { def, spec, fn, fallbacks, metrics: { success: 0, failed: 0, taken: 0 } };
  }

  private destroyActions(list: ActionInst[]): void {
    for (const a of list) {
      try {
        a.spec.destroy?.(a.fn);
      } catch (e) {
        this.o.logger.warning(`destroying action ${a.def.id} failed: ${(e as Error).message}`);
      }
      this.destroyActions(a.fallbacks);
    }
  }

  private reindex(): void {
    const pub: RuleInst[] = [];
    const ev = new Map<string, RuleInst[]>();
    for (const r of this.list()) {
      if (!r.def.enabled) continue;
      if (r.matchers.length > 0) pub.push(r);
      for (const e of r.events) {
        const l = ev.get(e) ?? [];
        l.push(r);
        ev.set(e, l);
      }
    }
    this.publishRules = pub;
    this.eventRules = ev;
  }

  // ---- running

  /** runs the publish rules whose FROM matches `topic`; `row` builds the columns once */
  applyTopic(topic: string, row: () => Row): void {
    const rules = this.publishRules;
    let ev: EventData | undefined;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      const ms = r.matchers;
      let hit = false;
      for (let j = 0; j < ms.length; j++) if (ms[j]!(topic)) { hit = true; break; }
      if (!hit) continue;
      ev ??= new EventData(row());
      this.apply(r, ev);
    }
  }

  /** runs the rules of an event hook point */
  applyEvent(point: string, row: () => Row): void {
    const rules = this.eventRules.get(point);
    if (rules === undefined) return;
    const ev = new EventData(row());
    for (const r of rules) this.apply(r, ev);
  }

  apply(r: RuleInst, ev: EventData): void {
    const m = r.metrics;
    m.matched++;
    let out: Row | Row[] | undefined;
    ev.cols.metadata = r.meta;
    try {
      out = r.sql.run(ev, r.def.id);
    } catch (e) {
      m.exception++;
      m.failed++;
      this.o.logger.warning(`SQL exception for ${r.def.id} failed: ${(e as Error).message}`);
      return;
    }
    if (out === undefined) { m.no_result++; return; }
    if (Array.isArray(out)) {
      if (out.length === 0) { m.no_result++; return; }
      m.passed++;
      for (const row of out) if (!this.take(r, r.actions, row, ev.cols)) break;
      return;
    }
    m.passed++;
    this.take(r, r.actions, out, ev.cols);
  }

  /** runs the actions; false when one failed and the rule says stop */
  private take(r: RuleInst, actions: ActionInst[], selected: Row, envs: Row): boolean {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      a.metrics.taken++;
      try {
        const res = a.fn(selected, envs);
        if (isThenable(res)) {
          res.then(() => { a.metrics.success++; }, (e: unknown) => this.failed(r, a, selected, envs, e));
        } else a.metrics.success++;
      } catch (e) {
        this.failed(r, a, selected, envs, e);
        if (r.def.on_action_failed === 'stop') {
          r.metrics.failed++;
          return false;
        }
      }
    }
    return true;
  }

  private failed(r: RuleInst, a: ActionInst, selected: Row, envs: Row, e: unknown): void {
    a.metrics.failed++;
    this.o.logger.warning(`action ${a.def.id} of ${r.def.id} failed: ${(e as Error)?.message ?? String(e)}`);
    if (a.fallbacks.length > 0) this.take(r, a.fallbacks, selected, envs);
  }
}
