import {
  AUTH, AUTH_CODES, CONNACK, CONNACK_V5_CODES, CONNECT, DISCONNECT, DISCONNECT_CODES, MAX_PACKET_SIZE,
  PINGREQ, PINGRESP, PROP_COUNT, PROP_CTX, PROP_NAME, PUBACK, PUBACK_CODES, PUBCOMP, PUBLISH,
  PUBREC, PUBREL, PUBREL_CODES, SUBACK, SUBACK_V4_CODES, SUBACK_V5_CODES, SUBSCRIBE, UNSUBACK, UNSUBACK_CODES,
  UNSUBSCRIBE, WILL,
} from './constants.js';
import {
  CodecError, RC_MALFORMED_PACKET as MALFORMED, RC_PACKET_TOO_LARGE, RC_PROTOCOL_ERROR as PROTOCOL,
  RC_UNSUPPORTED_PROTOCOL_VERSION,
} from './errors.js';
import type {
  AckProperties, AuthPacket, AuthProperties, ConnackPacket, ConnackProperties, ConnectPacket, ConnectProperties,
  DisconnectPacket, DisconnectProperties, Packet, ProtocolVersion, PublishPacket, PublishProperties, QoS,
  SubackPacket, SubscribePacket, SubscribeProperties, SubscriptionRequest, UnsubackPacket, UnsubscribePacket,
  UserProperties, Will, WillProperties,
} from './packets.js';
import { decodeString } from './utf8.js';

const TOPIC_FILTER_INVALID = 0x8f;

export interface ParserOptions {
  /** Largest accepted packet in bytes, fixed header included. Default: the protocol maximum (268435460). */
  maxPacketSize?: number;
  /** Protocol version used for packets before a CONNECT is seen. Default 4. */
  protocolVersion?: ProtocolVersion;
}

const EMPTY = Buffer.alloc(0);
const noop = (): void => {};

/** Required value of the fixed header flags per packet type; -1 = any (PUBLISH), -2 = reserved type. */
const REQUIRED_FLAGS = [-2, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0];
const TYPE_NAMES = [
  'reserved(0)', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH',
];
const ACK_CMDS = ['', '', '', '', 'puback', 'pubrec', 'pubrel', 'pubcomp'] as const;

/** Initial size of the buffer that collects a packet split across chunks when its final size is large. */
const PENDING_CHUNK = 65536;

/** Every property any packet can carry (the parser fills the ones present). */
type AnyProps = ConnectProperties & ConnackProperties & PublishProperties & WillProperties & DisconnectProperties &
  AuthProperties & { subscriptionIdentifier?: number | number[] };

/**
 * User properties objects: fast-mode objects whose prototype chain does not
 * include Object.prototype, so names such as "__proto__" or "constructor" are
 * ordinary keys (like Object.create(null), which V8 keeps in slow dictionary mode).
 */
function UserPropsCtor(): void {}
UserPropsCtor.prototype = Object.create(null) as object;
const UserProps = UserPropsCtor as unknown as new () => UserProperties;

/**
 * Streaming MQTT 3.1 / 3.1.1 / 5.0 parser.
 *
 * Feed it socket chunks with `parse()`; every complete packet is passed to
 * `onPacket`. On the first protocol violation `onError` is called once and all
 * further input is ignored. If `onPacket` throws, the exception propagates out
 * of `parse()` and the parser also stops (the rest of that chunk is lost).
 *
 * Decoded PUBLISH payloads are views into the input chunk (no copy); copy them
 * if you keep them for long. Binary fields of other packets are copies.
 */
export class Parser {
  /**
   * Protocol version used to decode packets. Set from the CONNECT packet as soon
   * as its protocol level byte has been read, so it is already correct in
   * `onError` for a CONNECT that fails later (e.g. in its properties).
   */
  protocolVersion: ProtocolVersion;
  /** Largest accepted packet (fixed header included); larger ones fail with 0x95 as soon as their length is known. */
  maxPacketSize: number;
  onPacket: (packet: Packet) => void = noop;
  onError: (err: CodecError) => void = noop;

  // A packet split across chunks. While its fixed header is incomplete
  // pendTotal is 0 and the header bytes are in `hdr`.
  private pend: Buffer | null = null;
  private pendLen = 0;
  private pendTotal = 0;
  private pendBody = 0;
  /** allocated when a chunk ends inside a fixed header; idle parsers hold none */
  private hdr: Buffer | null = null;
  private dead = false;

