// Session state (reference: emqx_session): subscriptions, the outgoing window,
// the message queue and incoming QoS 2 ids awaiting PUBREL. It survives its
// connection when the session expiry interval says so. No IO: it talks to the
// channel through the Outlet while online.
import type { QoS } from '@nemq/codec';
import type { Message, SessInfo, SubOpts } from '../types.js';
import { Subscription, type Subscriber } from '../router/router.js';
import { AWAIT_ACK, AWAIT_COMP, Inflight } from './inflight.js';
import { MQueue, Queued } from './mqueue.js';
import { PMQueue } from './pmqueue.js';
import { feeding, type Feeder } from './pressure.js';

export interface SessionOpts {
  maxInflight: number;
  maxMqueueLen: number;
  mqueueStoreQos0: boolean;
  /** zone mqueue_priorities as topic → priority; null or unset = one FIFO queue */
  mqueuePriorities?: ReadonlyMap<string, number> | null;
  /** priority of topics not in the table: 0 (lowest) or Infinity (highest) */
  mqueueDefaultPriority?: number;
  /** ms */
  retryInterval: number;
  maxAwaitingRel: number;
  /** ms */
  awaitRelTimeout: number;
  upgradeQos: boolean;
  ignoreLoopDeliver: boolean;
  /** backpressure (pressure.ts): hold publishers while online and the queue reaches this; 0 or unset = off */
  highWatermark?: number;
  /** release them when the queue is back to this */
  lowWatermark?: number;
}

/** What the session needs from its live channel. */
export interface Outlet {
  sendPublish(msg: Message, qos: number, retain: boolean, dup: boolean, pid: number, subids: number[] | undefined): void;
  sendPubrel(pid: number): void;
  /** backpressure: the session started pressing, its own channel must be read again */
  unholdAll?(): void;
}

/** Called for every delivery the session drops (delivery.dropped). */
export type DropFn = (session: Session, msg: Message, reason: 'expired' | 'qos0_msg' | 'queue_full' | 'no_local') => void;

// Idle sessions share these empty maps (never written: the first write swaps in a map of its own).
const NO_SUBS = new Map<string, Subscription>();
const NO_RELS = new Map<number, number>();
const NO_FEEDERS: Feeder[] = [];

export class Session implements Subscriber {
  /** filter as subscribed (with `$share/g/`) → subscription; shared empty map until the first one */
  subscriptions: ReadonlyMap<string, Subscription> & Pick<Map<string, Subscription>, 'clear'> = NO_SUBS;
  readonly inflight: Inflight;
  readonly mqueue: MQueue | PMQueue;
  /** incoming QoS 2 packet id → time of PUBLISH */
  awaitingRel: Map<number, number> = NO_RELS;
  outlet: Outlet | undefined = undefined;
  /** seconds; 0 = ends with the connection */
  expiryInterval = 0;
  readonly createdAt = Date.now();
  private nextPid = 1;
  retryTimer: NodeJS.Timeout | undefined = undefined;
  /** deliveries handed to the connection */
  delivered = 0;
  /** backpressure: the queue reached high-water and has not been back to low-water */
  pressing = false;
  /** message ids delivered while a cross-node takeover is finishing (cluster.ts) */
  seen: Set<number> | undefined = undefined;
  /** the channels this session holds while pressing */
  private holding: Feeder[] = NO_FEEDERS;

  constructor(
    public readonly clientid: string,
    public opts: SessionOpts,
    private readonly onDrop: DropFn,
  ) {
    this.inflight = new Inflight(opts.maxInflight);
    const table = opts.mqueuePriorities;
    this.mqueue = table ? new PMQueue(opts.maxMqueueLen, table, opts.mqueueDefaultPriority ?? 0) : new MQueue(opts.maxMqueueLen);
  }

  /** a shared-subscription member that can take messages: online, or offline but persistent */
  get available(): boolean {
    return this.outlet !== undefined || this.expiryInterval > 0;
  }

  subscribe(key: string, filter: string, opts: SubOpts): { sub: Subscription; isNew: boolean } {
    const old = this.subscriptions.get(key);
    if (old) {
      old.opts = opts;
      return { sub: old, isNew: false };
    }
    const sub = new Subscription(this, filter, opts);
    if (this.subscriptions === NO_SUBS) this.subscriptions = new Map();
    (this.subscriptions as Map<string, Subscription>).set(key, sub);
    return { sub, isNew: true };
  }

