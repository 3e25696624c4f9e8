// Differential tests against mqtt-packet (the codec used by mqtt.js and Aedes).
import * as mqttPacket from 'mqtt-packet';
import { encode, Parser } from '../src/index.js';
import type { Packet, ProtocolVersion } from '../src/index.js';
import { cmdsFor, normalize, parseOne, randPacket, Rng, VERSIONS } from './helpers.js';

const N = 300;

/** mqtt-packet spells the v3/v4 CONNACK code `returnCode`. */
function toMqttPacket(p: Packet, v: ProtocolVersion): mqttPacket.Packet {
  if (p.cmd === 'connack' && v !== 5) return { ...p, returnCode: p.reasonCode } as unknown as mqttPacket.Packet;
  return p as unknown as mqttPacket.Packet;
}

function mqttPacketParse(buf: Buffer, v: ProtocolVersion): Record<string, unknown>[] {
  const parser = mqttPacket.parser({ protocolVersion: v });
  const out: Record<string, unknown>[] = [];
  parser.on('packet', (p) => out.push(p as unknown as Record<string, unknown>));
  parser.on('error', (e: Error) => {
    throw e;
  });
  parser.parse(buf);
  return out;
}

describe.each(VERSIONS)('differential vs mqtt-packet, protocol level %i', (v) => {
  describe.each(cmdsFor(v))('%s', (cmd) => {
    test(`our encoding is parsed by mqtt-packet to the same packet (${N} random)`, () => {
      const r = new Rng(31 * v + cmd.length * 1009 + cmd.charCodeAt(2));
      for (let i = 0; i < N; i++) {
        const p = randPacket(r, cmd, v, i < 5);
        const theirs = mqttPacketParse(encode(p, v), v);
        expect(theirs.length).toBe(1);
        expect(normalize(theirs[0]!)).toEqual(normalize(p as unknown as Record<string, unknown>));
      }
    });

    test(`mqtt-packet's encoding is parsed by us to the same packet (${N} random)`, () => {
      const r = new Rng(17 * v + cmd.length * 131 + cmd.charCodeAt(1));
      for (let i = 0; i < N; i++) {
        const p = randPacket(r, cmd, v, i < 5);
        // mqtt-packet refuses to write a password without user name, which MQTT 5 allows
        if (p.cmd === 'connect' && p.password && p.username === undefined) p.username = 'user';
        const buf = mqttPacket.generate(toMqttPacket(p, v), { protocolVersion: v });
        const ours = parseOne(buf, v);
        expect(normalize(ours as unknown as Record<string, unknown>)).toEqual(normalize(p as unknown as Record<string, unknown>));
        // and both codecs agree on what the bytes mean
        const theirs = mqttPacketParse(buf, v);
        expect(normalize(ours as unknown as Record<string, unknown>)).toEqual(normalize(theirs[0]!));
      }
    });
  });

  test('a stream of mixed packets from mqtt-packet parses the same in both codecs', () => {
    const r = new Rng(4242 + v);
    const packets: Packet[] = [];
    for (let i = 0; i < 300; i++) {
      const cmd = r.pick(cmdsFor(v).filter((c) => c !== 'connect'));
      packets.push(randPacket(r, cmd, v));
    }
    const bufs = packets.map((p) => mqttPacket.generate(toMqttPacket(p, v), { protocolVersion: v }));
    const all = Buffer.concat(bufs);
    const theirs = mqttPacketParse(all, v).map(normalize);
    const ours: unknown[] = [];
    const parser = new Parser({ protocolVersion: v });
    parser.onPacket = (p) => ours.push(normalize(p as unknown as Record<string, unknown>));
    parser.onError = (e) => {
      throw e;
    };
    parser.parse(all);
    expect(ours.length).toBe(packets.length);
    expect(ours).toEqual(theirs);
    expect(ours).toEqual(packets.map((p) => normalize(p as unknown as Record<string, unknown>)));
  });
});