  // Decoding cursor over the current packet body. Errors are sticky: the
  // first one is kept in errCode/errMsg and the cursor jumps to the end so
  // that loops terminate; decoders check errCode before using what they read.
  private b: Buffer = EMPTY;
  private p = 0;
  private e = 0;
  private errCode = 0;
  private errMsg = '';

  constructor(opts?: ParserOptions) {
    this.protocolVersion = opts?.protocolVersion ?? 4;
    this.maxPacketSize = opts?.maxPacketSize ?? MAX_PACKET_SIZE;
  }

  /** True once an error was reported or onPacket threw; input is then ignored. (Also reads true inside onPacket.) */
  get failed(): boolean {
    return this.dead;
  }

  parse(chunk: Buffer): void {
    if (this.dead) return;
    const len = chunk.length;
    let off = 0;
    if (this.pend !== null) {
      off = this.continuePending(chunk);
      if (off < 0) return;
    }
    while (off < len) {
      let p = off + 1;
      if (p >= len) {
        this.saveHeader(chunk, off);
        return;
      }
      let c = chunk[p++]!;
      let rl = c & 0x7f;
      if (c > 0x7f) {
        let mul = 128;
        for (;;) {
          if (p - off === 5) {
            this.fail(MALFORMED, 'remaining length is longer than 4 bytes');
            return;
          }
          if (p >= len) {
            this.saveHeader(chunk, off);
            return;
          }
          c = chunk[p++]!;
          rl += (c & 0x7f) * mul;
          if (c < 0x80) break;
          mul *= 128;
        }
      }
      const end = p + rl;
      if (end - off > this.maxPacketSize) {
        this.tooLarge(end - off);
        return;
      }
      if (end > len) {
        this.startPending(chunk, off, p - off, end - off);
        return;
      }
      this.decode(chunk, chunk[off]!, p, end);
      if (this.dead) return;
      off = end;
    }
  }

  // ---------------------------------------------------------------- buffering

  private saveHeader(chunk: Buffer, off: number): void {
    const hdr = (this.hdr ??= Buffer.alloc(5));
    let n = 0;
    for (let i = off; i < chunk.length; i++) hdr[n++] = chunk[i]!;
    this.pend = hdr;
    this.pendLen = n;
    this.pendTotal = 0;
  }

  private startPending(chunk: Buffer, off: number, hlen: number, total: number): void {
    const have = chunk.length - off;
    // Do not trust a huge announced length with a huge allocation up front.
    const cap = total <= PENDING_CHUNK ? total : Math.max(have, PENDING_CHUNK);
    const buf = Buffer.allocUnsafe(cap);
    chunk.copy(buf, 0, off);
    this.pend = buf;
    this.pendLen = have;
    this.pendTotal = total;
    this.pendBody = hlen;
  }

