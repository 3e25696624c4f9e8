import {
  AUTH, CONNACK, CONNECT, DISCONNECT, MAX_VARINT, PROPERTIES, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL,
  SUBACK, SUBSCRIBE, T_BINARY, T_BOOL, T_BYTE, T_PAIR, T_STRING, T_U16, T_U32, T_VARINT, UNSUBACK,
  UNSUBSCRIBE, WILL,
} from './constants.js';
import { CodecError, RC_MALFORMED_PACKET, RC_PACKET_TOO_LARGE } from './errors.js';
import type {
  AuthPacket, ConnackPacket, ConnectPacket, DisconnectPacket, Packet, ProtocolVersion, PublishPacket,
  SubackPacket, SubscribePacket, UnsubackPacket, UnsubscribePacket,
} from './packets.js';
import { utf8Length, writeString } from './utf8.js';

export interface PropDef { readonly id: number; readonly name: string; readonly type: number; readonly ctx: number }
type Props = Record<string, unknown>;

/**
 * Pseudo context for PublishEncoder: the PUBLISH properties that belong to the
 * message, i.e. all but topic alias and subscription identifier.
 */
export const MESSAGE = 16;

/** Property definitions by field name; ctx is a bit set of contexts (1 << packet type, 1 << WILL, 1 << MESSAGE). */
const DEF_BY_NAME = new Map<string, PropDef>(
  PROPERTIES.map((d) => [d.name, {
    id: d.id, name: d.name, type: d.type,
    ctx: d.ctx | ((d.ctx & (1 << PUBLISH)) !== 0 && d.id !== 0x23 && d.id !== 0x0b ? 1 << MESSAGE : 0),
  }]),
);

function invalid(msg: string): never {
  throw new CodecError(msg, RC_MALFORMED_PACKET);
}

export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : 4;
}

export function writeVarint(buf: Buffer, off: number, v: number): number {
  while (v > 0x7f) {
    buf[off++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[off++] = v;
  return off;
}

/** Byte length of a string field including its 2-byte length prefix; validates it. */
export function strSize(s: unknown, what: string): number {
  if (typeof s !== 'string') invalid(`${what} must be a string`);
  const n = utf8Length(s);
  if (n > 0xffff) invalid(`${what} is longer than 65535 bytes`);
  return n + 2;
}

function binSize(b: unknown, what: string): number {
  if (!(b instanceof Uint8Array)) invalid(`${what} must be a Buffer`);
  if (b.length > 0xffff) invalid(`${what} is longer than 65535 bytes`);
  return b.length + 2;
}

function writeBin(buf: Buffer, off: number, b: Uint8Array): number {
  const n = b.length;
  buf[off] = n >>> 8;
  buf[off + 1] = n & 0xff;
  buf.set(b, off + 2);
  return off + 2 + n;
}

function checkInt(v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) invalid(`${what} must be an integer 0..${max}`);
  return v;
}

function checkId(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0xffff) invalid(`${what} needs a packet identifier 1..65535`);
  return v;
}

const asString = (v: unknown): string => (typeof v === 'string' ? v : String(v));

/**
 * Size of the property bytes (without the property length prefix) of the
 * properties allowed in context ctx; others (and unknown fields) are skipped.
 * Properties are written in the order of the object's keys.
 */
