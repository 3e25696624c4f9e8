// The kernel's hook points, declared once (EMQX 4.3 names, reference §1.3).
// Notification hooks are SyncHook; folds are waterfalls whose first argument is the accumulator;
// `run` with stop maps to a bail hook. Auth and ACL may do IO, so they are async.
import { AsyncSeriesBailHook, AsyncSeriesWaterfallHook, SyncHook, SyncWaterfallHook } from 'tapable';
import type { AclResult, ClientInfo, ConnInfo, Message, PubSub, SubOpts } from '../types.js';

export interface AuthResult {
  auth_result: 'success' | 'not_authorized' | 'bad_username_or_password' | 'server_unavailable' | 'server_busy' | 'banned' | 'client_identifier_not_valid' | string;
  anonymous?: boolean;
  is_superuser?: boolean;
  mountpoint?: string;
  [key: string]: unknown;
}

export interface EnhancedAuthResult {
  /** 'ok' = success, 'continue' = send AUTH 0x18 with data; anything else = not authorized */
  status: 'ok' | 'continue' | 'error';
  data?: Buffer;
  cache?: unknown;
}

export type ConnectAcc = Record<string, unknown> | { error: number };
export type TopicFilters = Array<[string, SubOpts & { deny_subscription?: boolean }]>;

export const hookFactories = {
  /** fold over CONNECT properties; return `{ error: reasonCode }` to reject */
  'client.connect': () => new AsyncSeriesWaterfallHook<[ConnectAcc, ConnInfo]>(['props', 'conninfo']),
  /** fold over CONNACK properties */
  'client.connack': () => new SyncWaterfallHook<[Record<string, unknown>, ConnInfo, string]>(['props', 'conninfo', 'reason']),
  /** a tap returns an AuthResult to decide (stop), undefined to pass */
  'client.authenticate': () => new AsyncSeriesBailHook<[ClientInfo, AuthResult], AuthResult | undefined>(['clientinfo', 'acc']),
  'client.enhanced_authenticate': () => new AsyncSeriesBailHook<[string, Buffer | undefined, unknown], EnhancedAuthResult | undefined>(['method', 'data', 'cache']),
  /** a tap returns 'allow' | 'deny' to decide, undefined for no opinion */
  'client.check_acl': () => new AsyncSeriesBailHook<[ClientInfo, PubSub, string], AclResult | undefined>(['clientinfo', 'pubsub', 'topic']),
  'client.connected': () => new SyncHook<[ClientInfo, ConnInfo]>(['clientinfo', 'conninfo']),
  'client.disconnected': () => new SyncHook<[ClientInfo, string, ConnInfo]>(['clientinfo', 'reason', 'conninfo']),
  /** fold over the filters of one SUBSCRIBE (after ACL) */
  'client.subscribe': () => new SyncWaterfallHook<[TopicFilters, ClientInfo, Record<string, unknown>]>(['filters', 'clientinfo', 'props']),
  'client.unsubscribe': () => new SyncWaterfallHook<[TopicFilters, ClientInfo, Record<string, unknown>]>(['filters', 'clientinfo', 'props']),
  'session.created': () => new SyncHook<[ClientInfo, Record<string, unknown>]>(['clientinfo', 'sessinfo']),
  'session.subscribed': () => new SyncHook<[ClientInfo, string, SubOpts]>(['clientinfo', 'topic', 'subopts']),
  'session.unsubscribed': () => new SyncHook<[ClientInfo, string, SubOpts]>(['clientinfo', 'topic', 'subopts']),
  'session.resumed': () => new SyncHook<[ClientInfo, Record<string, unknown>]>(['clientinfo', 'sessinfo']),
  'session.discarded': () => new SyncHook<[ClientInfo, Record<string, unknown>]>(['clientinfo', 'sessinfo']),
  'session.takeovered': () => new SyncHook<[ClientInfo, Record<string, unknown>]>(['clientinfo', 'sessinfo']),
  'session.terminated': () => new SyncHook<[ClientInfo, string, Record<string, unknown>]>(['clientinfo', 'reason', 'sessinfo']),
  /** fold over every message before routing; set headers.allow_publish = false to drop it */
  'message.publish': () => new SyncWaterfallHook<[Message]>(['message']),
  /** fold over each delivery to a client */
  'message.delivered': () => new SyncWaterfallHook<[Message, ClientInfo]>(['message', 'clientinfo']),
  'message.acked': () => new SyncHook<[ClientInfo, Message]>(['clientinfo', 'message']),
  'message.dropped': () => new SyncHook<[Message, Record<string, unknown>, string]>(['message', 'by', 'reason']),
  'delivery.dropped': () => new SyncHook<[ClientInfo, Message, string]>(['clientinfo', 'message', 'reason']),
} as const;

export type HookPoint = keyof typeof hookFactories;
export type KernelHooks = { readonly [K in HookPoint]: ReturnType<(typeof hookFactories)[K]> };
export const HOOK_POINTS = Object.keys(hookFactories) as HookPoint[];

/** tapable stage = -EMQX priority: lower runs first */
export const STAGE = { FIRST: -1000, DEFAULT: 0, FILE_ACL: 1, LAST: 1000 } as const;
