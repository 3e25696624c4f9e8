import {
  CONNACK,
  FrameReader,
  PUBLISH,
  SUBACK,
  decodeAll,
  decodePacket,
  encodeConnect,
  encodeDisconnect,
  encodePingreq,
  encodePuback,
  encodePublish,
  encodePublishBatch,
  encodeSubscribe,
  frameLength,
  publishLayout,
  publishPacketId,
  publishPayloadStart,
  remainingLengthSize,
  setPacketId,
  writePuback,
  writeRemainingLength,
  type Packet,
} from '../src/mqtt.js';

const bytes = (...parts: (number | string)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from([p]))));

describe('remaining length', () => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [16_383, [0xff, 0x7f]],
    [16_384, [0x80, 0x80, 0x01]],
    [2_097_151, [0xff, 0xff, 0x7f]],
    [2_097_152, [0x80, 0x80, 0x80, 0x01]],
    [268_435_455, [0xff, 0xff, 0xff, 0x7f]],
  ];
  it.each(cases)('encodes %d as in the spec', (len, enc) => {
    expect(remainingLengthSize(len)).toBe(enc.length);
    const buf = Buffer.alloc(5);
    expect(writeRemainingLength(buf, 0, len)).toBe(enc.length);
    expect([...buf.subarray(0, enc.length)]).toEqual(enc);
  });
  it.each(cases)('frameLength reads %d back', (len, enc) => {
    const header = Buffer.from([0x30, ...enc]);
    expect(frameLength(header, 0, header.length)).toBe(1 + enc.length + len);
  });
  it('reports an incomplete header as -1', () => {
    expect(frameLength(Buffer.from([0x30]), 0, 1)).toBe(-1);
    expect(frameLength(Buffer.from([0x30, 0x80]), 0, 2)).toBe(-1);
  });
  it('rejects a 5-byte varint and out-of-range lengths', () => {
    const bad = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => frameLength(bad, 0, bad.length)).toThrow(/malformed/);
    expect(() => remainingLengthSize(268_435_456)).toThrow(RangeError);
    expect(() => remainingLengthSize(-1)).toThrow(RangeError);
  });
});

