// Owns the real tapable hooks. Everyone taps through here so that each tap has an
// owner: one tap's error is caught, logged and counted per owner and hook point (EMQX
// safe_execute), and an owner's taps can be removed by rebuilding the affected hooks
// (tapable has no untap).
import type { HookFn, TapOptions } from '@nemq/sdk';
import { createHook, foldArity, HOOK_POINTS, isAsync, type HookPoint, type KernelHooks } from './hookpoints.js';
import type { Logger } from '../logger.js';

export type { TapOptions };

type AnyFn = (...args: any[]) => any;

interface TapRecord {
  owner: string;
  point: HookPoint;
  options: TapOptions;
  fn: AnyFn;
  wrapped: AnyFn;
  async: boolean;
}

export class HookRegistry {
  hooks: KernelHooks;
  /** errors thrown by taps: owner → hook point → count */
  readonly errors = new Map<string, Map<HookPoint, number>>();
  private records: TapRecord[] = [];
  /** async tap calls currently running, per owner */
  private readonly inflight = new Map<string, number>();
  /** auth_order / acl_order: point → names, listed first in list order */
  private readonly order = new Map<HookPoint, readonly string[]>();

  constructor(private readonly logger: Logger) {
    this.hooks = buildAll();
  }

  /** `fn` takes EMQX's argument order (a fold's accumulator last), as the SDK declares it */
  tap<P extends HookPoint>(owner: string, point: P, fn: HookFn<P>, options: TapOptions = {}): void {
    if (!HOOK_POINTS.includes(point)) throw new Error(`unknown hook point ${point}`);
    if (typeof fn !== 'function') throw new Error(`hook ${point}: tap of ${owner} is not a function`);
    const rec: TapRecord = { owner, point, options, fn: fn as AnyFn, async: isAsync(point), wrapped: fn as AnyFn };
    rec.wrapped = rec.async ? this.wrapAsync(rec) : this.wrapSync(rec);
    this.records.push(rec);
    if (this.order.has(point)) this.rebuild([point]);
    else attach(this.hooks[point], rec);
  }

  /**
   * EMQX 4.3 `auth_order` / `acl_order`: the taps of the listed owners run first, in list
   * order; the others after them, in tap order. Within a point, stages still come first.
   */
  setOrder(point: HookPoint, names: readonly string[]): void {
    this.order.set(point, names);
    this.rebuild([point]);
  }

  /** removes every tap of `owner`; returns how many there were */
  removeOwner(owner: string): number {
    const gone = this.records.filter((r) => r.owner === owner);
    if (gone.length === 0) return 0;
    this.records = this.records.filter((r) => r.owner !== owner);
    this.rebuild(new Set(gone.map((r) => r.point)));
    return gone.length;
  }

  /** new hooks for `points` from the records (tapable has no untap, nor reorder) */
  private rebuild(points: Iterable<HookPoint>): void {
    const next: Record<string, unknown> = { ...this.hooks };
    for (const p of points) {
      const h = createHook(p);
      const names = this.order.get(p);
      const recs = this.records.filter((r) => r.point === p);
      if (names) {
        const rank = (r: TapRecord): number => orderRank(names, r.owner);
        recs.sort((a, b) => rank(a) - rank(b)); // stable: tap order among equals
      }
      for (const r of recs) attach(h, r);
      next[p] = h;
    }
    this.hooks = Object.freeze(next) as unknown as KernelHooks;
  }

  tapCount(owner?: string): number {
    return owner === undefined ? this.records.length : this.records.filter((r) => r.owner === owner).length;
  }

  inflightCalls(owner: string): number {
    return this.inflight.get(owner) ?? 0;
  }

  /** tap errors of one owner (or every owner) by hook point */
  errorCounts(owner?: string): Map<HookPoint, number> {
    const out = new Map<HookPoint, number>();
    for (const [o, byPoint] of this.errors) {
      if (owner !== undefined && o !== owner) continue;
      for (const [p, n] of byPoint) out.set(p, (out.get(p) ?? 0) + n);
    }
    return out;
  }

