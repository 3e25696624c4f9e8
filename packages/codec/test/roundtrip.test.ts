import { encode, MAX_PACKET_SIZE } from '../src/index.js';
import type { Packet, ProtocolVersion } from '../src/index.js';
import { clean, cmdsFor, hex, parseOne, randPacket, Rng, VERSIONS } from './helpers.js';

function roundTrip(p: Packet, v: ProtocolVersion): Packet {
  const buf = encode(p, v);
  const back = parseOne(buf, v);
  expect(clean(back)).toEqual(clean(p));
  // encoding what we parsed gives the same bytes
  expect(encode(back, v).equals(buf)).toBe(true);
  return back;
}

describe.each(VERSIONS)('round trip, MQTT protocol level %i', (v) => {
  describe.each(cmdsFor(v))('%s', (cmd) => {
    test('with every field and property', () => {
      const r = new Rng(1000 + v * 100 + cmd.length);
      for (let i = 0; i < 20; i++) roundTrip(randPacket(r, cmd, v, true), v);
    });
    test('200 random packets', () => {
      const r = new Rng(2000 + v * 100 + cmd.length * 7);
      for (let i = 0; i < 200; i++) roundTrip(randPacket(r, cmd, v), v);
    });
  });
});

describe('exact encodings', () => {
  test('MQTT 3.1 CONNECT uses protocol name MQIsdp and level 3', () => {
    const buf = encode({ cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clean: true, keepalive: 10, clientId: 'c' }, 3);
    expect(buf.toString('hex')).toBe('10' + '0f' + '00064d514973647003' + '02' + '000a' + '000163');
  });

  test('MQTT 3.1.1 CONNECT with will, username and password', () => {
    const p: Packet = {
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: false, keepalive: 60, clientId: 'id',
      username: 'u', password: Buffer.from('pw'), will: { topic: 't', payload: Buffer.from('bye'), qos: 2, retain: true },
    };
    // flags: user 0x80 | password 0x40 | will retain 0x20 | will qos 2 << 3 | will 0x04 = 0xf4
    expect(encode(p, 4).toString('hex')).toBe('10' + '1d' + '00044d51545404' + 'f4' + '003c' + '00026964' + '000174' + '0003627965' + '000175' + '00027077');
  });

  test('PUBLISH QoS 1 in 3.1.1', () => {
    const buf = encode({ cmd: 'publish', qos: 1, dup: true, retain: true, topic: 'a/b', messageId: 0x1234, payload: Buffer.from('hi') }, 4);
    expect(buf.toString('hex')).toBe('3b' + '09' + '0003612f62' + '1234' + '6869');
  });

  test('PUBLISH in MQTT 5 without properties has a zero property length', () => {
    const buf = encode({ cmd: 'publish', qos: 0, dup: false, retain: false, topic: 't', payload: Buffer.from('x') }, 5);
    expect(buf.toString('hex')).toBe('30' + '05' + '000174' + '00' + '78');
  });

  test('MQTT 5 PUBLISH with two subscription identifiers and repeated user property', () => {
    const p: Packet = {
      cmd: 'publish', qos: 0, dup: false, retain: false, topic: 't', payload: Buffer.alloc(0),
      properties: { subscriptionIdentifier: [1, 200], userProperties: { k: ['a', 'b'] } },
    };
    const buf = encode(p, 5);
    expect(buf.toString('hex')).toBe('30' + '17' + '000174' + '13' + '0b01' + '0bc801' + '2600016b000161' + '2600016b000162');
    expect(parseOne(buf, 5)).toEqual(p);
  });

  test('remaining length uses up to 4 bytes', () => {
    const payload = Buffer.alloc(2097152); // remaining length 2097152 + 5 -> 3... needs 4 bytes? no: 2^21 needs 4 bytes
    const buf = encode({ cmd: 'publish', qos: 0, dup: false, retain: false, topic: 'abc', payload }, 4);
    expect(buf.subarray(0, 5).toString('hex')).toBe('30858080' + '01');
    expect(buf.length).toBe(1 + 4 + 2 + 3 + payload.length);
    const back = parseOne(buf, 4) as { payload: Buffer };
    expect(back.payload.length).toBe(payload.length);
  });

  test('v3/v4 SUBACK failure return code 0x80', () => {
    for (const v of [3, 4] as const) {
      const buf = encode({ cmd: 'suback', messageId: 5, granted: [0, 1, 2, 0x80] }, v);
      expect(buf.toString('hex')).toBe('9006000500010280');
      expect(parseOne(buf, v)).toEqual({ cmd: 'suback', messageId: 5, granted: [0, 1, 2, 0x80] });
    }
  });

  test.each([0, 1, 2, 3, 4, 5])('v3.1.1 CONNACK return code %i', (rc) => {
    const buf = encode({ cmd: 'connack', sessionPresent: rc === 0, reasonCode: rc }, 4);
    expect(buf).toEqual(Buffer.from([0x20, 2, rc === 0 ? 1 : 0, rc]));
    expect(parseOne(buf, 4)).toMatchObject({ cmd: 'connack', sessionPresent: rc === 0, reasonCode: rc });
  });

  describe('MQTT 5 acks omit the reason code when it is 0 without properties [MQTT-3.4.2.1]', () => {
    test.each([
      ['puback', 0x40], ['pubrec', 0x50], ['pubrel', 0x62], ['pubcomp', 0x70],
    ] as const)('%s', (cmd, b0) => {
      expect(encode({ cmd, messageId: 7 }, 5)).toEqual(Buffer.from([b0, 2, 0, 7]));
      expect(encode({ cmd, messageId: 7, reasonCode: 0 }, 5)).toEqual(Buffer.from([b0, 2, 0, 7]));
      expect(encode({ cmd, messageId: 7, reasonCode: 0, properties: {} }, 5)).toEqual(Buffer.from([b0, 2, 0, 7]));
      const rc = cmd === 'pubrel' || cmd === 'pubcomp' ? 0x92 : 0x10;
      expect(encode({ cmd, messageId: 7, reasonCode: rc }, 5)).toEqual(Buffer.from([b0, 3, 0, 7, rc]));
      // all three accepted forms parse
      expect(parseOne(Buffer.from([b0, 2, 0, 7]), 5)).toEqual({ cmd, messageId: 7, reasonCode: 0 });
      expect(parseOne(Buffer.from([b0, 3, 0, 7, rc]), 5)).toEqual({ cmd, messageId: 7, reasonCode: rc });
      expect(parseOne(Buffer.from([b0, 4, 0, 7, rc, 0]), 5)).toEqual({ cmd, messageId: 7, reasonCode: rc });
      expect(parseOne(Buffer.from([b0, 8, 0, 7, rc, 4, 0x1f, 0, 1, 0x41]), 5))
        .toEqual({ cmd, messageId: 7, reasonCode: rc, properties: { reasonString: 'A' } });
      // in v3.1.1 an ack is always just the packet identifier
      expect(encode({ cmd, messageId: 7, reasonCode: rc, properties: { reasonString: 'x' } }, 4)).toEqual(Buffer.from([b0, 2, 0, 7]));
    });
  });

  test('[MQTT-3.14.2.1] MQTT 5 DISCONNECT with remaining length 0 is reason code 0', () => {
    expect(encode({ cmd: 'disconnect' }, 5)).toEqual(Buffer.from([0xe0, 0]));
    expect(encode({ cmd: 'disconnect', reasonCode: 0 }, 5)).toEqual(Buffer.from([0xe0, 0]));
    expect(encode({ cmd: 'disconnect', reasonCode: 0x8e }, 5)).toEqual(Buffer.from([0xe0, 1, 0x8e]));
    expect(parseOne(Buffer.from([0xe0, 0]), 5)).toEqual({ cmd: 'disconnect', reasonCode: 0 });
    expect(parseOne(Buffer.from([0xe0, 1, 0x8e]), 5)).toEqual({ cmd: 'disconnect', reasonCode: 0x8e });
    expect(parseOne(Buffer.from([0xe0, 2, 0x8e, 0]), 5)).toEqual({ cmd: 'disconnect', reasonCode: 0x8e });
    expect(encode({ cmd: 'disconnect', reasonCode: 0x8e }, 4)).toEqual(Buffer.from([0xe0, 0]));
  });

  test('[MQTT-3.15.2.1] MQTT 5 AUTH with remaining length 0 is reason code 0', () => {
    expect(encode({ cmd: 'auth', reasonCode: 0 }, 5)).toEqual(Buffer.from([0xf0, 0]));
    expect(parseOne(Buffer.from([0xf0, 0]), 5)).toEqual({ cmd: 'auth', reasonCode: 0 });
    expect(parseOne(Buffer.from([0xf0, 1, 0x18]), 5)).toEqual({ cmd: 'auth', reasonCode: 0x18 });
  });

  test('PINGREQ, PINGRESP', () => {
    for (const v of VERSIONS) {
      expect(encode({ cmd: 'pingreq' }, v)).toEqual(Buffer.from([0xc0, 0]));
      expect(encode({ cmd: 'pingresp' }, v)).toEqual(Buffer.from([0xd0, 0]));
    }
  });

  test('user properties keep repeated keys as arrays, in order, including empty strings and __proto__', () => {
    const up = Object.create(null) as Record<string, string | string[]>;
    up.a = ['1', '', '3'];
    up[''] = '';
    up['__proto__'] = 'p';
    up['constructor'] = ['x', 'y'];
    const p: Packet = { cmd: 'puback', messageId: 1, reasonCode: 0, properties: { userProperties: up } };
    const back = parseOne(encode(p, 5), 5) as { properties: { userProperties: Record<string, unknown> } };
    expect(Object.keys(back.properties.userProperties)).toEqual(['a', '', '__proto__', 'constructor']);
    expect(back.properties.userProperties.a).toEqual(['1', '', '3']);
    expect(back.properties.userProperties['']).toBe('');
    expect(back.properties.userProperties['__proto__']).toBe('p');
    expect(back.properties.userProperties['constructor']).toEqual(['x', 'y']);
    // interleaved repeats collapse into one array per key
    const buf = hex('40 19 0001 00 15 26 0001 61 0001 31 26 0001 62 0001 32 26 0001 61 0001 33');
    expect(parseOne(buf, 5)).toEqual({ cmd: 'puback', messageId: 1, reasonCode: 0, properties: { userProperties: { a: ['1', '3'], b: '2' } } });
  });

  test('CONNECT bridge mode (protocol level | 0x80)', () => {
    for (const v of VERSIONS) {
      const p: Packet = { cmd: 'connect', protocolId: v === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: v, clean: true, keepalive: 0, clientId: 'b', bridgeMode: true };
      const buf = encode(p, v);
      expect(buf[v === 3 ? 10 : 8]).toBe(0x80 | v);
      expect(parseOne(buf, 4)).toEqual(p);
    }
  });

  test('non-ASCII strings survive (topic, client id, user properties)', () => {
    const topic = 'καλημέρα/世界/😀';
    const p: Packet = { cmd: 'publish', qos: 0, dup: false, retain: false, topic, payload: Buffer.from('x'), properties: { userProperties: { 'ключ': 'значение' } } };
    const back = parseOne(encode(p, 5), 5);
    expect(back).toEqual(p);
    const long = 'ü'.repeat(500);
    expect((parseOne(encode({ ...p, topic: long }, 5), 5) as { topic: string }).topic).toBe(long);
  });

  test('largest possible remaining length is accepted by the encoder header logic', () => {
    expect(MAX_PACKET_SIZE).toBe(268435460);
  });
});
