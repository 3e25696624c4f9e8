// The kernel's hooks, built from the SDK's hook table (reference §1.3), so what the kernel calls
// and what a plugin taps cannot drift: a call site that passes the wrong arguments does not compile.
// Folds are waterfalls: tapable threads the FIRST argument, so the kernel calls a fold with its
// accumulator first and the registry hands taps EMQX's order (accumulator last).
import { AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncBailHook, SyncHook, SyncWaterfallHook } from 'tapable';
import { HOOK_POINTS, HOOK_TABLE, HookStage, type HookArgs, type HookPoint, type HookResult, type Message as SdkMessage } from '@nemq/sdk';
import type { Message } from '../types.js';

export { HOOK_POINTS, type HookPoint };
export type { AuthResult, ConnectError, EnhancedAuthResult, TopicFilters } from '@nemq/sdk';

/** tapable stage = -EMQX priority: lower runs first */
export const STAGE = HookStage;

/** hooks carry the kernel's Message (it holds the shared encoder) where the SDK says Message */
type K<T> = T extends SdkMessage ? Message : T;
type KArgs<T extends readonly unknown[]> = { [I in keyof T]: K<T[I]> };
type Last<T> = T extends readonly [...unknown[], infer L] ? L : never;
type Init<T> = T extends readonly [...infer I, unknown] ? I : never;
type Mode<P extends HookPoint> = (typeof HOOK_TABLE)[P]['mode'];
type Async<P extends HookPoint> = (typeof HOOK_TABLE)[P]['async'];

/** the arguments the kernel passes: a fold's accumulator first */
export type CallArgs<P extends HookPoint> = Mode<P> extends 'fold'
  ? [K<Last<HookArgs<P>>>, ...KArgs<Init<HookArgs<P>>>]
  : KArgs<HookArgs<P>>;

export type KernelHook<P extends HookPoint> = Mode<P> extends 'fold'
  ? Async<P> extends true ? AsyncSeriesWaterfallHook<CallArgs<P>> : SyncWaterfallHook<CallArgs<P>>
  : Mode<P> extends 'bail'
    ? Async<P> extends true ? AsyncSeriesBailHook<CallArgs<P>, K<HookResult<P>> | undefined> : SyncBailHook<CallArgs<P>, K<HookResult<P>> | undefined>
    : Async<P> extends true ? AsyncSeriesHook<CallArgs<P>> : SyncHook<CallArgs<P>>;

export type KernelHooks = { readonly [P in HookPoint]: KernelHook<P> };

/** argument names in call order (tapable generates its call code from them) */
export function callNames(p: HookPoint): string[] {
  const { mode, args } = HOOK_TABLE[p];
  return mode === 'fold' ? [args[args.length - 1]!, ...args.slice(0, -1)] : [...args];
}

export function createHook<P extends HookPoint>(p: P): KernelHook<P> {
  const { mode, async } = HOOK_TABLE[p];
  const names = callNames(p) as never;
  if (mode === 'fold') return (async ? new AsyncSeriesWaterfallHook(names) : new SyncWaterfallHook(names)) as KernelHook<P>;
  if (mode === 'bail') return (async ? new AsyncSeriesBailHook(names) : new SyncBailHook(names)) as KernelHook<P>;
  return (async ? new AsyncSeriesHook(names) : new SyncHook(names)) as KernelHook<P>;
}

export function isAsync(p: HookPoint): boolean {
  return HOOK_TABLE[p].async;
}

/** how many leading call arguments a tap gets moved to the end (the fold accumulator) */
export function foldArity(p: HookPoint): number {
  const { mode, args } = HOOK_TABLE[p];
  return mode === 'fold' ? args.length : 0;
}
