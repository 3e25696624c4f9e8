// The PROXY protocol header parser on byte inputs, whole and split.
import { parseProxyHeader, type ProxyHeader } from '../../src/listener/proxy-protocol';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2(verCmd: number, famProto: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([SIG, Buffer.from([verCmd, famProto]), len, body]);
}

const v4Body = Buffer.from([10, 1, 2, 3, 192, 168, 0, 1, 0x30, 0x39, 0x07, 0x5b]); // 10.1.2.3:12345 → 192.168.0.1:1883
const v6Body = Buffer.concat([
  Buffer.from('20010db8000000000000000000000001', 'hex'),
  Buffer.from('20010db8000000000000000000000002', 'hex'),
  Buffer.from([0x1f, 0x90, 0x07, 0x5b]),
]);

/** feed growing prefixes, as a socket would in small chunks: `more` until the last byte */
function byteByByte(buf: Buffer): ProxyHeader {
  for (let i = 0; i < buf.length - 1; i++) expect(parseProxyHeader(buf.subarray(0, i))).toEqual({ kind: 'more' });
  return parseProxyHeader(buf);
}

test('v1 TCP4, with MQTT bytes after it', () => {
  const line = Buffer.from('PROXY TCP4 10.1.2.3 192.168.0.1 12345 1883\r\n');
  const h = parseProxyHeader(Buffer.concat([line, Buffer.from([0x10, 0x0c])]));
  expect(h).toEqual({ kind: 'done', size: line.length, source: { host: '10.1.2.3', port: 12345 }, dest: { host: '192.168.0.1', port: 1883 } });
  expect(byteByByte(line)).toMatchObject({ kind: 'done', size: line.length });
});

test('v1 TCP6 gives the short form Node uses', () => {
  const h = parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8:0:0:0:0:0:1 ::1 5000 1883\r\n'));
  expect(h).toMatchObject({ kind: 'done', source: { host: '2001:db8::1', port: 5000 } });
});

test('v1 UNKNOWN keeps the socket address', () => {
  const line = 'PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n';
  expect(parseProxyHeader(Buffer.from(line))).toEqual({ kind: 'done', size: line.length });
  expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({ kind: 'done', size: 15 });
});

test.each([
  ['MQTT first', Buffer.from([0x10, 0x0c, 0, 4])],
  ['lowercase', Buffer.from('proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n')],
  ['UDP', Buffer.from('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n')],
  ['bad address', Buffer.from('PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n')],
  ['v6 address on TCP4', Buffer.from('PROXY TCP4 ::1 5.6.7.8 1 2\r\n')],
  ['port too big', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n')],
  ['port with sign', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n')],
  ['missing port', Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n')],
  ['line without CRLF past 107 bytes', Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`)],
  ['v2 version 1', v2(0x11, 0x11, v4Body)],
  ['v2 command 2', v2(0x22, 0x11, v4Body)],
  ['v2 UDP', v2(0x21, 0x12, v4Body)],
  ['v2 UNIX', v2(0x21, 0x31, Buffer.alloc(216))],
  ['v2 IPv4 too short', v2(0x21, 0x11, v4Body.subarray(0, 8))],
  ['broken v2 signature', Buffer.concat([SIG.subarray(0, 5), Buffer.from('X'), SIG.subarray(6)])],
])('malformed: %s', (_what, buf) => {
  expect(parseProxyHeader(buf).kind).toBe('error');
});

test('v2 PROXY over IPv4, split anywhere', () => {
  const buf = v2(0x21, 0x11, v4Body);
  expect(byteByByte(buf)).toEqual({ kind: 'done', size: 28, source: { host: '10.1.2.3', port: 12345 }, dest: { host: '192.168.0.1', port: 1883 } });
});

test('v2 PROXY over IPv6', () => {
  expect(byteByByte(v2(0x21, 0x21, v6Body))).toEqual({ kind: 'done', size: 52, source: { host: '2001:db8::1', port: 8080 }, dest: { host: '2001:db8::2', port: 1883 } });
});

test('v2 TLVs after the addresses are skipped', () => {
  const tlvs = Buffer.from([0x01, 0x00, 0x04, 0x6d, 0x71, 0x74, 0x74, 0x04, 0x00, 0x02, 0, 0]); // ALPN "mqtt", NOOP
  const buf = Buffer.concat([v2(0x21, 0x11, Buffer.concat([v4Body, tlvs])), Buffer.from([0x10])]);
  expect(parseProxyHeader(buf)).toMatchObject({ kind: 'done', size: 28 + tlvs.length, source: { host: '10.1.2.3', port: 12345 } });
});

test('v2 LOCAL keeps the socket address, whatever the family', () => {
  expect(parseProxyHeader(v2(0x20, 0x00, Buffer.alloc(0)))).toEqual({ kind: 'done', size: 16 });
  expect(parseProxyHeader(v2(0x20, 0x11, v4Body))).toEqual({ kind: 'done', size: 28 });
});
