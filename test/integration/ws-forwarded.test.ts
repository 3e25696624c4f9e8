// WebSocket behind a proxy: proxy_address_header / proxy_port_header name the client.
import { startBroker, connect, closeAll, waitFor, type TestBroker } from './helpers';

let b: TestBroker;
const seen = new Map<string, { peerhost: string; peername: string }>();
beforeAll(async () => {
  const ws = { proto: 'ws', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 10, mqttPath: '/mqtt' } as const;
  b = await startBroker({
    listeners: [
      { ...ws, name: 'proxied', proxyAddressHeader: 'X-Forwarded-For', proxyPortHeader: 'X-Forwarded-Port' },
      { ...ws, name: 'direct' },
    ],
  });
  b.node.tap('fwd-test', 'client.connected', ((ci: { clientid: string; peerhost: string }, conn: { peername: string }) => {
    seen.set(ci.clientid, { peerhost: ci.peerhost, peername: conn.peername });
  }) as never);
});
afterEach(closeAll);
afterAll(() => b.stop());

const url = (i: number): string => `ws://127.0.0.1:${b.node.listeners[i]!.port}/mqtt`;
const headers = { 'X-Forwarded-For': '203.0.113.9, 10.0.0.1', 'X-Forwarded-Port': '40001' };

test('the first X-Forwarded-For address and X-Forwarded-Port are the client', async () => {
  await connect(url(0), { clientId: 'fwd', protocolVersion: 4, wsOptions: { headers } });
  await waitFor(() => seen.has('fwd'));
  expect(seen.get('fwd')).toEqual({ peerhost: '203.0.113.9', peername: '203.0.113.9:40001' });
});

test('without the headers, or a bad address, the socket peer', async () => {
  await connect(url(0), { clientId: 'fwd-none', protocolVersion: 4 });
  await connect(url(0), { clientId: 'fwd-bad', protocolVersion: 4, wsOptions: { headers: { 'X-Forwarded-For': 'unknown' } } });
  await waitFor(() => seen.has('fwd-none') && seen.has('fwd-bad'));
  expect(seen.get('fwd-none')!.peerhost).toBe('127.0.0.1');
  expect(seen.get('fwd-bad')!.peerhost).toBe('127.0.0.1');
});

test('a listener without proxy headers ignores them', async () => {
  await connect(url(1), { clientId: 'fwd-direct', protocolVersion: 4, wsOptions: { headers } });
  await waitFor(() => seen.has('fwd-direct'));
  expect(seen.get('fwd-direct')!.peerhost).toBe('127.0.0.1');
});