describe('encoders', () => {
  it('CONNECT (MQTT 3.1.1, clean session, keepalive)', () => {
    expect(encodeConnect({ clientId: 'a', keepalive: 60 })).toEqual(bytes(0x10, 13, 0, 4, 'MQTT', 4, 0x02, 0, 60, 0, 1, 'a'));
  });
  it('CONNECT with username and password', () => {
    const b = encodeConnect({ clientId: 'c', keepalive: 0, cleanSession: false, username: 'u', password: 'pw' });
    expect(b).toEqual(bytes(0x10, 20, 0, 4, 'MQTT', 4, 0xc0, 0, 0, 0, 1, 'c', 0, 1, 'u', 0, 2, 'pw'));
    expect(decodeAll(b)).toEqual([{ type: 'connect', clientId: 'c', keepalive: 0, cleanSession: false, username: 'u', password: 'pw' }]);
  });
  it('SUBSCRIBE has the reserved flags 0010', () => {
    expect(encodeSubscribe(1, [{ topic: 'a/b', qos: 1 }])).toEqual(bytes(0x82, 8, 0, 1, 0, 3, 'a/b', 1));
    expect(decodeAll(encodeSubscribe(7, [{ topic: 'x', qos: 0 }, { topic: 'y/#', qos: 1 }]))).toEqual([
      { type: 'subscribe', packetId: 7, subscriptions: [{ topic: 'x', qos: 0 }, { topic: 'y/#', qos: 1 }] },
    ]);
    expect(() => encodeSubscribe(0, [{ topic: 'x', qos: 0 }])).toThrow(RangeError);
    expect(() => encodeSubscribe(1, [])).toThrow();
  });
  it('PUBLISH QoS 0 and QoS 1', () => {
    expect(encodePublish({ topic: 'a', payload: Buffer.from('xy'), qos: 0 })).toEqual(bytes(0x30, 5, 0, 1, 'a', 'xy'));
    expect(encodePublish({ topic: 'a', payload: Buffer.from('xy'), qos: 1, packetId: 0x1234 })).toEqual(bytes(0x32, 7, 0, 1, 'a', 0x12, 0x34, 'xy'));
    expect(encodePublish({ topic: 't', payload: Buffer.alloc(0), qos: 0, retain: true, dup: true })[0]).toBe(0x39);
    expect(() => encodePublish({ topic: 'a', payload: Buffer.alloc(1), qos: 1 })).toThrow(RangeError);
  });
  it('PUBLISH with a two-byte remaining length', () => {
    const payload = Buffer.alloc(200, 7);
    const b = encodePublish({ topic: 'bench/1', payload, qos: 1, packetId: 9 });
    expect(b.length).toBe(1 + 2 + 2 + 7 + 2 + 200);
    expect(decodeAll(b)).toEqual([{ type: 'publish', topic: 'bench/1', qos: 1, retain: false, dup: false, packetId: 9, payload }]);
  });
  it('publishLayout points at the packet id and payload', () => {
    for (const [topic, size] of [
      ['a', 2],
      ['bench/42', 64],
      ['bench/fan-out', 300],
    ] as const) {
      const l = publishLayout(topic, size, 1);
      const payload = Buffer.alloc(size, 0xab);
      const b = encodePublish({ topic, payload, qos: 1, packetId: 0xbeef });
      expect(l.frameSize).toBe(b.length);
      expect(b.readUInt16BE(l.packetIdOffset)).toBe(0xbeef);
      expect(b.subarray(l.payloadOffset)).toEqual(payload);
      const l0 = publishLayout(topic, size, 0);
      expect(l0.packetIdOffset).toBe(-1);
      expect(l0.frameSize).toBe(l.frameSize - 2);
    }
  });
  it('batches of identical frames can be patched with packet ids', () => {
    const topic = 'bench/q/3';
    const payload = Buffer.alloc(64, 0x78);
    const l = publishLayout(topic, payload.length, 1);
    const batch = encodePublishBatch(topic, payload, 1, 5);
    expect(batch.length).toBe(5 * l.frameSize);
    for (let k = 0; k < 5; k++) setPacketId(batch, k * l.frameSize + l.packetIdOffset, 65_534 + k);
    const ids = decodeAll(batch).map((p) => (p.type === 'publish' ? p.packetId : -1));
    expect(ids).toEqual([65_534, 65_535, 65_536 & 0xffff, 65_537 & 0xffff, 65_538 & 0xffff]);
  });
  it('PUBACK, PINGREQ, DISCONNECT', () => {
    expect(encodePuback(0x0102)).toEqual(Buffer.from([0x40, 2, 1, 2]));
    const b = Buffer.alloc(8);
    expect(writePuback(b, 4, 65_535)).toBe(8);
    expect([...b.subarray(4)]).toEqual([0x40, 2, 0xff, 0xff]);
    expect(encodePingreq()).toEqual(Buffer.from([0xc0, 0]));
    expect(encodeDisconnect()).toEqual(Buffer.from([0xe0, 0]));
  });
});

