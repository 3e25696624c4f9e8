// The one subscribe / unsubscribe path (reference: emqx_session:subscribe plus
// emqx_broker:subscribe): SUBSCRIBE and UNSUBSCRIBE packets, `emqx_ctl
// subscriptions add|del`, and plugins' local subscriptions all go through here.
import type { HookRegistry } from '../hooks/registry.js';
import { Subscription, type Router, type Subscriber } from '../router/router.js';
import { mount, parseShare } from '@nemq/sdk';
import type { Session } from '../session/session.js';
import type { ClientInfo, SubOpts } from '../types.js';

/** topic as subscribed (with `$share/g/`), the filter in the router (mounted), opts with is_new */
export type Subscribed = [topic: string, filter: string, opts: SubOpts];

export class Subscriptions {
  /** the cluster keeps persistent sessions' subscriptions in Redis */
  onChange: ((session: Session) => void) | undefined = undefined;

  constructor(
    private readonly router: Router,
    private readonly registry: HookRegistry,
  ) {}

  /**
   * A session subscription without its hook: `$share/<group>/` or `$queue/` is
   * taken off, the mountpoint put in front, the session and the router updated.
   * `opts.share` is the caller's. session.subscribed follows with announce().
   */
  add(session: Session, mountpoint: string | undefined, topic: string, opts: SubOpts): Subscribed {
    const share = parseShare(topic);
    if (!share) throw new Error(`bad topic filter ${topic}`);
    const filter = mount(mountpoint, share.filter);
    const { sub, isNew } = session.subscribe(topic, filter, opts);
    if (isNew) this.router.add(sub);
    if (this.onChange !== undefined) this.onChange(session);
    return [topic, filter, { ...opts, is_new: isNew }];
  }

  /**
   * session.subscribed for one add(), with the filter as routed: mounted, `$share/<g>/` taken
   * off into opts.share (EMQX's order). The retainer sends retained messages from it.
   */
  announce(ci: ClientInfo, done: Subscribed): void {
    const hook = this.registry.hooks['session.subscribed'];
    if (hook.isUsed()) hook.call(ci, done[1], done[2]);
  }

  /** add() then announce(): a subscription made outside a SUBSCRIBE packet (emqx_ctl) */
  subscribe(session: Session, ci: ClientInfo, topic: string, opts: SubOpts): Subscribed {
    const done = this.add(session, ci.mountpoint, topic, opts);
    this.announce(ci, done);
    return done;
  }

  /** removes one session subscription (key as subscribed) and runs session.unsubscribed; undefined when there was none */
  unsubscribe(session: Session, ci: ClientInfo, topic: string): Subscription | undefined {
    const sub = session.unsubscribe(topic);
    if (!sub) return undefined;
    this.router.remove(sub);
    if (this.onChange !== undefined) this.onChange(session);
    const hook = this.registry.hooks['session.unsubscribed'];
    if (hook.isUsed()) hook.call(ci, sub.filter, sub.opts);
    return sub;
  }

  /** a subscription of something that is not a session (a plugin's handler): router only, no hooks */
  addLocal(subscriber: Subscriber, topic: string, opts: SubOpts): Subscription {
    const share = parseShare(topic);
    if (!share) throw new Error(`bad topic filter ${topic}`);
    if (share.group !== undefined) opts = { ...opts, share: share.group };
    const sub = new Subscription(subscriber, share.filter, opts);
    this.router.add(sub);
    return sub;
  }

  removeLocal(sub: Subscription): void {
    this.router.remove(sub);
  }
}