export function propsSize(props: Props | undefined, ctx: number): number {
  if (props === undefined || props === null) return 0;
  const mask = 1 << ctx;
  let n = 0;
  for (const name in props) {
    const v = props[name];
    if (v === undefined || v === null) continue;
    const d = DEF_BY_NAME.get(name);
    if (d === undefined || (d.ctx & mask) === 0) continue;
    switch (d.type) {
      case T_BOOL:
        n += 2;
        break;
      case T_BYTE:
        checkInt(v, 0xff, name);
        n += 2;
        break;
      case T_U16:
        checkInt(v, 0xffff, name);
        n += 3;
        break;
      case T_U32:
        checkInt(v, 0xffffffff, name);
        n += 5;
        break;
      case T_VARINT:
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) n += 1 + varintSize(checkInt(v[i], MAX_VARINT, name));
        } else {
          n += 1 + varintSize(checkInt(v, MAX_VARINT, name));
        }
        break;
      case T_STRING:
        n += 1 + strSize(v, name);
        break;
      case T_BINARY:
        n += 1 + binSize(v, name);
        break;
      case T_PAIR: {
        if (typeof v !== 'object') invalid('userProperties must be an object');
        const up = v as Record<string, unknown>;
        for (const k in up) {
          const val = up[k];
          if (val === undefined) continue;
          const ks = strSize(k, 'user property name');
          if (Array.isArray(val)) {
            for (let i = 0; i < val.length; i++) n += 1 + ks + strSize(asString(val[i]), 'user property value');
          } else {
            n += 1 + ks + strSize(asString(val), 'user property value');
          }
        }
        break;
      }
    }
  }
  return n;
}

/** Writes the properties sized by propsSize (without the length prefix). */
export function writeProps(buf: Buffer, off: number, props: Props | undefined, ctx: number): number {
  if (props === undefined || props === null) return off;
  const mask = 1 << ctx;
  for (const name in props) {
    const v = props[name];
    if (v === undefined || v === null) continue;
    const d = DEF_BY_NAME.get(name);
    if (d === undefined || (d.ctx & mask) === 0) continue;
    const id = d.id;
    switch (d.type) {
      case T_BOOL:
        buf[off++] = id;
        buf[off++] = v ? 1 : 0;
        break;
      case T_BYTE:
        buf[off++] = id;
        buf[off++] = v as number;
        break;
      case T_U16:
        buf[off++] = id;
        buf[off++] = (v as number) >>> 8;
        buf[off++] = (v as number) & 0xff;
        break;
      case T_U32: {
        const x = v as number;
        buf[off++] = id;
        buf[off++] = x >>> 24;
        buf[off++] = (x >>> 16) & 0xff;
        buf[off++] = (x >>> 8) & 0xff;
        buf[off++] = x & 0xff;
        break;
      }
      case T_VARINT:
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            buf[off++] = id;
            off = writeVarint(buf, off, v[i] as number);
          }
        } else {
          buf[off++] = id;
          off = writeVarint(buf, off, v as number);
        }
        break;
      case T_STRING:
        buf[off++] = id;
        off = writeString(buf, off, v as string);
        break;
      case T_BINARY:
        buf[off++] = id;
        off = writeBin(buf, off, v as Uint8Array);
        break;
      case T_PAIR: {
        const up = v as Record<string, unknown>;
        for (const k in up) {
          const val = up[k];
          if (val === undefined) continue;
          if (Array.isArray(val)) {
            for (let i = 0; i < val.length; i++) {
              buf[off++] = id;
              off = writeString(buf, off, k);
              off = writeString(buf, off, asString(val[i]));
            }
          } else {
            buf[off++] = id;
            off = writeString(buf, off, k);
            off = writeString(buf, off, asString(val));
          }
        }
        break;
      }
    }
  }
  return off;
}

/** Allocates a packet buffer of exact size and writes the fixed header; the body starts at bodyStart(rl). */
function alloc(b0: number, rl: number): Buffer {
  if (rl > MAX_VARINT) throw new CodecError(`remaining length ${rl} exceeds the MQTT maximum`, RC_PACKET_TOO_LARGE);
  const buf = Buffer.allocUnsafe(1 + varintSize(rl) + rl);
  buf[0] = b0;
  writeVarint(buf, 1, rl);
  return buf;
}

function bodyStart(rl: number): number {
  return 1 + varintSize(rl);
}

