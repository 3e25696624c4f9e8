// The rule engine's actions for the databases (EMQX Enterprise: resource types backend_mysql,
// backend_pgsql, backend_mongo_single; actions data_to_mysql, data_to_pgsql, data_to_mongo).
// A resource is a BackendPool of its own (the same bounded buffer, batches and counted drops
// as the hook rules); an action only queues a write, so it never blocks the message path.
import type { PluginContext } from '../plugin.js';
import type { BackendTls } from '../tls.js';
import { ruleRegistry, type ParamsSpec, type RuleRow } from '../rules.js';
import type { Backend } from './engine.js';
import { BackendPool, type PoolOptions } from './pool.js';
import { parseSqlTemplate } from './rules.js';
import type { BackendStore } from './store.js';

export interface BackendRuleActions {
  /** e.g. backend_mysql */
  readonly resourceType: string;
  /** e.g. data_to_mysql */
  readonly action: string;
  /** the database's name in titles, e.g. MySQL */
  readonly title: string;
  readonly resourceParams: ParamsSpec;
  /** a store for a resource's config (it is opened here) */
  makeStore(config: RuleRow): BackendStore;
  /** sql: `params.sql` with `${field}`; mongo: `params.collection` and an optional `params.payload_tmpl` */
  readonly kind: 'sql' | 'mongo';
}

const RULE_POOL: PoolOptions = { batchSize: 100, maxBuffer: 100_000, retryMin: 200, retryMax: 5000 };

/** a selected field by name or path (`payload.x`): the row first, then the event's columns */
export function fieldOf(selected: RuleRow, envs: RuleRow, path: string): unknown {
  for (const root of [selected, envs]) {
    if (path in root) return root[path];
    let v: unknown = root;
    for (const k of path.split('.')) {
      if (typeof v === 'string' && (v.startsWith('{') || v.startsWith('['))) {
        try {
          v = JSON.parse(v) as unknown;
        } catch {
          v = undefined;
        }
      }
      v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    }
    if (v !== undefined) return v;
  }
  return undefined;
}

/** a field as a bind value or template text: objects as JSON, booleans as true/false */
export function fieldValue(v: unknown): string | number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function usePool(state: unknown, action: string): BackendPool {
  if (!(state instanceof BackendPool)) throw new Error(`${action} needs a $resource of its database`);
  return state;
}

