// PUBLISH in (topic aliases, checks, ACL, QoS 2 receive state, broker.publish)
// and the acknowledgements both ways: PUBACK, PUBREC, PUBREL, PUBCOMP.
import type { PublishPacket, PublishProperties, PubackPacket, PubrecPacket, PubrelPacket, PubcompPacket } from '@nemq/codec';
import { aclApplies, aclAsync, aclSync } from '../access/authorize.js';
import { validTopicName, mount } from '@nemq/sdk';
import { Message, type AclResult } from '../types.js';
import type { ChannelCore } from './core.js';
import { RC } from './reason-codes.js';
import { feeding } from '../session/pressure.js';

export function onPublish(ch: ChannelCore, p: PublishPacket): void {
  const env = ch.env;
  const m = env.metrics;
  m['packets.publish.received']++;
  m['messages.received']++;
  const zone = ch.zone;
  let topic = p.topic;
  let props = p.properties;
  if (props !== undefined && props.topicAlias !== undefined) {
    const alias = props.topicAlias;
    // [MQTT-3.3.2-8] alias 0 or above our maximum
    if (alias === 0 || alias > zone.maxTopicAlias) return ch.disconnect(RC.TOPIC_ALIAS_INVALID, 'topic_alias_invalid');
    if (topic.length === 0) {
      const known = ch.aliasIn?.get(alias);
      if (known === undefined) return ch.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
      topic = known;
    } else {
      (ch.aliasIn ??= new Map()).set(alias, topic);
    }
    const { topicAlias: _drop, ...rest } = props;
    props = Object.keys(rest).length > 0 ? rest : undefined;
  }
  // a zero-length topic without an alias is a protocol error (MQTT 5.0 section 3.3.2.1)
  if (topic.length === 0) return ch.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
  if (topic !== ch.lastTopic && !validTopicName(topic, zone.maxTopicLevels)) {
    m['packets.publish.error']++;
    // [MQTT-3.3.2-2] no wildcards in a topic name
    return ch.disconnect(RC.TOPIC_NAME_INVALID, 'topic_name_invalid');
  }
  ch.lastTopic = topic;
  // [MQTT-3.3.2-14] a response topic is a topic name: no wildcards
  if (props !== undefined && props.responseTopic !== undefined && !validTopicName(props.responseTopic)) {
    return ch.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
  }
  const qos = p.qos;
  // [MQTT-3.3.1-2] DUP must be 0 on QoS 0
  if (qos === 0 && p.dup) return ch.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
  if (qos > zone.maxQosAllowed) return ch.disconnect(RC.QOS_NOT_SUPPORTED, 'qos_not_supported');
  if (p.retain && !zone.retainAvailable) return ch.disconnect(RC.RETAIN_NOT_SUPPORTED, 'retain_not_supported');
  if (qos === 1) m['messages.qos1.received']++;
  else if (qos === 2) m['messages.qos2.received']++;
  else m['messages.qos0.received']++;
  // ACL
  if (aclApplies(ch)) {
    const res = aclSync(ch, 'publish', topic);
    if (res === undefined) {
      ch.busy = true;
      aclAsync(ch, 'publish', topic, (r) => {
        // routed later, outside the channel's dispatch: name the publisher for backpressure again
        feeding.current = ch;
        try {
          publishChecked(ch, p, topic, props, r);
        } finally {
          feeding.current = undefined;
        }
        ch.runPending();
      });
      return;
    }
    return publishChecked(ch, p, topic, props, res);
  }
  publishChecked(ch, p, topic, props, 'allow');
}

