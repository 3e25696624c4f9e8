// Per-connection traffic control from the zone (docs/traffic-control.md):
// rate_limit.conn_messages_in / conn_bytes_in count what the client sends,
// quota.conn_messages_routing / overall_messages_routing count what its
// PUBLISHes route (1 + deliveries, as EMQX 4.3 counts them). Each returns the
// pause the connection must take before it is read again.
import type { Zone } from '../config/types.js';
import { Bucket } from './bucket.js';

/** quota.overall_messages_routing: one bucket for all connections of a zone */
const overall = new WeakMap<Zone, Bucket>();

export class ConnLimiter {
  private readonly msgsIn: Bucket | undefined;
  private readonly bytesIn: Bucket | undefined;
  private readonly routing: Bucket | undefined;
  private readonly overall: Bucket | undefined;

  constructor(zone: Zone) {
    const r = zone.rateLimit;
    const q = zone.quota;
    this.msgsIn = r.connMessagesIn && new Bucket(r.connMessagesIn.limit, r.connMessagesIn.periodMs);
    this.bytesIn = r.connBytesIn && new Bucket(r.connBytesIn.limit, r.connBytesIn.periodMs);
    this.routing = q.connMessagesRouting && new Bucket(q.connMessagesRouting.limit, q.connMessagesRouting.periodMs);
    const o = q.overallMessagesRouting;
    if (o) {
      let b = overall.get(zone);
      if (!b) overall.set(zone, (b = new Bucket(o.limit, o.periodMs)));
      this.overall = b;
    }
  }

  /** one PUBLISH received */
  message(): number {
    return this.msgsIn ? this.msgsIn.take(1) : 0;
  }

  /** bytes read from the socket */
  bytes(n: number): number {
    return this.bytesIn ? this.bytesIn.take(n) : 0;
  }

  /** a PUBLISH routed to `deliveries` subscribers */
  routed(deliveries: number): number {
    const n = 1 + deliveries;
    const a = this.routing ? this.routing.take(n) : 0;
    const b = this.overall ? this.overall.take(n) : 0;
    return a > b ? a : b;
  }
}

/** undefined when the zone limits nothing: the hot path then tests one field */
export function limiterFor(zone: Zone): ConnLimiter | undefined {
  const r = zone.rateLimit;
  const q = zone.quota;
  if (!r?.connMessagesIn && !r?.connBytesIn && !q?.connMessagesRouting && !q?.overallMessagesRouting) return undefined;
  return new ConnLimiter(zone);
}
