// Garbage and protocol violations over real sockets: a clear reason code or a close,
// never a crash, and no effect on other clients.
import * as net from 'node:net';
import { startBroker, connect, closeAll, collect, waitFor, type TestBroker } from './helpers';

let b: TestBroker;
beforeAll(async () => {
  b = await startBroker({ zone: { maxPacketSize: 1024 } });
});
afterEach(closeAll);
afterAll(() => b.stop());

/** CONNECT v5 or v4 with client id `id` */
function connectFrame(version: 4 | 5, id: string): Buffer {
  const cid = Buffer.from(id);
  const vh = version === 5
    ? Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 0x02, 0, 60, 0])
    : Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60]);
  const body = Buffer.concat([vh, Buffer.from([cid.length >> 8, cid.length & 255]), cid]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

/** sends frames, returns everything received until the server closes (or timeout) */
function exchange(frames: Buffer[], ms = 2000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(b.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const done = (): void => resolve({ data: Buffer.concat(chunks), closed });
    const t = setTimeout(() => { s.destroy(); done(); }, ms);
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', () => { closed = true; clearTimeout(t); done(); });
    s.on('connect', () => { for (const f of frames) s.write(f); });
  });
}

const DISCONNECT = 0xe0;

describe('bad input', () => {
  test('random garbage before CONNECT closes the connection', async () => {
    const r = await exchange([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]);
    expect(r.closed).toBe(true);
  });

  test('[MQTT-3.1.0-1] a PUBLISH before CONNECT closes the connection', async () => {
    const r = await exchange([Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69])]);
    expect(r.closed).toBe(true);
  });

  test('[MQTT-3.1.0-2] a second CONNECT is a protocol error (v5 DISCONNECT 0x82)', async () => {
    const r = await exchange([connectFrame(5, 'twice'), connectFrame(5, 'twice')]);
    expect(r.closed).toBe(true);
    const i = r.data.indexOf(DISCONNECT, 4);
    expect(i).toBeGreaterThan(0);
    expect(r.data[i + 2]).toBe(0x82);
  });

  test('[MQTT-2.2.2-2] reserved flags on SUBSCRIBE: v5 gets DISCONNECT 0x81, the socket closes', async () => {
    const badSub = Buffer.from([0x80, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 0x61, 0x00]);
    const r = await exchange([connectFrame(5, 'flags'), badSub]);
    expect(r.closed).toBe(true);
    const i = r.data.indexOf(DISCONNECT, 4);
    expect(r.data[i + 2]).toBe(0x81);
  });

  test('a packet over max_packet_size gets DISCONNECT 0x95', async () => {
    const topic = Buffer.from('big');
    const payload = Buffer.alloc(2000, 1);
    const len = 2 + topic.length + 1 + payload.length;
    const head = Buffer.from([0x30, (len & 0x7f) | 0x80, len >> 7, 0, topic.length]);
    const r = await exchange([connectFrame(5, 'big'), Buffer.concat([head, topic, Buffer.from([0]), payload])]);
    expect(r.closed).toBe(true);
    const i = r.data.indexOf(DISCONNECT, 4);
    expect(r.data[i + 2]).toBe(0x95);
  });

  test('[MQTT-1.5.4-1] an invalid UTF-8 topic closes the connection (v3.1.1)', async () => {
    const pub = Buffer.from([0x30, 0x06, 0x00, 0x02, 0xc3, 0x28, 0x68, 0x69]);
    const r = await exchange([connectFrame(4, 'utf8'), pub]);
    expect(r.closed).toBe(true);
  });

  test('[MQTT-3.3.2-2] a wildcard in a PUBLISH topic: v5 DISCONNECT 0x90', async () => {
    const pub = Buffer.from([0x30, 0x06, 0x00, 0x03, 0x61, 0x2f, 0x23, 0x00]);
    const r = await exchange([connectFrame(5, 'wild'), pub]);
    expect(r.closed).toBe(true);
    const i = r.data.indexOf(DISCONNECT, 4);
    expect(r.data[i + 2]).toBe(0x90);
  });

  test('[MQTT-3.1.2-2] an unsupported protocol level gets CONNACK 1 and a close; a bad protocol name too', async () => {
    const level6 = connectFrame(4, 'lvl');
    level6[8] = 6;
    const r = await exchange([level6]);
    expect(r.closed).toBe(true);
    expect([...r.data]).toEqual([0x20, 2, 0, 1]);
    const badName = connectFrame(4, 'name');
    badName[4] = 0x58; // "XQTT"
    const r2 = await exchange([badName]);
    expect([...r2.data]).toEqual([0x20, 2, 0, 1]);
  });

  test('a v5 CONNECT with Receive Maximum 0 (a protocol error) gets CONNACK 0x82 before the close', async () => {
    // CONNECT v5, properties: receive maximum (0x21) = 0
    const cid = Buffer.from('rm0');
    const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 0x02, 0, 60, 3, 0x21, 0, 0, 0, cid.length]), cid]);
    const r = await exchange([Buffer.concat([Buffer.from([0x10, body.length]), body])]);
    expect(r.closed).toBe(true);
    expect([...r.data]).toEqual([0x20, 3, 0, 0x82, 0]);
  });

  test('one client sending garbage does not disturb another', async () => {
    const sub = await connect(b.url, { protocolVersion: 5 });
    const got = collect(sub);
    await sub.subscribeAsync('calm/t', { qos: 1 });
    const pub = await connect(b.url, { protocolVersion: 5 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => exchange([connectFrame(i % 2 ? 4 : 5, `g${i}`), Buffer.from(Array.from({ length: 64 }, (_, k) => (k * 37 + i) & 255))], 500)));
    for (let i = 0; i < 10; i++) await pub.publishAsync('calm/t', String(i), { qos: 1 });
    await waitFor(() => got.length === 10);
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
  });
});
