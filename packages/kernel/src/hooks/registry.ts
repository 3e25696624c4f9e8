// Owns the real tapable hooks. Everyone taps through here so that each tap has an
// owner: one tap's error is caught, logged and counted (EMQX safe_execute), and an
// owner's taps can be removed by rebuilding the affected hooks (tapable has no untap).
import { hookFactories, HOOK_POINTS, type HookPoint, type KernelHooks } from './hookpoints.js';
import type { Logger } from '../logger.js';

export interface TapOptions {
  stage?: number;
  before?: string | readonly string[];
}

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
  /** errors thrown by taps, per hook point */
  readonly errors = new Map<HookPoint, number>();
  private records: TapRecord[] = [];
  /** async tap calls currently running, per owner */
  private readonly inflight = new Map<string, number>();

  constructor(private readonly logger: Logger) {
    this.hooks = buildAll();
  }

  tap<P extends HookPoint>(owner: string, point: P, fn: AnyFn, options: TapOptions = {}): void {
    if (!hookFactories[point]) throw new Error(`unknown hook point ${point}`);
    const hook = this.hooks[point] as unknown as { tapPromise?: unknown; tap: unknown };
    const async = !('call' in hook && typeof (hook as { call?: unknown }).call === 'function');
    const rec: TapRecord = { owner, point, options, fn, async, wrapped: fn };
    rec.wrapped = async ? this.wrapAsync(rec) : this.wrapSync(rec);
    this.records.push(rec);
    attach(this.hooks[point], rec);
  }

  /** removes every tap of `owner`; returns how many there were */
  removeOwner(owner: string): number {
    const gone = this.records.filter((r) => r.owner === owner);
    if (gone.length === 0) return 0;
    this.records = this.records.filter((r) => r.owner !== owner);
    const points = new Set(gone.map((r) => r.point));
    const next: Record<string, unknown> = { ...this.hooks };
    for (const p of points) {
      const h = hookFactories[p]();
      for (const r of this.records) if (r.point === p) attach(h, r);
      next[p] = h;
    }
    this.hooks = Object.freeze(next) as unknown as KernelHooks;
    return gone.length;
  }

  tapCount(owner?: string): number {
    return owner === undefined ? this.records.length : this.records.filter((r) => r.owner === owner).length;
  }

  inflightCalls(owner: string): number {
    return this.inflight.get(owner) ?? 0;
  }

  private failed(rec: TapRecord, err: unknown): void {
    this.errors.set(rec.point, (this.errors.get(rec.point) ?? 0) + 1);
    this.logger.error(`hook ${rec.point}: tap of ${rec.owner} failed: ${(err as Error)?.stack ?? String(err)}`);
  }

  // Hook points take at most three arguments: fixed-arity wrappers allocate nothing per call
  // (a rest parameter would build an array for every message).
  private wrapSync(rec: TapRecord): AnyFn {
    const fn = rec.fn;
    return (a: unknown, b: unknown, c: unknown) => {
      try {
        return fn(a, b, c);
      } catch (err) {
        this.failed(rec, err);
        return undefined;
      }
    };
  }

  private wrapAsync(rec: TapRecord): AnyFn {
    const fn = rec.fn;
    const owner = rec.owner;
    return async (a: unknown, b: unknown, c: unknown) => {
      this.inflight.set(owner, (this.inflight.get(owner) ?? 0) + 1);
      try {
        return await fn(a, b, c);
      } catch (err) {
        this.failed(rec, err);
        return undefined;
      } finally {
        this.inflight.set(owner, (this.inflight.get(owner) ?? 1) - 1);
      }
    };
  }
}

function buildAll(): KernelHooks {
  const out: Record<string, unknown> = {};
  for (const p of HOOK_POINTS) out[p] = hookFactories[p]();
  return Object.freeze(out) as unknown as KernelHooks;
}

function attach(hook: unknown, rec: TapRecord): void {
  const opts = { name: rec.owner, ...rec.options } as { name: string; stage?: number; before?: string | string[] };
  const h = hook as { tap(o: object, f: AnyFn): void; tapPromise(o: object, f: AnyFn): void };
  if (rec.async) h.tapPromise(opts, rec.wrapped);
  else h.tap(opts, rec.wrapped);
}
