import { CodecError, encode, Parser } from '../src/index.js';
import type { Packet, ProtocolVersion } from '../src/index.js';
import { isUtf8 } from 'node:buffer';
import { decodeString, validUtf8 } from '../src/utf8.js';
import { parseAll, parseChunks, parseError, parseOne, Rng, VERSIONS } from './helpers.js';

const MALFORMED = 0x81;
const PROTOCOL_ERROR = 0x82;
const UNSUPPORTED_VERSION = 0x84;
const TOO_LARGE = 0x95;

type Bytes = number[] | Buffer;
const flat = (...parts: Bytes[]): number[] => parts.flatMap((p) => [...p]);

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 0x80;
    out.push(d);
  } while (n > 0);
  return out;
}
/** A packet from its first byte and body. */
const pkt = (b0: number, ...body: Bytes[]): Buffer => {
  const b = flat(...body);
  return Buffer.from([b0, ...varint(b.length), ...b]);
};
const u16 = (n: number): number[] => [n >> 8, n & 0xff];
const str = (s: string | Buffer): number[] => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return [...u16(b.length), ...b];
};
/** MQTT 5 property block (length + bytes). */
const props = (...p: Bytes[]): number[] => {
  const b = flat(...p);
  return [...varint(b.length), ...b];
};

/** CONNECT body for the given level with flags, then payload parts. */
const connect = (level: number, flags: number, extra: { name?: string; props?: number[]; payload?: Bytes[] } = {}): Buffer =>
  pkt(0x10, str(extra.name ?? (level === 3 ? 'MQIsdp' : 'MQTT')), [level, flags], u16(30),
    level === 5 ? (extra.props ?? [0]) : [], ...(extra.payload ?? [str('client')]));

const expectError = (buf: Bytes, v: ProtocolVersion, code: number): CodecError => {
  const e = parseError(Buffer.from(buf), v);
  expect(e).toBeInstanceOf(CodecError);
  expect(e.reasonCode).toBe(code);
  return e;
};

