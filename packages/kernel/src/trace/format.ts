// One traced packet as a text line, in the shape of EMQX's packet format:
// `TYPE(Q<qos>, R<retain>, D<dup>, Field=value, ...)`.
import type { Packet } from '@nemq/codec';

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/** local time as `2026-12-04 02:10:00.123` (EMQX's log timestamps) */
export function timestamp(d: Date): string {
  const ms = d.getMilliseconds();
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`;
}

/** printable UTF-8 as text, anything else as hex; one line either way */
export function payloadText(b: Buffer | undefined): string {
  if (b === undefined || b.length === 0) return '';
  const s = b.toString('utf8');
  // eslint-disable-next-line no-control-regex
  if (!s.includes('\uFFFD') && !/[\u0000-\u001f\u007f]/.test(s)) return s;
  return `0x${b.toString('hex')}`;
}

function head(name: string, qos: number, retain: boolean, dup: boolean, rest: string): string {
  return `${name}(Q${qos}, R${retain ? 1 : 0}, D${dup ? 1 : 0}${rest === '' ? '' : ', ' + rest})`;
}

/** `topic` fills in a PUBLISH whose topic went as an alias */
export function formatPacket(p: Packet, topic?: string): string {
  switch (p.cmd) {
    case 'connect': {
      let s = `ClientId=${p.clientId}, ProtoName=${p.protocolId}, ProtoVsn=${p.protocolVersion}, CleanStart=${p.clean}, KeepAlive=${p.keepalive}, Username=${p.username ?? 'undefined'}, Password=${p.password === undefined ? 'undefined' : '******'}`;
      if (p.will) s += `, Will(Q${p.will.qos}, R${p.will.retain ? 1 : 0}, Topic=${p.will.topic}, Payload=${payloadText(p.will.payload)})`;
      return head('CONNECT', 0, false, false, s);
    }
    case 'connack':
      return head('CONNACK', 0, false, false, `AckFlags=${p.sessionPresent ? 1 : 0}, ReasonCode=${p.reasonCode}`);
    case 'publish': {
      const t = p.topic === '' && topic !== undefined ? topic : p.topic;
      const id = p.messageId === undefined ? 'undefined' : String(p.messageId);
      return head('PUBLISH', p.qos, p.retain, p.dup, `Topic=${t}, PacketId=${id}, Payload=${payloadText(p.payload)}`);
    }
    case 'puback':
    case 'pubrec':
    case 'pubcomp':
      return head(p.cmd.toUpperCase(), 0, false, false, `PacketId=${p.messageId}${p.reasonCode ? `, ReasonCode=${p.reasonCode}` : ''}`);
    case 'pubrel':
      // PUBREL's fixed header has QoS 1 bits [MQTT-3.6.1-1]
      return head('PUBREL', 1, false, false, `PacketId=${p.messageId}${p.reasonCode ? `, ReasonCode=${p.reasonCode}` : ''}`);
    case 'subscribe':
      return head('SUBSCRIBE', 1, false, false, `PacketId=${p.messageId}, TopicFilters=[${p.subscriptions.map((s) => `${s.topic}(Q${s.qos})`).join(',')}]`);
    case 'suback':
      return head('SUBACK', 0, false, false, `PacketId=${p.messageId}, ReasonCodes=[${p.granted.join(',')}]`);
    case 'unsubscribe':
      return head('UNSUBSCRIBE', 1, false, false, `PacketId=${p.messageId}, TopicFilters=[${p.unsubscriptions.join(',')}]`);
    case 'unsuback':
      return head('UNSUBACK', 0, false, false, `PacketId=${p.messageId}${p.granted ? `, ReasonCodes=[${p.granted.join(',')}]` : ''}`);
    case 'pingreq':
      return head('PINGREQ', 0, false, false, '');
    case 'pingresp':
      return head('PINGRESP', 0, false, false, '');
    case 'disconnect':
      return head('DISCONNECT', 0, false, false, `ReasonCode=${p.reasonCode ?? 0}`);
    case 'auth':
      return head('AUTH', 0, false, false, `ReasonCode=${p.reasonCode}`);
  }
}
