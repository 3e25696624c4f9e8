/**
 * Minimal MQTT 3.1.1 encoder / decoder for the load generator.
 *
 * Only the packets the benchmark needs: CONNECT, CONNACK, PUBLISH, PUBACK,
 * SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT. The hot paths (publish
 * batches, frame scanning) work on caller-provided buffers and do not
 * allocate per message.
 */

export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;

/** Largest value the 4-byte "remaining length" varint can hold. */
export const MAX_REMAINING_LENGTH = 268_435_455;

export type QoS = 0 | 1;

/** Number of bytes the remaining-length varint takes for `len`. */
export function remainingLengthSize(len: number): number {
  if (len < 0 || len > MAX_REMAINING_LENGTH || !Number.isInteger(len)) {
    throw new RangeError(`invalid remaining length ${len}`);
  }
  if (len < 128) return 1;
  if (len < 16_384) return 2;
  if (len < 2_097_152) return 3;
  return 4;
}

/** Writes the remaining-length varint at `off`; returns the offset after it. */
export function writeRemainingLength(buf: Buffer, off: number, len: number): number {
  remainingLengthSize(len); // validates
  let x = len;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    buf[off++] = byte;
  } while (x > 0);
  return off;
}

/**
 * Parses the fixed header at `off`. Returns the total frame length (header
 * included) or -1 when more bytes are needed to know it; throws on a
 * malformed varint.
 */
export function frameLength(buf: Uint8Array, off: number, end: number): number {
  let mult = 1;
  let len = 0;
  let p = off + 1;
  for (let i = 0; i < 4; i++) {
    if (p >= end) return -1;
    const b = buf[p++] as number;
    len += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) return p - off + len;
    mult *= 128;
  }
  throw new Error('malformed remaining length');
}

function utf8Len(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function writeString(buf: Buffer, off: number, s: string): number {
  const n = buf.write(s, off + 2, 'utf8');
  buf.writeUInt16BE(n, off);
  return off + 2 + n;
}

function frame(first: number, bodyLen: number): { buf: Buffer; off: number } {
  const buf = Buffer.allocUnsafe(1 + remainingLengthSize(bodyLen) + bodyLen);
  buf[0] = first;
  const off = writeRemainingLength(buf, 1, bodyLen);
  return { buf, off };
}

export interface ConnectOptions {
  clientId: string;
  /** Seconds; 0 disables keepalive. */
  keepalive?: number;
  cleanSession?: boolean;
  username?: string;
  password?: string;
}

export function encodeConnect(o: ConnectOptions): Buffer {
  const keepalive = o.keepalive ?? 0;
  if (keepalive < 0 || keepalive > 65_535) throw new RangeError('keepalive out of range');
  let flags = o.cleanSession === false ? 0 : 0x02;
  let bodyLen = 10 + 2 + utf8Len(o.clientId);
  if (o.username !== undefined) {
    flags |= 0x80;
    bodyLen += 2 + utf8Len(o.username);
  }
  if (o.password !== undefined) {
    flags |= 0x40;
    bodyLen += 2 + utf8Len(o.password);
  }
  const { buf, off: start } = frame(CONNECT << 4, bodyLen);
  let off = writeString(buf, start, 'MQTT');
  buf[off++] = 4; // protocol level 3.1.1
  buf[off++] = flags;
  buf.writeUInt16BE(keepalive, off);
  off = writeString(buf, off + 2, o.clientId);
  if (o.username !== undefined) off = writeString(buf, off, o.username);
  if (o.password !== undefined) off = writeString(buf, off, o.password);
  return buf;
}

export interface Subscription {
  topic: string;
  qos: QoS;
}

export function encodeSubscribe(packetId: number, subs: readonly Subscription[]): Buffer {
  if (subs.length === 0) throw new Error('SUBSCRIBE needs at least one topic');
  checkPacketId(packetId);
  let bodyLen = 2;
  for (const s of subs) bodyLen += 2 + utf8Len(s.topic) + 1;
  const { buf, off: start } = frame((SUBSCRIBE << 4) | 0x02, bodyLen);
  buf.writeUInt16BE(packetId, start);
  let off = start + 2;
  for (const s of subs) {
    off = writeString(buf, off, s.topic);
    buf[off++] = s.qos;
  }
  return buf;
}

function checkPacketId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 65_535) throw new RangeError(`invalid packet id ${id}`);
}

