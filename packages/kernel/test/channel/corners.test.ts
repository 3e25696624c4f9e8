// Spec corner cases at the channel level (issue 8): packet objects in, decoded frames out.
import type { Packet } from '@nemq/codec';
import { setup } from './fake';

const q2 = (messageId: number, dup: boolean, payload = 'x') =>
  ({ cmd: 'publish', topic: 'q2', qos: 2, messageId, dup, retain: false, payload: Buffer.from(payload) }) as const;

describe('QoS 2 resend after a reconnect', () => {
  test('[MQTT-4.3.3-9] [MQTT-4.3.3-10] a DUP resend of an id awaiting PUBREL gets PUBREC 0x00 and is not routed again', () => {
    const { open } = setup();
    const sub = open('sub');
    sub.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q2', qos: 0 }] });
    const persistent = { clean: false, properties: { sessionExpiryInterval: 300 } };
    const a = open('a', 5, persistent);
    a.ch.handle(q2(7, false));
    expect(a.t.out[1]).toMatchObject({ cmd: 'pubrec', messageId: 7 });
    a.ch.closed('sock_closed');
    const a2 = open('a', 5, persistent);
    expect(a2.t.out[0]).toMatchObject({ cmd: 'connack', sessionPresent: true });
    a2.ch.handle(q2(7, true));
    const rec = a2.t.out[1] as any;
    expect(rec).toMatchObject({ cmd: 'pubrec', messageId: 7 });
    expect(rec.reasonCode ?? 0).toBe(0);
    expect(sub.t.out.filter((x) => x.cmd === 'publish')).toHaveLength(1);
    a2.ch.handle({ cmd: 'pubrel', messageId: 7 });
    expect(a2.t.out[2]).toMatchObject({ cmd: 'pubcomp', messageId: 7 });
    expect((a2.t.out[2] as any).reasonCode ?? 0).toBe(0);
    // the id is free again: the next message with it is delivered
    a2.ch.handle(q2(7, false, 'next'));
    expect(a2.t.out[3]).toMatchObject({ cmd: 'pubrec', messageId: 7 });
    expect((a2.t.out[3] as any).reasonCode ?? 0).toBe(0);
    expect(sub.t.out.filter((x) => x.cmd === 'publish')).toHaveLength(2);
  });

  test('a reuse without DUP of an id awaiting PUBREL is still PUBREC 0x91, as EMQX', () => {
    const { open } = setup();
    const a = open('a');
    a.ch.handle(q2(8, false));
    a.ch.handle(q2(8, false));
    expect(a.t.out[2]).toMatchObject({ cmd: 'pubrec', messageId: 8, reasonCode: 0x91 });
  });
});

describe('a persistent CONNECT taking over a clean session', () => {
  const will = { topic: 'will/a', payload: Buffer.from('gone'), qos: 0, retain: false };
  for (const version of [4, 5] as const) {
    test(`[MQTT-3.1.2-6] [MQTT-3.1.4-3] v${version}: session present 0, no old subscriptions, the old will is sent`, () => {
      const { node, open } = setup();
      const watch = open('watch');
      watch.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'will/#', qos: 0 }] });
      const old = open('a', version, { will });
      old.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x', qos: 0 }] });
      const persistent = version === 5 ? { clean: false, properties: { sessionExpiryInterval: 300 } } : { clean: false };
      const now = open('a', version, persistent);
      expect(old.t.closed).toBe(true);
      expect(now.t.out[0]).toMatchObject({ cmd: 'connack', reasonCode: 0, sessionPresent: false });
      expect(now.ch.session!.subscriptions.size).toBe(0);
      expect(node.cm.sessions.get('a')).toBe(now.ch.session);
      const wills = watch.t.out.filter((p) => p.cmd === 'publish');
      expect(wills).toMatchObject([{ topic: 'will/a' }]);
      const pub = open('pub');
      pub.ch.handle({ cmd: 'publish', topic: 'x', qos: 0, dup: false, retain: false, payload: Buffer.from('m') });
      expect(now.t.out.filter((p) => p.cmd === 'publish')).toHaveLength(0);
    });
  }

  test('[MQTT-3.1.4-3] a persistent session is still taken over: present 1, subscriptions kept, no will', () => {
    const { open } = setup();
    const watch = open('watch');
    watch.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'will/#', qos: 0 }] });
    const persistent = { clean: false, properties: { sessionExpiryInterval: 300 } };
    const old = open('a', 5, { ...persistent, will });
    old.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x', qos: 0 }] });
    const now = open('a', 5, persistent);
    expect(now.t.out[0]).toMatchObject({ cmd: 'connack', sessionPresent: true });
    expect(now.ch.session!.subscriptions.size).toBe(1);
    expect(watch.t.out.filter((p) => p.cmd === 'publish')).toHaveLength(0);
  });
});

describe('MQTT 3.1', () => {
  test('CONNACK resuming a session sends the reserved first byte as 0 (3.1 has no session-present flag); 3.1.1 sends 1 [MQTT-3.2.2-2]', () => {
    const { open } = setup();
    for (const version of [3, 4] as const) {
      const id = `v${version}`;
      const first = open(id, version, { clean: false });
      first.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x', qos: 1 }] });
      first.ch.closed('sock_closed');
      const again = open(id, version, { clean: false });
      expect([...again.t.frames[0]!]).toEqual([0x20, 2, version === 3 ? 0 : 1, 0]);
      expect(again.ch.session!.subscriptions.size).toBe(1);
    }
  });
});

