// Frames between cluster nodes: [u32 length][u8 type][body]. A forwarded message is
// binary (it is the hot path); control calls carry JSON.
import type { PublishProperties, QoS } from '@nemq/codec';
import { Message } from '../types.js';

export const F_HELLO = 1;
export const F_FORWARD = 2;
export const F_CALL = 3;
export const F_REPLY = 4;
export const F_CAST = 5;

const FLAG_RETAIN = 1;
const FLAG_DUP = 2;
const FLAG_SYS = 4;
const FLAG_RETAINED = 8;

/** JSON that keeps Buffers (correlation data, payloads in session snapshots) */
export function toJson(v: unknown): string {
  return JSON.stringify(v);
}

export function fromJson(s: string): unknown {
  return JSON.parse(s, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data);
    }
    return v;
  });
}

/** a message's bytes: id, qos, flags, timestamp, from, topic, properties (JSON), payload */
export function encodeMessage(m: Message): Buffer {
  if (m.wire !== undefined) return m.wire;
  const props = m.properties !== undefined ? Buffer.from(toJson(m.properties)) : undefined;
  const fromLen = Buffer.byteLength(m.from);
  const topicLen = Buffer.byteLength(m.topic);
  const propsLen = props === undefined ? 0 : props.length;
  const b = Buffer.allocUnsafe(8 + 1 + 1 + 8 + 2 + fromLen + 2 + topicLen + 4 + propsLen + m.payload.length);
  let o = b.writeDoubleBE(m.id, 0);
  o = b.writeUInt8(m.qos, o);
  let f = 0;
  if (m.flags.retain) f |= FLAG_RETAIN;
  if (m.flags.dup) f |= FLAG_DUP;
  if (m.flags.sys) f |= FLAG_SYS;
  if (m.headers.retained === true) f |= FLAG_RETAINED;
  o = b.writeUInt8(f, o);
  o = b.writeDoubleBE(m.timestamp, o);
  o = b.writeUInt16BE(fromLen, o);
  o += b.write(m.from, o);
  o = b.writeUInt16BE(topicLen, o);
  o += b.write(m.topic, o);
  o = b.writeUInt32BE(propsLen, o);
  if (props !== undefined) o += props.copy(b, o);
  m.payload.copy(b, o);
  m.wire = b;
  return b;
}

export function decodeMessage(b: Buffer, start: number, end: number): Message {
  let o = start;
  const id = b.readDoubleBE(o);
  o += 8;
  const qos = b[o++]! as QoS;
  const f = b[o++]!;
  const ts = b.readDoubleBE(o);
  o += 8;
  const fromLen = b.readUInt16BE(o);
  o += 2;
  const from = b.toString('utf8', o, o + fromLen);
  o += fromLen;
  const topicLen = b.readUInt16BE(o);
  o += 2;
  const topic = b.toString('utf8', o, o + topicLen);
  o += topicLen;
  const propsLen = b.readUInt32BE(o);
  o += 4;
  const props = propsLen > 0 ? (fromJson(b.toString('utf8', o, o + propsLen)) as PublishProperties) : undefined;
  o += propsLen;
  // a copy: the frame's buffer is reused by the reader
  const payload = Buffer.from(b.subarray(o, end));
  const msg = new Message(id, qos, from, { retain: (f & FLAG_RETAIN) !== 0, dup: (f & FLAG_DUP) !== 0, sys: (f & FLAG_SYS) !== 0 }, topic, payload, props, ts);
  if ((f & FLAG_RETAINED) !== 0) msg.headers.retained = true;
  return msg;
}

/** message → plain JSON-able record (session snapshots) and back */
export function messageRecord(m: Message): string {
  return encodeMessage(m).toString('base64');
}

export function fromRecord(s: string): Message {
  const b = Buffer.from(s, 'base64');
  return decodeMessage(b, 0, b.length);
}

/** splits a stream of frames; calls back (type, buffer, bodyStart, bodyEnd) */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (type: number, b: Buffer, start: number, end: number) => void, private readonly maxFrame = 256 * 1024 * 1024) {}

  push(chunk: Buffer): void {
    let b = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let o = 0;
    while (b.length - o >= 5) {
      const len = b.readUInt32BE(o);
      if (len < 1 || len > this.maxFrame) throw new Error(`bad cluster frame length ${len}`);
      if (b.length - o - 4 < len) break;
      this.onFrame(b[o + 4]!, b, o + 5, o + 4 + len);
      o += 4 + len;
    }
    this.buf = o === b.length ? Buffer.alloc(0) : b.subarray(o);
    if (this.buf.length > 0 && o > 0) this.buf = Buffer.from(this.buf);
    b = this.buf;
  }
}

/** appends frames into one buffer; take() hands the bytes over and starts again */
export class FrameWriter {
  private b = Buffer.allocUnsafe(64 * 1024);
  private o = 0;
  count = 0;

  get size(): number {
    return this.o;
  }

  private room(n: number): void {
    if (this.o + n <= this.b.length) return;
    const nb = Buffer.allocUnsafe(Math.max(this.b.length * 2, this.o + n));
    this.b.copy(nb, 0, 0, this.o);
    this.b = nb;
  }

  /** [len][F_FORWARD][u16 filter][filter][u8 group][group][message] */
  forward(filter: string, group: string | undefined, msg: Buffer): void {
    const fl = Buffer.byteLength(filter);
    const gl = group === undefined ? 0 : Buffer.byteLength(group);
    const len = 1 + 2 + fl + 1 + gl + msg.length;
    this.room(4 + len);
    const b = this.b;
    let o = b.writeUInt32BE(len, this.o);
    b[o++] = F_FORWARD;
    o = b.writeUInt16BE(fl, o);
    o += b.write(filter, o);
    b[o++] = gl;
    if (gl > 0) o += b.write(group!, o);
    o += msg.copy(b, o);
    this.o = o;
    this.count++;
  }

  /** [len][type][u32 id][json] */
  json(type: number, id: number, body: unknown): void {
    const j = Buffer.from(toJson(body));
    const len = 1 + 4 + j.length;
    this.room(4 + len);
    const b = this.b;
    let o = b.writeUInt32BE(len, this.o);
    b[o++] = type;
    o = b.writeUInt32BE(id >>> 0, o);
    o += j.copy(b, o);
    this.o = o;
    this.count++;
  }

  take(): Buffer {
    const out = Buffer.from(this.b.subarray(0, this.o));
    this.o = 0;
    this.count = 0;
    return out;
  }
}

/** the body of an F_FORWARD frame */
export function readForward(b: Buffer, start: number, end: number): { filter: string; group: string | undefined; msg: Message } {
  let o = start;
  const fl = b.readUInt16BE(o);
  o += 2;
  const filter = b.toString('utf8', o, o + fl);
  o += fl;
  const gl = b[o++]!;
  const group = gl > 0 ? b.toString('utf8', o, o + gl) : undefined;
  o += gl;
  return { filter, group, msg: decodeMessage(b, o, end) };
}

/** the body of a JSON frame */
export function readJson(b: Buffer, start: number, end: number): { id: number; body: unknown } {
  return { id: b.readUInt32BE(start), body: fromJson(b.toString('utf8', start + 4, end)) };
}