export interface PublishOptions {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  /** Required for QoS 1. */
  packetId?: number;
  retain?: boolean;
  dup?: boolean;
}

/** Size of the encoded PUBLISH frame. */
export function publishFrameSize(topicBytes: number, payloadBytes: number, qos: QoS): number {
  const body = 2 + topicBytes + (qos > 0 ? 2 : 0) + payloadBytes;
  return 1 + remainingLengthSize(body) + body;
}

/** Layout of an encoded PUBLISH frame, for in-place patching of batches. */
export interface PublishLayout {
  frameSize: number;
  /** Offset of the packet id inside the frame, -1 for QoS 0. */
  packetIdOffset: number;
  /** Offset of the first payload byte inside the frame. */
  payloadOffset: number;
}

/** Writes one PUBLISH frame at `off`; returns the offset after it. */
export function writePublish(buf: Buffer, off: number, o: PublishOptions): number {
  const topicBytes = utf8Len(o.topic);
  const body = 2 + topicBytes + (o.qos > 0 ? 2 : 0) + o.payload.length;
  buf[off] = (PUBLISH << 4) | (o.dup ? 0x08 : 0) | (o.qos << 1) | (o.retain ? 1 : 0);
  off = writeRemainingLength(buf, off + 1, body);
  off = writeString(buf, off, o.topic);
  if (o.qos > 0) {
    const id = o.packetId ?? 0;
    checkPacketId(id);
    buf.writeUInt16BE(id, off);
    off += 2;
  }
  buf.set(o.payload, off);
  return off + o.payload.length;
}

export function encodePublish(o: PublishOptions): Buffer {
  const buf = Buffer.allocUnsafe(publishFrameSize(utf8Len(o.topic), o.payload.length, o.qos));
  writePublish(buf, 0, o);
  return buf;
}

export function publishLayout(topic: string, payloadBytes: number, qos: QoS): PublishLayout {
  const topicBytes = utf8Len(topic);
  const frameSize = publishFrameSize(topicBytes, payloadBytes, qos);
  const varHeader = frameSize - payloadBytes - (2 + topicBytes + (qos > 0 ? 2 : 0));
  const packetIdOffset = qos > 0 ? varHeader + 2 + topicBytes : -1;
  return { frameSize, packetIdOffset, payloadOffset: frameSize - payloadBytes };
}

/**
 * Builds `count` copies of the same PUBLISH frame back to back. For QoS 1 the
 * packet ids are placeholders (1); patch them with {@link setPacketId}.
 */
export function encodePublishBatch(topic: string, payload: Uint8Array, qos: QoS, count: number): Buffer {
  const one = encodePublish({ topic, payload, qos, packetId: 1 });
  const buf = Buffer.allocUnsafe(one.length * count);
  for (let i = 0; i < count; i++) one.copy(buf, i * one.length);
  return buf;
}

export function setPacketId(buf: Buffer, off: number, id: number): void {
  buf[off] = id >>> 8;
  buf[off + 1] = id & 0xff;
}

export function encodePuback(packetId: number): Buffer {
  checkPacketId(packetId);
  return Buffer.from([PUBACK << 4, 2, packetId >>> 8, packetId & 0xff]);
}

/** Writes a PUBACK at `off` (4 bytes); returns the offset after it. */
export function writePuback(buf: Buffer, off: number, packetId: number): number {
  buf[off] = PUBACK << 4;
  buf[off + 1] = 2;
  buf[off + 2] = packetId >>> 8;
  buf[off + 3] = packetId & 0xff;
  return off + 4;
}

export function encodePingreq(): Buffer {
  return Buffer.from([PINGREQ << 4, 0]);
}