describe('decoding', () => {
  it('CONNACK and SUBACK', () => {
    expect(decodeAll(Buffer.from([0x20, 2, 1, 5]))).toEqual([{ type: 'connack', sessionPresent: true, returnCode: 5 }]);
    expect(decodeAll(Buffer.from([0x90, 4, 0, 3, 1, 0x80]))).toEqual([{ type: 'suback', packetId: 3, granted: [1, 0x80] }]);
    expect(decodeAll(Buffer.from([0xd0, 0]))).toEqual([{ type: 'pingresp' }]);
  });
  it('offset helpers read packet id and payload in place', () => {
    const b = encodePublish({ topic: 'abc', payload: Buffer.from('hello'), qos: 1, packetId: 513 });
    let seen = false;
    new FrameReader((type, flags, buf, start, end) => {
      expect(type).toBe(PUBLISH);
      expect((flags >> 1) & 3).toBe(1);
      expect(publishPacketId(buf, start)).toBe(513);
      expect(buf.toString('utf8', publishPayloadStart(buf, start, 1), end)).toBe('hello');
      seen = true;
    }).push(b);
    expect(seen).toBe(true);
  });
  it('rejects truncated bodies', () => {
    expect(() => decodePacket(CONNACK, 0, Buffer.from([0]), 0, 1)).toThrow();
    expect(() => decodePacket(PUBLISH, 2, Buffer.from([0, 5, 0x61]), 0, 3)).toThrow(/truncated/);
    expect(decodePacket(SUBACK, 0, Buffer.from([0, 1, 0]), 0, 3)).toEqual({ type: 'suback', packetId: 1, granted: [0] });
  });
});

describe('FrameReader', () => {
  const frames: Buffer[] = [
    encodeConnect({ clientId: 'client-1', keepalive: 30 }),
    Buffer.from([0x20, 2, 0, 0]),
    encodePublish({ topic: 'bench/1', payload: Buffer.alloc(64, 1), qos: 0 }),
    Buffer.from([0xd0, 0]), // 2-byte frame right after a long one
    encodePublish({ topic: 'bench/2', payload: Buffer.alloc(300, 2), qos: 1, packetId: 77 }), // 2-byte varint
    encodePuback(77),
    encodePublish({ topic: 'x', payload: Buffer.alloc(20_000, 3), qos: 0 }), // 3-byte varint
    Buffer.from([0xd0, 0]),
  ];
  const stream = Buffer.concat(frames);
  // Payloads as strings: deep equality on big Buffers is slow in Jest.
  const flat = (p: Packet): unknown => (p.type === 'publish' ? { ...p, payload: p.payload.toString('base64') } : p);
  const expected = decodeAll(stream).map(flat);

  function collect(chunks: Buffer[]): unknown[] {
    const out: unknown[] = [];
    const r = new FrameReader((t, f, b, s, e) => out.push(flat(decodePacket(t, f, b, s, e))));
    for (const c of chunks) r.push(c);
    expect(r.pending).toBe(0);
    return out;
  }

  it('decodes a whole stream', () => {
    expect(expected.map((p) => (p as Packet).type)).toEqual(['connect', 'connack', 'publish', 'pingresp', 'publish', 'puback', 'publish', 'pingresp']);
  });

  it('handles every single split point', () => {
    for (let cut = 1; cut < stream.length; cut += cut < 400 ? 1 : 97) {
      expect(collect([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(expected);
    }
  });

  it('handles one byte at a time', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1));
    expect(collect(chunks)).toEqual(expected);
  });

  it('handles random chunking into a reused buffer', () => {
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const shared = Buffer.alloc(1024);
    for (let round = 0; round < 20; round++) {
      const out: unknown[] = [];
      const r = new FrameReader((t, f, b, s, e) => out.push(flat(decodePacket(t, f, b, s, e))));
      let off = 0;
      while (off < stream.length) {
        const n = Math.min(stream.length - off, 1 + Math.floor(rnd() * shared.length));
        stream.copy(shared, 0, off, off + n); // like net's onread buffer: overwritten every read
        r.push(shared, 0, n);
        shared.fill(0xee);
        off += n;
      }
      expect(out).toEqual(expected);
    }
  });

  it('hands out complete frames in place, without copying', () => {
    const seen: Buffer[] = [];
    const r = new FrameReader((_t, _f, b) => seen.push(b));
    r.push(stream);
    expect(seen.every((b) => b === stream)).toBe(true);
  });

  it('throws on malformed or oversized frames', () => {
    expect(() => new FrameReader(() => {}).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/malformed/);
    expect(() => new FrameReader(() => {}, 100).push(encodePublish({ topic: 'a', payload: Buffer.alloc(200), qos: 0 }))).toThrow(/exceeds/);
  });
});
