// PUBLISH out (the channel as the session's Outlet): message.delivered, QoS 0
// shedding for slow sockets, the mountpoint taken off, topic aliases out and the
// client's maximum packet size.
import { PublishEncoder, type QoS } from '@nemq/codec';
import { unmount } from '@nemq/sdk';
import type { Message } from '../types.js';
import type { ChannelCore } from './core.js';
import { flushAck } from './publish.js';

/** drop QoS 0 deliveries to a client whose socket holds more than this */
const QOS0_BACKLOG_LIMIT = 16 * 1024 * 1024;

/** one delivery to this client. Builds the frame from the message's shared encoder. */
export function sendPublish(ch: ChannelCore, msg: Message, qos: number, retain: boolean, dup: boolean, pid: number, subids: number[] | undefined): void {
  // this client's own PUBLISH coming back: its ack first
  if (ch.ackHead !== 0) flushAck(ch);
  const env = ch.env;
  const delivered = env.registry.hooks['message.delivered'];
  if (delivered.isUsed()) msg = delivered.call(msg, ch.clientinfo) ?? msg;
  if (qos === 0 && ch.transport.backlog > QOS0_BACKLOG_LIMIT) {
    env.metrics['delivery.dropped']++;
    env.metrics['delivery.dropped.queue_full']++;
    return;
  }
  let enc = msg.encoder;
  const mp = ch.clientinfo.mountpoint;
  const age = msg.properties?.messageExpiryInterval !== undefined ? Math.floor((Date.now() - msg.timestamp) / 1000) : 0;
  if (mp !== undefined || age > 0) {
    // per-client topic or a message expiry reduced by the time it waited [MQTT-3.3.2-6]
    const props = age > 0 ? { ...msg.properties, messageExpiryInterval: Math.max(0, msg.properties!.messageExpiryInterval! - age) } : msg.properties;
    enc = new PublishEncoder(unmount(mp, msg.topic), msg.payload, props);
  } else if (enc === undefined) {
    enc = msg.encoder = new PublishEncoder(msg.topic, msg.payload, msg.properties);
  }
  let frame: Buffer;
  if (ch.version === 5 && (ch.aliasOutMax > 0 || subids !== undefined)) {
    frame = enc.frame(5, qos as QoS, retain, dup, pid, outExtra(ch, msg.topic, subids));
  } else {
    frame = enc.frame(ch.version, qos as QoS, retain, dup, pid);
  }
  if (ch.clientMaxPacket > 0 && frame.length > ch.clientMaxPacket) {
    // [MQTT-3.1.2-25] never send a packet over the client's maximum: drop it as if delivered
    env.metrics['delivery.dropped']++;
    env.metrics['delivery.dropped.too_large']++;
    if (pid > 0) ch.session?.forget(pid);
    return;
  }
  ch.transport.send(frame);
  const m = env.metrics;
  m['packets.publish.sent']++;
  m['messages.sent']++;
  m['messages.delivered']++;
  if (qos === 0) m['messages.qos0.sent']++;
  else if (qos === 1) m['messages.qos1.sent']++;
  else m['messages.qos2.sent']++;
}

/** v5 extras: subscription identifiers and an outgoing topic alias (a new one while there is room) */
function outExtra(ch: ChannelCore, topic: string, subids: number[] | undefined): { topicAlias?: number; omitTopic?: boolean; subscriptionIdentifiers?: number[] } {
  const extra: { topicAlias?: number; omitTopic?: boolean; subscriptionIdentifiers?: number[] } = {};
  if (subids !== undefined && subids.length > 0) extra.subscriptionIdentifiers = subids;
  if (ch.aliasOutMax > 0) {
    const map = (ch.aliasOut ??= new Map());
    const known = map.get(topic);
    if (known !== undefined) {
      extra.topicAlias = known;
      extra.omitTopic = true;
    } else if (map.size < ch.aliasOutMax) {
      const a = map.size + 1;
      map.set(topic, a);
      extra.topicAlias = a;
    }
  }
  return extra;
}
