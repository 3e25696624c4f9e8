// Publish/subscribe behaviour over real TCP with mqtt.js on MQTT 3.1.1 and 5.0.
import { startBroker, connect, closeAll, collect, waitFor, sleep, type TestBroker } from './helpers';

let b: TestBroker;
beforeAll(async () => {
  b = await startBroker();
});
afterEach(closeAll);
afterAll(() => b.stop());

describe.each([4, 5] as const)('MQTT protocol level %s', (protocolVersion) => {
  test.each([0, 1, 2] as const)('QoS %s round trip delivers the payload once', async (qos) => {
    const sub = await connect(b.url, { protocolVersion, clientId: `sub-q${qos}-${protocolVersion}` });
    const got = collect(sub);
    await sub.subscribeAsync(`rt/${protocolVersion}/${qos}`, { qos });
    const pub = await connect(b.url, { protocolVersion });
    await pub.publishAsync(`rt/${protocolVersion}/${qos}`, 'hello', { qos });
    await waitFor(() => got.length === 1, 3000, 'delivery');
    await sleep(50);
    expect(got).toHaveLength(1);
    expect(got[0]!.payload).toBe('hello');
    expect(got[0]!.packet.qos).toBe(qos);
  });

  test('[MQTT-3.3.1-6] a retained message reaches a later subscriber with RETAIN set; an empty payload clears it [MQTT-3.3.1-10]', async () => {
    const topic = `ret/${protocolVersion}`;
    const pub = await connect(b.url, { protocolVersion });
    await pub.publishAsync(topic, 'kept', { qos: 1, retain: true });
    const sub = await connect(b.url, { protocolVersion });
    const got = collect(sub);
    await sub.subscribeAsync(topic, { qos: 1 });
    await waitFor(() => got.length === 1);
    expect(got[0]!.packet.retain).toBe(true);
    await pub.publishAsync(topic, '', { qos: 1, retain: true });
    const sub2 = await connect(b.url, { protocolVersion });
    const got2 = collect(sub2);
    await sub2.subscribeAsync(topic, { qos: 1 });
    await sleep(100);
    expect(got2).toHaveLength(0);
  });

  test('[MQTT-4.7.2-1] # does not match $SYS topics', async () => {
    const sub = await connect(b.url, { protocolVersion });
    const got = collect(sub);
    await sub.subscribeAsync('#', { qos: 0 });
    b.node.publish('$SYS/test/x', 'sys');
    b.node.publish('plain/x', 'p');
    await waitFor(() => got.length >= 1);
    await sleep(50);
    expect(got.map((m) => m.topic)).toEqual(['plain/x']);
  });

  test('[MQTT-3.1.2-8] the will is published when the connection drops without DISCONNECT', async () => {
    const sub = await connect(b.url, { protocolVersion });
    const got = collect(sub);
    await sub.subscribeAsync(`will/${protocolVersion}`, { qos: 1 });
    const dying = await connect(b.url, { protocolVersion, will: { topic: `will/${protocolVersion}`, payload: Buffer.from('gone'), qos: 1, retain: false } });
    (dying as any).stream.destroy();
    await waitFor(() => got.length === 1);
    expect(got[0]!.payload).toBe('gone');
  });

  test('[MQTT-3.14.4-3] no will after a normal DISCONNECT', async () => {
    const sub = await connect(b.url, { protocolVersion });
    const got = collect(sub);
    await sub.subscribeAsync(`will2/${protocolVersion}`, { qos: 1 });
    const c = await connect(b.url, { protocolVersion, will: { topic: `will2/${protocolVersion}`, payload: Buffer.from('gone'), qos: 1, retain: false } });
    await c.endAsync();
    await sleep(150);
    expect(got).toHaveLength(0);
  });

  test('[MQTT-3.1.2-4] a persistent session keeps subscriptions and queues QoS 1 messages in order while offline', async () => {
    const clientId = `persist-${protocolVersion}`;
    const opts = protocolVersion === 5 ? { protocolVersion, clientId, clean: false, properties: { sessionExpiryInterval: 60 } } : { protocolVersion, clientId, clean: false };
    const c1 = await connect(b.url, opts);
    await c1.subscribeAsync(`q/${protocolVersion}`, { qos: 1 });
    await c1.endAsync();
    const pub = await connect(b.url, { protocolVersion });
    for (let i = 0; i < 20; i++) await pub.publishAsync(`q/${protocolVersion}`, String(i), { qos: 1 });
    const c2 = await connect(b.url, opts);
    expect((c2 as any).connackPacket?.sessionPresent ?? true).toBe(true);
    const got = collect(c2);
    await waitFor(() => got.length === 20);
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  test('overlapping subscriptions deliver once at the highest granted QoS', async () => {
    const sub = await connect(b.url, { protocolVersion });
    const got = collect(sub);
    await sub.subscribeAsync({ [`ov/${protocolVersion}/+`]: { qos: 0 }, [`ov/${protocolVersion}/#`]: { qos: 1 } });
    const pub = await connect(b.url, { protocolVersion });
    await pub.publishAsync(`ov/${protocolVersion}/a`, 'x', { qos: 1 });
    await waitFor(() => got.length >= 1);
    await sleep(100);
    expect(got).toHaveLength(1);
    expect(got[0]!.packet.qos).toBe(1);
  });

  test('shared subscription $share/g/t gives each message to one member; $queue/t too', async () => {
    for (const filter of [`$share/g/sh/${protocolVersion}`, `$queue/sh/${protocolVersion}`]) {
      const a = await connect(b.url, { protocolVersion });
      const c = await connect(b.url, { protocolVersion });
      const ga = collect(a);
      const gc = collect(c);
      await a.subscribeAsync(filter, { qos: 1 });
      await c.subscribeAsync(filter, { qos: 1 });
      const pub = await connect(b.url, { protocolVersion });
      for (let i = 0; i < 20; i++) await pub.publishAsync(`sh/${protocolVersion}`, String(i), { qos: 1 });
      await waitFor(() => ga.length + gc.length === 20);
      await sleep(50);
      expect(ga.length + gc.length).toBe(20);
      await closeAll();
    }
  });
});

describe('MQTT 5 only', () => {
  const v5 = { protocolVersion: 5 as const };

  test('[MQTT-3.8.3-3] no local: a client does not get its own messages', async () => {
    const c = await connect(b.url, v5);
    const got = collect(c);
    await c.subscribeAsync('nl/t', { qos: 1, nl: true });
    await c.publishAsync('nl/t', 'self', { qos: 1 });
    const other = await connect(b.url, v5);
    await other.publishAsync('nl/t', 'other', { qos: 1 });
    await waitFor(() => got.length === 1);
    await sleep(50);
    expect(got.map((m) => m.payload)).toEqual(['other']);
  });

  test('[MQTT-3.3.1-12] retain as published keeps RETAIN on live delivery', async () => {
    const c = await connect(b.url, v5);
    const got = collect(c);
    await c.subscribeAsync({ 'rap/1': { qos: 0, rap: true }, 'rap/0': { qos: 0, rap: false } });
    const pub = await connect(b.url, v5);
    await pub.publishAsync('rap/1', 'a', { retain: true, qos: 1 });
    await pub.publishAsync('rap/0', 'b', { retain: true, qos: 1 });
    await waitFor(() => got.length === 2);
    const byTopic = Object.fromEntries(got.map((m) => [m.topic, m.packet.retain]));
    expect(byTopic).toEqual({ 'rap/1': true, 'rap/0': false });
  });

  test('[MQTT-3.3.1-10] retain handling 2 sends no retained messages; 1 only for a new subscription', async () => {
    const pub = await connect(b.url, v5);
    await pub.publishAsync('rh/x', 'r', { retain: true, qos: 1 });
    const c = await connect(b.url, v5);
    const got = collect(c);
    await c.subscribeAsync('rh/x', { qos: 0, rh: 2 });
    await sleep(100);
    expect(got).toHaveLength(0);
    const d = await connect(b.url, v5);
    const gd = collect(d);
    await d.subscribeAsync('rh/+', { qos: 0, rh: 1 });
    await waitFor(() => gd.length === 1);
    await d.subscribeAsync('rh/+', { qos: 0, rh: 1 });
    await sleep(100);
    expect(gd).toHaveLength(1);
  });

  test('[MQTT-3.3.4-3] subscription identifiers come back with the message', async () => {
    const c = await connect(b.url, v5);
    const got = collect(c);
    await c.subscribeAsync('sid/+', { qos: 0, properties: { subscriptionIdentifier: 7 } } as any);
    const pub = await connect(b.url, v5);
    await pub.publishAsync('sid/a', 'x');
    await waitFor(() => got.length === 1);
    const sid = got[0]!.packet.properties?.subscriptionIdentifier;
    expect(Array.isArray(sid) ? sid : [sid]).toEqual([7]);
  });

  test('user properties, content type, response topic and correlation data are forwarded [MQTT-3.3.2-17]', async () => {
    const c = await connect(b.url, v5);
    const got = collect(c);
    await c.subscribeAsync('props/t', { qos: 1 });
    const pub = await connect(b.url, v5);
    await pub.publishAsync('props/t', 'x', {
      qos: 1,
      properties: { userProperties: { a: '1' }, contentType: 'text/plain', responseTopic: 'resp/t', correlationData: Buffer.from('cid'), payloadFormatIndicator: true },
    });
    await waitFor(() => got.length === 1);
    const p = got[0]!.packet.properties;
    expect(p.userProperties).toEqual({ a: '1' });
    expect(p.contentType).toBe('text/plain');
    expect(p.responseTopic).toBe('resp/t');
    expect(Buffer.from(p.correlationData).toString()).toBe('cid');
    expect(p.payloadFormatIndicator).toBe(true);
  });

  test('[MQTT-3.3.2-5] an expired message is not delivered from the queue', async () => {
    const opts = { ...v5, clientId: 'exp-1', clean: false, properties: { sessionExpiryInterval: 60 } };
    const c = await connect(b.url, opts);
    await c.subscribeAsync('exp/t', { qos: 1 });
    await c.endAsync();
    const pub = await connect(b.url, v5);
    await pub.publishAsync('exp/t', 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync('exp/t', 'long', { qos: 1, properties: { messageExpiryInterval: 100 } });
    await sleep(1100);
    const c2 = await connect(b.url, opts);
    const got = collect(c2);
    await waitFor(() => got.length >= 1);
    await sleep(100);
    expect(got.map((m) => m.payload)).toEqual(['long']);
    expect(got[0]!.packet.properties.messageExpiryInterval).toBeLessThanOrEqual(99);
  });

  test('CONNACK assigns a client id to an empty one and announces limits', async () => {
    const c = await connect(b.url, { ...v5, clientId: '' });
    const ack = (c as any).connackPacket ?? {};
    expect(typeof ack.properties?.assignedClientIdentifier).toBe('string');
    expect(ack.properties?.topicAliasMaximum).toBe(65535);
  });

  test('topic aliases from the client are resolved [MQTT-3.3.2-12]', async () => {
    const c = await connect(b.url, v5);
    const got = collect(c);
    await c.subscribeAsync('alias/t', { qos: 1 });
    const pub = await connect(b.url, v5);
    await pub.publishAsync('alias/t', 'one', { qos: 1, properties: { topicAlias: 3 } });
    await pub.publishAsync('', 'two', { qos: 1, properties: { topicAlias: 3 } });
    await waitFor(() => got.length === 2);
    expect(got.map((m) => [m.topic, m.payload])).toEqual([['alias/t', 'one'], ['alias/t', 'two']]);
  });

  test('the broker uses topic aliases toward a client that allows them', async () => {
    const c = await connect(b.url, { ...v5, properties: { topicAliasMaximum: 10 } });
    const raw: any[] = [];
    c.on('packetreceive', (p: any) => { if (p.cmd === 'publish') raw.push({ topic: p.topic, alias: p.properties?.topicAlias }); });
    const got = collect(c);
    await c.subscribeAsync('oalias/t', { qos: 0 });
    const pub = await connect(b.url, v5);
    await pub.publishAsync('oalias/t', '1');
    await pub.publishAsync('oalias/t', '2');
    await waitFor(() => got.length === 2);
    expect(raw[0]).toEqual({ topic: 'oalias/t', alias: 1 });
    expect(raw[1].alias).toBe(1);
    expect(got.map((m) => m.topic)).toEqual(['oalias/t', 'oalias/t']);
  });
});