/** Encodes one packet for the given protocol version into a new buffer of exact size. */
export function encode(packet: Packet, protocolVersion: ProtocolVersion): Buffer {
  const v5 = protocolVersion === 5;
  switch (packet.cmd) {
    case 'publish': return encodePublish(packet, v5);
    case 'puback': return encodeAck(packet.messageId, packet.reasonCode, packet.properties, PUBACK, 0x40, v5);
    case 'pubrec': return encodeAck(packet.messageId, packet.reasonCode, packet.properties, PUBREC, 0x50, v5);
    case 'pubrel': return encodeAck(packet.messageId, packet.reasonCode, packet.properties, PUBREL, 0x62, v5);
    case 'pubcomp': return encodeAck(packet.messageId, packet.reasonCode, packet.properties, PUBCOMP, 0x70, v5);
    case 'connect': return encodeConnect(packet, protocolVersion);
    case 'connack': return encodeConnack(packet, v5, protocolVersion === 3);
    case 'subscribe': return encodeSubscribe(packet, v5);
    case 'suback': return encodeSuback(packet, v5);
    case 'unsubscribe': return encodeUnsubscribe(packet, v5);
    case 'unsuback': return encodeUnsuback(packet, v5);
    case 'pingreq': return alloc(0xc0, 0);
    case 'pingresp': return alloc(0xd0, 0);
    case 'disconnect': return encodeDisconnectOrAuth(packet, DISCONNECT, 0xe0, v5);
    case 'auth':
      if (!v5) invalid('AUTH exists only in MQTT 5');
      return encodeDisconnectOrAuth(packet, AUTH, 0xf0, true);
    default:
      return invalid(`unknown packet type ${String((packet as { cmd?: unknown }).cmd)}`);
  }
}

function encodePublish(packet: PublishPacket, v5: boolean): Buffer {
  const qos = packet.qos;
  if (qos !== 0 && qos !== 1 && qos !== 2) invalid('PUBLISH QoS must be 0, 1 or 2');
  const payload = packet.payload;
  if (!(payload instanceof Uint8Array)) invalid('PUBLISH payload must be a Buffer');
  const topic = packet.topic;
  let rl = strSize(topic, 'topic') + payload.length;
  let id = 0;
  if (qos !== 0) {
    id = checkId(packet.messageId, 'PUBLISH with QoS > 0');
    rl += 2;
  }
  let pl = 0;
  const props = packet.properties as Props | undefined;
  if (v5) {
    pl = props === undefined ? 0 : propsSize(props, PUBLISH);
    rl += varintSize(pl) + pl;
  }
  const buf = alloc(0x30 | (qos << 1) | (packet.dup ? 8 : 0) | (packet.retain ? 1 : 0), rl);
  let off = writeString(buf, bodyStart(rl), topic);
  if (qos !== 0) {
    buf[off++] = id >>> 8;
    buf[off++] = id & 0xff;
  }
  if (v5) {
    off = writeVarint(buf, off, pl);
    if (pl !== 0) off = writeProps(buf, off, props, PUBLISH);
  }
  buf.set(payload, off);
  return buf;
}

function encodeAck(
  messageId: number, reasonCode: number | undefined, properties: object | undefined, type: number, b0: number, v5: boolean,
): Buffer {
  const id = checkInt(messageId, 0xffff, 'packet identifier');
  let rl = 2;
  let pl = 0;
  const rc = reasonCode === undefined ? 0 : checkInt(reasonCode, 0xff, 'reason code');
  if (v5) {
    pl = propsSize(properties as Props | undefined, type);
    // The reason code and property length may be omitted (success, no properties) [MQTT-3.4.2.1].
    if (pl !== 0) rl += 1 + varintSize(pl) + pl;
    else if (rc !== 0) rl += 1;
  }
  const buf = alloc(b0, rl);
  let off = bodyStart(rl);
  buf[off++] = id >>> 8;
  buf[off++] = id & 0xff;
  if (rl > 2) {
    buf[off++] = rc;
    if (pl !== 0) {
      off = writeVarint(buf, off, pl);
      writeProps(buf, off, properties as Props, type);
    }
  }
  return buf;
}

