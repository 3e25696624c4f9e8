// The channel over packet objects: no sockets, a fake transport that decodes frames.
import type { Packet } from '@nemq/codec';
import { setup } from './fake';

describe('Channel', () => {
  test('[MQTT-3.2.0-1] CONNECT is answered with CONNACK; v5 CONNACK carries the limits', () => {
    const { open } = setup({ maxQosAllowed: 1, serverKeepalive: 30 });
    const { t, ch } = open('c1');
    expect(t.out[0]).toMatchObject({ cmd: 'connack', reasonCode: 0, sessionPresent: false });
    const props = (t.out[0] as any).properties;
    expect(props.maximumQoS).toBe(1);
    expect(props.serverKeepAlive).toBe(30);
    expect(ch.keepalive).toBe(30);
  });

  test('[MQTT-3.2.2-21] server_keepalive caps the client keep alive; a shorter one is kept', () => {
    const { open } = setup({ serverKeepalive: 30 });
    const short = open('short', 5, { keepalive: 10 });
    expect((short.t.out[0] as any).properties.serverKeepAlive).toBeUndefined();
    expect(short.ch.keepalive).toBe(10);
    const none = open('none', 5, { keepalive: 0 });
    expect((none.t.out[0] as any).properties.serverKeepAlive).toBe(30);
  });

  test('[MQTT-3.1.3-8] v5 empty client id with clean start 0 gets CONNACK 0x85, as EMQX', () => {
    const { open } = setup();
    const { t } = open('', 5, { clean: false });
    expect(t.out[0]).toMatchObject({ cmd: 'connack', reasonCode: 0x85 });
  });

  test('a PUBLISH with an empty topic and no alias is a protocol error (0x82)', () => {
    const { open } = setup();
    const a = open('a');
    a.ch.handle({ cmd: 'publish', topic: '', qos: 0, dup: false, retain: false, payload: Buffer.alloc(0) });
    expect(a.t.out[1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x82 });
  });

  test('[MQTT-3.3.2-14] a response topic with wildcards is a protocol error', () => {
    const { open } = setup();
    const a = open('a');
    a.ch.handle({ cmd: 'publish', topic: 't', qos: 1, messageId: 1, dup: false, retain: false, payload: Buffer.alloc(0), properties: { responseTopic: 'r/#' } });
    expect(a.t.out[1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x82 });
  });

  test('[MQTT-3.3.4-3] overlapping subscriptions with one identifier send it once', () => {
    const { open, node } = setup();
    const a = open('a');
    a.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'o/+', qos: 1 }, { topic: 'o/#', qos: 2 }], properties: { subscriptionIdentifier: 9 } });
    node.publish('o/x', 'p', { qos: 2 });
    const pubs = a.t.out.filter((p) => p.cmd === 'publish') as any[];
    expect(pubs).toHaveLength(1);
    expect(pubs[0].qos).toBe(2);
    expect(pubs[0].properties.subscriptionIdentifier).toEqual(9);
  });

  test('[MQTT-3.1.3-8] v3.1.1 empty client id with clean session 0 gets CONNACK 2 and a close', () => {
    const { open } = setup();
    const { t } = open('', 4, { clean: false });
    expect(t.out[0]).toMatchObject({ cmd: 'connack', reasonCode: 2 });
    expect(t.closed).toBe(true);
  });

  test('[MQTT-3.3.4-1] QoS 1 publish is routed and acknowledged; the subscriber gets it with its own packet id', () => {
    const { open } = setup();
    const a = open('a');
    const b = open('b');
    b.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 't/+', qos: 1 }] });
    expect(b.t.out[1]).toMatchObject({ cmd: 'suback', messageId: 1, granted: [1] });
    a.ch.handle({ cmd: 'publish', topic: 't/x', qos: 1, messageId: 77, dup: false, retain: false, payload: Buffer.from('hi') });
    expect(a.t.out[1]).toMatchObject({ cmd: 'puback', messageId: 77 });
    const pub = b.t.out[2] as any;
    expect(pub).toMatchObject({ cmd: 'publish', topic: 't/x', qos: 1, messageId: 1 });
    expect(pub.payload.toString()).toBe('hi');
    b.ch.handle({ cmd: 'puback', messageId: 1 });
    expect(b.ch.session!.inflight.size).toBe(0);
  });

  test('[MQTT-4.3.3-10] a duplicate QoS 2 PUBLISH is not routed twice; PUBREL gets PUBCOMP', () => {
    const { open } = setup();
    const a = open('a');
    const b = open('b');
    b.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q2', qos: 2 }] });
    const p = { cmd: 'publish', topic: 'q2', qos: 2, messageId: 5, dup: false, retain: false, payload: Buffer.from('x') } as const;
    a.ch.handle({ ...p });
    a.ch.handle({ ...p, dup: true });
    expect(b.t.out.filter((x) => x.cmd === 'publish')).toHaveLength(1);
    expect(a.t.out.filter((x) => x.cmd === 'pubrec')).toHaveLength(2);
    a.ch.handle({ cmd: 'pubrel', messageId: 5 });
    expect(a.t.out[a.t.out.length - 1]).toMatchObject({ cmd: 'pubcomp', messageId: 5 });
  });

  test('v5 PUBACK says 0x10 when nobody subscribes', () => {
    const { open } = setup();
    const a = open('a');
    a.ch.handle({ cmd: 'publish', topic: 'nobody', qos: 1, messageId: 9, dup: false, retain: false, payload: Buffer.alloc(0) });
    expect(a.t.out[1]).toMatchObject({ cmd: 'puback', messageId: 9, reasonCode: 0x10 });
  });

  test('[MQTT-3.3.2-8] topic alias above the maximum: DISCONNECT 0x94', () => {
    const { open } = setup({ maxTopicAlias: 2 });
    const a = open('a');
    a.ch.handle({ cmd: 'publish', topic: 't', qos: 0, dup: false, retain: false, payload: Buffer.alloc(0), properties: { topicAlias: 3 } });
    expect(a.t.out[1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x94 });
    expect(a.t.closed).toBe(true);
  });

  test('[MQTT-3.3.1-2] DUP on a QoS 0 PUBLISH is a protocol error: DISCONNECT 0x82', () => {
    const { open } = setup();
    const a = open('a');
    a.ch.handle({ cmd: 'publish', topic: 't', qos: 0, dup: true, retain: false, payload: Buffer.alloc(0) });
    expect(a.t.out[1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x82 });
  });

  test('[MQTT-3.2.2-11] QoS above max_qos_allowed: DISCONNECT 0x9B', () => {
    const { open } = setup({ maxQosAllowed: 1 });
    const a = open('a');
    a.ch.handle({ cmd: 'publish', topic: 't', qos: 2, messageId: 1, dup: false, retain: false, payload: Buffer.alloc(0) });
    expect(a.t.out[1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x9b });
  });

  test('receive maximum exceeded (too many QoS 2 awaiting PUBREL): DISCONNECT 0x93', () => {
    const { open } = setup({ maxAwaitingRel: 2 });
    const a = open('a');
    expect((a.t.out[0] as any).properties.receiveMaximum).toBe(2);
    for (const id of [1, 2, 3]) a.ch.handle({ cmd: 'publish', topic: 't', qos: 2, messageId: id, dup: false, retain: false, payload: Buffer.alloc(0) });
    expect(a.t.out[a.t.out.length - 1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x93 });
  });

  test('[MQTT-3.8.3-4] no local on a shared subscription is a protocol error', () => {
    const { open } = setup();
    const a = open('a');
    a.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/t', qos: 0, nl: true }] });
    expect(a.t.out[1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x82 });
  });

  test('SUBACK codes: invalid filter 0x8F, wildcard not allowed 0xA2, shared not allowed 0x9E; v3 gets 0x80', () => {
    const { open } = setup({ wildcardSubscription: false, sharedSubscription: false });
    const a = open('a');
    a.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#/b', qos: 0 }, { topic: 'a/+', qos: 0 }, { topic: '$share/g/a', qos: 0 }, { topic: 'ok', qos: 2 }] });
    expect(a.t.out[1]).toMatchObject({ cmd: 'suback', granted: [0x8f, 0xa2, 0x9e, 2] });
    const b = open('b', 4);
    b.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#/b', qos: 0 }, { topic: 'ok', qos: 1 }] });
    expect(b.t.out[1]).toMatchObject({ cmd: 'suback', granted: [0x80, 1] });
  });

  test('UNSUBACK v5: 0x11 for a filter that was not subscribed', () => {
    const { open } = setup();
    const a = open('a');
    a.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x', qos: 0 }] });
    a.ch.handle({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['x', 'y'] });
    expect(a.t.out[2]).toMatchObject({ cmd: 'unsuback', messageId: 2, granted: [0, 0x11] });
  });

  test('[MQTT-3.14.2-2] DISCONNECT setting a session expiry when CONNECT had 0 is a protocol error', () => {
    const { open } = setup();
    const a = open('a');
    a.ch.handle({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 10 } });
    expect(a.t.out[1]).toMatchObject({ cmd: 'disconnect', reasonCode: 0x82 });
  });

  test('a client maximum packet size drops larger deliveries [MQTT-3.1.2-25]', () => {
    const { open, node } = setup();
    const a = open('a', 5, { properties: { maximumPacketSize: 64 } });
    a.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'big', qos: 1 }] });
    node.publish('big', Buffer.alloc(200), { qos: 1 });
    node.publish('big', Buffer.alloc(10), { qos: 1 });
    const pubs = a.t.out.filter((p) => p.cmd === 'publish') as any[];
    expect(pubs.map((p) => p.payload.length)).toEqual([10]);
    expect(a.ch.session!.inflight.size).toBe(1);
    expect(node.metrics['delivery.dropped.too_large']).toBe(1);
  });

  test('enhanced authentication: AUTH 0x18 continue, then CONNACK success [MQTT-4.12.0-1]', async () => {
    const { node, open } = setup();
    node.tap('scram', 'client.enhanced_authenticate', async (method: string, data: Buffer | undefined) => {
      if (method !== 'X') return { status: 'error' };
      return data?.toString() === 'step2' ? { status: 'ok', data: Buffer.from('done') } : { status: 'continue', data: Buffer.from('challenge') };
    });
    const a = open('a', 5, { properties: { authenticationMethod: 'X', authenticationData: Buffer.from('step1') } });
    await new Promise((r) => setImmediate(r));
    expect(a.t.out[0]).toMatchObject({ cmd: 'auth', reasonCode: 0x18 });
    a.ch.handle({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'X', authenticationData: Buffer.from('step2') } });
    await new Promise((r) => setImmediate(r));
    expect(a.t.out[1]).toMatchObject({ cmd: 'connack', reasonCode: 0 });
    expect((a.t.out[1] as any).properties.authenticationMethod).toBe('X');
  });

  test('an unknown authentication method gets CONNACK 0x8C', () => {
    const { open } = setup();
    const a = open('a', 5, { properties: { authenticationMethod: 'nope' } });
    expect(a.t.out[0]).toMatchObject({ cmd: 'connack', reasonCode: 0x8c });
  });
});
