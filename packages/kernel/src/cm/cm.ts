// Client-id registry (reference: emqx_cm): one live channel per client id, sessions
// that outlive their connection, takeover and discard, session expiry, delayed wills.
import type { Ctx } from '../context.js';
import type { Broker } from '../broker/broker.js';
import type { Channel, SessionManager } from '../channel/channel.js';
import { RC } from '../channel/reason-codes.js';
import { Session, type SessionOpts } from '../session/session.js';
import type { Message } from '../types.js';
import { sessionOpts } from '../session/zone-opts.js';
import { exportSession, importSession, takeQueue, type SessionSnapshot } from '../session/handover.js';

/** what the cluster hears of sessions registered on this node (cluster/sessions.ts) */
export interface SessionEvents {
  /** the session ended for good here (terminated, discarded, expired, kicked) */
  ended(clientid: string): void;
  /** the session moved to another node */
  moved(clientid: string): void;
  /** a connection of this client closed (its will is now sent or scheduled here) */
  closed(clientid: string): void;
}

/** 0xFFFFFFFF seconds: the session never expires */
const NEVER = 0xffffffff;
const MAX_TIMER = 2 ** 31 - 1;

export class ChannelManager implements SessionManager {
  readonly channels = new Map<string, Channel>();
  readonly sessions = new Map<string, Session>();
  private readonly expiry = new Map<string, NodeJS.Timeout>();
  private readonly wills = new Map<string, { timer: NodeJS.Timeout; msg: Message }>();

  /** one drop callback shared by every session */
  private readonly onDrop = (s: Session, msg: Message, reason: string): void => this.dropped(s, msg, reason);

  /** set by the cluster while this node is a member */
  events: SessionEvents | undefined = undefined;

  constructor(private readonly ctx: Ctx, private readonly broker: Broker) {}

  /**
   * `handover`: the session as another node (or Redis, after a node crash) held it;
   * with clean_start = 0 it becomes this node's session, present = 1.
   */
  open(ch: Channel, cleanStart: boolean, handover?: SessionSnapshot): { session: Session; present: boolean } {
    const ci = ch.clientinfo;
    const id = ci.clientid;
    const old = this.channels.get(id);
    const hooks = this.ctx.registry.hooks;
    // a delayed will of an earlier connection is not sent when the client is back [MQTT-3.1.3-9]
    this.cancelWill(id);
    let session = this.sessions.get(id);
    if (old && old !== ch) {
      // a clean session (expiry 0) lasts as long as its connection and is never
      // resumed [MQTT-3.1.2-6]: the old connection is discarded, not taken over
      if (!cleanStart && session && session.expiryInterval > 0) {
        old.detachSession();
        this.ctx.metrics['session.takeovered']++;
        if (hooks['session.takeovered'].isUsed()) hooks['session.takeovered'].call(old.clientinfo, session.info());
        old.kick(RC.SESSION_TAKEN_OVER, 'takeovered');
      } else {
        // the old connection closes first so its will goes out [MQTT-3.1.4-3]
        old.kick(RC.SESSION_TAKEN_OVER, 'discarded');
        session = this.sessions.get(id);
      }
    }
    this.channels.set(id, ch);
    const t = this.expiry.get(id);
    if (t) {
      clearTimeout(t);
      this.expiry.delete(id);
    }
    if (!session && handover && !cleanStart) {
      session = this.adopt(id, sessionOpts(ch.zone), handover);
      this.ctx.metrics['session.resumed']++;
      if (hooks['session.resumed'].isUsed()) hooks['session.resumed'].call(ci, session.info());
      return { session, present: true };
    }
    if (session && !cleanStart) {
      session.opts = sessionOpts(ch.zone);
      this.ctx.metrics['session.resumed']++;
      if (hooks['session.resumed'].isUsed()) hooks['session.resumed'].call(ci, session.info());
      return { session, present: true };
    }
    if (session) {
      this.ctx.metrics['session.discarded']++;
      if (hooks['session.discarded'].isUsed()) hooks['session.discarded'].call(ci, session.info());
      this.destroy(session, undefined);
    }
    session = new Session(id, sessionOpts(ch.zone), this.onDrop);
    this.sessions.set(id, session);
    this.ctx.metrics['session.created']++;
    if (hooks['session.created'].isUsed()) hooks['session.created'].call(ci, session.info());
    return { session, present: false };
  }

  /** a session built from a snapshot, subscribed in the router */
  adopt(id: string, opts: SessionOpts, snap: SessionSnapshot): Session {
    const session = new Session(id, opts, this.onDrop);
    importSession(session, snap);
    for (const [key, filter, o] of snap.subs) {
      const { sub, isNew } = session.subscribe(key, filter, o);
      if (isNew) this.broker.router.add(sub);
    }
    this.sessions.set(id, session);
    return session;
  }

  /**
   * Takeover from another node, step one (EMQX's {takeover,'begin'}): the connection here
   * gets DISCONNECT 0x8E; the session keeps its subscriptions, so what arrives meanwhile
   * queues, and hands over everything else. Undefined when there is no session here.
   */
  takeoverBegin(id: string): SessionSnapshot | undefined {
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const t = this.expiry.get(id);
    if (t) {
      clearTimeout(t);
      this.expiry.delete(id);
    }
    this.cancelWill(id);
    const ch = this.channels.get(id);
    this.ctx.metrics['session.takeovered']++;
    const hook = this.ctx.registry.hooks['session.takeovered'];
    if (hook.isUsed()) hook.call(ch?.clientinfo ?? ({ clientid: id } as Channel['clientinfo']), session.info());
    if (ch) {
      ch.detachSession();
      ch.kick(RC.SESSION_TAKEN_OVER, 'takeovered');
    }
    return exportSession(session);
  }