  /** the first error of an owner at a point is logged with its stack; later ones at debug */
  private failed(rec: TapRecord, err: unknown): void {
    let byPoint = this.errors.get(rec.owner);
    if (!byPoint) this.errors.set(rec.owner, (byPoint = new Map()));
    const n = (byPoint.get(rec.point) ?? 0) + 1;
    byPoint.set(rec.point, n);
    if (n === 1) this.logger.error(`hook ${rec.point}: tap of ${rec.owner} failed: ${(err as Error)?.stack ?? String(err)}`);
    else this.logger.debug(`hook ${rec.point}: tap of ${rec.owner} failed (${n} times): ${(err as Error)?.message ?? String(err)}`);
  }

  // Hook points take at most three arguments: fixed-arity wrappers allocate nothing per call
  // (a rest parameter would build an array for every message). A fold's accumulator comes
  // first from tapable and goes last to the tap (EMQX's order).
  private wrapSync(rec: TapRecord): AnyFn {
    const fn = rec.fn;
    const fold = foldArity(rec.point);
    const fail = (err: unknown): undefined => void this.failed(rec, err);
    if (fold === 2) {
      return (acc: unknown, a: unknown) => {
        try {
          return fn(a, acc);
        } catch (err) {
          return fail(err);
        }
      };
    }
    if (fold === 3) {
      return (acc: unknown, a: unknown, b: unknown) => {
        try {
          return fn(a, b, acc);
        } catch (err) {
          return fail(err);
        }
      };
    }
    return (a: unknown, b: unknown, c: unknown) => {
      try {
        return fn(a, b, c);
      } catch (err) {
        return fail(err);
      }
    };
  }

  private wrapAsync(rec: TapRecord): AnyFn {
    const call = ordered(rec.fn, foldArity(rec.point));
    const owner = rec.owner;
    return async (a: unknown, b: unknown, c: unknown) => {
      this.inflight.set(owner, (this.inflight.get(owner) ?? 0) + 1);
      try {
        return await call(a, b, c);
      } catch (err) {
        this.failed(rec, err);
        return undefined;
      } finally {
        this.inflight.set(owner, (this.inflight.get(owner) ?? 1) - 1);
      }
    };
  }
}

/** the tap called with its arguments in EMQX's order */
function ordered(fn: AnyFn, fold: number): AnyFn {
  if (fold === 2) return (acc: unknown, a: unknown) => fn(a, acc);
  if (fold === 3) return (acc: unknown, a: unknown, b: unknown) => fn(a, b, acc);
  return fn;
}

// EMQX's short names in auth_order / acl_order
const ALIASES: Record<string, string> = { mongodb: 'mongo', postgres: 'pgsql', internal: 'file' };

/** position of `owner` in an auth_order / acl_order list (`mysql` names emqx_auth_mysql); unlisted: after all */
export function orderRank(names: readonly string[], owner: string): number {
  for (let i = 0; i < names.length; i++) {
    const n = ALIASES[names[i]!] ?? names[i]!;
    if (owner === n || owner === `emqx_auth_${n}` || owner === `emqx_acl_${n}`) return i;
  }
  return names.length;
}

function buildAll(): KernelHooks {
  const out: Record<string, unknown> = {};
  for (const p of HOOK_POINTS) out[p] = createHook(p);
  return Object.freeze(out) as unknown as KernelHooks;
}

function attach(hook: unknown, rec: TapRecord): void {
  const opts = { name: rec.owner, ...rec.options } as { name: string; stage?: number; before?: string | string[] };
  const h = hook as { tap(o: object, f: AnyFn): void; tapPromise(o: object, f: AnyFn): void };
  if (rec.async) h.tapPromise(opts, rec.wrapped);
  else h.tap(opts, rec.wrapped);
}