/** adds the resource type and the action to the rule engine's registry while the plugin runs */
/** `b`: the plugin's backend, whose `emqx_ctl <command> stats` then shows the resources' pools too */
export function addBackendRuleActions(ctx: PluginContext, o: BackendRuleActions, b?: Backend): void {
  const reg = ruleRegistry();
  const pools = new Set<BackendPool>();
  const removeType = reg.addResourceType({
    name: o.resourceType,
    provider: ctx.name,
    params: o.resourceParams,
    title: { en: o.title },
    description: { en: `${o.title} database` },
    async create(id, config) {
      const store = o.makeStore(config);
      try {
        await store.open();
      } catch (err) {
        await store.close().catch(() => undefined);
        throw new Error(`cannot connect: ${(err as Error).message}`);
      }
      const pool = new BackendPool(`${o.resourceType} ${id}`, store, RULE_POOL, ctx.logger);
      pool.start();
      pools.add(pool);
      b?.resources.set(id, pool);
      return pool;
    },
    async destroy(state) {
      const pool = state as BackendPool;
      pools.delete(pool);
      if (b) for (const [id, p] of b.resources) if (p === pool) b.resources.delete(id);
      await pool.stop(5000);
    },
    status: (state) => (state as BackendPool).stats.status === 'connected',
  });
  const resource = { $resource: { type: 'string', required: true, title: { en: 'Resource ID' }, description: { en: 'Bind a resource to this action' } } };
  const params: ParamsSpec = o.kind === 'sql'
    ? { ...resource, sql: { order: 1, type: 'string', input: 'textarea', required: true, title: { en: 'SQL Template' }, description: { en: 'SQL with ${field} as bind values, e.g. insert into t(clientid, x) values (${clientid}, ${payload.x})' } } }
    : {
      ...resource,
      collection: { order: 1, type: 'string', required: true, title: { en: 'Collection' }, description: { en: 'The collection to insert into' } },
      payload_tmpl: { order: 2, type: 'string', input: 'textarea', required: false, default: '', title: { en: 'Payload Template' }, description: { en: 'A JSON document with ${field}; empty: the selected fields as the document' } },
    };
  const removeAction = reg.addAction({
    name: o.action,
    app: ctx.name,
    category: 'data_persist',
    for: '$any',
    types: [o.resourceType],
    params,
    title: { en: `Data to ${o.title}` },
    description: { en: `Store data to ${o.title}` },
    create(p, actx) {
      const pool = usePool(actx.resource, o.action);
      if (o.kind === 'sql') {
        const t = parseSqlTemplate(String(p.sql ?? ''), undefined, `${o.action}.sql`);
        if (String(p.sql ?? '').trim() === '') throw new Error(`${o.action}: sql is required`);
        return (selected, envs) => {
          const vars: Record<string, string | number> = {};
          for (const name of t.vars) {
            const v = fieldValue(fieldOf(selected, envs, name));
            if (v !== undefined) vars[name] = v;
          }
          pool.enqueue({ kind: 'sql', sql: [t], vars });
        };
      }
      const collection = String(p.collection ?? '');
      if (collection === '' || collection.includes('$')) throw new Error(`${o.action}: a collection name is required (no $)`);
      const tmpl = String(p.payload_tmpl ?? '');
      const t = tmpl.trim() === '' ? undefined : parseSqlTemplate(tmpl, undefined, `${o.action}.payload_tmpl`);
      return (selected, envs) => {
        let doc: Record<string, unknown>;
        if (t === undefined) doc = { ...selected };
        else {
          let text = t.parts[0]!;
          for (let i = 0; i < t.vars.length; i++) text += String(fieldValue(fieldOf(selected, envs, t.vars[i]!)) ?? 'null') + t.parts[i + 1]!;
          const parsed = JSON.parse(text) as unknown;
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${o.action}: payload_tmpl must give a JSON object`);
          doc = parsed as Record<string, unknown>;
        }
        pool.enqueue({ kind: 'insert', collection, doc });
      };
    },
  });
  ctx.onDispose(async () => {
    removeAction();
    removeType();
    await Promise.all([...pools].map((p) => p.stop(5000)));
    pools.clear();
    b?.resources.clear();
  });
}

/** a resource's TLS fields (`ssl`, `cacertfile`, `certfile`, `keyfile`, `verify`, `server_name_indication`); undefined without ssl */
export function resourceTls(c: RuleRow): BackendTls | undefined {
  if (!(c.ssl === true || c.ssl === 'true' || c.ssl === 'on')) return undefined;
  const s = (k: string): string | undefined => (typeof c[k] === 'string' && c[k] !== '' ? (c[k] as string) : undefined);
  return { cacertfile: s('cacertfile'), certfile: s('certfile'), keyfile: s('keyfile'), verify: c.verify === true || c.verify === 'true' || c.verify === 'verify_peer', serverNameIndication: s('server_name_indication') };
}

/** the params of a SQL database resource (EMQX's backend_mysql / backend_pgsql) */
export function sqlResourceParams(defaultServer: string): ParamsSpec {
  const p = (order: number, type: string, title: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ order, type, title: { en: title }, description: { en: title }, ...extra });
  return {
    server: p(1, 'string', 'Server', { required: true, default: defaultServer }),
    database: p(2, 'string', 'Database', { required: true, default: 'mqtt' }),
    pool_size: p(3, 'number', 'Pool Size', { default: 8 }),
    user: p(4, 'string', 'Username', { default: 'root' }),
    password: p(5, 'password', 'Password', { default: '' }),
    auto_reconnect: p(6, 'boolean', 'Enable Reconnect', { default: true }),
    ssl: p(7, 'boolean', 'Enable SSL', { default: false }),
    cacertfile: p(8, 'file', 'CA certificates'),
    certfile: p(9, 'file', 'SSL Certfile'),
    keyfile: p(10, 'file', 'SSL Keyfile'),
    verify: p(11, 'boolean', 'Verify Server Certfile', { default: false }),
    server_name_indication: p(12, 'string', 'Server Name Indication'),
  };
}