  unsubscribe(key: string): Subscription | undefined {
    const sub = this.subscriptions.get(key);
    if (sub) (this.subscriptions as Map<string, Subscription>).delete(key);
    return sub;
  }

  /** The broker's entry point for each matched subscription. */
  deliver(msg: Message, sub: Subscription): void {
    const opts = sub.opts;
    // [MQTT-3.8.3-3] no local; EMQX's ignore_loop_deliver does the same for v3
    if ((opts.nl === 1 || this.opts.ignoreLoopDeliver) && msg.from === this.clientid) {
      this.onDrop(this, msg, 'no_local');
      return;
    }
    const qos = (this.opts.upgradeQos ? opts.qos : msg.qos < opts.qos ? msg.qos : opts.qos) as QoS;
    // [MQTT-3.3.1-12] retain as published; retained messages sent on subscribe keep the flag [MQTT-3.3.1-8]
    const retain = msg.headers.retained === true ? true : opts.rap === 1 ? msg.flags.retain : false;
    const subids = (opts as SubOpts & { subids?: number[] }).subids ?? (opts.subid !== undefined ? [opts.subid] : undefined);
    this.enqueueOrSend(msg, qos, retain, subids);
  }

  enqueueOrSend(msg: Message, qos: number, retain: boolean, subids: number[] | undefined): void {
    // a cross-node takeover: a message may come both directly and in the old node's pendings
    if (this.seen !== undefined) {
      if (this.seen.has(msg.id)) return;
      this.seen.add(msg.id);
    }
    const outlet = this.outlet;
    if (outlet === undefined) {
      if (qos === 0 && !this.opts.mqueueStoreQos0) {
        this.onDrop(this, msg, 'qos0_msg');
        return;
      }
      this.queue(new Queued(msg, qos, retain, subids));
      return;
    }
    this.delivered++;
    if (qos === 0) {
      outlet.sendPublish(msg, 0, retain, false, 0, subids);
      return;
    }
    if (this.inflight.full || this.mqueue.length > 0) {
      this.queue(new Queued(msg, qos, retain, subids));
      return;
    }
    this.sendInflight(outlet, msg, qos, retain, subids);
  }

  private sendInflight(outlet: Outlet, msg: Message, qos: number, retain: boolean, subids: number[] | undefined): void {
    const pid = this.allocPid();
    this.inflight.add(pid, msg, qos, retain, subids, Date.now());
    outlet.sendPublish(msg, qos, retain, false, pid, subids);
  }

  private queue(q: Queued): void {
    const hw = this.opts.highWatermark;
    if (hw !== undefined && hw > 0 && q.qos > 0 && this.outlet !== undefined && this.press(hw)) {
      // its publisher is held from now on: this one is kept even above max_mqueue_len,
      // so the queue exceeds the limit by at most one message per held publisher
      this.mqueue.pushOver(q);
      return;
    }
    const out = this.mqueue.push(q);
    if (out) this.onDrop(this, out.msg, 'queue_full');
  }

  /** one more online QoS 1/2 message is queued: true when its publisher is now held */
  private press(hw: number): boolean {
    if (!this.pressing) {
      if (this.mqueue.length + 1 < hw) return false;
      this.pressing = true;
      // our own channel must be read: its PUBACKs are what drains this queue
      this.outlet!.unholdAll?.();
    }
    const f = feeding.current;
    // never the channel of a pressing session, this one included (pressure.ts: no deadlock)
    if (f === undefined || f.session === undefined || f.session.pressing) return false;
    f.hold();
    if (this.holding === NO_FEEDERS) this.holding = [];
    this.holding.push(f);
    return true;
  }

  /** back under low-water, or offline: the held channels may read again */
  relax(): void {
    this.pressing = false;
    const list = this.holding;
    if (list === NO_FEEDERS) return;
    this.holding = NO_FEEDERS;
    for (let i = 0; i < list.length; i++) list[i]!.unhold();
  }

  /** takeover (handover.ts): the next packet id, and setting it on the new node */
  peekPid(): number {
    return this.nextPid;
  }

  setPid(pid: number): void {
    if (pid >= 1 && pid <= 65535) this.nextPid = pid;
  }

  private allocPid(): number {
    // packet ids in the window must be unique [MQTT-2.2.1-3]
    for (;;) {
      const id = this.nextPid;
      this.nextPid = id === 65535 ? 1 : id + 1;
      if (this.inflight.size === 0 || !this.inflight.has(id)) return id;
    }
  }