describe('fixed header', () => {
  test.each(VERSIONS)('[MQTT-2.2.2-1] [MQTT-2.2.2-2] PUBREL with flags 0 is malformed (level %i)', (v) => {
    expectError(pkt(0x60, u16(1)), v, MALFORMED);
    expect(parseOne(pkt(0x62, u16(1)), v)).toMatchObject({ cmd: 'pubrel', messageId: 1 });
  });

  test('MQTT 3.1: PUBREL, SUBSCRIBE and UNSUBSCRIBE resent with DUP (flags 1010) are accepted; 3.1.1 and 5 refuse them [MQTT-3.6.1-1]', () => {
    expect(parseOne(pkt(0x6a, u16(1)), 3)).toMatchObject({ cmd: 'pubrel', messageId: 1 });
    expect(parseOne(pkt(0x8a, u16(2), str('a'), [1]), 3)).toMatchObject({ cmd: 'subscribe', messageId: 2 });
    expect(parseOne(pkt(0xaa, u16(3), str('a')), 3)).toMatchObject({ cmd: 'unsubscribe', messageId: 3 });
    expectError(pkt(0x6a, u16(1)), 4, MALFORMED);
    expectError(pkt(0x6a, u16(1)), 5, MALFORMED);
    // only DUP: other bits stay malformed on 3.1 as well
    expectError(pkt(0x6e, u16(1)), 3, MALFORMED);
    expectError(pkt(0x68, u16(1)), 3, MALFORMED);
  });

  test('MQTT 3.1 CONNACK has no session-present flag: the first byte is 0; 3.1.1 and 5 set it', () => {
    expect([...encode({ cmd: 'connack', sessionPresent: true, reasonCode: 0 }, 3)]).toEqual([0x20, 2, 0, 0]);
    expect([...encode({ cmd: 'connack', sessionPresent: true, reasonCode: 0 }, 4)]).toEqual([0x20, 2, 1, 0]);
    expect(encode({ cmd: 'connack', sessionPresent: true, reasonCode: 0 }, 5)[2]).toBe(1);
  });

  test.each(VERSIONS)('[MQTT-2.2.2-1] SUBSCRIBE and UNSUBSCRIBE with flags other than 0b0010 are malformed (level %i)', (v) => {
    const p = v === 5 ? [0] : [];
    for (const flags of [0, 1, 3, 4, 8, 0xf]) {
      expectError(pkt(0x80 | flags, u16(1), p, str('a'), [0]), v, MALFORMED);
      expectError(pkt(0xa0 | flags, u16(1), p, str('a')), v, MALFORMED);
    }
    expect(parseOne(pkt(0x82, u16(1), p, str('a'), [1]), v)).toMatchObject({ cmd: 'subscribe', subscriptions: [{ topic: 'a', qos: 1 }] });
    expect(parseOne(pkt(0xa2, u16(1), p, str('a')), v)).toMatchObject({ cmd: 'unsubscribe', unsubscriptions: ['a'] });
  });

  test.each([
    ['CONNECT', 0x11], ['CONNACK', 0x28], ['PUBACK', 0x42], ['PUBREC', 0x51], ['PUBCOMP', 0x78], ['SUBACK', 0x92],
    ['UNSUBACK', 0xb1], ['PINGREQ', 0xc4], ['PINGRESP', 0xd2], ['DISCONNECT', 0xe1],
  ])('[MQTT-2.2.2-1] %s with non-zero reserved flags is malformed', (_name, b0) => {
    const r = parseAll(Buffer.from([b0, 0]), 4);
    expect(r.errors.map((e) => e.reasonCode)).toEqual([MALFORMED]);
    expect(r.packets).toEqual([]);
  });

  test('[MQTT-2.2.2-1] AUTH with non-zero flags is malformed', () => {
    expectError([0xf1, 0], 5, MALFORMED);
  });

  test.each(VERSIONS)('packet type 0 is malformed (level %i)', (v) => {
    expectError([0x00, 0], v, MALFORMED);
  });

  test.each([3, 4] as const)('packet type 15 (AUTH) in level %i is malformed', (v) => {
    expectError([0xf0, 0], v, MALFORMED);
    expect(() => encode({ cmd: 'auth', reasonCode: 0 }, v)).toThrow(CodecError);
  });

  test('remaining length longer than 4 bytes is malformed', () => {
    expectError([0x30, 0xff, 0xff, 0xff, 0xff, 0x01], 4, MALFORMED);
    // also when the bytes arrive one by one
    const r = parseChunks([0x30, 0x80, 0x80, 0x80, 0x80, 0x01].map((b) => Buffer.from([b])));
    expect(r.errors.map((e) => e.reasonCode)).toEqual([MALFORMED]);
  });

  test('the largest 4-byte remaining length is reported as too large, not malformed', () => {
    const r = parseAll(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), 4, 1000);
    expect(r.errors.map((e) => e.reasonCode)).toEqual([TOO_LARGE]);
  });
});

describe('maximum packet size', () => {
  const publish = encode({ cmd: 'publish', qos: 0, dup: false, retain: false, topic: 't', payload: Buffer.alloc(100) }, 4);

  test('a packet exactly at the limit is accepted, one byte more is 0x95', () => {
    expect(parseAll(publish, 4, publish.length).packets.length).toBe(1);
    const r = parseAll(publish, 4, publish.length - 1);
    expect(r.errors.map((e) => e.reasonCode)).toEqual([TOO_LARGE]);
    expect(r.packets).toEqual([]);
  });

  test('is checked as soon as the remaining length is known, before the body arrives', () => {
    const parser = new Parser({ maxPacketSize: 1024 });
    const errors: CodecError[] = [];
    parser.onError = (e) => errors.push(e);
    parser.parse(Buffer.from([0x30, 0x80, 0x80])); // header not complete yet
    expect(errors).toEqual([]);
    parser.parse(Buffer.from([0x40])); // remaining length 1048576
    expect(errors.map((e) => e.reasonCode)).toEqual([TOO_LARGE]);
    expect(parser.failed).toBe(true);
  });

  test('maxPacketSize can be changed between packets', () => {
    const parser = new Parser();
    const codes: number[] = [];
    let n = 0;
    parser.onPacket = () => n++;
    parser.onError = (e) => codes.push(e.reasonCode);
    parser.parse(publish);
    parser.maxPacketSize = 10;
    parser.parse(publish);
    expect([n, codes]).toEqual([1, [TOO_LARGE]]);
  });
});

