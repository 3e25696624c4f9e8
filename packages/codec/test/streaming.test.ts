import { encode, Parser } from '../src/index.js';
import type { Packet, ProtocolVersion } from '../src/index.js';
import { clean, cmdsFor, parseChunks, randChunksFixed, randomChunks, randPacket, Rng, VERSIONS } from './helpers.js';

function stream(v: ProtocolVersion, n: number, seed: number): { packets: Packet[]; bytes: Buffer } {
  const r = new Rng(seed);
  const packets: Packet[] = [];
  for (let i = 0; i < n; i++) packets.push(randPacket(r, r.pick(cmdsFor(v).filter((c) => c !== 'connect')), v));
  return { packets, bytes: Buffer.concat(packets.map((p) => encode(p, v))) };
}

describe.each(VERSIONS)('streaming, protocol level %i', (v) => {
  const { packets, bytes } = stream(v, 400, 99 + v);
  const expected = packets.map(clean);

  test('many packets in one chunk', () => {
    const r = parseChunks([bytes], { protocolVersion: v });
    expect(r.errors).toEqual([]);
    expect(r.packets.map(clean)).toEqual(expected);
  });

  test('one byte at a time', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
    const r = parseChunks(chunks, { protocolVersion: v });
    expect(r.errors).toEqual([]);
    expect(r.packets.map(clean)).toEqual(expected);
  });

  test.each([2, 3, 5, 7, 64, 1000])('fixed chunks of %i bytes', (size) => {
    const r = parseChunks(randChunksFixed(bytes, size), { protocolVersion: v });
    expect(r.errors).toEqual([]);
    expect(r.packets.map(clean)).toEqual(expected);
  });

  test('random chunkings', () => {
    const rnd = new Rng(7 + v);
    for (let i = 0; i < 20; i++) {
      const r = parseChunks(randomChunks(bytes, rnd), { protocolVersion: v });
      expect(r.errors).toEqual([]);
      expect(r.packets.map(clean)).toEqual(expected);
    }
  });

  test('a CONNECT split across chunks switches the version for the packets that follow', () => {
    const connect: Packet = { cmd: 'connect', protocolId: v === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: v, clean: true, keepalive: 5, clientId: 'c' };
    const all = Buffer.concat([encode(connect, v), bytes]);
    const rnd = new Rng(70 + v);
    const r = parseChunks(randomChunks(all, rnd), { protocolVersion: v === 5 ? 4 : 5 });
    expect(r.errors).toEqual([]);
    expect(r.packets.map(clean)).toEqual([clean(connect), ...expected]);
  });
});

describe('large packets across chunks', () => {
  test('a 5 MB PUBLISH arriving in 64 KiB chunks', () => {
    const payload = Buffer.allocUnsafe(5 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4096) payload[i] = i & 0xff;
    const p: Packet = { cmd: 'publish', qos: 1, dup: false, retain: true, topic: 'big', messageId: 3, payload };
    const small: Packet = { cmd: 'pingreq' };
    const bytes = Buffer.concat([encode(small, 4), encode(p, 4), encode(small, 4)]);
    const r = parseChunks(randChunksFixed(bytes, 65536), { protocolVersion: 4 });
    expect(r.errors).toEqual([]);
    expect(r.packets.length).toBe(3);
    expect((r.packets[1] as { payload: Buffer }).payload.equals(payload)).toBe(true);
  });

  test('the announced length does not cause a big allocation before the data arrives', () => {
    const parser = new Parser();
    // 200 MB announced, 10 bytes delivered: must not throw or allocate 200 MB
    const before = process.memoryUsage().arrayBuffers;
    parser.parse(Buffer.from([0x30, 0x80, 0x80, 0xe4, 0x5f, 0, 1, 0x74, 1, 2]));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });
});

describe('payload handling', () => {
  test('PUBLISH payload is a view of the input chunk when the packet is inside one chunk', () => {
    const buf = encode({ cmd: 'publish', qos: 0, dup: false, retain: false, topic: 't', payload: Buffer.from('abc') }, 4);
    const r = parseChunks([buf]);
    const payload = (r.packets[0] as { payload: Buffer }).payload;
    expect(payload.buffer).toBe(buf.buffer);
  });

  test('binary fields other than the PUBLISH payload are copies', () => {
    const buf = encode({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: 'c', username: 'u', password: Buffer.from('pw') }, 4);
    const r = parseChunks([buf]);
    const pw = (r.packets[0] as { password: Buffer }).password;
    buf.fill(0);
    expect(pw.toString()).toBe('pw');
  });

  test('packets can be kept after later chunks arrive (no buffer reuse)', () => {
    const a = encode({ cmd: 'publish', qos: 0, dup: false, retain: false, topic: 'a', payload: Buffer.from('first') }, 4);
    const b = encode({ cmd: 'publish', qos: 0, dup: false, retain: false, topic: 'b', payload: Buffer.from('second') }, 4);
    const all = Buffer.concat([a, b]);
    const parser = new Parser();
    const got: Packet[] = [];
    parser.onPacket = (p) => got.push(p);
    // split inside both packets so that they go through the pending buffer
    parser.parse(all.subarray(0, 3));
    parser.parse(all.subarray(3, a.length + 4));
    parser.parse(all.subarray(a.length + 4));
    expect(got.map((p) => (p as { payload: Buffer }).payload.toString())).toEqual(['first', 'second']);
  });
});
