// Retained messages [MQTT-3.3.1-5..11], built on hooks only (message.publish stores,
// session.subscribed delivers) so it can live outside the kernel as a plugin.
import { Message, type SubOpts } from '../types.js';
import type { HookRegistry } from '../hooks/registry.js';
import { isWildcard, topicMatches } from '../router/topic.js';
import { expired } from '../session/session.js';

export interface RetainerOpts {
  /** 0 = unlimited */
  maxRetainedMessages: number;
  /** bytes; 0 = unlimited */
  maxPayloadSize: number;
  /** ms; 0 = never */
  expiryInterval: number;
}

export interface RetainDelivery {
  /** delivers `msg` to the subscription `topic` of `clientid` */
  deliverTo(clientid: string, topic: string, msg: Message): void;
}

export class Retainer {
  readonly store = new Map<string, Message>();

  constructor(private readonly opts: RetainerOpts, private readonly out: RetainDelivery) {}

  attach(reg: HookRegistry, owner = 'emqx_retainer'): void {
    reg.tap(owner, 'message.publish', (msg: Message) => {
      if (msg.flags.retain) this.retain(msg);
      return msg;
    });
    reg.tap(owner, 'session.subscribed', (ci: { clientid: string }, topic: string, opts: SubOpts) => {
      this.onSubscribed(ci.clientid, topic, opts);
    });
  }

  retain(msg: Message): void {
    // [MQTT-3.3.1-10] an empty retained payload deletes
    if (msg.payload.length === 0) {
      this.store.delete(msg.topic);
      return;
    }
    if (this.opts.maxPayloadSize > 0 && msg.payload.length > this.opts.maxPayloadSize) return;
    if (this.opts.maxRetainedMessages > 0 && this.store.size >= this.opts.maxRetainedMessages && !this.store.has(msg.topic)) return;
    // the parser hands out views into socket chunks: keep a copy of just the payload
    const kept = new Message(msg.id, msg.qos, msg.from, { ...msg.flags }, msg.topic, Buffer.from(msg.payload), msg.properties, msg.timestamp, msg.headers);
    this.store.set(msg.topic, kept);
  }

  onSubscribed(clientid: string, topic: string, opts: SubOpts): void {
    // no retained messages for shared subscriptions; rh 2 = never, rh 1 = only new [MQTT-3.3.1-9..11]
    if (opts.share !== undefined || opts.rh === 2 || (opts.rh === 1 && opts.is_new === false)) return;
    const now = Date.now();
    for (const msg of this.match(topic.startsWith('$queue/') || topic.startsWith('$share/') ? '' : topic, now)) {
      const copy = new Message(msg.id, msg.qos, msg.from, { ...msg.flags, retain: true }, msg.topic, msg.payload, msg.properties, msg.timestamp, { ...msg.headers, retained: true });
      this.out.deliverTo(clientid, topic, copy);
    }
  }

  match(filter: string, now = Date.now()): Message[] {
    if (filter === '') return [];
    const out: Message[] = [];
    const check = (m: Message): void => {
      if (expired(m, now) || (this.opts.expiryInterval > 0 && now - m.timestamp >= this.opts.expiryInterval)) {
        this.store.delete(m.topic);
        return;
      }
      out.push(m);
    };
    if (!isWildcard(filter)) {
      const m = this.store.get(filter);
      if (m) check(m);
      return out;
    }
    for (const [t, m] of this.store) if (topicMatches(filter, t)) check(m);
    return out;
  }

  clean(filter?: string): number {
    if (filter === undefined) {
      const n = this.store.size;
      this.store.clear();
      return n;
    }
    let n = 0;
    for (const t of [...this.store.keys()]) if (topicMatches(filter, t)) n += this.store.delete(t) ? 1 : 0;
    return n;
  }
}