describe('CONNACK within the client Maximum Packet Size', () => {
  test('[MQTT-3.1.2-24] [MQTT-3.2.2-19] [MQTT-3.2.2-20] optional properties are dropped until it fits; the limits stay', () => {
    const { node, open } = setup({ responseInformation: 'r/'.repeat(100) });
    node.registry.tap('test', 'client.connack', ((_ci: unknown, _rc: unknown, props: any) => ({ ...props, userProperties: { big: 'u'.repeat(100) }, reasonString: 'why'.repeat(30) })) as any);
    const full = open('full', 5, { properties: { requestResponseInformation: true } });
    expect(full.t.frames[0]!.length).toBeGreaterThan(300);
    const { t, ch } = open('small', 5, { properties: { requestResponseInformation: true, maximumPacketSize: 64 } });
    expect(t.frames[0]!.length).toBeLessThanOrEqual(64);
    const p = t.out[0] as any;
    expect(p).toMatchObject({ cmd: 'connack', reasonCode: 0 });
    expect(p.properties.userProperties).toBeUndefined();
    expect(p.properties.reasonString).toBeUndefined();
    expect(p.properties.responseInformation).toBeUndefined();
    expect(p.properties.maximumPacketSize).toBe(ch.zone.maxPacketSize);
    expect(p.properties.retainAvailable).toBe(true);
    expect(ch.connected).toBe(true);
  });

  test('capabilities stated at their default value go next; a limit that still cannot be met closes without CONNACK [MQTT-3.1.2-25]', () => {
    const { node, open } = setup({ maxQosAllowed: 1 });
    const watch = open('watch');
    watch.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'will/#', qos: 0 }] });
    const fits = open('fits', 5, { properties: { maximumPacketSize: 24 } });
    expect(fits.t.frames[0]!.length).toBeLessThanOrEqual(24);
    expect((fits.t.out[0] as any).properties).toMatchObject({ maximumQoS: 1, maximumPacketSize: fits.ch.zone.maxPacketSize });
    expect((fits.t.out[0] as any).properties.wildcardSubscriptionAvailable).toBeUndefined();
    // an assigned client id must be told [MQTT-3.2.2-16]: it cannot be dropped
    const will = { topic: 'will/x', payload: Buffer.from('w'), qos: 0, retain: false };
    const none = open('', 5, { will, properties: { maximumPacketSize: 24 } });
    expect(none.t.frames).toHaveLength(0);
    expect(none.t.closed).toBe(true);
    expect(none.ch.connected).toBe(false);
    expect(watch.t.out.filter((p) => p.cmd === 'publish')).toHaveLength(0);
    expect(node.cm.channels.size).toBe(2);
  });
});

describe('the ack before the copy routed back to the publisher', () => {
  for (const version of [4, 5] as const) {
    test(`v${version}: PUBACK / PUBREC comes before the client's own message, as EMQX and Mosquitto [MQTT-4.6.0-2] [MQTT-4.6.0-3]`, () => {
      const { open } = setup();
      const a = open('a', version);
      a.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'self', qos: 2 }] });
      a.ch.handle({ cmd: 'publish', topic: 'self', qos: 1, messageId: 3, dup: false, retain: false, payload: Buffer.from('1') });
      a.ch.handle({ cmd: 'publish', topic: 'self', qos: 2, messageId: 4, dup: false, retain: false, payload: Buffer.from('2') });
      a.ch.handle({ cmd: 'publish', topic: 'self', qos: 0, dup: false, retain: false, payload: Buffer.from('0') });
      expect(a.t.out.slice(2).map((p: any) => [p.cmd, p.messageId, p.reasonCode ?? 0])).toEqual([
        ['puback', 3, 0], ['publish', 1, 0],
        ['pubrec', 4, 0], ['publish', 2, 0],
        ['publish', undefined, 0],
      ]);
    });
  }

  test('v5: with no subscriber the ack still says 0x10, and nothing is owed after it', () => {
    const { open } = setup();
    const a = open('a');
    const b = open('b');
    b.ch.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'other', qos: 1 }] });
    a.ch.handle({ cmd: 'publish', topic: 'nobody', qos: 1, messageId: 5, dup: false, retain: false, payload: Buffer.alloc(0) });
    expect(a.t.out[1]).toMatchObject({ cmd: 'puback', messageId: 5, reasonCode: 0x10 });
    expect(a.ch.ackHead).toBe(0);
    // a later delivery to the same client sends no stray ack
    b.ch.handle({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'x', qos: 0 }] });
    a.ch.handle({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'x', qos: 0 }] });
    b.ch.handle({ cmd: 'publish', topic: 'x', qos: 0, dup: false, retain: false, payload: Buffer.alloc(0) });
    expect(a.t.out.slice(2).map((p) => p.cmd)).toEqual(['suback', 'publish']);
  });
});
