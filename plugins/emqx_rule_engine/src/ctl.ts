// emqx_ctl rules | rule-actions | resources | resource-types, with EMQX 4.3's output.
import type { PluginContext } from '@nemq/sdk';
import { RuleError, type ActionInput, type Engine, type RuleDef } from './engine.js';
import { actionLine, resourceLine, ruleLine, typeLine } from './view.js';

interface Opt {
  short: string;
  long: string;
}

/** getopt as emqx_ctl uses it: positional args, then `-x v` / `--long v` / `--long=v` */
export function getopt(args: string[], positional: number, opts: Record<string, Opt>): { pos: string[]; opts: Record<string, string> } {
  const pos: string[] = [];
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = Object.keys(opts).find((k) => a === `-${opts[k]!.short}` || a === `--${opts[k]!.long}` || a.startsWith(`--${opts[k]!.long}=`));
    if (name !== undefined) {
      if (a.includes('=') && a.startsWith('--')) out[name] = a.slice(a.indexOf('=') + 1);
      else {
        const v = args[++i];
        if (v === undefined) throw new RuleError(`{missing_option_arg,${name}}`);
        out[name] = v;
      }
    } else if (a.startsWith('-') && a.length > 1 && pos.length >= positional) throw new RuleError(`{invalid_option,"${a}"}`);
    else pos.push(a);
  }
  if (pos.length < positional) throw new RuleError(`{missing_required_option,${positional - pos.length}}`);
  return { pos, opts: out };
}

function json(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RuleError(`{${what},<<"${text}">>}`);
  }
}

function bool(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new RuleError(`{invalid_${name},${v}}`);
}

function onFailed(v: string | undefined): RuleDef['on_action_failed'] | undefined {
  if (v === undefined) return undefined;
  if (v === 'continue' || v === 'stop') return v;
  throw new RuleError(`{invalid_on_failed,${v}}`);
}

