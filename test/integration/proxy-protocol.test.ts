// PROXY protocol on a TCP listener (proxy_protocol = on): the client named in the header
// is the one hooks, $SYS and the ACL see; no header, a bad one or none in time closes.
import * as net from 'node:net';
import { encode, Parser, type Packet } from '@nemq/codec';
import { checkRules } from '@nemq/sdk';
import { parseAcl } from '../../packages/kernel/src/access/acl';
import { startBroker, connect, closeAll, waitFor, type TestBroker } from './helpers';

const rules = parseAcl('{deny, {ipaddr, "10.1.2.0/24"}, subscribe, ["secret/#"]}.\n{allow, all}.\n');
let b: TestBroker;
let plain: TestBroker;
const seen = new Map<string, { peerhost: string; peername: string }>();
beforeAll(async () => {
  b = await startBroker({
    listeners: [{ proto: 'tcp', name: 'pp', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100, proxyProtocol: true, proxyProtocolTimeout: 300 }],
    fileAcl: (ci, action, topic) => checkRules(rules, ci, action, topic),
  });
  plain = await startBroker({});
  for (const node of [b.node, plain.node]) {
    node.tap('pp-test', 'client.connected', ((ci: { clientid: string; peerhost: string }, conn: { peername: string }) => {
      seen.set(ci.clientid, { peerhost: ci.peerhost, peername: conn.peername });
    }) as never);
  }
});
afterEach(closeAll);
afterAll(async () => {
  await b.stop();
  await plain.stop();
});

const listener = (): { proxyErrors: number } => b.node.listeners[0] as unknown as { proxyErrors: number };

/** a raw socket that collects the packets the broker sends */
async function raw(port: number): Promise<{ sock: net.Socket; got: Packet[]; closed: Promise<void> }> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const got: Packet[] = [];
  const parser = new Parser();
  parser.protocolVersion = 4;
  parser.onPacket = (p) => got.push(p);
  sock.on('data', (d) => parser.parse(d));
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  return { sock, got, closed };
}

const connectFrame = (id: string): Buffer => encode({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: id }, 4);

function v2Header(famProto: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([Buffer.from('0d0a0d0a000d0a515549540a21', 'hex'), Buffer.from([famProto]), len, body]);
}

test('v1 header: hooks see the proxied client and the ACL ipaddr rule applies to it', async () => {
  const c = await raw(b.port);
  c.sock.write(Buffer.concat([Buffer.from('PROXY TCP4 10.1.2.3 192.168.0.1 12345 1883\r\n'), connectFrame('pp-v1')]));
  await waitFor(() => c.got.length === 1, 3000, 'CONNACK');
  expect(c.got[0]).toMatchObject({ cmd: 'connack', reasonCode: 0 });
  expect(seen.get('pp-v1')).toEqual({ peerhost: '10.1.2.3', peername: '10.1.2.3:12345' });
  c.sock.write(encode({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'secret/a', qos: 0 }, { topic: 'open/a', qos: 0 }] }, 4));
  await waitFor(() => c.got.length === 2, 3000, 'SUBACK');
  expect(c.got[1]).toMatchObject({ cmd: 'suback', granted: [0x80, 0] });
  c.sock.destroy();
});

test('v2 header over IPv6 with TLVs, split across writes, MQTT in the same chunk as its end', async () => {
  const body = Buffer.concat([
    Buffer.from('20010db8000000000000000000000001', 'hex'),
    Buffer.from('20010db8000000000000000000000002', 'hex'),
    Buffer.from([0x1f, 0x90, 0x07, 0x5b]),
    Buffer.from([0x01, 0x00, 0x04, 0x6d, 0x71, 0x74, 0x74]), // ALPN "mqtt"
  ]);
  const all = Buffer.concat([v2Header(0x21, body), connectFrame('pp-v2')]);
  const c = await raw(b.port);
  for (const cut of [[0, 5], [5, 20], [20, all.length]] as const) {
    c.sock.write(all.subarray(cut[0], cut[1]));
    await new Promise((r) => setImmediate(r));
  }
  await waitFor(() => c.got.length === 1, 3000, 'CONNACK');
  expect(seen.get('pp-v2')).toEqual({ peerhost: '2001:db8::1', peername: '2001:db8::1:8080' });
  c.sock.destroy();
});