function publishChecked(ch: ChannelCore, p: PublishPacket, topic: string, props: PublishProperties | undefined, acl: AclResult): void {
  const env = ch.env;
  const qos = p.qos;
  const pid = p.messageId ?? 0;
  if (acl === 'deny') {
    env.metrics['packets.publish.auth_error']++;
    if (ch.zone.aclDenyAction === 'disconnect') return ch.disconnect(RC.NOT_AUTHORIZED, 'not_authorized');
    if (qos === 1) sendAck(ch, 'puback', pid, RC.NOT_AUTHORIZED);
    else if (qos === 2) sendAck(ch, 'pubrec', pid, RC.NOT_AUTHORIZED);
    return;
  }
  if (qos === 2) {
    const st = ch.session!.awaitRel(pid);
    if (st === 'dup') {
      // [MQTT-4.3.3-10] not delivered again. A DUP resend (after a reconnect) of an id
      // still awaiting PUBREL is the same message: a normal PUBREC lets the client go on
      // to PUBREL [MQTT-4.3.3-9]. Only a reuse without DUP is 0x91, as EMQX answers.
      if (p.dup) {
        sendAck(ch, 'pubrec', pid, 0);
        return;
      }
      env.metrics['packets.publish.inuse']++;
      sendAck(ch, 'pubrec', pid, RC.PACKET_ID_IN_USE);
      return;
    }
    if (st === 'full') {
      env.metrics['packets.publish.dropped']++;
      return ch.disconnect(RC.RECEIVE_MAXIMUM_EXCEEDED, 'receive_maximum_exceeded');
    }
  }
  const ci = ch.clientinfo;
  const msg = new Message(env.nextMessageId(), qos, ci.clientid, { retain: p.retain, dup: false, sys: false },
    mount(ci.mountpoint, topic), p.payload, props, Date.now(), ch.headers());
  if (qos === 0) {
    const n0 = env.broker.publish(msg);
    if (ch.limiter !== undefined) ch.limitPause(ch.limiter.routed(n0));
    return;
  }
  // the ack goes out before a copy routed back to this connection, as EMQX and
  // Mosquitto order them: sendPublish (deliver.ts) sends it first when one comes
  ch.ackHead = qos === 1 ? 0x40 : 0x50;
  ch.ackPid = pid;
  let n: number;
  try {
    n = env.broker.publish(msg);
  } catch (err) {
    ch.ackHead = 0;
    throw err;
  }
  if (ch.ackHead !== 0) {
    ch.ackHead = 0;
    sendAck(ch, qos === 1 ? 'puback' : 'pubrec', pid, n === 0 ? RC.NO_MATCHING_SUBSCRIBERS : 0);
  }
  if (ch.limiter !== undefined) ch.limitPause(ch.limiter.routed(n));
}

/** the ack of the PUBLISH being routed, before its copy to this same client: that copy means a subscriber, so code 0 */
export function flushAck(ch: ChannelCore): void {
  const head = ch.ackHead;
  ch.ackHead = 0;
  sendAck(ch, head === 0x40 ? 'puback' : 'pubrec', ch.ackPid, 0);
}

function sendAck(ch: ChannelCore, cmd: 'puback' | 'pubrec', pid: number, rc: number): void {
  // reason codes exist only in v5; v3 has no way to say "denied"
  if (ch.version === 5 && rc !== 0) ch.sendPacket({ cmd, messageId: pid, reasonCode: rc });
  else {
    // the common case, without a packet object: 4 bytes [MQTT-3.4.2]
    const b = Buffer.allocUnsafe(4);
    b[0] = cmd === 'puback' ? 0x40 : 0x50;
    b[1] = 2;
    b[2] = pid >> 8;
    b[3] = pid & 0xff;
    ch.transport.send(b);
    ch.env.metrics['packets.sent']++;
  }
  ch.env.metrics[cmd === 'puback' ? 'packets.puback.sent' : 'packets.pubrec.sent']++;
}

// ---- acknowledgements from the client ------------------------------------

export function onPuback(ch: ChannelCore, p: PubackPacket): void {
  const m = ch.env.metrics;
  m['packets.puback.received']++;
  const msg = ch.session!.puback(p.messageId);
  if (msg) acked(ch, msg);
  else m['packets.puback.missed']++;
}

export function onPubrec(ch: ChannelCore, p: PubrecPacket): void {
  const m = ch.env.metrics;
  m['packets.pubrec.received']++;
  const msg = ch.session!.pubrec(p.messageId);
  if (msg) {
    if (p.reasonCode !== undefined && p.reasonCode >= 0x80) {
      // an error PUBREC ends the flow
      ch.session!.pubcomp(p.messageId);
      return;
    }
    acked(ch, msg);
    ch.sendPubrel(p.messageId);
  } else {
    m['packets.pubrec.missed']++;
    ch.sendPacket({ cmd: 'pubrel', messageId: p.messageId, reasonCode: RC.PACKET_ID_NOT_FOUND });
  }
}

export function onPubrel(ch: ChannelCore, p: PubrelPacket): void {
  const m = ch.env.metrics;
  m['packets.pubrel.received']++;
  const ok = ch.session!.release(p.messageId);
  if (!ok) m['packets.pubrel.missed']++;
  // [MQTT-4.3.3-11] answer PUBCOMP even for an unknown id
  ch.sendPacket({ cmd: 'pubcomp', messageId: p.messageId, reasonCode: ok ? 0 : RC.PACKET_ID_NOT_FOUND });
  m['packets.pubcomp.sent']++;
}

export function onPubcomp(ch: ChannelCore, p: PubcompPacket): void {
  const m = ch.env.metrics;
  m['packets.pubcomp.received']++;
  if (!ch.session!.pubcomp(p.messageId)) m['packets.pubcomp.missed']++;
}

function acked(ch: ChannelCore, msg: Message): void {
  ch.env.metrics['messages.acked']++;
  const hook = ch.env.registry.hooks['message.acked'];
  if (hook.isUsed()) hook.call(ch.clientinfo, msg);
}