export function registerCtl(ctx: PluginContext, e: Engine): void {
  const node = ctx.broker.nodeName;
  const invalid = (err: unknown): string => {
    if (err instanceof RuleError) return `Invalid options: ${err.message}\n`;
    throw err;
  };

  ctx.ctl('rules', [
    ['rules list', 'List all rules'],
    ['rules show <RuleId>', 'Show a rule'],
    ['rules create', 'Create a rule'],
    ['rules delete <RuleId>', 'Delete a rule'],
  ], async (args) => {
    const [sub, ...rest] = args;
    if (sub === 'list' && rest.length === 0) return e.list().map((r) => ruleLine(e, r, node)).join('');
    if (sub === 'show' && rest.length === 1) {
      const r = e.rules.get(rest[0]!);
      return r ? ruleLine(e, r, node) : `Cannot found ${rest[0]}\n`;
    }
    if (sub === 'create') {
      try {
        const { pos, opts } = getopt(rest, 2, {
          id: { short: 'i', long: 'id' }, enabled: { short: 'e', long: 'enabled' },
          on_action_failed: { short: 'g', long: 'on_action_failed' }, descr: { short: 'd', long: 'descr' },
        });
        const actions = json(pos[1]!, 'invalid_action_params');
        if (!Array.isArray(actions)) throw new RuleError('{invalid_action_params,not_a_list}');
        if (opts.id !== undefined && e.rules.has(opts.id)) throw new RuleError('already_exists');
        const def = await e.createRule({
          id: opts.id, rawsql: pos[0]!, actions: actions as ActionInput[], enabled: bool(opts.enabled, 'enabled') ?? true,
          on_action_failed: onFailed(opts.on_action_failed) ?? 'continue', description: opts.descr ?? '',
        });
        return `Rule ${def.id} created\n`;
      } catch (err) {
        return invalid(err);
      }
    }
    if (sub === 'update') {
      try {
        const { pos, opts } = getopt(rest, 1, {
          sql: { short: 's', long: 'sql' }, actions: { short: 'a', long: 'actions' }, enabled: { short: 'e', long: 'enabled' },
          on_action_failed: { short: 'g', long: 'on_action_failed' }, descr: { short: 'd', long: 'descr' },
        });
        const def = await e.updateRule(pos[0]!, {
          rawsql: opts.sql, actions: opts.actions === undefined ? undefined : json(opts.actions, 'invalid_action_params') as ActionInput[],
          enabled: bool(opts.enabled, 'enabled'), on_action_failed: onFailed(opts.on_action_failed), description: opts.descr,
        });
        return `Rule ${def.id} updated\n`;
      } catch (err) {
        return invalid(err);
      }
    }
    if (sub === 'delete' && rest.length === 1) {
      e.deleteRule(rest[0]!);
      return 'ok\n';
    }
    return undefined;
  });

  ctx.ctl('rule-actions', [
    ['rule-actions list', 'List actions'],
    ['rule-actions show <ActionId>', 'Show a rule action'],
  ], (args) => {
    const [sub, name] = args;
    if (sub === 'list' && args.length === 1) return e.actionSpecs().map(actionLine).join('');
    if (sub === 'show' && args.length === 2) {
      const a = e.actionSpec(name!);
      return a ? actionLine(a) : `Cannot found ${name}\n`;
    }
    return undefined;
  });

  ctx.ctl('resources', [
    ['resources create', 'Create a resource'],
    ['resources list [-t <ResourceType>]', 'List resources'],
    ['resources show <ResourceId>', 'Show a resource'],
    ['resources delete <ResourceId>', 'Delete a resource'],
    ['resources update <ResourceId> [-c <config>] [-d <description>]', 'Update a resource'],
  ], async (args) => {
    const [sub, ...rest] = args;
    const line = async (id: string): Promise<string> => {
      const r = e.resources.get(id)!;
      return resourceLine(r.def, await e.resourceAlive(id), node);
    };
    if (sub === 'list') {
      try {
        const { opts } = getopt(rest, 0, { type: { short: 't', long: 'type' } });
        const ids = [...e.resources.values()].filter((r) => opts.type === undefined || r.def.type === opts.type).map((r) => r.def.id);
        return (await Promise.all(ids.map(line))).join('');
      } catch (err) {
        return invalid(err);
      }
    }
    if (sub === 'show' && rest.length === 1) return e.resources.has(rest[0]!) ? line(rest[0]!) : `Cannot found ${rest[0]}\n`;
    if (sub === 'create' || sub === 'test') {
      try {
        const { pos, opts } = getopt(rest, 1, { id: { short: 'i', long: 'id' }, config: { short: 'c', long: 'config' }, descr: { short: 'd', long: 'descr' } });
        const config = json(opts.config ?? '{}', 'invalid_config') as Record<string, unknown>;
        if (sub === 'test') {
          await e.testResource(pos[0]!, config);
          return 'Test creating resource successfully (dry-run)\n';
        }
        if (opts.id !== undefined && e.resources.has(opts.id)) throw new RuleError('already_exists');
        const def = await e.createResource({ id: opts.id, type: pos[0]!, config, description: opts.descr ?? '' });
        return `Resource ${def.id} created\n`;
      } catch (err) {
        if (sub === 'test') return `Test creating resource failed: ${(err as Error).message}\n`;
        if (err instanceof RuleError) return invalid(err);
        return `Invalid options: {init_resource_failure,${(err as Error).message}}\n`;
      }
    }
    if (sub === 'update' && rest.length >= 1) {
      try {
        const { pos, opts } = getopt(rest, 1, { config: { short: 'c', long: 'config' }, descr: { short: 'd', long: 'descr' } });
        await e.updateResource(pos[0]!, { config: opts.config === undefined ? undefined : json(opts.config, 'invalid_config') as Record<string, unknown>, description: opts.descr });
        return 'Resource update successfully\n';
      } catch (err) {
        return `Resource update failed: ${(err as Error).message}\n`;
      }
    }
    if (sub === 'delete' && rest.length === 1) {
      try {
        await e.deleteResource(rest[0]!);
        return 'ok\n';
      } catch (err) {
        return `Cannot delete resource as ${(err as Error).message}\n`;
      }
    }
    return undefined;
  });

  ctx.ctl('resource-types', [
    ['resource-types list', 'List all resource-types'],
    ['resource-types show <Type>', 'Show a resource-type'],
  ], (args) => {
    const [sub, name] = args;
    if (sub === 'list' && args.length === 1) return e.typeSpecs().map(typeLine).join('');
    if (sub === 'show' && args.length === 2) {
      const t = e.typeSpec(name!);
      return t ? typeLine(t) : `Cannot found ${name}\n`;
    }
    return undefined;
  });
}