function encodeConnect(packet: ConnectPacket, protocolVersion: ProtocolVersion): Buffer {
  const level = packet.protocolVersion ?? protocolVersion;
  if (level !== 3 && level !== 4 && level !== 5) invalid(`unsupported protocol version ${String(level)}`);
  const v5 = level === 5;
  const name = packet.protocolId ?? (level === 3 ? 'MQIsdp' : 'MQTT');
  const will = packet.will;
  const clientId = packet.clientId ?? '';
  let rl = strSize(name, 'protocol name') + 1 + 1 + 2 + strSize(clientId, 'client identifier');
  let flags = packet.clean === false ? 0 : 0x02;
  const keepalive = checkInt(packet.keepalive ?? 0, 0xffff, 'keepalive');
  let pl = 0;
  const props = packet.properties as Props | undefined;
  if (v5) {
    pl = propsSize(props, CONNECT);
    rl += varintSize(pl) + pl;
  }
  let wpl = 0;
  if (will !== undefined && will !== null) {
    const wq = will.qos ?? 0;
    if (wq !== 0 && wq !== 1 && wq !== 2) invalid('will QoS must be 0, 1 or 2');
    flags |= 0x04 | (wq << 3) | (will.retain ? 0x20 : 0);
    rl += strSize(will.topic, 'will topic') + binSize(will.payload, 'will payload');
    if (v5) {
      wpl = propsSize(will.properties as Props | undefined, WILL);
      rl += varintSize(wpl) + wpl;
    }
  }
  const username = packet.username;
  if (username !== undefined && username !== null) {
    flags |= 0x80;
    rl += strSize(username, 'username');
  }
  const password = packet.password;
  if (password !== undefined && password !== null) {
    flags |= 0x40;
    rl += binSize(password, 'password');
  }
  const buf = alloc(0x10, rl);
  let off = writeString(buf, bodyStart(rl), name);
  buf[off++] = packet.bridgeMode ? level | 0x80 : level;
  buf[off++] = flags;
  buf[off++] = keepalive >>> 8;
  buf[off++] = keepalive & 0xff;
  if (v5) {
    off = writeVarint(buf, off, pl);
    off = writeProps(buf, off, props, CONNECT);
  }
  off = writeString(buf, off, clientId);
  if (will !== undefined && will !== null) {
    if (v5) {
      off = writeVarint(buf, off, wpl);
      off = writeProps(buf, off, will.properties as Props | undefined, WILL);
    }
    off = writeString(buf, off, will.topic);
    off = writeBin(buf, off, will.payload);
  }
  if (username !== undefined && username !== null) off = writeString(buf, off, username);
  if (password !== undefined && password !== null) writeBin(buf, off, password);
  return buf;
}

function encodeConnack(packet: ConnackPacket, v5: boolean, v31: boolean): Buffer {
  const rc = checkInt(packet.reasonCode ?? 0, 0xff, 'CONNACK reason code');
  let rl = 2;
  let pl = 0;
  const props = packet.properties as Props | undefined;
  if (v5) {
    pl = propsSize(props, CONNACK);
    rl += varintSize(pl) + pl;
  }
  const buf = alloc(0x20, rl);
  let off = bodyStart(rl);
  // MQTT 3.1 has no session-present flag: its first byte is reserved and 0
  buf[off++] = packet.sessionPresent && !v31 ? 1 : 0;
  buf[off++] = rc;
  if (v5) {
    off = writeVarint(buf, off, pl);
    writeProps(buf, off, props, CONNACK);
  }
  return buf;
}

function encodeSubscribe(packet: SubscribePacket, v5: boolean): Buffer {
  const id = checkId(packet.messageId, 'SUBSCRIBE');
  const subs = packet.subscriptions;
  if (!Array.isArray(subs) || subs.length === 0) invalid('SUBSCRIBE needs at least one topic filter');
  let rl = 2;
  for (let i = 0; i < subs.length; i++) rl += strSize(subs[i]!.topic, 'topic filter') + 1;
  let pl = 0;
  const props = packet.properties as Props | undefined;
  if (v5) {
    pl = propsSize(props, SUBSCRIBE);
    rl += varintSize(pl) + pl;
  }
  const buf = alloc(0x82, rl);
  let off = bodyStart(rl);
  buf[off++] = id >>> 8;
  buf[off++] = id & 0xff;
  if (v5) {
    off = writeVarint(buf, off, pl);
    off = writeProps(buf, off, props, SUBSCRIBE);
  }
  for (let i = 0; i < subs.length; i++) {
    const s = subs[i]!;
    off = writeString(buf, off, s.topic);
    let opts = checkInt(s.qos, 2, 'subscription QoS');
    if (v5) opts |= (s.nl ? 4 : 0) | (s.rap ? 8 : 0) | (checkInt(s.rh ?? 0, 2, 'retain handling') << 4);
    buf[off++] = opts;
  }
  return buf;
}

