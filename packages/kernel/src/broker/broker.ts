// publish → message.publish fold → route → dispatch (reference: emqx_broker).
import type { Ctx } from '../context.js';
import { Router, Subscription, type MatchResult } from '../router/router.js';
import type { Message } from '../types.js';
import { pickMember, type SharedStrategy } from './shared.js';

export class Broker {
  readonly router = new Router();

  constructor(
    private readonly ctx: Ctx,
    public sharedStrategy: SharedStrategy = 'random',
    public readonly groupStrategies: ReadonlyMap<string, SharedStrategy> = new Map(),
  ) {}

  /** Routes one message; returns the number of subscriptions it went to. */
  publish(msg: Message): number {
    const ctx = this.ctx;
    const hook = ctx.registry.hooks['message.publish'];
    if (hook.isUsed()) {
      msg = hook.call(msg) ?? msg;
      if (msg.headers.allow_publish === false) return 0;
    }
    ctx.metrics['messages.publish']++;
    const res = this.router.match(msg.topic);
    const n = this.dispatch(msg, res);
    if (n === 0) this.noSubscribers(msg);
    return n;
  }

  /**
   * A forward from a cluster peer (EMQX's dispatch(Filter, Delivery)): this node's subscribers
   * of that one filter, or of one member of its shared group. None: dropped, no_subscribers.
   */
  dispatchForward(filter: string, group: string | undefined, msg: Message): number {
    const at = this.router.exact(filter);
    let n = 0;
    if (at !== undefined) {
      if (group === undefined) {
        const subs = at.subs;
        for (let i = 0; i < subs.length; i++) {
          const s = subs[i]!;
          if (s.subscriber.remote === true) continue;
          s.subscriber.deliver(msg, s);
          n++;
        }
      } else {
        const g = at.groups?.get(group);
        const m = g && pickMember(g, this.groupStrategies.get(group) ?? this.sharedStrategy, msg, true);
        if (m) {
          m.subscriber.deliver(msg, m);
          n = 1;
        }
      }
    }
    if (n === 0) this.noSubscribers(msg);
    return n;
  }

  private noSubscribers(msg: Message): void {
    const ctx = this.ctx;
    ctx.metrics['messages.dropped']++;
    ctx.metrics['messages.dropped.no_subscribers']++;
    const dropped = ctx.registry.hooks['message.dropped'];
    if (dropped.isUsed()) dropped.call(msg, { node: ctx.nodeName }, 'no_subscribers');
  }

  private dispatch(msg: Message, res: MatchResult): number {
    const subs = res.subs;
    let n = subs.length;
    if (!res.overlap) {
      for (let i = 0; i < subs.length; i++) {
        const s = subs[i]!;
        s.subscriber.deliver(msg, s);
      }
    } else {
      n = deliverMerged(msg, subs);
    }
    const groups = res.groups;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      const m = pickMember(g, this.groupStrategies.get(g.group) ?? this.sharedStrategy, msg);
      if (m !== undefined) {
        m.subscriber.deliver(msg, m);
        n++;
      }
    }
    return n;
  }
}

/**
 * One subscriber holds several matching subscriptions: deliver once, at the highest
 * granted QoS, with every subscription identifier [MQTT-3.3.4-2], [MQTT-3.3.4-3].
 */
function deliverMerged(msg: Message, subs: readonly Subscription[]): number {
  const best = new Map<Subscription['subscriber'], { sub: Subscription; subids: number[] }>();
  for (const s of subs) {
    if (s.subscriber.remote === true) {
      s.subscriber.deliver(msg, s);
      continue;
    }
    const cur = best.get(s.subscriber);
    if (!cur) {
      best.set(s.subscriber, { sub: s, subids: s.opts.subid !== undefined ? [s.opts.subid] : [] });
      continue;
    }
    if (s.opts.subid !== undefined && !cur.subids.includes(s.opts.subid)) cur.subids.push(s.opts.subid);
    if (s.opts.qos > cur.sub.opts.qos) cur.sub = s;
  }
  for (const [subscriber, { sub, subids }] of best) {
    const merged = new Subscription(subscriber, sub.filter, { ...sub.opts, subids } as Subscription['opts']);
    subscriber.deliver(msg, merged);
  }
  let n = best.size;
  for (const s of subs) if (s.subscriber.remote === true) n++;
  return n;
}
