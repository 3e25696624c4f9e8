// Spec corner cases over the socket (issue 8): mqtt.js clients, and a raw socket
// with the codec where a client library does not send the packet needed.
import * as net from 'node:net';
import { encode, Parser, type Packet, type ProtocolVersion } from '@nemq/codec';
import { startBroker, connect, closeAll, collect, waitFor, sleep, type TestBroker } from './helpers';

let b: TestBroker;
beforeAll(async () => {
  b = await startBroker();
});
afterEach(closeAll);
afterAll(() => b.stop());

/** a raw MQTT connection: packets in and out through the codec, raw bytes kept */
class Raw {
  readonly got: Packet[] = [];
  readonly bytes: Buffer[] = [];
  closed = false;
  private readonly parser = new Parser();
  private constructor(readonly sock: net.Socket, readonly version: ProtocolVersion) {
    this.parser.protocolVersion = version;
    this.parser.onPacket = (p) => this.got.push(p);
    sock.on('data', (d) => {
      this.bytes.push(d);
      this.parser.parse(d);
    });
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
  }
  static async open(port: number, version: ProtocolVersion): Promise<Raw> {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    raws.push(sock);
    return new Raw(sock, version);
  }
  send(p: Packet | Buffer): void {
    this.sock.write(Buffer.isBuffer(p) ? p : encode(p, this.version));
  }
  async next(cmd: string): Promise<any> {
    await waitFor(() => this.got.some((p) => p.cmd === cmd), 3000, cmd);
    const i = this.got.findIndex((p) => p.cmd === cmd);
    return this.got.splice(i, 1)[0];
  }
}
const raws: net.Socket[] = [];
afterEach(() => raws.splice(0).forEach((s) => s.destroy()));

const connectPkt = (clientId: string, version: ProtocolVersion, extra: Record<string, unknown> = {}): Packet =>
  ({ cmd: 'connect', protocolId: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, clean: true, keepalive: 60, clientId, ...extra }) as Packet;

test('[MQTT-4.3.3-9] [MQTT-4.3.3-10] a QoS 2 PUBLISH resent with DUP after a reconnect gets PUBREC 0x00, is delivered once, and its id is free after PUBREL', async () => {
  const sub = await connect(b.url, { protocolVersion: 5, clientId: 'c1-sub' });
  await sub.subscribeAsync('c1/t', { qos: 0 });
  const got = collect(sub);
  const persistent = { clean: false, properties: { sessionExpiryInterval: 300 } };
  const a = await Raw.open(b.port, 5);
  a.send(connectPkt('c1-pub', 5, persistent));
  await a.next('connack');
  const pub = { cmd: 'publish', topic: 'c1/t', qos: 2, messageId: 9, dup: false, retain: false, payload: Buffer.from('one') } as const;
  a.send(pub);
  await a.next('pubrec');
  // the connection drops before PUBREL; the client resends with DUP
  a.sock.destroy();
  await waitFor(() => b.node.cm.channels.get('c1-pub') === undefined, 3000, 'old connection gone');
  const a2 = await Raw.open(b.port, 5);
  a2.send(connectPkt('c1-pub', 5, persistent));
  expect(await a2.next('connack')).toMatchObject({ sessionPresent: true });
  a2.send({ ...pub, dup: true });
  const rec = await a2.next('pubrec');
  expect(rec.reasonCode ?? 0).toBe(0);
  a2.send({ cmd: 'pubrel', messageId: 9 });
  expect((await a2.next('pubcomp')).reasonCode ?? 0).toBe(0);
  // the next message reusing the id is accepted and delivered
  a2.send({ ...pub, payload: Buffer.from('two') });
  expect((await a2.next('pubrec')).reasonCode ?? 0).toBe(0);
  await waitFor(() => got.length >= 2, 3000, 'second message');
  await sleep(100);
  expect(got.map((m) => m.payload)).toEqual(['one', 'two']);
});

for (const version of [4, 5] as const) {
  test(`[MQTT-3.1.2-6] [MQTT-3.1.4-3] v${version}: a persistent CONNECT over a live clean session gets session present 0, no old subscriptions, and the old will is published`, async () => {
    const id = `c2-${version}`;
    const watch = await connect(b.url, { clientId: `${id}-watch` });
    await watch.subscribeAsync(`c2/will/${version}`, { qos: 0 });
    const wills = collect(watch);
    const old = await connect(b.url, { protocolVersion: version, clientId: id, clean: true, will: { topic: `c2/will/${version}`, payload: Buffer.from('gone'), qos: 0, retain: false } });
    await old.subscribeAsync(`c2/x/${version}`, { qos: 1 });
    const persistent = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 300 } } : { clean: false };
    const now = await connect(b.url, { protocolVersion: version, clientId: id, ...persistent });
    expect((now as any).connackPacket?.sessionPresent).toBe(false);
    await waitFor(() => wills.length === 1, 3000, 'will of the old connection');
    const pub = await connect(b.url, { clientId: `${id}-pub` });
    await pub.publishAsync(`c2/x/${version}`, 'stale', { qos: 1 });
    await sleep(150);
    expect(collect(now)).toHaveLength(0);
    expect(b.node.cm.sessions.get(id)?.subscriptions.size).toBe(0);
  });
}

