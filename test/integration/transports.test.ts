// The same broker over TLS, WebSocket and secure WebSocket [MQTT-6.0.0-1..4].
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker, connect, closeAll, collect, waitFor, CERTS, type TestBroker } from './helpers';

let b: TestBroker;
beforeAll(async () => {
  b = await startBroker({ tls: true, ws: true });
});
afterEach(closeAll);
afterAll(() => b.stop());

const ca = readFileSync(join(CERTS, 'cacert.pem'));

test.each([
  ['mqtts', 'ssl'],
  ['ws', 'ws'],
  ['wss', 'wss'],
] as const)('%s clients talk to TCP clients', async (scheme, proto) => {
  const tcp = await connect(b.url, { protocolVersion: 5 });
  const got = collect(tcp);
  await tcp.subscribeAsync(`tr/${proto}`, { qos: 1 });
  const path = proto === 'ws' || proto === 'wss' ? '/mqtt' : '';
  const other = await connect(`${scheme}://localhost:${b.ports[proto]}${path}`, { protocolVersion: 4, ca, rejectUnauthorized: true });
  const got2 = collect(other);
  await other.subscribeAsync(`back/${proto}`, { qos: 1 });
  await other.publishAsync(`tr/${proto}`, `via ${proto}`, { qos: 1 });
  await tcp.publishAsync(`back/${proto}`, 'to you', { qos: 2 });
  await waitFor(() => got.length === 1 && got2.length === 1);
  expect(got[0]!.payload).toBe(`via ${proto}`);
  expect(got2[0]!.payload).toBe('to you');
});

test('a WebSocket on another path is refused', async () => {
  await expect(connect(`ws://127.0.0.1:${b.ports.ws}/other`, { protocolVersion: 4, connectTimeout: 1000 })).rejects.toBeDefined();
});

test('listener access rules: deny all refuses the connection, allow 127.0.0.1 accepts', async () => {
  const denied = await startBroker({ listeners: [{ proto: 'tcp', name: 'd', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 10, access: [{ action: 'deny', cidr: 'all' }] }] });
  const allowed = await startBroker({ listeners: [{ proto: 'tcp', name: 'a', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 10, access: [{ action: 'allow', cidr: '127.0.0.1' }, { action: 'deny', cidr: 'all' }] }] });
  try {
    await expect(connect(denied.url, { protocolVersion: 4, connectTimeout: 1000 })).rejects.toBeDefined();
    const c = await connect(allowed.url, { protocolVersion: 4 });
    expect(c.connected).toBe(true);
  } finally {
    await closeAll();
    await denied.stop();
    await allowed.stop();
  }
});
