// EMQX counters (reference §7.3). Plain fields: the hot path does `m.x++`.
export class Metrics {
  'bytes.received' = 0;
  'bytes.sent' = 0;
  'packets.received' = 0;
  'packets.sent' = 0;
  'packets.connect.received' = 0;
  'packets.connack.sent' = 0;
  'packets.connack.error' = 0;
  'packets.connack.auth_error' = 0;
  'packets.publish.received' = 0;
  'packets.publish.sent' = 0;
  'packets.publish.inuse' = 0;
  'packets.publish.error' = 0;
  'packets.publish.auth_error' = 0;
  'packets.publish.dropped' = 0;
  'packets.puback.received' = 0;
  'packets.puback.sent' = 0;
  'packets.puback.inuse' = 0;
  'packets.puback.missed' = 0;
  'packets.pubrec.received' = 0;
  'packets.pubrec.sent' = 0;
  'packets.pubrec.inuse' = 0;
  'packets.pubrec.missed' = 0;
  'packets.pubrel.received' = 0;
  'packets.pubrel.sent' = 0;
  'packets.pubrel.missed' = 0;
  'packets.pubcomp.received' = 0;
  'packets.pubcomp.sent' = 0;
  'packets.pubcomp.inuse' = 0;
  'packets.pubcomp.missed' = 0;
  'packets.subscribe.received' = 0;
  'packets.subscribe.error' = 0;
  'packets.subscribe.auth_error' = 0;
  'packets.suback.sent' = 0;
  'packets.unsubscribe.received' = 0;
  'packets.unsubscribe.error' = 0;
  'packets.unsuback.sent' = 0;
  'packets.pingreq.received' = 0;
  'packets.pingresp.sent' = 0;
  'packets.disconnect.received' = 0;
  'packets.disconnect.sent' = 0;
  'packets.auth.received' = 0;
  'packets.auth.sent' = 0;
  'messages.received' = 0;
  'messages.sent' = 0;
  'messages.qos0.received' = 0;
  'messages.qos0.sent' = 0;
  'messages.qos1.received' = 0;
  'messages.qos1.sent' = 0;
  'messages.qos2.received' = 0;
  'messages.qos2.sent' = 0;
  'messages.publish' = 0;
  'messages.dropped' = 0;
  'messages.dropped.await_pubrel_timeout' = 0;
  'messages.dropped.no_subscribers' = 0;
  'messages.forward' = 0;
  /** forwards lost on a link to a peer that went down (nemq) */
  'messages.forward.dropped' = 0;
  'messages.retained' = 0;
  'messages.delayed' = 0;
  'messages.delivered' = 0;
  'messages.acked' = 0;
  'delivery.dropped' = 0;
  'delivery.dropped.no_local' = 0;
  'delivery.dropped.too_large' = 0;
  'delivery.dropped.qos0_msg' = 0;
  'delivery.dropped.queue_full' = 0;
  'delivery.dropped.expired' = 0;
  'client.connect' = 0;
  'client.connack' = 0;
  'client.connected' = 0;
  'client.authenticate' = 0;
  'client.auth.anonymous' = 0;
  /** ours: an auth plugin's backend failed (the client was refused) */
  'client.auth.backend_error' = 0;
  'client.check_acl' = 0;
  /** ours: an ACL plugin's backend failed (no opinion: acl.conf, then acl_nomatch decide) */
  'client.acl.backend_error' = 0;
  /** ours: a TLS-PSK handshake named an identity no plugin has a secret for */
  'client.psk.unknown' = 0;
  'client.subscribe' = 0;
  'client.unsubscribe' = 0;
  'client.disconnected' = 0;
  'session.created' = 0;
  'session.resumed' = 0;
  'session.takeovered' = 0;
  'session.discarded' = 0;
  'session.terminated' = 0;

  snapshot(): Record<string, number> {
    return { ...this } as unknown as Record<string, number>;
  }
}

/** Gauges with high-water marks (reference §7.2). */
export class Stats {
  private readonly values = new Map<string, number>();
  set(name: string, v: number): void {
    this.values.set(name, v);
    const max = name + '.max';
    if (v > (this.values.get(max) ?? 0)) this.values.set(max, v);
  }
  get(name: string): number {
    return this.values.get(name) ?? 0;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.values);
  }
}