  /** Feeds the start of chunk to the pending packet; returns the offset where chunk continues, or -1 if it is used up. */
  private continuePending(chunk: Buffer): number {
    const len = chunk.length;
    let i = 0;
    if (this.pendTotal === 0) {
      // The header is incomplete: all stored length bytes have the continuation bit.
      const hdr = this.hdr!;
      let n = this.pendLen;
      for (;;) {
        if (n === 5) {
          this.fail(MALFORMED, 'remaining length is longer than 4 bytes');
          return -1;
        }
        if (i >= len) {
          this.pendLen = n;
          return -1;
        }
        const c = chunk[i++]!;
        hdr[n++] = c;
        if (c < 0x80) break;
      }
      let rl = 0;
      let mul = 1;
      for (let k = 1; k < n; k++) {
        rl += (hdr[k]! & 0x7f) * mul;
        mul *= 128;
      }
      const total = n + rl;
      if (total > this.maxPacketSize) {
        this.tooLarge(total);
        return -1;
      }
      const cap = total <= PENDING_CHUNK ? total : Math.max(n + len - i, PENDING_CHUNK);
      const buf = Buffer.allocUnsafe(cap);
      hdr.copy(buf, 0, 0, n);
      this.pend = buf;
      this.pendLen = n;
      this.pendTotal = total;
      this.pendBody = n;
    }
    let buf = this.pend!;
    const filled = this.pendLen;
    const total = this.pendTotal;
    const take = Math.min(total - filled, len - i);
    if (filled + take > buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(total, Math.max(buf.length * 2, filled + take)));
      buf.copy(grown, 0, 0, filled);
      buf = grown;
      this.pend = grown;
    }
    chunk.copy(buf, filled, i, i + take);
    i += take;
    if (filled + take < total) {
      this.pendLen = filled + take;
      return -1;
    }
    this.pend = null;
    this.decode(buf, buf[0]!, this.pendBody, total);
    return this.dead ? -1 : i;
  }

  // ---------------------------------------------------------------- errors

  private fail(code: number, msg: string): void {
    this.dead = true;
    this.pend = null;
    this.b = EMPTY;
    this.onError(new CodecError(msg, code));
  }

  private tooLarge(size: number): void {
    this.fail(RC_PACKET_TOO_LARGE, `packet of ${size} bytes exceeds the maximum packet size ${this.maxPacketSize}`);
  }

  /** Records the first error of the current packet and moves the cursor to its end. */
  private err(code: number, msg: string): void {
    if (this.errCode === 0) {
      this.errCode = code;
      this.errMsg = msg;
    }
    this.p = this.e;
  }

  private emit(packet: Packet): void {
    // Stay "dead" while the callback runs so a throwing callback stops the parser.
    this.dead = true;
    this.onPacket(packet);
    this.dead = false;
  }

  // ---------------------------------------------------------------- dispatch

  private decode(b: Buffer, b0: number, p: number, e: number): void {
    const type = b0 >>> 4;
    const flags = b0 & 0x0f;
    if (type === PUBLISH) {
      this.decodePublish(b, flags, p, e);
      return;
    }
    const required = REQUIRED_FLAGS[type]!;
    if (required === -2 || (type === AUTH && this.protocolVersion !== 5)) {
      this.fail(MALFORMED, `reserved packet type ${type}`);
      return;
    }
    // MQTT 3.1 sends PUBREL, SUBSCRIBE and UNSUBSCRIBE as QoS 1 and sets DUP on a resend
    // (3.1.1 fixed their flags to 0010 [MQTT-3.6.1-1]): accept 1010 from a 3.1 client
    if (flags !== required && !(flags === (required | 8) && required === 2 && this.protocolVersion === 3)) {
      this.fail(
        MALFORMED,
        `${TYPE_NAMES[type]!} with fixed header flags 0b${flags.toString(2).padStart(4, '0')} [MQTT-2.2.2-1] [MQTT-2.2.2-2]`,
      );
      return;
    }
    this.b = b;
    this.p = p;
    this.e = e;
    this.errCode = 0;
    let packet: Packet | null;
    switch (type) {
      case CONNECT: packet = this.decodeConnect(); break;
      case CONNACK: packet = this.decodeConnack(); break;
      case PUBACK: case PUBREC: case PUBREL: case PUBCOMP: packet = this.decodeAck(type); break;
      case SUBSCRIBE: packet = this.decodeSubscribe(); break;
      case SUBACK: packet = this.decodeSuback(); break;
      case UNSUBSCRIBE: packet = this.decodeUnsubscribe(); break;
      case UNSUBACK: packet = this.decodeUnsuback(); break;
      case PINGREQ: packet = this.p === e ? { cmd: 'pingreq' } : this.tooLong(); break;
      case PINGRESP: packet = this.p === e ? { cmd: 'pingresp' } : this.tooLong(); break;
      case DISCONNECT: packet = this.decodeDisconnect(); break;
      default: packet = this.decodeAuth(); break;
    }
    this.b = EMPTY;
    if (this.errCode === 0 && packet !== null && this.p !== e) packet = this.tooLong();
    if (this.errCode !== 0 || packet === null) {
      this.fail(this.errCode || MALFORMED, this.errMsg || 'malformed packet');
      return;
    }
    this.emit(packet);
  }

  private tooLong(): null {
    this.err(MALFORMED, 'packet is longer than its content');
    return null;
  }

  // ---------------------------------------------------------------- PUBLISH (hot path)

  private decodePublish(b: Buffer, flags: number, p: number, e: number): void {
    const qos = (flags >>> 1) & 3;
    if (qos === 3) {
      // the spec calls it malformed; EMQX answers protocol error (0x82), and so do we
      this.fail(PROTOCOL, 'PUBLISH with QoS 3 [MQTT-3.3.1-4]');
      return;
    }
    if (e - p < 2) {
      this.fail(MALFORMED, 'PUBLISH too short for its topic');
      return;
    }
    const ts = p + 2;
    const te = ts + ((b[p]! << 8) | b[p + 1]!);
    if (te > e) {
      this.fail(MALFORMED, 'PUBLISH topic exceeds the packet');
      return;
    }
    const topic = ts === te ? '' : decodeString(b, ts, te);
    if (topic === null) {
      this.fail(MALFORMED, 'PUBLISH topic is not valid UTF-8 or contains U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2]');
      return;
    }
    p = te;
    let messageId: number | undefined;
    if (qos !== 0) {
      if (e - p < 2) {
        this.fail(MALFORMED, 'PUBLISH too short for its packet identifier');
        return;
      }
      messageId = (b[p]! << 8) | b[p + 1]!;
      p += 2;
      if (messageId === 0) {
        this.fail(PROTOCOL, 'PUBLISH with QoS > 0 and packet identifier 0 [MQTT-2.2.1-3]');
        return;
      }
    }
    let properties: PublishProperties | undefined;
    if (this.protocolVersion === 5) {
      if (p >= e) {
        this.fail(MALFORMED, 'PUBLISH without property length');
        return;
      }
      if (b[p] === 0) {
        p++;
      } else {
        this.b = b;
        this.p = p;
        this.e = e;
        this.errCode = 0;
        properties = this.props<PublishProperties>(PUBLISH);
        this.b = EMPTY;
        if (this.errCode !== 0) {
          this.fail(this.errCode, this.errMsg);
          return;
        }
        p = this.p;
      }
    }
    const packet: PublishPacket = {
      cmd: 'publish',
      qos: qos as QoS,
      dup: (flags & 8) !== 0,
      retain: (flags & 1) !== 0,
      topic,
      messageId,
      payload: p === e ? EMPTY : b.subarray(p, e),
      properties,
    };
    this.emit(packet);
  }

  // ---------------------------------------------------------------- primitives

  private u8(): number {
    const p = this.p;
    if (p >= this.e) {
      this.err(MALFORMED, 'packet is shorter than its content');
      return 0;
    }
    this.p = p + 1;
    return this.b[p]!;
  }

  private u16(): number {
    const p = this.p;
    if (p + 2 > this.e) {
      this.err(MALFORMED, 'packet is shorter than its content');
      return 0;
    }
    this.p = p + 2;
    return (this.b[p]! << 8) | this.b[p + 1]!;
  }

  private u32(): number {
    const p = this.p;
    if (p + 4 > this.e) {
      this.err(MALFORMED, 'packet is shorter than its content');
      return 0;
    }
    this.p = p + 4;
    const b = this.b;
    return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  private varint(): number {
    const b = this.b;
    const e = this.e;
    let p = this.p;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 4; i++) {
      if (p >= e) {
        this.err(MALFORMED, 'truncated variable byte integer');
        return 0;
      }
      const c = b[p++]!;
      v += (c & 0x7f) * mul;
      if (c < 0x80) {
        this.p = p;
        return v;
      }
      mul *= 128;
    }
    this.err(MALFORMED, 'variable byte integer is longer than 4 bytes');
    return 0;
  }

  private str(): string {
    const b = this.b;
    const p = this.p;
    if (p + 2 > this.e) {
      this.err(MALFORMED, 'packet is shorter than its content');
      return '';
    }
    const s = p + 2;
    const end = s + ((b[p]! << 8) | b[p + 1]!);
    if (end > this.e) {
      this.err(MALFORMED, 'string exceeds the packet');
      return '';
    }
    this.p = end;
    if (s === end) return '';
    const r = decodeString(b, s, end);
    if (r === null) {
      this.err(MALFORMED, 'string is not valid UTF-8 or contains U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2]');
      return '';
    }
    return r;
  }

  /** Binary data; returned as a copy so that long-lived fields do not pin the input chunk. */
  private bin(): Buffer {
    const b = this.b;
    const p = this.p;
    if (p + 2 > this.e) {
      this.err(MALFORMED, 'packet is shorter than its content');
      return EMPTY;
    }
    const s = p + 2;
    const end = s + ((b[p]! << 8) | b[p + 1]!);
    if (end > this.e) {
      this.err(MALFORMED, 'binary data exceeds the packet');
      return EMPTY;
    }
    this.p = end;
    const out = Buffer.allocUnsafe(end - s);
    b.copy(out, 0, s, end);
    return out;
  }

  /** Packet identifier that must be non-zero [MQTT-2.2.1-3]. */
  private packetId(name: string): number {
    const id = this.u16();
    if (id === 0 && this.errCode === 0) this.err(PROTOCOL, `${name} with packet identifier 0 [MQTT-2.2.1-3]`);
    return id;
  }

  /**
   * Reads a property length and the properties (MQTT 5). ctx is the packet
   * type, or WILL. Returns undefined when there are none.
   *
   * Each property is stored with a literal name (not props[name]) so that V8
   * keeps the objects in fast mode with predictable hidden classes.
   */
  private props<T>(ctx: number): T | undefined {
    const len = this.varint();
    if (len === 0) return undefined;
    const end = this.p + len;
    const outerEnd = this.e;
    if (end > outerEnd) {
      this.err(MALFORMED, 'property length exceeds the packet');
      return undefined;
    }
    this.e = end; // bound all reads by the property block
    const b = this.b;
    const mask = 1 << ctx;
    const o: AnyProps = {};
    while (this.p < end) {
      const id = b[this.p++]!;
      if (id >= PROP_COUNT || (PROP_CTX[id]! & mask) === 0) {
        this.err(
          MALFORMED,
          `${id >= PROP_COUNT || PROP_CTX[id] === 0 ? 'unknown' : 'invalid'} property 0x${id.toString(16).padStart(2, '0')} in ${ctx === WILL ? 'will properties' : TYPE_NAMES[ctx]!}`,
        );
        break;
      }
      switch (id) {
        case 0x26: { // user property: repeatable, repeated names collect into an array
          const k = this.str();
          const v = this.str();
          if (this.errCode !== 0) break;
          let up = o.userProperties;
          if (up === undefined) {
            up = new UserProps();
            o.userProperties = up;
          }
          const cur = up[k];
          if (cur === undefined) up[k] = v;
          else if (typeof cur === 'string') up[k] = [cur, v];
          else cur.push(v);
          break;
        }
        case 0x0b: { // subscription identifier: repeatable in PUBLISH only
          const v = this.varint();
          if (v === 0) {
            this.err(PROTOCOL, 'subscription identifier 0');
            break;
          }
          const prev = o.subscriptionIdentifier;
          if (prev === undefined) o.subscriptionIdentifier = v;
          else if (ctx !== PUBLISH) this.dup(id);
          else if (typeof prev === 'number') o.subscriptionIdentifier = [prev, v];
          else prev.push(v);
          break;
        }
        case 0x01:
          if (o.payloadFormatIndicator === undefined) o.payloadFormatIndicator = this.flag(id);
          else this.dup(id);
          break;
        case 0x02:
          if (o.messageExpiryInterval === undefined) o.messageExpiryInterval = this.u32();
          else this.dup(id);
          break;
        case 0x03:
          if (o.contentType === undefined) o.contentType = this.str();
          else this.dup(id);
          break;
        case 0x08:
          if (o.responseTopic === undefined) o.responseTopic = this.str();
          else this.dup(id);
          break;
        case 0x09:
          if (o.correlationData === undefined) o.correlationData = this.bin();
          else this.dup(id);
          break;
        case 0x11:
          if (o.sessionExpiryInterval === undefined) o.sessionExpiryInterval = this.u32();
          else this.dup(id);
          break;
        case 0x12:
          if (o.assignedClientIdentifier === undefined) o.assignedClientIdentifier = this.str();
          else this.dup(id);
          break;
        case 0x13:
          if (o.serverKeepAlive === undefined) o.serverKeepAlive = this.u16();
          else this.dup(id);
          break;
        case 0x15:
          if (o.authenticationMethod === undefined) o.authenticationMethod = this.str();
          else this.dup(id);
          break;
        case 0x16:
          if (o.authenticationData === undefined) o.authenticationData = this.bin();
          else this.dup(id);
          break;
        case 0x17:
          if (o.requestProblemInformation === undefined) o.requestProblemInformation = this.flag(id);
          else this.dup(id);
          break;
        case 0x18:
          if (o.willDelayInterval === undefined) o.willDelayInterval = this.u32();
          else this.dup(id);
          break;
        case 0x19:
          if (o.requestResponseInformation === undefined) o.requestResponseInformation = this.flag(id);
          else this.dup(id);
          break;
        case 0x1a:
          if (o.responseInformation === undefined) o.responseInformation = this.str();
          else this.dup(id);
          break;
        case 0x1c:
          if (o.serverReference === undefined) o.serverReference = this.str();
          else this.dup(id);
          break;
        case 0x1f:
          if (o.reasonString === undefined) o.reasonString = this.str();
          else this.dup(id);
          break;
        case 0x21:
          if (o.receiveMaximum === undefined) {
            const v = this.u16();
            if (v === 0) this.err(PROTOCOL, 'receive maximum 0');
            o.receiveMaximum = v;
          } else this.dup(id);
          break;
        case 0x22:
          if (o.topicAliasMaximum === undefined) o.topicAliasMaximum = this.u16();
          else this.dup(id);
          break;
        case 0x23:
          if (o.topicAlias === undefined) o.topicAlias = this.u16();
          else this.dup(id);
          break;
        case 0x24:
          if (o.maximumQoS === undefined) o.maximumQoS = this.flag(id) ? 1 : 0;
          else this.dup(id);
          break;
        case 0x25:
          if (o.retainAvailable === undefined) o.retainAvailable = this.flag(id);
          else this.dup(id);
          break;
        case 0x27:
          if (o.maximumPacketSize === undefined) {
            const v = this.u32();
            if (v === 0) this.err(PROTOCOL, 'maximum packet size 0');
            o.maximumPacketSize = v;
          } else this.dup(id);
          break;
        case 0x28:
          if (o.wildcardSubscriptionAvailable === undefined) o.wildcardSubscriptionAvailable = this.flag(id);
          else this.dup(id);
          break;
        case 0x29:
          if (o.subscriptionIdentifiersAvailable === undefined) o.subscriptionIdentifiersAvailable = this.flag(id);
          else this.dup(id);
          break;
        case 0x2a:
          if (o.sharedSubscriptionAvailable === undefined) o.sharedSubscriptionAvailable = this.flag(id);
          else this.dup(id);
          break;
      }
      if (this.errCode !== 0) break;
    }
    this.e = outerEnd;
    if (this.errCode !== 0) {
      this.p = outerEnd;
      return undefined;
    }
    return o as T;
  }

  private dup(id: number): void {
    this.err(PROTOCOL, `duplicate property ${PROP_NAME[id]!}`);
  }

  /** A byte that must be 0 or 1. */
  private flag(id: number): boolean {
    const v = this.u8();
    if (v > 1) this.err(PROTOCOL, `property ${PROP_NAME[id]!} must be 0 or 1`);
    return v === 1;
  }

  // ---------------------------------------------------------------- packets

  private decodeConnect(): ConnectPacket | null {
    const protocolId = this.str();
    const levelByte = this.u8();
    if (this.errCode !== 0) return null;
    const level = levelByte & 0x7f;
    if (level !== 3 && level !== 4 && level !== 5) {
      this.err(RC_UNSUPPORTED_PROTOCOL_VERSION, `unsupported protocol level ${levelByte}`);
      return null;
    }
    this.protocolVersion = level;
    if (protocolId !== (level === 3 ? 'MQIsdp' : 'MQTT')) {
      this.err(RC_UNSUPPORTED_PROTOCOL_VERSION, `protocol name ${JSON.stringify(protocolId)} does not match level ${level}`);
      return null;
    }
    const flags = this.u8();
    if (this.errCode !== 0) return null;
    if ((flags & 1) !== 0) {
      this.err(MALFORMED, 'CONNECT reserved flag is set [MQTT-3.1.2-3]');
      return null;
    }
    const hasWill = (flags & 0x04) !== 0;
    const willQos = (flags >>> 3) & 3;
    const willRetain = (flags & 0x20) !== 0;
    if (!hasWill && (willQos !== 0 || willRetain)) {
      this.err(MALFORMED, 'will QoS or will retain set without will flag [MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15]');
      return null;
    }
    if (willQos === 3) {
      this.err(MALFORMED, 'will QoS 3 [MQTT-3.1.2-14]');
      return null;
    }
    const hasUsername = (flags & 0x80) !== 0;
    const hasPassword = (flags & 0x40) !== 0;
    if (hasPassword && !hasUsername && level === 4) {
      this.err(MALFORMED, 'password flag set without user name flag [MQTT-3.1.2-22]');
      return null;
    }
    const keepalive = this.u16();
    const properties = level === 5 ? this.props<ConnectProperties>(CONNECT) : undefined;
    const clientId = this.str();
    let will: Will | undefined;
    if (hasWill) {
      const wprops = level === 5 ? this.props<WillProperties>(WILL) : undefined;
      const topic = this.str();
      const payload = this.bin();
      will = { topic, payload, qos: willQos as QoS, retain: willRetain, properties: wprops };
    }
    const username = hasUsername ? this.str() : undefined;
    const password = hasPassword ? this.bin() : undefined;
    if (this.errCode !== 0) return null;
    return {
      cmd: 'connect',
      protocolId: level === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: level,
      clean: (flags & 0x02) !== 0,
      keepalive,
      clientId,
      username,
      password,
      will,
      properties,
      bridgeMode: levelByte > 0x7f ? true : undefined,
    };
  }

  private decodeConnack(): ConnackPacket | null {
    const ackFlags = this.u8();
    const reasonCode = this.u8();
    if (this.errCode !== 0) return null;
    if (ackFlags > 1) {
      this.err(MALFORMED, 'CONNACK reserved flags are set [MQTT-3.2.2-1]');
      return null;
    }
    let properties: ConnackProperties | undefined;
    if (this.protocolVersion === 5) {
      if (CONNACK_V5_CODES[reasonCode] === 0) this.err(PROTOCOL, `invalid CONNACK reason code 0x${reasonCode.toString(16)}`);
      properties = this.props<ConnackProperties>(CONNACK);
    } else if (reasonCode > 5) {
      this.err(PROTOCOL, `invalid CONNACK return code ${reasonCode}`);
    }
    return { cmd: 'connack', sessionPresent: ackFlags === 1, reasonCode, properties };
  }

  private decodeAck(type: number): Packet | null {
    const messageId = this.u16();
    let reasonCode: number | undefined;
    let properties: AckProperties | undefined;
    if (this.protocolVersion === 5) {
      if (this.p === this.e) {
        reasonCode = 0; // [MQTT-3.4.2.1] reason code omitted: success
      } else {
        reasonCode = this.u8();
        const codes = type === PUBACK || type === PUBREC ? PUBACK_CODES : PUBREL_CODES;
        if (codes[reasonCode] === 0) {
          this.err(PROTOCOL, `invalid ${TYPE_NAMES[type]!} reason code 0x${reasonCode.toString(16)}`);
        } else if (this.p < this.e) {
          properties = this.props<AckProperties>(type);
        }
      }
    }
    return { cmd: ACK_CMDS[type as 4 | 5 | 6 | 7], messageId, reasonCode, properties };
  }

  private decodeSubscribe(): SubscribePacket | null {
    const messageId = this.packetId('SUBSCRIBE');
    const v5 = this.protocolVersion === 5;
    const properties = v5 ? this.props<SubscribeProperties>(SUBSCRIBE) : undefined;
    const subscriptions: SubscriptionRequest[] = [];
    while (this.p < this.e) {
      const topic = this.str();
      const opts = this.u8();
      if (this.errCode !== 0) return null;
      const qos = opts & 3;
      if (v5) {
        if ((opts & 0xc0) !== 0) {
          this.err(MALFORMED, 'SUBSCRIBE reserved subscription option bits are set [MQTT-3.8.3-5]');
          return null;
        }
        if (qos === 3) {
          this.err(PROTOCOL, 'SUBSCRIBE with maximum QoS 3');
          return null;
        }
        const rh = (opts >>> 4) & 3;
        if (rh === 3) {
          this.err(PROTOCOL, 'SUBSCRIBE with retain handling 3');
          return null;
        }
        subscriptions.push({ topic, qos: qos as QoS, nl: (opts & 4) !== 0, rap: (opts & 8) !== 0, rh });
      } else {
        if ((opts & 0xfc) !== 0 || qos === 3) {
          this.err(MALFORMED, 'SUBSCRIBE with reserved bits set or QoS 3 [MQTT-3-8.3-4]');
          return null;
        }
        subscriptions.push({ topic, qos: qos as QoS });
      }
    }
    if (this.errCode !== 0) return null;
    if (subscriptions.length === 0) {
      // EMQX answers DISCONNECT 0x8F (topic filter invalid) here, and so do we
      this.err(TOPIC_FILTER_INVALID, 'SUBSCRIBE without topic filters [MQTT-3.8.3-3]');
      return null;
    }
    return { cmd: 'subscribe', messageId, subscriptions, properties };
  }

  private decodeSuback(): SubackPacket | null {
    const messageId = this.u16();
    const v5 = this.protocolVersion === 5;
    const properties = v5 ? this.props<AckProperties>(SUBACK) : undefined;
    const codes = v5 ? SUBACK_V5_CODES : SUBACK_V4_CODES;
    const granted: number[] = [];
    const b = this.b;
    for (let p = this.p; p < this.e; p++) {
      const c = b[p]!;
      if (codes[c] === 0) {
        this.err(PROTOCOL, `invalid SUBACK return code 0x${c.toString(16)}`);
        return null;
      }
      granted.push(c);
    }
    if (this.errCode !== 0) return null;
    this.p = this.e;
    if (granted.length === 0) {
      this.err(PROTOCOL, 'SUBACK without return codes');
      return null;
    }
    return { cmd: 'suback', messageId, granted, properties };
  }

  private decodeUnsubscribe(): UnsubscribePacket | null {
    const messageId = this.packetId('UNSUBSCRIBE');
    const properties = this.protocolVersion === 5 ? this.props<UnsubscribePacket['properties']>(UNSUBSCRIBE) : undefined;
    const unsubscriptions: string[] = [];
    while (this.p < this.e) unsubscriptions.push(this.str());
    if (this.errCode !== 0) return null;
    if (unsubscriptions.length === 0) {
      this.err(TOPIC_FILTER_INVALID, 'UNSUBSCRIBE without topic filters [MQTT-3.10.3-2]');
      return null;
    }
    return { cmd: 'unsubscribe', messageId, unsubscriptions, properties };
  }

  private decodeUnsuback(): UnsubackPacket | null {
    const messageId = this.u16();
    if (this.protocolVersion !== 5) {
      return { cmd: 'unsuback', messageId, granted: undefined, properties: undefined };
    }
    const properties = this.props<AckProperties>(UNSUBACK);
    const granted: number[] = [];
    const b = this.b;
    for (let p = this.p; p < this.e; p++) {
      const c = b[p]!;
      if (UNSUBACK_CODES[c] === 0) {
        this.err(PROTOCOL, `invalid UNSUBACK reason code 0x${c.toString(16)}`);
        return null;
      }
      granted.push(c);
    }
    if (this.errCode !== 0) return null;
    this.p = this.e;
    if (granted.length === 0) {
      this.err(PROTOCOL, 'UNSUBACK without reason codes');
      return null;
    }
    return { cmd: 'unsuback', messageId, granted, properties };
  }

  private decodeDisconnect(): DisconnectPacket | null {
    if (this.protocolVersion !== 5) return { cmd: 'disconnect', reasonCode: undefined, properties: undefined };
    let reasonCode = 0; // remaining length 0: normal disconnection [MQTT-3.14.2.1]
    let properties: DisconnectProperties | undefined;
    if (this.p < this.e) {
      reasonCode = this.u8();
      if (DISCONNECT_CODES[reasonCode] === 0) {
        this.err(PROTOCOL, `invalid DISCONNECT reason code 0x${reasonCode.toString(16)}`);
        return null;
      }
      if (this.p < this.e) properties = this.props<DisconnectProperties>(DISCONNECT);
    }
    return { cmd: 'disconnect', reasonCode, properties };
  }

  private decodeAuth(): AuthPacket | null {
    let reasonCode = 0; // remaining length 0: success [MQTT-3.15.2.1]
    let properties: AuthProperties | undefined;
    if (this.p < this.e) {
      reasonCode = this.u8();
      if (AUTH_CODES[reasonCode] === 0) {
        this.err(PROTOCOL, `invalid AUTH reason code 0x${reasonCode.toString(16)}`);
        return null;
      }
      if (this.p < this.e) properties = this.props<AuthProperties>(AUTH);
    }
    return { cmd: 'auth', reasonCode, properties };
  }
}
