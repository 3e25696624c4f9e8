// The rule engine's HTTP API v4 routes (served by emqx_management and emqx_dashboard).
import { fail, ok, paginate, type ApiRequest, type PluginContext } from '@nemq/sdk';
import { compileSql } from './compile.js';
import { RuleError, type ActionInput, type Engine, type RuleDef } from './engine.js';
import { EVENT_TOPICS, eventInfo } from './events.js';
import { EventData } from './scope.js';
import { actionMap, resourceMap, ruleMap, typeMap } from './view.js';

type Body = Record<string, unknown>;

function body(req: ApiRequest): Body {
  return req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Body) : {};
}

const badArgs = (m: string): Record<string, unknown> => fail(400, m.startsWith('Bad Arguments') ? m : `Bad Arguments: ${m}`);

/** what the body says about a rule, checked as EMQX checks it */
function ruleParams(b: Body): Partial<Omit<RuleDef, 'actions'>> & { actions?: ActionInput[] } {
  const out: Partial<Omit<RuleDef, 'actions'>> & { actions?: ActionInput[] } = {};
  if (b.id !== undefined) {
    if (b.id === '') throw new RuleError('Bad Arguments: {empty_string_not_allowed,id}');
    out.id = String(b.id);
  }
  if (b.rawsql !== undefined) out.rawsql = String(b.rawsql);
  if (b.enabled !== undefined) {
    if (typeof b.enabled !== 'boolean') throw new RuleError(`Bad Arguments: {invalid_enabled,${JSON.stringify(b.enabled)}}`);
    out.enabled = b.enabled;
  }
  if (b.on_action_failed !== undefined) {
    if (b.on_action_failed !== 'continue' && b.on_action_failed !== 'stop') throw new RuleError(`Bad Arguments: {invalid_on_failed,${JSON.stringify(b.on_action_failed)}}`);
    out.on_action_failed = b.on_action_failed;
  }
  if (b.actions !== undefined) {
    if (!Array.isArray(b.actions)) throw new RuleError('Bad Arguments: {invalid_action_params,not_a_list}');
    out.actions = b.actions as ActionInput[];
  }
  if (b.description !== undefined) out.description = String(b.description);
  return out;
}

/** sample columns of each event for `?test=true` (the request's `ctx` overrides them) */
function testColumns(from: readonly string[], node: string): Record<string, unknown> {
  const ev = from.map((t) => EVENT_TOPICS[t]).find((x) => x !== undefined) ?? 'message.publish';
  const base: Record<string, unknown> = { clientid: 'c_emqx', username: 'u_emqx', peerhost: '127.0.0.1', node, timestamp: Date.now(), event: ev };
  if (ev.startsWith('message.') || ev === 'delivery.dropped') {
    Object.assign(base, { id: '', topic: from.find((t) => !t.startsWith('$events/')) ?? 't/a', payload: '{"msg": "hello"}', qos: 1, flags: {}, headers: {}, pub_props: {}, publish_received_at: Date.now() });
  }
  if (ev.startsWith('session.')) Object.assign(base, { topic: 't/a', qos: 1 });
  return base;
}