describe('PUBLISH', () => {
  test.each(VERSIONS)('[MQTT-3.3.1-4] QoS 3 is a protocol error, as EMQX reports it (level %i)', (v) => {
    expectError(pkt(0x36, str('t'), u16(1), v === 5 ? [0] : []), v, PROTOCOL_ERROR);
  });

  test('QoS 0 with DUP set is accepted by the parser', () => {
    expect(parseOne(pkt(0x38, str('t'), [1, 2]), 4)).toEqual({
      cmd: 'publish', qos: 0, dup: true, retain: false, topic: 't', payload: Buffer.from([1, 2]),
    });
  });

  test.each(VERSIONS)('[MQTT-2.2.1-3] QoS > 0 needs a non-zero packet identifier (level %i)', (v) => {
    expectError(pkt(0x32, str('t'), u16(0), v === 5 ? [0] : []), v, PROTOCOL_ERROR);
    expectError(pkt(0x34, str('t'), [0]), v, MALFORMED); // identifier cut short
    expectError(pkt(0x32, str('t')), v, MALFORMED);
  });

  test('topic longer than the packet is malformed', () => {
    expectError(pkt(0x30, u16(10), [0x61, 0x62]), 4, MALFORMED);
    expectError(pkt(0x30, [0]), 4, MALFORMED);
    expectError(pkt(0x30), 4, MALFORMED);
  });

  test('MQTT 5 PUBLISH without property length is malformed', () => {
    expectError(pkt(0x30, str('t')), 5, MALFORMED);
  });

  test('empty payload and empty topic (topic alias) parse', () => {
    expect(parseOne(pkt(0x30, str(''), props([0x23, 0, 5])), 5)).toEqual({
      cmd: 'publish', qos: 0, dup: false, retain: false, topic: '', payload: Buffer.alloc(0), properties: { topicAlias: 5 },
    });
  });
});