  /** step two ({takeover,'end'}): the messages queued since step one; the session is gone from here */
  takeoverEnd(id: string): SessionSnapshot['mqueue'] {
    const session = this.sessions.get(id);
    if (!session || this.channels.has(id)) return [];
    const q = takeQueue(session);
    for (const sub of session.subscriptions.values()) this.broker.router.remove(sub);
    session.subscriptions.clear();
    this.sessions.delete(id);
    this.events?.moved(id);
    return q;
  }

  /** a clean start on another node: the connection here gets 0x8E, the session ends */
  discard(id: string): boolean {
    const ch = this.channels.get(id);
    const session = this.sessions.get(id);
    if (!ch && !session) return false;
    if (ch) ch.kick(RC.SESSION_TAKEN_OVER, 'discarded');
    const s = this.sessions.get(id);
    if (s) {
      this.ctx.metrics['session.discarded']++;
      const hook = this.ctx.registry.hooks['session.discarded'];
      if (hook.isUsed()) hook.call(ch?.clientinfo ?? ({ clientid: id } as Channel['clientinfo']), s.info());
      this.destroy(s, ch);
    }
    return true;
  }

  /** a persistent session with nobody connected ends after its expiry interval */
  private armExpiry(id: string, session: Session, ch: Channel | undefined): void {
    const exp = session.expiryInterval;
    if (exp >= NEVER) return;
    const until = Date.now() + exp * 1000;
    const arm = (): void => {
      // Node timers top out at 2^31-1 ms (24.8 days): longer expiries re-arm
      const timer = setTimeout(() => {
        if (Date.now() < until) return arm();
        this.expiry.delete(id);
        if (this.sessions.get(id) === session && session.outlet === undefined) this.terminate(session, ch, 'expired');
      }, Math.min(until - Date.now(), MAX_TIMER));
      timer.unref();
      this.expiry.set(id, timer);
    };
    arm();
  }

  /** a handed-over session whose new connection went away before it was attached */
  adoptOffline(id: string, opts: SessionOpts, snap: SessionSnapshot, expiry: number): void {
    if (this.sessions.has(id)) return;
    const session = this.adopt(id, opts, snap);
    session.expiryInterval = expiry;
    if (expiry === 0) return this.terminate(session, undefined, 'closed');
    this.armExpiry(id, session, undefined);
  }

  closed(ch: Channel, reason: string): void {
    const id = ch.clientinfo.clientid;
    if (this.channels.get(id) === ch) this.channels.delete(id);
    this.events?.closed(id);
    const session = ch.session;
    if (!session || this.sessions.get(id) !== session) return;
    if (session.retryTimer) {
      clearTimeout(session.retryTimer);
      session.retryTimer = undefined;
    }
    if (session.expiryInterval === 0) {
      this.terminate(session, ch, reason);
      return;
    }
    this.armExpiry(id, session, ch);
  }

  scheduleWill(ch: Channel, msg: Message, delaySec: number): void {
    const id = ch.clientinfo.clientid;
    // the will goes at the earlier of will delay and session expiry [MQTT-3.1.3-9]
    const exp = ch.session?.expiryInterval ?? 0;
    const delay = Math.min(delaySec, exp);
    if (delay <= 0) {
      this.broker.publish(msg);
      return;
    }
    this.cancelWill(id);
    const timer = setTimeout(() => {
      this.wills.delete(id);
      this.broker.publish(msg);
    }, Math.min(delay * 1000, MAX_TIMER));
    timer.unref();
    this.wills.set(id, { timer, msg });
  }

  private cancelWill(id: string): void {
    const w = this.wills.get(id);
    if (w) {
      clearTimeout(w.timer);
      this.wills.delete(id);
    }
  }

  /** sends every pending delayed will now (server shutdown) */
  flushWills(): void {
    for (const [id, w] of this.wills) {
      clearTimeout(w.timer);
      this.wills.delete(id);
      this.broker.publish(w.msg);
    }
  }

  private terminate(session: Session, ch: Channel | undefined, reason: string): void {
    this.ctx.metrics['session.terminated']++;
    const hook = this.ctx.registry.hooks['session.terminated'];
    if (hook.isUsed() && ch) hook.call(ch.clientinfo, reason, session.info());
    this.destroy(session, ch);
  }

  private destroy(session: Session, _ch: Channel | undefined): void {
    for (const sub of session.subscriptions.values()) this.broker.router.remove(sub);
    session.subscriptions.clear();
    if (session.retryTimer) clearTimeout(session.retryTimer);
    if (this.sessions.get(session.clientid) === session) {
      this.sessions.delete(session.clientid);
      this.events?.ended(session.clientid);
    }
  }

  /** removes a session and kicks its connection (emqx_ctl clients kick) */
  kick(clientid: string): boolean {
    const ch = this.channels.get(clientid);
    const session = this.sessions.get(clientid);
    if (!ch && !session) return false;
    if (ch) {
      if (session) session.expiryInterval = 0;
      ch.kick(RC.ADMINISTRATIVE_ACTION, 'kicked');
    }
    const s = this.sessions.get(clientid);
    if (s) this.terminate(s, ch, 'kicked');
    return true;
  }

  private dropped(s: Session, msg: Message, reason: string): void {
    const m = this.ctx.metrics;
    m['delivery.dropped']++;
    const key = ('delivery.dropped.' + reason) as 'delivery.dropped.queue_full';
    if (key in m) m[key]++;
    const hook = this.ctx.registry.hooks['delivery.dropped'];
    if (hook.isUsed()) {
      const ch = this.channels.get(s.clientid);
      const ci = ch?.clientinfo ?? ({ clientid: s.clientid } as Channel['clientinfo']);
      hook.call(ci, msg, reason);
    }
  }
}

export { sessionOpts };
