import { MAX_VARINT } from './constants.js';
import { MESSAGE, propsSize, strSize, varintSize, writeProps, writeVarint } from './encoder.js';
import { CodecError, RC_MALFORMED_PACKET, RC_PACKET_TOO_LARGE } from './errors.js';
import type { ProtocolVersion, PublishProperties, QoS } from './packets.js';
import { writeString } from './utf8.js';

const PROP_TOPIC_ALIAS = 0x23;
const PROP_SUBSCRIPTION_ID = 0x0b;

/** Per-subscriber parts of an MQTT 5 PUBLISH. */
export interface PublishFrameExtra {
  topicAlias?: number;
  /** Send an empty topic name (requires topicAlias, already known to the receiver). */
  omitTopic?: boolean;
  subscriptionIdentifiers?: number[];
}

function invalid(msg: string): never {
  throw new CodecError(msg, RC_MALFORMED_PACKET);
}

/**
 * Encodes one PUBLISH for many subscribers: the topic, payload and message
 * properties are encoded once.
 *
 * `properties` are the message properties; `topicAlias` and
 * `subscriptionIdentifier` in it are ignored because they are per connection /
 * per subscription: pass them to `frame()` in `extra` instead.
 *
 * Frames without per-subscriber extras are built once per (version group,
 * qos, retain, dup) - v3 and v4 frames are identical and share the cache. QoS 0
 * frames are returned as the cached Buffer itself (callers must not modify
 * it); QoS 1/2 frames are a copy of the cached template with the packet
 * identifier patched in.
 */
export class PublishEncoder {
  readonly topic: string;
  readonly payload: Buffer;
  readonly properties: PublishProperties | undefined;
  /** Length-prefixed topic name. */
  private readonly topicBuf: Buffer;
  /** Encoded message properties (MQTT 5), without the property length. */
  private readonly propsBuf: Buffer;
  private readonly cache: (Buffer | undefined)[] = new Array<Buffer | undefined>(24).fill(undefined);
  private readonly idOffs: number[] = new Array<number>(24).fill(0);

  constructor(topic: string, payload: Buffer, properties?: PublishProperties) {
    if (!(payload instanceof Uint8Array)) invalid('PUBLISH payload must be a Buffer');
    this.topic = topic;
    this.payload = payload;
    this.properties = properties;
    const ts = strSize(topic, 'topic');
    this.topicBuf = Buffer.allocUnsafe(ts);
    writeString(this.topicBuf, 0, topic);
    const props = properties as Record<string, unknown> | undefined;
    const pl = propsSize(props, MESSAGE);
    this.propsBuf = Buffer.allocUnsafe(pl);
    writeProps(this.propsBuf, 0, props, MESSAGE);
  }

  /** The whole PUBLISH frame for one subscriber. messageId is ignored for QoS 0. */
  frame(
    version: ProtocolVersion, qos: QoS, retain: boolean, dup: boolean, messageId: number, extra?: PublishFrameExtra,
  ): Buffer {
    if (qos !== 0 && qos !== 1 && qos !== 2) invalid('PUBLISH QoS must be 0, 1 or 2');
    if (version !== 5 && version !== 4 && version !== 3) invalid(`unsupported protocol version ${String(version)}`);
    if (
      version === 5 && extra !== undefined &&
      (extra.topicAlias !== undefined || extra.omitTopic === true ||
        (extra.subscriptionIdentifiers !== undefined && extra.subscriptionIdentifiers.length !== 0))
    ) {
      const id = qos === 0 ? 0 : checkId(messageId);
      return this.build(true, qos, retain, dup, id, extra, -1);
    }
    const key = (version === 5 ? 12 : 0) + qos * 4 + (retain ? 2 : 0) + (dup ? 1 : 0);
    let t = this.cache[key];
    if (t === undefined) {
      t = this.build(version === 5, qos, retain, dup, 0, undefined, key);
      this.cache[key] = t;
    }
    if (qos === 0) return t;
    const id = checkId(messageId);
    const out = Buffer.allocUnsafe(t.length);
    t.copy(out, 0);
    const o = this.idOffs[key]!;
    out[o] = id >>> 8;
    out[o + 1] = id & 0xff;
    return out;
  }

  private build(
    v5: boolean, qos: number, retain: boolean, dup: boolean, id: number, extra: PublishFrameExtra | undefined, key: number,
  ): Buffer {
    const omitTopic = extra !== undefined && extra.omitTopic === true;
    const alias = extra?.topicAlias;
    const subIds = extra?.subscriptionIdentifiers;
    if (omitTopic && alias === undefined) invalid('omitTopic requires a topicAlias');
    const payload = this.payload;
    let rl = (omitTopic ? 2 : this.topicBuf.length) + payload.length + (qos !== 0 ? 2 : 0);
    let pl = 0;
    if (v5) {
      pl = this.propsBuf.length;
      if (alias !== undefined) {
        if (!Number.isInteger(alias) || alias < 1 || alias > 0xffff) invalid('topic alias must be 1..65535');
        pl += 3;
      }
      if (subIds !== undefined) {
        for (let i = 0; i < subIds.length; i++) {
          const s = subIds[i]!;
          if (!Number.isInteger(s) || s < 1 || s > MAX_VARINT) invalid('subscription identifier must be 1..268435455');
          pl += 1 + varintSize(s);
        }
      }
      rl += varintSize(pl) + pl;
    }
    if (rl > MAX_VARINT) throw new CodecError(`remaining length ${rl} exceeds the MQTT maximum`, RC_PACKET_TOO_LARGE);
    const buf = Buffer.allocUnsafe(1 + varintSize(rl) + rl);
    buf[0] = 0x30 | (qos << 1) | (dup ? 8 : 0) | (retain ? 1 : 0);
    let off = writeVarint(buf, 1, rl);
    if (omitTopic) {
      buf[off++] = 0;
      buf[off++] = 0;
    } else {
      off += this.topicBuf.copy(buf, off);
    }
    if (qos !== 0) {
      if (key >= 0) this.idOffs[key] = off;
      buf[off++] = id >>> 8;
      buf[off++] = id & 0xff;
    }
    if (v5) {
      off = writeVarint(buf, off, pl);
      if (alias !== undefined) {
        buf[off++] = PROP_TOPIC_ALIAS;
        buf[off++] = alias >>> 8;
        buf[off++] = alias & 0xff;
      }
      if (subIds !== undefined) {
        for (let i = 0; i < subIds.length; i++) {
          buf[off++] = PROP_SUBSCRIPTION_ID;
          off = writeVarint(buf, off, subIds[i]!);
        }
      }
      off += this.propsBuf.copy(buf, off);
    }
    buf.set(payload, off);
    return buf;
  }
}

function checkId(id: number): number {
  if (!Number.isInteger(id) || id < 1 || id > 0xffff) invalid('PUBLISH with QoS > 0 needs a packet identifier 1..65535');
  return id;
}