describe('UTF-8 strings', () => {
  const bad: [string, number[]][] = [
    ['invalid byte 0xff', [0x61, 0xff]],
    ['lone continuation byte', [0x80]],
    ['overlong encoding of "/"', [0xc0, 0xaf]],
    ['overlong encoding of U+0000', [0xc0, 0x80]],
    ['UTF-16 surrogate U+D800', [0xed, 0xa0, 0x80]],
    ['truncated 3-byte sequence', [0xe4, 0xb8]],
    ['code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ];

  test.each(bad)('[MQTT-1.5.4-1] topic with %s is malformed', (_name, bytes) => {
    expectError(pkt(0x30, str(Buffer.from(bytes)), [1]), 4, MALFORMED);
    // the same in a long string, which takes the native validation path
    expectError(pkt(0x30, str(Buffer.from([...Buffer.from('x'.repeat(100)), ...bytes])), [1]), 4, MALFORMED);
  });

  test('[MQTT-1.5.4-2] U+0000 in a string is malformed', () => {
    expectError(pkt(0x30, str(Buffer.from([0x61, 0x00, 0x62])), [1]), 4, MALFORMED);
    expectError(pkt(0x30, str(Buffer.from([...Buffer.from('é'.repeat(50)), 0])), [1]), 4, MALFORMED);
    expectError(connect(4, 0x02, { payload: [str(Buffer.from([0x63, 0]))] }), 4, MALFORMED);
    expectError(pkt(0x82, u16(1), str(Buffer.from([0x61, 0])), [0]), 4, MALFORMED);
    expectError(pkt(0xa2, u16(1), str(Buffer.from([0])), [0]), 4, MALFORMED);
  });

  test('[MQTT-1.5.4-1] invalid UTF-8 in an MQTT 5 user property is malformed', () => {
    expectError(pkt(0x40, u16(1), [0], props([0x26], str('k'), str(Buffer.from([0xff])))), 5, MALFORMED);
    expectError(pkt(0x40, u16(1), [0], props([0x26], str(Buffer.from([0])), str('v'))), 5, MALFORMED);
  });

  test('[MQTT-1.5.4-3] U+FEFF is kept, other valid code points pass', () => {
    const topic = '\ufeffa/\u0001/\u{10ffff}';
    expect(parseOne(pkt(0x30, str(topic)), 4)).toMatchObject({ topic });
  });

  test('[MQTT-1.5.4-1] [MQTT-1.5.4-2] string validation agrees with node:buffer isUtf8 on 200k random inputs', () => {
    const r = new Rng(0x7f8);
    const pieces = [[0x61], [0x00], [0x7f], [0x80], [0xbf], [0xc0], [0xc1], [0xc2], [0xdf], [0xe0], [0xe0, 0xa0], [0xe0, 0x9f],
      [0xed, 0x9f], [0xed, 0xa0], [0xef, 0xbf, 0xbf], [0xf0, 0x90], [0xf0, 0x8f], [0xf4, 0x8f], [0xf4, 0x90], [0xf5], [0xff],
      [...Buffer.from('é中😀')]];
    for (let i = 0; i < 200_000; i++) {
      // a long ASCII prefix sends the string down the native decoding path
      const parts: number[] = r.bool(0.3) ? [...Buffer.from('x'.repeat(r.range(10, 40)))] : [];
      const n = r.int(6);
      for (let k = 0; k < n; k++) parts.push(...(r.bool(0.8) ? r.pick(pieces) : [r.int(256)]));
      const b = Buffer.from(parts);
      const expected = isUtf8(b) && !b.includes(0);
      if (validUtf8(b, 0, b.length) !== expected || (decodeString(b, 0, b.length) !== null) !== expected) {
        throw new Error(`disagreement on ${b.toString('hex')}: expected ${expected}`);
      }
      if (expected && decodeString(b, 0, b.length) !== b.toString('utf8')) throw new Error(`wrong decoding of ${b.toString('hex')}`);
    }
  });

  test('binary data (password, payload, correlation data) is not checked for UTF-8', () => {
    const p = parseOne(connect(5, 0x40 | 0x02, { payload: [str('c'), str(Buffer.from([0xff, 0]))] }), 5);
    expect(p).toMatchObject({ cmd: 'connect', password: Buffer.from([0xff, 0]) });
  });
});

describe('CONNECT', () => {
  test('protocol name and level are checked; wrong name or level is 0x84', () => {
    expectError(connect(4, 0x02, { name: 'MQTX' }), 4, UNSUPPORTED_VERSION);
    expectError(connect(4, 0x02, { name: 'MQIsdp' }), 4, UNSUPPORTED_VERSION);
    expectError(connect(3, 0x02, { name: 'MQTT' }), 4, UNSUPPORTED_VERSION);
    expectError(connect(5, 0x02, { name: 'mqtt' }), 4, UNSUPPORTED_VERSION);
    for (const level of [0, 1, 2, 6, 7, 0x7f, 0x86]) expectError(connect(level, 0x02), 4, UNSUPPORTED_VERSION);
    expectError(pkt(0x10, str('HTTP'), [0x31]), 4, UNSUPPORTED_VERSION);
  });

  test.each([[3, 'MQIsdp'], [4, 'MQTT'], [5, 'MQTT']] as const)('level %i with name %s sets parser.protocolVersion', (level, name) => {
    const { packets, parser } = parseChunks([connect(level, 0x02)], { protocolVersion: 4 });
    expect(packets).toEqual([{ cmd: 'connect', protocolId: name, protocolVersion: level, clean: true, keepalive: 30, clientId: 'client' }]);
    expect(parser.protocolVersion).toBe(level);
  });

  test('the protocol version is known in onError when a v5 CONNECT fails after its level byte', () => {
    const r = parseChunks([connect(5, 0x02, { props: props([0x11, 0, 0, 0, 1], [0x11, 0, 0, 0, 2]) })], { protocolVersion: 4 });
    expect(r.errors.map((e) => e.reasonCode)).toEqual([PROTOCOL_ERROR]);
    expect(r.parser.protocolVersion).toBe(5);
  });

  test('packets after CONNECT are decoded with its version', () => {
    const buf = Buffer.concat([connect(5, 0x02), pkt(0x40, u16(1), [0x10])]);
    expect(parseChunks([buf], { protocolVersion: 4 }).packets[1]).toEqual({ cmd: 'puback', messageId: 1, reasonCode: 0x10 });
  });

  test.each(VERSIONS)('[MQTT-3.1.2-3] reserved connect flag set is malformed (level %i)', (v) => {
    expectError(connect(v, 0x03), v, MALFORMED);
  });

  test.each(VERSIONS)('[MQTT-3.1.2-11] [MQTT-3.1.2-13] will QoS / will retain without will flag are malformed (level %i)', (v) => {
    expectError(connect(v, 0x02 | 0x08), v, MALFORMED);
    expectError(connect(v, 0x02 | 0x10), v, MALFORMED);
    expectError(connect(v, 0x02 | 0x20), v, MALFORMED);
  });

  test.each(VERSIONS)('[MQTT-3.1.2-14] will QoS 3 is malformed (level %i)', (v) => {
    expectError(connect(v, 0x02 | 0x04 | 0x18, { payload: [str('c'), v === 5 ? [0] : [], str('w'), str('x')] }), v, MALFORMED);
  });

  test('[MQTT-3.1.2-22] password without user name is malformed in 3.1.1, allowed in 5.0', () => {
    expectError(connect(4, 0x42, { payload: [str('c'), str('pw')] }), 4, MALFORMED);
    expect(parseOne(connect(5, 0x42, { payload: [str('c'), str('pw')] }), 5)).toMatchObject({ password: Buffer.from('pw') });
  });

  test('user name / password / will announced by flags but missing are malformed', () => {
    expectError(connect(4, 0x82), 4, MALFORMED);
    expectError(connect(4, 0xc2, { payload: [str('c'), str('u')] }), 4, MALFORMED);
    expectError(connect(4, 0x06), 4, MALFORMED);
    expectError(connect(4, 0x06, { payload: [str('c'), str('w')] }), 4, MALFORMED);
  });

  test('bytes after the CONNECT payload are malformed', () => {
    expectError(connect(4, 0x02, { payload: [str('c'), [0]] }), 4, MALFORMED);
  });

  test('truncated CONNECT (remaining length consistent, fields missing) is malformed', () => {
    const full = connect(4, 0x02);
    for (let n = 1; n < full.length - 2; n++) {
      const body = full.subarray(2, 2 + n);
      expectError(pkt(0x10, body), 4, MALFORMED);
    }
  });

  test('MQTT 5 will properties', () => {
    const p = parseOne(connect(5, 0x04 | 0x02, { payload: [str('c'), props([0x18, 0, 0, 0, 9], [0x01, 1]), str('w'), str('m')] }), 5);
    expect(p).toMatchObject({ will: { topic: 'w', payload: Buffer.from('m'), qos: 0, retain: false, properties: { willDelayInterval: 9, payloadFormatIndicator: true } } });
    // a CONNECT-only property inside the will properties is not allowed there
    expectError(connect(5, 0x04 | 0x02, { payload: [str('c'), props([0x11, 0, 0, 0, 9]), str('w'), str('m')] }), 5, MALFORMED);
  });
});

describe('MQTT 5 properties', () => {
  const puback = (...p: Bytes[]): Buffer => pkt(0x40, u16(1), [0], props(...p));

  test.each([
    ['session expiry interval in CONNECT', connect(5, 0x02, { props: props([0x11, 0, 0, 0, 1], [0x11, 0, 0, 0, 1]) })],
    ['reason string in PUBACK', puback([0x1f], str('a'), [0x1f], str('b'))],
    ['topic alias in PUBLISH', pkt(0x30, str('t'), props([0x23, 0, 1], [0x23, 0, 2]))],
    ['subscription identifier in SUBSCRIBE', pkt(0x82, u16(1), props([0x0b, 1], [0x0b, 2]), str('a'), [0])],
    ['maximum QoS in CONNACK', pkt(0x20, [0, 0], props([0x24, 0], [0x24, 1]))],
    ['authentication method in AUTH', pkt(0xf0, [0x18], props([0x15], str('a'), [0x15], str('a')))],
  ])('a property that may appear once appearing twice is a protocol error: %s', (_name, buf) => {
    expectError(buf, 5, PROTOCOL_ERROR);
  });

  test('several subscription identifiers in PUBLISH become an array', () => {
    expect(parseOne(pkt(0x30, str('t'), props([0x0b, 1], [0x0b, 0x80, 0x01], [0x0b, 3])), 5))
      .toMatchObject({ properties: { subscriptionIdentifier: [1, 128, 3] } });
  });

  test.each([0x00, 0x04, 0x05, 0x0a, 0x2b, 0x7f, 0x80, 0xff])('unknown property identifier %d is malformed', (id) => {
    expectError(puback([id, 0]), 5, MALFORMED);
  });

  test.each([
    ['topic alias in CONNECT', connect(5, 0x02, { props: props([0x23, 0, 1]) })],
    ['session expiry interval in PUBLISH', pkt(0x30, str('t'), props([0x11, 0, 0, 0, 1]))],
    ['will delay interval in CONNECT', connect(5, 0x02, { props: props([0x18, 0, 0, 0, 1]) })],
    ['server reference in PUBACK', puback([0x1c], str('x'))],
    ['subscription identifier in UNSUBSCRIBE', pkt(0xa2, u16(1), props([0x0b, 1]), str('a'))],
  ])('a property not valid for the packet is malformed: %s', (_name, buf) => {
    expectError(buf, 5, MALFORMED);
  });

  test('property length beyond the packet, and values beyond the property length, are malformed', () => {
    expectError(pkt(0x40, u16(1), [0], [10, 0x1f, 0, 1, 0x41]), 5, MALFORMED);
    // reason string claims 3 bytes but the property block holds 1
    expectError(pkt(0x40, u16(1), [0], [4, 0x1f, 0, 3, 0x41], [0x42, 0x43]), 5, MALFORMED);
    // truncated four byte integer
    expectError(pkt(0x40, u16(1), [0], [3, 0x11, 0, 0]), 5, MALFORMED);
  });

  test('variable byte integer property longer than 4 bytes is malformed', () => {
    expectError(pkt(0x30, str('t'), props([0x0b, 0x80, 0x80, 0x80, 0x80, 0x01])), 5, MALFORMED);
  });

  test.each([
    ['subscription identifier 0 in PUBLISH', pkt(0x30, str('t'), props([0x0b, 0]))],
    ['subscription identifier 0 in SUBSCRIBE', pkt(0x82, u16(1), props([0x0b, 0]), str('a'), [0])],
    ['receive maximum 0', connect(5, 0x02, { props: props([0x21, 0, 0]) })],
    ['maximum packet size 0', connect(5, 0x02, { props: props([0x27, 0, 0, 0, 0]) })],
    ['request problem information 2', connect(5, 0x02, { props: props([0x17, 2]) })],
    ['request response information 2', connect(5, 0x02, { props: props([0x19, 2]) })],
    ['payload format indicator 2', pkt(0x30, str('t'), props([0x01, 2]))],
    ['maximum QoS 2', pkt(0x20, [0, 0], props([0x24, 2]))],
    ['retain available 2', pkt(0x20, [0, 0], props([0x25, 2]))],
  ])('out-of-range property value is a protocol error: %s', (_name, buf) => {
    expectError(buf, 5, PROTOCOL_ERROR);
  });
});

describe('SUBSCRIBE / UNSUBSCRIBE', () => {
  test.each(VERSIONS)('[MQTT-3.8.3-3] SUBSCRIBE without topic filters: 0x8F topic filter invalid, as EMQX (level %i)', (v) => {
    expectError(pkt(0x82, u16(1), v === 5 ? [0] : []), v, 0x8f);
  });

  test.each(VERSIONS)('[MQTT-3.10.3-2] UNSUBSCRIBE without topic filters: 0x8F topic filter invalid, as EMQX (level %i)', (v) => {
    expectError(pkt(0xa2, u16(1), v === 5 ? [0] : []), v, 0x8f);
  });

  test.each(VERSIONS)('[MQTT-2.2.1-3] SUBSCRIBE / UNSUBSCRIBE with packet identifier 0 is a protocol error (level %i)', (v) => {
    expectError(pkt(0x82, u16(0), v === 5 ? [0] : [], str('a'), [0]), v, PROTOCOL_ERROR);
    expectError(pkt(0xa2, u16(0), v === 5 ? [0] : [], str('a')), v, PROTOCOL_ERROR);
  });

  test.each([3, 4] as const)('[MQTT-3-8.3-4] reserved option bits or QoS 3 are malformed (level %i)', (v) => {
    for (const o of [0x03, 0x04, 0x08, 0x10, 0x80]) expectError(pkt(0x82, u16(1), str('a'), [o]), v, MALFORMED);
  });

  test('[MQTT-3.8.3-5] MQTT 5 reserved option bits 6-7 are malformed', () => {
    for (const o of [0x40, 0x80]) expectError(pkt(0x82, u16(1), [0], str('a'), [o]), 5, MALFORMED);
  });

  test('MQTT 5 retain handling 3 or maximum QoS 3 are protocol errors', () => {
    expectError(pkt(0x82, u16(1), [0], str('a'), [0x30]), 5, PROTOCOL_ERROR);
    expectError(pkt(0x82, u16(1), [0], str('a'), [0x03]), 5, PROTOCOL_ERROR);
  });

  test('MQTT 5 subscription options', () => {
    expect(parseOne(pkt(0x82, u16(9), [0], str('a'), [0x2e], str('b'), [0x00]), 5)).toEqual({
      cmd: 'subscribe', messageId: 9,
      subscriptions: [{ topic: 'a', qos: 2, nl: true, rap: true, rh: 2 }, { topic: 'b', qos: 0, nl: false, rap: false, rh: 0 }],
    });
  });

  test('topic filter without options byte is malformed', () => {
    expectError(pkt(0x82, u16(1), str('a')), 4, MALFORMED);
  });
});

describe('packet length must match its content', () => {
  test.each([
    ['PINGREQ with a body', [0xc0, 1, 0], 4],
    ['PINGRESP with a body', [0xd0, 1, 0], 5],
    ['3.1.1 DISCONNECT with a body', [0xe0, 1, 0], 4],
    ['3.1.1 PUBACK of 3 bytes', [0x40, 3, 0, 1, 0], 4],
    ['3.1.1 PUBACK of 1 byte', [0x40, 1, 0], 4],
    ['3.1.1 UNSUBACK of 3 bytes', [0xb0, 3, 0, 1, 0], 4],
    ['3.1.1 CONNACK of 3 bytes', [0x20, 3, 0, 0, 0], 4],
    ['3.1.1 CONNACK of 1 byte', [0x20, 1, 0], 4],
    ['MQTT 5 CONNACK without property length', [0x20, 2, 0, 0], 5],
    ['MQTT 5 PUBACK with a byte after the properties', [0x40, 5, 0, 1, 0, 0, 0], 5],
    ['MQTT 5 DISCONNECT with truncated properties', [0xe0, 3, 0, 5, 0x1f], 5],
    ['PUBACK with 1 byte', [0x40, 1, 0], 5],
  ] as [string, number[], ProtocolVersion][])('%s is malformed', (_name, bytes, v) => {
    expectError(bytes, v, MALFORMED);
  });

  test('[MQTT-3.2.2-1] CONNACK with reserved acknowledge flags is malformed', () => {
    expectError([0x20, 2, 2, 0], 4, MALFORMED);
  });
});

describe('reason codes', () => {
  test.each([
    ['PUBACK 0x05', [0x40, 3, 0, 1, 5]],
    ['PUBREL 0x10', [0x62, 3, 0, 1, 0x10]],
    ['SUBACK 0x03', [0x90, 4, 0, 1, 0, 3]],
    ['UNSUBACK 0x01', [0xb0, 4, 0, 1, 0, 1]],
    ['DISCONNECT 0x01', [0xe0, 1, 1]],
    ['AUTH 0x01', [0xf0, 1, 1]],
    ['CONNACK 0x01', [0x20, 3, 0, 1, 0]],
  ])('invalid MQTT 5 %s is a protocol error', (_name, bytes) => {
    expectError(bytes as number[], 5, PROTOCOL_ERROR);
  });

  test('invalid 3.1.1 SUBACK return code and CONNACK return code are protocol errors', () => {
    expectError([0x90, 3, 0, 1, 3], 4, PROTOCOL_ERROR);
    expectError([0x20, 2, 0, 6], 4, PROTOCOL_ERROR);
  });
});

describe('after an error', () => {
  test('the parser reports one error and ignores all further input', () => {
    const good = encode({ cmd: 'pingreq' }, 4);
    const r = parseChunks([good, Buffer.from([0x60, 2, 0, 1]), good, good, Buffer.from([0xff])]);
    expect(r.packets).toEqual([{ cmd: 'pingreq' }]);
    expect(r.errors.length).toBe(1);
    expect(r.parser.failed).toBe(true);
  });

  test('packets before the error in the same chunk are delivered', () => {
    const good = encode({ cmd: 'pingreq' }, 4);
    const r = parseChunks([Buffer.concat([good, good, Buffer.from([0x00, 0]), good])]);
    expect(r.packets.length).toBe(2);
    expect(r.errors.length).toBe(1);
  });

  test('a throwing onPacket stops the parser and the exception reaches the caller', () => {
    const parser = new Parser();
    let n = 0;
    parser.onPacket = () => {
      n++;
      throw new Error('boom');
    };
    const two = Buffer.concat([encode({ cmd: 'pingreq' }, 4), encode({ cmd: 'pingreq' }, 4)]);
    expect(() => parser.parse(two)).toThrow('boom');
    parser.parse(two);
    expect(n).toBe(1);
    expect(parser.failed).toBe(true);
  });
});

describe('encoder input checks', () => {
  const base = { cmd: 'publish', qos: 1, dup: false, retain: false, topic: 't', payload: Buffer.alloc(0) } as const;
  test.each([
    ['QoS 1 PUBLISH without packet identifier', { ...base }],
    ['QoS 1 PUBLISH with packet identifier 0', { ...base, messageId: 0 }],
    ['packet identifier above 65535', { ...base, messageId: 65536 }],
    ['QoS 3', { ...base, qos: 3, messageId: 1 }],
    ['topic longer than 65535 bytes', { ...base, messageId: 1, topic: 'x'.repeat(65536) }],
    ['non-Buffer payload', { ...base, messageId: 1, payload: 'x' }],
    ['SUBSCRIBE without filters', { cmd: 'subscribe', messageId: 1, subscriptions: [] }],
    ['unknown command', { cmd: 'nope' }],
    ['u16 property out of range', { cmd: 'connect', protocolVersion: 5, protocolId: 'MQTT', clean: true, keepalive: 0, clientId: '', properties: { receiveMaximum: 70000 } }],
  ])('%s throws CodecError', (_name, p) => {
    expect(() => encode(p as unknown as Packet, 5)).toThrow(CodecError);
  });

  test('a remaining length above 268435455 throws 0x95', () => {
    const payload = Buffer.allocUnsafe(268435456);
    try {
      encode({ ...base, qos: 0, payload }, 4);
      throw new Error('no error');
    } catch (e) {
      expect((e as CodecError).reasonCode).toBe(TOO_LARGE);
    }
  });
});