test('PROXY UNKNOWN and v2 LOCAL keep the socket address', async () => {
  const a = await raw(b.port);
  a.sock.write(Buffer.concat([Buffer.from('PROXY UNKNOWN\r\n'), connectFrame('pp-unknown')]));
  const l = await raw(b.port);
  l.sock.write(Buffer.concat([v2Header(0x00, Buffer.alloc(0)).fill(0x20, 12, 13), connectFrame('pp-local')]));
  await waitFor(() => a.got.length === 1 && l.got.length === 1, 3000, 'CONNACKs');
  expect(seen.get('pp-unknown')?.peerhost).toBe('127.0.0.1');
  expect(seen.get('pp-local')?.peerhost).toBe('127.0.0.1');
  a.sock.destroy();
  l.sock.destroy();
});

test('MQTT without a header, or a malformed header, is closed and counted', async () => {
  const before = listener().proxyErrors;
  const c = await raw(b.port);
  c.sock.write(connectFrame('pp-none'));
  const d = await raw(b.port);
  d.sock.write('PROXY TCP4 10.1.2.3 nowhere 1 2\r\n');
  await Promise.all([c.closed, d.closed]);
  expect(c.got).toEqual([]);
  expect(d.got).toEqual([]);
  expect(listener().proxyErrors).toBe(before + 2);
});

test('no header within proxy_protocol_timeout: closed', async () => {
  const before = listener().proxyErrors;
  const started = Date.now();
  const c = await raw(b.port);
  c.sock.write('PROXY TCP4 10.1'); // half a header, then silence
  await c.closed;
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  expect(listener().proxyErrors).toBe(before + 1);
});

test('proxy_protocol off: nothing changes, a header is not MQTT', async () => {
  const m = await connect(plain.url, { clientId: 'pp-off', protocolVersion: 4 });
  expect(m.connected).toBe(true);
  expect(seen.get('pp-off')?.peerhost).toBe('127.0.0.1');
  const c = await raw(plain.port);
  c.sock.write(Buffer.concat([Buffer.from('PROXY TCP4 10.1.2.3 192.168.0.1 12345 1883\r\n'), connectFrame('pp-off-raw')]));
  await c.closed;
  expect(seen.has('pp-off-raw')).toBe(false);
});

test('sockets still waiting for their PROXY header count against max_connections', async () => {
  const small = await startBroker({
    listeners: [{ proto: 'tcp', name: 'pp2', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 2, proxyProtocol: true, proxyProtocolTimeout: 10_000 }],
  });
  try {
    const waiting = [await raw(small.port), await raw(small.port)];
    // the third is refused while the first two hold their places without a header
    const third = await raw(small.port);
    await third.closed;
    expect(third.got).toEqual([]);
    // one of them finishes its header and connects: still two places taken
    waiting[0]!.sock.write(Buffer.concat([Buffer.from('PROXY TCP4 10.9.9.9 192.168.0.1 1000 1883\r\n'), connectFrame('pp-held')]));
    await waitFor(() => waiting[0]!.got.length === 1, 3000, 'CONNACK');
    expect(waiting[0]!.got[0]).toMatchObject({ cmd: 'connack', reasonCode: 0 });
    const fourth = await raw(small.port);
    await fourth.closed;
    // the one left waiting gives up: its place is free again
    waiting[1]!.sock.destroy();
    await waitFor(() => (small.node.listeners[0] as unknown as { proxyErrors: number }).proxyErrors === 1, 3000, 'the waiting socket to be dropped');
    const fifth = await raw(small.port);
    fifth.sock.write(Buffer.concat([Buffer.from('PROXY TCP4 10.9.9.8 192.168.0.1 1001 1883\r\n'), connectFrame('pp-fifth')]));
    await waitFor(() => fifth.got.length === 1, 3000, 'CONNACK');
    for (const c of [...waiting, fifth]) c.sock.destroy();
  } finally {
    await small.stop();
  }
});