  /** PUBACK (QoS 1). Returns the acked message, or undefined for an unknown id. */
  puback(pid: number): Message | undefined {
    const slot = this.inflight.find(pid);
    if (slot < 0 || this.inflight.phaseAt(slot) !== AWAIT_ACK || this.inflight.qosAt(slot) !== 1) return undefined;
    const m = this.inflight.removeAt(slot);
    this.drain();
    return m;
  }

  /** PUBREC (QoS 2): the message is delivered; answer PUBREL. */
  pubrec(pid: number): Message | undefined {
    const slot = this.inflight.find(pid);
    if (slot < 0 || this.inflight.qosAt(slot) !== 2) return undefined;
    const m = this.inflight.msgAt(slot);
    if (this.inflight.phaseAt(slot) === AWAIT_ACK) this.inflight.toComp(slot, Date.now());
    return m;
  }

  /** PUBCOMP: frees the id. */
  pubcomp(pid: number): boolean {
    const slot = this.inflight.find(pid);
    if (slot < 0 || this.inflight.phaseAt(slot) !== AWAIT_COMP) return false;
    this.inflight.removeAt(slot);
    this.drain();
    return true;
  }

  /** a QoS 1/2 delivery that was dropped before sending (too large for the client) */
  forget(pid: number): void {
    const slot = this.inflight.find(pid);
    if (slot >= 0) this.inflight.removeAt(slot);
  }

  /** Moves queued messages into the window while it has room. */
  drain(): void {
    const outlet = this.outlet;
    if (outlet === undefined) return;
    while (this.mqueue.length > 0 && !this.inflight.full) {
      const q = this.mqueue.shift()!;
      if (expired(q.msg, Date.now())) {
        this.onDrop(this, q.msg, 'expired');
        continue;
      }
      if (q.qos === 0) outlet.sendPublish(q.msg, 0, q.retain, false, 0, q.subids);
      else this.sendInflight(outlet, q.msg, q.qos, q.retain, q.subids);
    }
    if (this.pressing && this.mqueue.length <= (this.opts.lowWatermark ?? 0)) this.relax();
  }

  /**
   * On resume: resend the unacked window with DUP and PUBRELs [MQTT-4.4.0-1], then the queue.
   * On retry (`onlyOlderThan` set): resend only entries older than the retry interval.
   */
  resend(onlyOlderThan?: number): void {
    const outlet = this.outlet;
    if (outlet === undefined) return;
    const now = Date.now();
    this.inflight.forEach((id, phase, msg, qos, retain, subids, ts, slot) => {
      if (onlyOlderThan !== undefined && ts > onlyOlderThan) return;
      this.inflight.touch(slot, now);
      if (phase === AWAIT_COMP) outlet.sendPubrel(id);
      else outlet.sendPublish(msg, qos, retain, true, id, subids);
    });
    if (onlyOlderThan === undefined) this.drain();
  }

  /** incoming QoS 2: false when the id is already awaiting PUBREL */
  awaitRel(pid: number): 'new' | 'dup' | 'full' {
    if (this.awaitingRel.has(pid)) return 'dup';
    if (this.opts.maxAwaitingRel > 0 && this.awaitingRel.size >= this.opts.maxAwaitingRel) return 'full';
    if (this.awaitingRel === NO_RELS) this.awaitingRel = new Map();
    this.awaitingRel.set(pid, Date.now());
    return 'new';
  }

  release(pid: number): boolean {
    return this.awaitingRel.delete(pid);
  }

  /** drops awaiting-rel ids older than await_rel_timeout */
  expireAwaitingRel(now: number): number {
    let n = 0;
    for (const [pid, t] of this.awaitingRel) {
      if (now - t >= this.opts.awaitRelTimeout) {
        this.awaitingRel.delete(pid);
        n++;
      }
    }
    return n;
  }

  info(): SessInfo {
    return {
      clientid: this.clientid,
      created_at: this.createdAt,
      expiry_interval: this.expiryInterval,
      subscriptions_cnt: this.subscriptions.size,
      inflight_cnt: this.inflight.size,
      inflight_max: this.inflight.max,
      mqueue_len: this.mqueue.length,
      mqueue_max: this.mqueue.max,
      mqueue_dropped: this.mqueue.dropped,
      awaiting_rel_cnt: this.awaitingRel.size,
      awaiting_rel_max: this.opts.maxAwaitingRel,
    };
  }
}

export function expired(msg: Message, now: number): boolean {
  const e = msg.properties?.messageExpiryInterval;
  return e !== undefined && now - msg.timestamp >= e * 1000;
}