function encodeSuback(packet: SubackPacket, v5: boolean): Buffer {
  const id = checkInt(packet.messageId, 0xffff, 'packet identifier');
  const granted = packet.granted;
  let rl = 2 + granted.length;
  let pl = 0;
  const props = packet.properties as Props | undefined;
  if (v5) {
    pl = propsSize(props, SUBACK);
    rl += varintSize(pl) + pl;
  }
  const buf = alloc(0x90, rl);
  let off = bodyStart(rl);
  buf[off++] = id >>> 8;
  buf[off++] = id & 0xff;
  if (v5) {
    off = writeVarint(buf, off, pl);
    off = writeProps(buf, off, props, SUBACK);
  }
  for (let i = 0; i < granted.length; i++) buf[off++] = checkInt(granted[i], 0xff, 'SUBACK return code');
  return buf;
}

function encodeUnsubscribe(packet: UnsubscribePacket, v5: boolean): Buffer {
  const id = checkId(packet.messageId, 'UNSUBSCRIBE');
  const topics = packet.unsubscriptions;
  if (!Array.isArray(topics) || topics.length === 0) invalid('UNSUBSCRIBE needs at least one topic filter');
  let rl = 2;
  for (let i = 0; i < topics.length; i++) rl += strSize(topics[i], 'topic filter');
  let pl = 0;
  const props = packet.properties as Props | undefined;
  if (v5) {
    pl = propsSize(props, UNSUBSCRIBE);
    rl += varintSize(pl) + pl;
  }
  const buf = alloc(0xa2, rl);
  let off = bodyStart(rl);
  buf[off++] = id >>> 8;
  buf[off++] = id & 0xff;
  if (v5) {
    off = writeVarint(buf, off, pl);
    off = writeProps(buf, off, props, UNSUBSCRIBE);
  }
  for (let i = 0; i < topics.length; i++) off = writeString(buf, off, topics[i]!);
  return buf;
}

function encodeUnsuback(packet: UnsubackPacket, v5: boolean): Buffer {
  const id = checkInt(packet.messageId, 0xffff, 'packet identifier');
  if (!v5) {
    const buf = alloc(0xb0, 2);
    buf[2] = id >>> 8;
    buf[3] = id & 0xff;
    return buf;
  }
  const granted = packet.granted ?? [];
  const props = packet.properties as Props | undefined;
  const pl = propsSize(props, UNSUBACK);
  const rl = 2 + varintSize(pl) + pl + granted.length;
  const buf = alloc(0xb0, rl);
  let off = bodyStart(rl);
  buf[off++] = id >>> 8;
  buf[off++] = id & 0xff;
  off = writeVarint(buf, off, pl);
  off = writeProps(buf, off, props, UNSUBACK);
  for (let i = 0; i < granted.length; i++) buf[off++] = checkInt(granted[i], 0xff, 'UNSUBACK reason code');
  return buf;
}

function encodeDisconnectOrAuth(packet: DisconnectPacket | AuthPacket, type: number, b0: number, v5: boolean): Buffer {
  if (!v5) return alloc(b0, 0);
  const rc = checkInt(packet.reasonCode ?? 0, 0xff, 'reason code');
  const props = packet.properties as Props | undefined;
  const pl = propsSize(props, type);
  // Remaining length 0 means reason code 0 without properties [MQTT-3.14.2.1] [MQTT-3.15.2.1].
  const rl = pl !== 0 ? 1 + varintSize(pl) + pl : rc !== 0 ? 1 : 0;
  const buf = alloc(b0, rl);
  if (rl !== 0) {
    let off = bodyStart(rl);
    buf[off++] = rc;
    if (pl !== 0) {
      off = writeVarint(buf, off, pl);
      writeProps(buf, off, props, type);
    }
  }
  return buf;
}
