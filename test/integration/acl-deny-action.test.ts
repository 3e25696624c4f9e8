// acl_deny_action and acl_nomatch as a client sees them, with the file ACL denying `no/#`.
import type { MqttClient } from 'mqtt';
import { suback } from '../authkit/mqtt';
import { closeAll, collect, connect, startBroker, waitFor, type TestBroker } from './helpers';

const denyNo = (_ci: unknown, _action: unknown, topic: string) => (topic.startsWith('no/') ? 'deny' : 'nomatch') as 'deny' | 'nomatch';

let ignore: TestBroker;
let disconnect: TestBroker;
let nomatchDeny: TestBroker;

beforeAll(async () => {
  ignore = await startBroker({ retainer: false, fileAcl: denyNo });
  disconnect = await startBroker({ retainer: false, fileAcl: denyNo, zone: { aclDenyAction: 'disconnect' } });
  nomatchDeny = await startBroker({ retainer: false, fileAcl: (_c, _a, t) => (t.startsWith('ok/') ? 'allow' : 'nomatch'), zone: { aclNomatch: 'deny' } });
});
afterEach(closeAll);
afterAll(async () => {
  await Promise.all([ignore, disconnect, nomatchDeny].map((b) => b?.stop()));
});

/** the DISCONNECT reason code the broker sent (v5), or 'closed' when it only closed the socket */
function ended(c: MqttClient): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    c.once('disconnect', (p) => resolve(p.reasonCode ?? 0));
    c.once('close', () => setImmediate(() => resolve('closed')));
  });
}

describe('acl_deny_action = ignore (default)', () => {
  test('a denied QoS 1 publish gets PUBACK 0x87 (v5) and is dropped; a denied subscribe gets SUBACK 0x87; the client stays', async () => {
    const sub = await connect(ignore.url, { protocolVersion: 5 });
    await sub.subscribeAsync('#', { qos: 1 });
    const c = await connect(ignore.url, { protocolVersion: 5 });
    await expect(c.publishAsync('no/x', 'x', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    expect(await suback(c, 'no/y')).toBe(0x87);
    await c.publishAsync('yes/x', 'y', { qos: 1 });
    await waitFor(() => collect(sub).length === 1);
    expect(collect(sub).map((m) => m.topic)).toEqual(['yes/x']);
    expect(c.connected).toBe(true);
  });
});

describe('acl_deny_action = disconnect', () => {
  test('a denied publish: MQTT 5 gets DISCONNECT 0x87, MQTT 3.1.1 is closed; nothing is delivered', async () => {
    const sub = await connect(disconnect.url, { protocolVersion: 5 });
    await sub.subscribeAsync('#', { qos: 1 });
    const v5 = await connect(disconnect.url, { protocolVersion: 5 });
    const e5 = ended(v5);
    v5.publish('no/x', 'x', { qos: 1 });
    expect(await e5).toBe(0x87);
    const v3 = await connect(disconnect.url, { protocolVersion: 4 });
    const e3 = ended(v3);
    v3.publish('no/x', 'x', { qos: 0 });
    expect(await e3).toBe('closed');
    const ok = await connect(disconnect.url, { protocolVersion: 5 });
    await ok.publishAsync('yes/x', 'y', { qos: 1 });
    await waitFor(() => collect(sub).length === 1);
    expect(collect(sub).map((m) => m.topic)).toEqual(['yes/x']);
  });

  test('a denied subscribe: DISCONNECT 0x87', async () => {
    const c = await connect(disconnect.url, { protocolVersion: 5 });
    const e = ended(c);
    c.subscribe('no/y', { qos: 1 });
    expect(await e).toBe(0x87);
  });
});

describe('acl_nomatch = deny', () => {
  test('a topic no rule matches is refused; a rule that allows wins', async () => {
    const c = await connect(nomatchDeny.url, { protocolVersion: 5 });
    expect(await suback(c, 'other/t')).toBe(0x87);
    expect(await suback(c, 'ok/t')).toBe(1);
    await expect(c.publishAsync('other/t', 'x', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
  });
});
