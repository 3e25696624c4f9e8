// The data persistence layer every emqx_backend_* plugin shares: rules, pools, hooks, ctl.
// A plugin gives only `makeStore` (its database driver) and its conf prefix.
import type { ConfValue } from '../conf.js';
import type { PluginContext } from '../plugin.js';
import { backendCtl, tapBackend, type Backend } from './engine.js';
import { BackendPool, type PoolOptions } from './pool.js';
import { BackendConfigError, parseBackendRules, parsePools } from './rules.js';
import type { BackendStore } from './store.js';

export * from './rules.js';
export * from './store.js';
export { BackendPool, type PoolOptions, type PoolStats } from './pool.js';
export { addBackendRuleActions, fieldOf, fieldValue, resourceTls, sqlResourceParams, type BackendRuleActions } from './ruleactions.js';
export { tapBackend, msgidOf, storedToMessage, formatBackendStats, formatBackendRules, backendCtl, type Backend } from './engine.js';

export interface StartBackendOptions {
  /** `backend.mysql` */
  readonly prefix: string;
  /** `emqx_ctl <command> stats|rules` */
  readonly command: string;
  /** SQL actions allowed */
  readonly sql: boolean;
  /** the driver for one pool's keys (`server`, `pool_size`, ... without the prefix) */
  readonly makeStore: (pool: string, keys: ReadonlyMap<string, ConfValue>) => BackendStore;
}

function num(v: ConfValue | undefined, dflt: number, key: string): number {
  if (v === undefined) return dflt;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new BackendConfigError(`${key}: must be a positive integer, not ${JSON.stringify(v)}`);
  return n;
}

/** ms from a duration key (the conf layer gives ms for `duration` fields; a bare number is ms) */
function ms(v: ConfValue | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) && n > 0 ? n : dflt;
}

/** parses the conf, opens every pool (an unreachable database fails the load), taps the hooks */
export async function startBackend(ctx: PluginContext, o: StartBackendOptions): Promise<Backend> {
  const poolKeys = parsePools(ctx.config, o.prefix);
  let rules;
  try {
    rules = parseBackendRules(ctx.config, o.prefix, { sql: o.sql, pools: [...poolKeys.keys()] });
  } catch (err) {
    if (err instanceof BackendConfigError) throw new Error(`${ctx.name}.conf: ${err.message}`);
    throw err;
  }
  if (rules.length === 0) ctx.logger.warning(`no ${o.prefix}.hook.* rules: nothing will be stored`);
  const pools = new Map<string, BackendPool>();
  try {
    for (const [name, keys] of poolKeys) {
      const p = `${o.prefix}.${name}`;
      const opts: PoolOptions = {
        batchSize: num(keys.get('batch_size'), 100, `${p}.batch_size`),
        maxBuffer: num(keys.get('max_buffer'), 100_000, `${p}.max_buffer`),
        retryMin: ms(keys.get('reconnect_min'), 200),
        retryMax: ms(keys.get('reconnect_max'), 5000),
      };
      for (const k of ['pool_size', 'c_pool_size']) if (keys.has(k)) num(keys.get(k), 1, `${p}.${k}`);
      const store = o.makeStore(name, keys);
      try {
        await store.open();
      } catch (err) {
        await store.close().catch(() => undefined);
        throw new Error(`${p}: cannot connect: ${(err as Error).message}`);
      }
      const pool = new BackendPool(`${o.prefix}.${name}`, store, opts, ctx.logger);
      pool.start();
      pools.set(name, pool);
    }
  } catch (err) {
    for (const pool of pools.values()) await pool.stop(0);
    throw err;
  }
  const b = tapBackend(ctx, rules, pools);
  backendCtl(ctx, o.command, b);
  // unload: the kernel removes the taps first; then what is buffered gets up to 5 s to be written
  ctx.onDispose(async () => {
    await Promise.all([...pools.values()].map((p) => p.stop(5000)));
  });
  return b;
}
