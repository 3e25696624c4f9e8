// The hook points: one map from each point to its arguments and result, in EMQX 4.3's order
// (the accumulator of a fold comes last, as EMQX passes it). The kernel builds its hooks from
// this table, so what a plugin taps and what the kernel calls are the same types.
import type {
  AclResult, AuthResult, ClientInfo, ConnackProps, ConnectError, ConnectProps, ConnInfo, DroppedBy,
  EnhancedAuthResult, Message, PubSub, SessInfo, SubOpts, SubscribeProps, TopicFilters,
} from './data.js';

/**
 * `args`: what a tap receives. `result`: what a tap may return.
 * - fold: the last argument is the accumulator; return a new one, or undefined to keep it.
 * - bail: return a decision to stop the chain, or undefined to let the next tap decide.
 * - notify: the return value is ignored.
 */
export interface HookSpecs {
  /** before any check of the CONNECT; return `{ error: rc }` to refuse with that CONNACK code */
  'client.connect': { args: [conninfo: ConnInfo, props: ConnectProps]; result: ConnectProps | ConnectError };
  /** just before CONNACK is sent, on success (`reason` = 'success') and failure */
  'client.connack': { args: [conninfo: ConnInfo, reason: string, props: ConnackProps]; result: ConnackProps };
  /** `acc` follows allow_anonymous; return an AuthResult to decide, undefined for "not mine" */
  'client.authenticate': { args: [clientinfo: ClientInfo, acc: AuthResult]; result: AuthResult };
  /** MQTT 5 enhanced authentication [MQTT-4.12] */
  'client.enhanced_authenticate': { args: [method: string, data: Buffer | undefined, cache: unknown]; result: EnhancedAuthResult };
  /** return 'allow' or 'deny' to decide, undefined for no opinion (then acl.conf, then acl_nomatch) */
  'client.check_acl': { args: [clientinfo: ClientInfo, pubsub: PubSub, topic: string]; result: AclResult };
  'client.connected': { args: [clientinfo: ClientInfo, conninfo: ConnInfo]; result: void };
  'client.disconnected': { args: [clientinfo: ClientInfo, reason: string, conninfo: ConnInfo]; result: void };
  /** the filters of one SUBSCRIBE that passed ACL; set `deny_subscription` to refuse one */
  'client.subscribe': { args: [clientinfo: ClientInfo, props: SubscribeProps, filters: TopicFilters]; result: TopicFilters };
  'client.unsubscribe': { args: [clientinfo: ClientInfo, props: SubscribeProps, filters: TopicFilters]; result: TopicFilters };
  'session.created': { args: [clientinfo: ClientInfo, sessinfo: SessInfo]; result: void };
  /**
   * after SUBACK; `topic` is the filter as routed (mountpoint in front, `$share/<group>/` taken
   * off into `subopts.share`); `subopts.is_new` is true for a new filter (the retainer delivers here)
   */
  'session.subscribed': { args: [clientinfo: ClientInfo, topic: string, subopts: SubOpts]; result: void };
  'session.unsubscribed': { args: [clientinfo: ClientInfo, topic: string, subopts: SubOpts]; result: void };
  'session.resumed': { args: [clientinfo: ClientInfo, sessinfo: SessInfo]; result: void };
  'session.discarded': { args: [clientinfo: ClientInfo, sessinfo: SessInfo]; result: void };
  'session.takeovered': { args: [clientinfo: ClientInfo, sessinfo: SessInfo]; result: void };
  'session.terminated': { args: [clientinfo: ClientInfo, reason: string, sessinfo: SessInfo]; result: void };
  /** every message before routing; set `headers.allow_publish = false` to drop it */
  'message.publish': { args: [message: Message]; result: Message };
  /** each delivery, `clientinfo` being the receiver */
  'message.delivered': { args: [clientinfo: ClientInfo, message: Message]; result: Message };
  /** PUBACK (QoS 1) or PUBREC (QoS 2) from the receiver */
  'message.acked': { args: [clientinfo: ClientInfo, message: Message]; result: void };
  /** no subscriber matched */
  'message.dropped': { args: [message: Message, by: DroppedBy, reason: string]; result: void };
  /** a session dropped a delivery (`queue_full`, `expired`, `no_local`, `qos0_msg`, `too_large`) */
  'delivery.dropped': { args: [clientinfo: ClientInfo, message: Message, reason: string]; result: void };
  /** TLS-PSK listeners: the secret of a PSK identity; undefined when unknown (the handshake then fails) */
  'tls_handshake.psk_lookup': { args: [identity: string]; result: Buffer };
}

