import * as mqttPacket from 'mqtt-packet';
import { CodecError, encode, PublishEncoder } from '../src/index.js';
import type { PublishPacket, PublishProperties, QoS } from '../src/index.js';
import { clean, normalize, parseOne, randPacket, Rng, VERSIONS } from './helpers.js';

const payload = Buffer.from('hello world');
const props: PublishProperties = {
  payloadFormatIndicator: true, messageExpiryInterval: 60, contentType: 'text/plain', responseTopic: 'reply/to',
  correlationData: Buffer.from([1, 2, 3]), userProperties: { a: '1', b: ['2', '3'] },
};

describe('PublishEncoder', () => {
  test.each(VERSIONS)('QoS 0 frame is the same Buffer on repeated calls (level %i)', (v) => {
    const enc = new PublishEncoder('a/b', payload, props);
    const f1 = enc.frame(v, 0, false, false, 0);
    const f2 = enc.frame(v, 0, false, false, 0);
    const f3 = enc.frame(v, 0, false, false, undefined as unknown as number);
    expect(f2).toBe(f1);
    expect(f3).toBe(f1);
    // other flag combinations are other frames, each cached too
    const r = enc.frame(v, 0, true, false, 0);
    expect(r).not.toBe(f1);
    expect(enc.frame(v, 0, true, false, 0)).toBe(r);
    expect(r[0]).toBe(0x31);
    expect(enc.frame(v, 0, false, true, 0)[0]).toBe(0x38);
  });

  test('v3 and v4 frames are identical; v5 frames carry the properties', () => {
    const enc = new PublishEncoder('a/b', payload, props);
    expect(enc.frame(3, 0, false, false, 0).equals(enc.frame(4, 0, false, false, 0))).toBe(true);
    const v5 = parseOne(enc.frame(5, 0, false, false, 0), 5) as PublishPacket;
    expect(clean(v5.properties)).toEqual(clean(props));
    const v4 = parseOne(enc.frame(4, 0, false, false, 0), 4) as PublishPacket;
    expect(v4.properties).toBeUndefined();
  });

  test.each(VERSIONS)('frames are byte-identical to encode() (level %i)', (v) => {
    const r = new Rng(5 + v);
    for (let i = 0; i < 300; i++) {
      const p = randPacket(r, 'publish', v) as PublishPacket;
      if (p.properties) {
        delete p.properties.topicAlias;
        delete p.properties.subscriptionIdentifier;
        if (Object.keys(p.properties).length === 0) delete p.properties;
      }
      const enc = new PublishEncoder(p.topic, p.payload, p.properties);
      const f = enc.frame(v, p.qos, p.retain, p.dup, p.messageId ?? 0);
      expect(f.equals(encode(p, v))).toBe(true);
      // calling again (cached template) gives the same bytes
      expect(enc.frame(v, p.qos, p.retain, p.dup, p.messageId ?? 0).equals(f)).toBe(true);
    }
  });

  test.each(VERSIONS)('QoS 1 and 2 frames are new buffers that differ only in the packet identifier (level %i)', (v) => {
    const enc = new PublishEncoder('sensors/1/temp', payload, props);
    for (const qos of [1, 2] as QoS[]) {
      const a = enc.frame(v, qos, false, false, 1);
      const b = enc.frame(v, qos, false, false, 0xabcd);
      const c = enc.frame(v, qos, false, false, 1);
      expect(a).not.toBe(c);
      expect(a.equals(c)).toBe(true);
      expect(a.length).toBe(b.length);
      const diff: number[] = [];
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
      const idOff = 1 + 1 + 2 + 'sensors/1/temp'.length;
      expect(diff).toEqual([idOff, idOff + 1]);
      expect(b.readUInt16BE(idOff)).toBe(0xabcd);
      expect(parseOne(b, v)).toMatchObject({ qos, messageId: 0xabcd, topic: 'sensors/1/temp', payload });
    }
    // the QoS 0 cache is unaffected by the QoS 1 frames
    const q0 = enc.frame(v, 0, false, false, 0);
    expect(parseOne(q0, v)).toMatchObject({ qos: 0, topic: 'sensors/1/temp', payload });
  });

  test('MQTT 5 topic alias, omitted topic and subscription identifiers', () => {
    const enc = new PublishEncoder('long/topic/name', payload, props);
    const withAlias = parseOne(enc.frame(5, 1, false, false, 10, { topicAlias: 7 }), 5) as PublishPacket;
    expect(withAlias).toMatchObject({ topic: 'long/topic/name', messageId: 10, payload, properties: { topicAlias: 7 } });
    expect(clean({ ...withAlias.properties, topicAlias: undefined })).toEqual(clean(props));

    const omitted = parseOne(enc.frame(5, 0, true, false, 0, { topicAlias: 7, omitTopic: true }), 5) as PublishPacket;
    expect(omitted).toMatchObject({ topic: '', retain: true, payload, properties: { topicAlias: 7 } });

    const one = parseOne(enc.frame(5, 0, false, false, 0, { subscriptionIdentifiers: [42] }), 5) as PublishPacket;
    expect(one.properties?.subscriptionIdentifier).toBe(42);
    const many = parseOne(enc.frame(5, 2, false, true, 3, { subscriptionIdentifiers: [1, 128, 268435455], topicAlias: 65535 }), 5) as PublishPacket;
    expect(many).toMatchObject({ qos: 2, dup: true, messageId: 3, properties: { subscriptionIdentifier: [1, 128, 268435455], topicAlias: 65535 } });
    expect(clean({ ...many.properties, topicAlias: undefined, subscriptionIdentifier: undefined })).toEqual(clean(props));

    // extras make a fresh frame each time
    expect(enc.frame(5, 0, false, false, 0, { topicAlias: 1 })).not.toBe(enc.frame(5, 0, false, false, 0, { topicAlias: 1 }));
    // an empty extra is the cached frame
    expect(enc.frame(5, 0, false, false, 0, {})).toBe(enc.frame(5, 0, false, false, 0));
    expect(enc.frame(5, 0, false, false, 0, { subscriptionIdentifiers: [] })).toBe(enc.frame(5, 0, false, false, 0));
  });

  test('per-subscriber extras are ignored for v3/v4', () => {
    const enc = new PublishEncoder('t', payload);
    const f = enc.frame(4, 0, false, false, 0, { topicAlias: 3, omitTopic: true, subscriptionIdentifiers: [5] });
    expect(f).toBe(enc.frame(4, 0, false, false, 0));
    expect(parseOne(f, 4)).toMatchObject({ topic: 't' });
  });

  test('topicAlias / subscriptionIdentifier in the message properties are not copied into frames', () => {
    const enc = new PublishEncoder('t', payload, { topicAlias: 9, subscriptionIdentifier: [4, 5], contentType: 'x' });
    expect(parseOne(enc.frame(5, 0, false, false, 0), 5)).toEqual({
      cmd: 'publish', qos: 0, dup: false, retain: false, topic: 't', payload, properties: { contentType: 'x' },
    });
  });

  test('frames are understood by mqtt-packet', () => {
    const enc = new PublishEncoder('a/b', payload, props);
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const got: unknown[] = [];
    parser.on('packet', (p) => got.push(normalize(p as unknown as Record<string, unknown>)));
    parser.parse(enc.frame(5, 1, true, false, 77, { topicAlias: 2, subscriptionIdentifiers: [3, 4] }));
    expect(got).toEqual([normalize({
      cmd: 'publish', qos: 1, dup: false, retain: true, topic: 'a/b', messageId: 77, payload,
      properties: { ...props, topicAlias: 2, subscriptionIdentifier: [3, 4] },
    })]);
  });

  test('invalid arguments throw CodecError', () => {
    const enc = new PublishEncoder('t', payload);
    expect(() => enc.frame(5, 1, false, false, 0)).toThrow(CodecError);
    expect(() => enc.frame(4, 2, false, false, 65536)).toThrow(CodecError);
    expect(() => enc.frame(5, 0, false, false, 0, { omitTopic: true })).toThrow(CodecError);
    expect(() => enc.frame(5, 0, false, false, 0, { topicAlias: 0 })).toThrow(CodecError);
    expect(() => enc.frame(5, 0, false, false, 0, { subscriptionIdentifiers: [0] })).toThrow(CodecError);
    expect(() => enc.frame(5, 3 as QoS, false, false, 1)).toThrow(CodecError);
    expect(() => new PublishEncoder('x'.repeat(70000), payload)).toThrow(CodecError);
  });
});