test('MQTT 3.1: a PUBREL resent with DUP (0x6A) gets PUBCOMP and the connection stays; CONNACK resuming a session has first byte 0', async () => {
  const a = await Raw.open(b.port, 3);
  a.send(connectPkt('c3-31', 3, { clean: false }));
  await a.next('connack');
  a.send({ cmd: 'publish', topic: 'c3/t', qos: 2, messageId: 4, dup: false, retain: false, payload: Buffer.from('x') });
  await a.next('pubrec');
  // a 3.1 client resends PUBREL as QoS 1 with DUP
  a.send(Buffer.from([0x6a, 2, 0, 4]));
  expect(await a.next('pubcomp')).toMatchObject({ messageId: 4 });
  a.send({ cmd: 'pingreq' });
  await a.next('pingresp');
  expect(a.closed).toBe(false);
  a.sock.destroy();
  await waitFor(() => b.node.cm.channels.get('c3-31') === undefined, 3000, 'old connection gone');
  const again = await Raw.open(b.port, 3);
  again.send(connectPkt('c3-31', 3, { clean: false }));
  await again.next('connack');
  expect(b.node.cm.sessions.has('c3-31')).toBe(true);
  expect([...Buffer.concat(again.bytes).subarray(0, 4)]).toEqual([0x20, 2, 0, 0]);
});

describe('CONNACK within the client Maximum Packet Size', () => {
  beforeAll(() => {
    b.node.registry.tap('corners-connack', 'client.connack', ((_ci: unknown, _rc: unknown, props: any) =>
      ({ ...props, userProperties: { big: 'u'.repeat(200) }, reasonString: 'why'.repeat(50) })) as any);
  });
  afterAll(() => b.node.registry.removeOwner('corners-connack'));

  test('[MQTT-3.1.2-24] [MQTT-3.2.2-19] [MQTT-3.2.2-20] a v5 client with a small maximum gets CONNACK without the optional properties', async () => {
    const big = await connect(b.url, { protocolVersion: 5, clientId: 'c4-big' });
    expect((big as any).connackPacket.properties.userProperties).toEqual({ big: 'u'.repeat(200) });
    const c = await connect(b.url, { protocolVersion: 5, clientId: 'c4-small', properties: { maximumPacketSize: 64 } });
    const props = (c as any).connackPacket.properties;
    expect(props.userProperties).toBeUndefined();
    expect(props.reasonString).toBeUndefined();
    expect(props.maximumPacketSize).toBe(b.node.zone('external').maxPacketSize);
    await c.subscribeAsync('c4/t', { qos: 1 });
    await c.publishAsync('c4/t', 'ok', { qos: 1 });
    await waitFor(() => collect(c).length === 1, 3000, 'message');
  });

  test('[MQTT-3.1.2-25] a CONNACK that cannot fit even without them (an assigned client id) is not sent: the connection closes', async () => {
    const s = await Raw.open(b.port, 5);
    s.send(connectPkt('', 5, { properties: { maximumPacketSize: 24 } }));
    await waitFor(() => s.closed, 3000, 'close');
    expect(Buffer.concat(s.bytes).length).toBe(0);
  });
});

for (const version of [4, 5] as const) {
  test(`v${version}: a client subscribed to its own topic gets PUBACK / PUBREC before its own message comes back`, async () => {
    const c = await connect(b.url, { protocolVersion: version, clientId: `c5-${version}` });
    await c.subscribeAsync(`c5/${version}`, { qos: 2 });
    const seen: string[] = [];
    c.on('packetreceive', (p: any) => seen.push(p.cmd));
    await Promise.all([c.publishAsync(`c5/${version}`, '1', { qos: 1 }), c.publishAsync(`c5/${version}`, '2', { qos: 2 })]);
    await waitFor(() => collect(c).length === 2, 3000, 'both copies');
    const first = (cmd: string) => seen.indexOf(cmd);
    expect(seen.filter((x) => x === 'publish')).toHaveLength(2);
    // in order: PUBACK, the QoS 1 copy, PUBREC, the QoS 2 copy
    expect(seen.slice(0, 4)).toEqual(['puback', 'publish', 'pubrec', 'publish']);
    expect(first('puback')).toBeLessThan(first('publish'));
  });
}