export function registerApi(ctx: PluginContext, e: Engine): void {
  const node = ctx.broker.nodeName;
  const guard = (h: (req: ApiRequest) => unknown): ((req: ApiRequest) => Promise<unknown>) => async (req) => {
    try {
      return await h(req);
    } catch (err) {
      if (err instanceof RuleError) return badArgs(err.message);
      ctx.logger.warning(`rule engine API ${req.method} ${req.path}: ${(err as Error).message}`);
      return badArgs((err as Error).message);
    }
  };
  const api = (name: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, descr: string, h: (req: ApiRequest) => unknown): void =>
    ctx.api({ name, method, path, descr }, guard(h));

  api('create_rule', 'POST', '/rules', 'Create a rule', async (req) => {
    const b = body(req);
    if (req.query.test === 'true' || req.query.test === '') {
      // SQL test: run the SQL on the given columns, no actions
      const sql = compileSql(String(b.rawsql ?? ''));
      const cols = { ...testColumns(sql.from, node), ...(b.ctx && typeof b.ctx === 'object' ? (b.ctx as Body) : {}) };
      const out = sql.run(new EventData(cols), 'test');
      if (out === undefined) return fail(404, 'SQL Not Match');
      return ok(out);
    }
    const p = ruleParams(b);
    if (p.rawsql === undefined) return badArgs('{missing_param,rawsql}');
    if (p.id !== undefined && e.rules.has(p.id)) return fail(400, 'Already Exists');
    const def = await e.createRule({ ...p, rawsql: p.rawsql });
    return ok(ruleMap(e, e.rules.get(def.id)!, node));
  });
  api('update_rule', 'PUT', '/rules/:id', 'Update a rule', async (req) => {
    const id = req.params.id!;
    if (!e.rules.has(id)) return fail(400, `Rule ${id} Not Found`);
    await e.updateRule(id, ruleParams(body(req)));
    return ok(ruleMap(e, e.rules.get(id)!, node));
  });
  api('list_rules', 'GET', '/rules', 'A list of all rules', (req) => {
    let rows = e.list();
    const q = req.query;
    if (q.enabled !== undefined) rows = rows.filter((r) => String(r.def.enabled) === q.enabled);
    if (q.for !== undefined) rows = rows.filter((r) => r.sql.from.includes(q.for!));
    if (q._like_id !== undefined) rows = rows.filter((r) => r.def.id.includes(q._like_id!));
    if (q._like_for !== undefined) rows = rows.filter((r) => r.sql.from.some((t) => t.includes(q._like_for!)));
    if (q._like_description !== undefined) rows = rows.filter((r) => r.def.description.includes(q._like_description!));
    const page = paginate(rows.map((r) => ruleMap(e, r, node)), q, 10000);
    return ok(page.data, page.meta);
  });
  api('show_rule', 'GET', '/rules/:id', 'Show a rule', (req) => {
    const r = e.rules.get(req.params.id!);
    return r ? ok(ruleMap(e, r, node)) : fail(404, 'Not Found');
  });
  api('delete_rule', 'DELETE', '/rules/:id', 'Delete a rule', (req) => {
    e.deleteRule(req.params.id!);
    return ok();
  });
  api('reset_metrics', 'PUT', '/rules/:id/reset_metrics', 'reset a rule metrics', (req) => {
    e.resetMetrics(req.params.id!);
    return ok();
  });

  api('list_actions', 'GET', '/actions', 'A list of all actions', (req) => {
    const f = req.query.for;
    return ok(e.actionSpecs().filter((a) => f === undefined || (a.for ?? '$any') === '$any' || a.for === f).map(actionMap));
  });
  api('show_action', 'GET', '/actions/:name', 'Show an action', (req) => {
    const a = e.actionSpec(req.params.name!);
    return a ? ok(actionMap(a)) : fail(404, 'Not Found');
  });

  api('list_resources', 'GET', '/resources', 'A list of all resources', () => ok([...e.resources.values()].map((r) => resourceMap(r.def))));
  api('create_resource', 'POST', '/resources', 'Create a resource', async (req) => {
    const b = body(req);
    if (b.id === '') return badArgs('{empty_string_not_allowed,id}');
    const type = String(b.type ?? '');
    if (!e.typeSpec(type)) return fail(400, `Resource Type ${type} Not Found`);
    const config = b.config && typeof b.config === 'object' ? (b.config as Body) : {};
    if (req.query.test === 'true' || req.query.test === '') {
      try {
        await e.testResource(type, config);
        return ok();
      } catch (err) {
        return fail(500, `Init resource failure! ${(err as Error).message}`);
      }
    }
    if (b.id !== undefined && e.resources.has(String(b.id))) return fail(400, 'Already Exists');
    try {
      const def = await e.createResource({ id: b.id === undefined ? undefined : String(b.id), type, config, description: String(b.description ?? '') });
      return ok(resourceMap(def));
    } catch (err) {
      if (err instanceof RuleError) throw err;
      return fail(500, 'Init resource failure!');
    }
  });
  api('update_resource', 'PUT', '/resources/:id', 'Update a resource', async (req) => {
    const id = req.params.id!;
    if (!e.resources.has(id)) return fail(400, `Resource not found:${id}`);
    const b = body(req);
    try {
      await e.updateResource(id, { config: b.config && typeof b.config === 'object' ? (b.config as Body) : undefined, description: b.description === undefined ? undefined : String(b.description) });
    } catch (err) {
      if (err instanceof RuleError) throw err;
      return fail(500, `Init resource failure:${id}`);
    }
    return ok();
  });
  api('show_resource', 'GET', '/resources/:id', 'Show a resource', async (req) => {
    const r = e.resources.get(req.params.id!);
    if (!r) return fail(404, 'Not Found');
    return ok({ ...resourceMap(r.def), status: [{ node, is_alive: await e.resourceAlive(r.def.id) }] });
  });
  api('get_resource_status', 'GET', '/resource_status/:id', 'Get status of a resource', async (req) => {
    const id = req.params.id!;
    if (!e.resources.has(id)) return fail(400, `Resource ${id} Not Found`);
    return ok({ is_alive: await e.resourceAlive(id) });
  });
  api('start_resource', 'POST', '/resources/:id', 'Start a resource', async (req) => {
    const id = req.params.id!;
    const r = e.resources.get(id);
    if (!r) return fail(400, `Resource ${id} Not Found`);
    await e.updateResource(id, {});
    return ok();
  });
  api('delete_resource', 'DELETE', '/resources/:id', 'Delete a resource', async (req) => {
    await e.deleteResource(req.params.id!);
    return ok();
  });
  api('list_resource_types', 'GET', '/resource_types', 'List all resource types', () => ok(e.typeSpecs().map(typeMap)));
  api('show_resource_type', 'GET', '/resource_types/:name', 'Show a resource type', (req) => {
    const t = e.typeSpec(req.params.name!);
    return t ? ok(typeMap(t)) : fail(404, 'Not Found');
  });
  api('list_resources_by_type', 'GET', '/resource_types/:type/resources', 'List all resources of a resource type', (req) =>
    ok([...e.resources.values()].filter((r) => r.def.type === req.params.type).map((r) => resourceMap(r.def))));
  api('list_events', 'GET', '/rule_events', 'List all events with detailed info', () => ok(eventInfo()));
}