export function encodeDisconnect(): Buffer {
  return Buffer.from([DISCONNECT << 4, 0]);
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

/**
 * Called once per complete frame. `buf[bodyStart, end)` is the body; the
 * buffer may be reused after the call returns, so copy what you keep.
 */
export type FrameHandler = (type: number, flags: number, buf: Buffer, bodyStart: number, end: number) => void;

const EMPTY = Buffer.alloc(0);

/**
 * Streaming frame splitter. Complete frames inside a chunk are handed out in
 * place (no copy, no allocation); only a frame that straddles two chunks is
 * copied into a small per-connection carry buffer.
 */
export class FrameReader {
  private carry: Buffer = EMPTY;
  private carryLen = 0;
  /** Total length of the carried frame, -1 while its header is incomplete. */
  private need = -1;

  constructor(
    private readonly onFrame: FrameHandler,
    private readonly maxFrame = 16 * 1024 * 1024,
  ) {}

  /** Bytes of an incomplete frame currently held back. */
  get pending(): number {
    return this.carryLen;
  }

  push(buf: Buffer, start = 0, end = buf.length): void {
    let off = start;
    if (this.carryLen > 0) {
      off = this.fillCarry(buf, off, end);
      if (this.carryLen > 0) return; // chunk consumed, frame still incomplete
    }
    while (off < end) {
      const total = frameLength(buf, off, end);
      if (total > this.maxFrame) throw new Error(`frame of ${total} bytes exceeds limit`);
      if (total < 0 || off + total > end) {
        this.stash(buf, off, end, total);
        return;
      }
      this.emit(buf, off, off + total);
      off += total;
    }
  }

  private emit(buf: Buffer, off: number, end: number): void {
    const first = buf[off] as number;
    let p = off + 1;
    while (((buf[p] as number) & 0x80) !== 0) p++;
    this.onFrame(first >>> 4, first & 0x0f, buf, p + 1, end);
  }

  private ensureCarry(size: number): void {
    if (this.carry.length >= size) return;
    const next = Buffer.allocUnsafe(Math.max(size, 256, this.carry.length * 2));
    this.carry.copy(next, 0, 0, this.carryLen);
    this.carry = next;
  }

  private stash(buf: Buffer, off: number, end: number, total: number): void {
    const n = end - off;
    this.ensureCarry(total > 0 ? total : n);
    buf.copy(this.carry, 0, off, end);
    this.carryLen = n;
    this.need = total;
  }

  /** Completes the carried frame from `buf`; returns the new offset in `buf`. */
  private fillCarry(buf: Buffer, off: number, end: number): number {
    // Header incomplete: take one byte at a time (at most 4) so we never
    // copy past the end of a tiny frame.
    while (this.need < 0) {
      if (off >= end) return off;
      this.ensureCarry(this.carryLen + 1);
      this.carry[this.carryLen++] = buf[off++] as number;
      this.need = frameLength(this.carry, 0, this.carryLen);
      if (this.need > this.maxFrame) throw new Error(`frame of ${this.need} bytes exceeds limit`);
    }
    this.ensureCarry(this.need);
    const take = Math.min(this.need - this.carryLen, end - off);
    buf.copy(this.carry, this.carryLen, off, off + take);
    this.carryLen += take;
    off += take;
    if (this.carryLen === this.need) {
      const len = this.need;
      this.carryLen = 0;
      this.need = -1;
      this.emit(this.carry, 0, len);
    }
    return off;
  }
}

/** Topic length + 2, i.e. the offset of what follows the topic in a PUBLISH body. */
export function publishTopicEnd(buf: Uint8Array, bodyStart: number): number {
  return bodyStart + 2 + (((buf[bodyStart] as number) << 8) | (buf[bodyStart + 1] as number));
}

/** Packet id of a QoS>0 PUBLISH (body offsets as given to the frame handler). */
export function publishPacketId(buf: Uint8Array, bodyStart: number): number {
  const p = publishTopicEnd(buf, bodyStart);
  return ((buf[p] as number) << 8) | (buf[p + 1] as number);
}

/** Offset of the payload of a PUBLISH with the given QoS. */
export function publishPayloadStart(buf: Uint8Array, bodyStart: number, qos: number): number {
  return publishTopicEnd(buf, bodyStart) + (qos > 0 ? 2 : 0);
}

/** Fully decoded packet, for tests and non-hot paths. */
export type Packet =
  | { type: 'connect'; clientId: string; keepalive: number; cleanSession: boolean; username?: string; password?: string }
  | { type: 'connack'; sessionPresent: boolean; returnCode: number }
  | { type: 'publish'; topic: string; qos: number; retain: boolean; dup: boolean; packetId?: number; payload: Buffer }
  | { type: 'puback'; packetId: number }
  | { type: 'subscribe'; packetId: number; subscriptions: Subscription[] }
  | { type: 'suback'; packetId: number; granted: number[] }
  | { type: 'pingreq' }
  | { type: 'pingresp' }
  | { type: 'disconnect' }
  | { type: 'unknown'; code: number };

function readString(buf: Buffer, off: number, end: number): [string, number] {
  if (off + 2 > end) throw new Error('truncated string');
  const n = buf.readUInt16BE(off);
  if (off + 2 + n > end) throw new Error('truncated string');
  return [buf.toString('utf8', off + 2, off + 2 + n), off + 2 + n];
}

/** Decodes one frame body (as handed to a {@link FrameHandler}). Copies. */
export function decodePacket(type: number, flags: number, buf: Buffer, start: number, end: number): Packet {
  switch (type) {
    case CONNECT: {
      let [proto, off] = readString(buf, start, end);
      if (proto !== 'MQTT') throw new Error(`unsupported protocol ${proto}`);
      off++; // level
      const cf = buf[off++] as number;
      const keepalive = buf.readUInt16BE(off);
      let clientId: string;
      [clientId, off] = readString(buf, off + 2, end);
      const p: Packet = { type: 'connect', clientId, keepalive, cleanSession: (cf & 0x02) !== 0 };
      if (cf & 0x80) [p.username, off] = readString(buf, off, end);
      if (cf & 0x40) [p.password, off] = readString(buf, off, end);
      return p;
    }
    case CONNACK:
      if (end - start !== 2) throw new Error('bad CONNACK length');
      return { type: 'connack', sessionPresent: ((buf[start] as number) & 1) === 1, returnCode: buf[start + 1] as number };
    case PUBLISH: {
      const qos = (flags >> 1) & 3;
      let [topic, off] = readString(buf, start, end);
      const p: Packet = { type: 'publish', topic, qos, retain: (flags & 1) === 1, dup: (flags & 8) === 8, payload: EMPTY };
      if (qos > 0) {
        if (off + 2 > end) throw new Error('truncated PUBLISH');
        p.packetId = buf.readUInt16BE(off);
        off += 2;
      }
      p.payload = Buffer.from(buf.subarray(off, end));
      return p;
    }
    case PUBACK:
      if (end - start !== 2) throw new Error('bad PUBACK length');
      return { type: 'puback', packetId: buf.readUInt16BE(start) };
    case SUBSCRIBE: {
      const packetId = buf.readUInt16BE(start);
      const subscriptions: Subscription[] = [];
      let off = start + 2;
      while (off < end) {
        let topic: string;
        [topic, off] = readString(buf, off, end);
        subscriptions.push({ topic, qos: ((buf[off++] as number) & 3) as QoS });
      }
      return { type: 'subscribe', packetId, subscriptions };
    }
    case SUBACK: {
      const packetId = buf.readUInt16BE(start);
      return { type: 'suback', packetId, granted: Array.from(buf.subarray(start + 2, end)) };
    }
    case PINGREQ:
      return { type: 'pingreq' };
    case PINGRESP:
      return { type: 'pingresp' };
    case DISCONNECT:
      return { type: 'disconnect' };
    default:
      return { type: 'unknown', code: type };
  }
}

/** Splits a complete byte string into decoded packets (tests, tools). */
export function decodeAll(buf: Buffer): Packet[] {
  const out: Packet[] = [];
  const r = new FrameReader((t, f, b, s, e) => out.push(decodePacket(t, f, b, s, e)));
  r.push(buf);
  if (r.pending > 0) throw new Error(`${r.pending} trailing bytes`);
  return out;
}