export type HookPoint = keyof HookSpecs;
export type HookArgs<P extends HookPoint> = HookSpecs[P]['args'];
export type HookResult<P extends HookPoint> = HookSpecs[P]['result'];
export type HookMode = 'fold' | 'bail' | 'notify';

/** How each point runs: its mode, whether taps may be async, and its argument names. */
export const HOOK_TABLE = {
  'client.connect': { mode: 'fold', async: true, args: ['conninfo', 'props'] },
  'client.connack': { mode: 'fold', async: false, args: ['conninfo', 'reason', 'props'] },
  'client.authenticate': { mode: 'bail', async: true, args: ['clientinfo', 'acc'] },
  'client.enhanced_authenticate': { mode: 'bail', async: true, args: ['method', 'data', 'cache'] },
  'client.check_acl': { mode: 'bail', async: true, args: ['clientinfo', 'pubsub', 'topic'] },
  'client.connected': { mode: 'notify', async: false, args: ['clientinfo', 'conninfo'] },
  'client.disconnected': { mode: 'notify', async: false, args: ['clientinfo', 'reason', 'conninfo'] },
  'client.subscribe': { mode: 'fold', async: false, args: ['clientinfo', 'props', 'filters'] },
  'client.unsubscribe': { mode: 'fold', async: false, args: ['clientinfo', 'props', 'filters'] },
  'session.created': { mode: 'notify', async: false, args: ['clientinfo', 'sessinfo'] },
  'session.subscribed': { mode: 'notify', async: false, args: ['clientinfo', 'topic', 'subopts'] },
  'session.unsubscribed': { mode: 'notify', async: false, args: ['clientinfo', 'topic', 'subopts'] },
  'session.resumed': { mode: 'notify', async: false, args: ['clientinfo', 'sessinfo'] },
  'session.discarded': { mode: 'notify', async: false, args: ['clientinfo', 'sessinfo'] },
  'session.takeovered': { mode: 'notify', async: false, args: ['clientinfo', 'sessinfo'] },
  'session.terminated': { mode: 'notify', async: false, args: ['clientinfo', 'reason', 'sessinfo'] },
  'message.publish': { mode: 'fold', async: false, args: ['message'] },
  'message.delivered': { mode: 'fold', async: false, args: ['clientinfo', 'message'] },
  'message.acked': { mode: 'notify', async: false, args: ['clientinfo', 'message'] },
  'message.dropped': { mode: 'notify', async: false, args: ['message', 'by', 'reason'] },
  'delivery.dropped': { mode: 'notify', async: false, args: ['clientinfo', 'message', 'reason'] },
  'tls_handshake.psk_lookup': { mode: 'bail', async: false, args: ['identity'] },
} as const satisfies { readonly [P in HookPoint]: HookInfo<P> };

/** One row of HOOK_TABLE: one argument name per argument of the point. */
export interface HookInfo<P extends HookPoint> {
  readonly mode: HookMode;
  readonly async: boolean;
  readonly args: ArgNames<HookArgs<P>>;
}

type ArgNames<T extends readonly unknown[]> = { readonly [K in keyof T]: string };

export const HOOK_POINTS = Object.keys(HOOK_TABLE) as HookPoint[];

/** What a tap of `P` may return: async points may return a promise. */
export type TapReturn<P extends HookPoint> = HookResult<P> extends void
  ? void
  : (typeof HOOK_TABLE)[P]['async'] extends true
    ? HookResult<P> | undefined | Promise<HookResult<P> | undefined>
    : HookResult<P> | undefined;

export type HookFn<P extends HookPoint> = (...args: HookArgs<P>) => TapReturn<P>;

/** tapable stages: lower runs first. EMQX priority P is stage -P. */
export const HookStage = { FIRST: -1000, DEFAULT: 0, FILE_ACL: 1, LAST: 1000 } as const;

export interface TapOptions {
  /** lower runs first (HookStage); default 0, then in tap order */
  readonly stage?: number;
  /** run before the taps of these plugins */
  readonly before?: string | readonly string[];
}

/** Tap-only access to the kernel's hooks; every tap belongs to the plugin and goes on unload. */
export interface Hooks {
  tap<P extends HookPoint>(point: P, fn: HookFn<P>, options?: TapOptions): void;
}
