// emqx_web_hook pure parts: base62, the bodies, the rules and settings, the backlog bound.
import type { ClientInfo, ConnInfo, Message } from '@nemq/sdk';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { Backlog, base62, Bodies, parseRules, parseSettings, peerAddress, schema } from '../src/index';

test("base62 is EMQX's: base64's letters, digits 0-8, 61..63 as 9A..9C, short tails as plain values", () => {
  expect(base62(Buffer.from('Man'))).toBe('TWFu');
  expect(base62(Buffer.from([0xff, 0xff, 0xff]))).toBe('9C9C9C9C');
  expect(base62(Buffer.from([0xf4, 0x00, 0x00]))).toBe('9AAAA');
  expect(base62(Buffer.from('a'))).toBe('YB'); // 011000 01
  expect(base62(Buffer.from('ab'))).toBe('YWC'); // 011000 010110 0010
  expect(base62(Buffer.alloc(0))).toBe('');
});

test('peerAddress takes the port off IPv4 and IPv6 peers', () => {
  expect(peerAddress('10.0.0.1:1883')).toBe('10.0.0.1');
  expect(peerAddress('[::1]:1883')).toBe('::1');
});

const conn = { clientid: 'c1', username: undefined, peername: '10.1.2.3:5555', keepalive: 60, proto_ver: 5, connected_at: 1000, disconnected_at: 2000 } as unknown as ConnInfo;
const cl = { clientid: 'c1', username: 'u"1', peerhost: '10.1.2.3' } as unknown as ClientInfo;
const msg = { from: 'p', qos: 2, topic: 't/1', payload: Buffer.from('hi'), timestamp: 42, flags: { retain: true, dup: false, sys: false }, headers: { username: 'pu' } } as unknown as Message;

test('bodies: sorted keys, null for no username, JSON-escaped strings', () => {
  const b = new Bodies('emqx@127.0.0.1', (p) => p.toString('base64'));
  expect(b.connect(conn)).toBe('{"action":"client_connect","clientid":"c1","ipaddress":"10.1.2.3","keepalive":60,"node":"emqx@127.0.0.1","proto_ver":5,"username":null}');
  expect(b.disconnected(cl, 'keepalive_timeout', conn)).toBe('{"action":"client_disconnected","clientid":"c1","disconnected_at":2000,"node":"emqx@127.0.0.1","reason":"keepalive_timeout","username":"u\\"1"}');
  expect(b.subscription('client_subscribe', cl, 'a/#', { qos: 1, rh: 2, rap: 1, nl: 1, deny_subscription: false })).toBe('{"action":"client_subscribe","clientid":"c1","node":"emqx@127.0.0.1","opts":{"nl":1,"qos":1,"rap":1,"rh":2},"topic":"a/#","username":"u\\"1"}');
  expect(b.publish(msg)).toBe('{"action":"message_publish","from_client_id":"p","from_username":"pu","node":"emqx@127.0.0.1","payload":"aGk=","qos":2,"retain":true,"topic":"t/1","ts":42}');
  expect(JSON.parse(b.dropped(msg, 'no_subscribers'))).toMatchObject({ action: 'message_dropped', reason: 'no_subscribers' });
  expect(JSON.parse(b.delivery('message_acked', cl, msg))).toEqual({ action: 'message_acked', clientid: 'c1', username: 'u"1', from_client_id: 'p', from_username: 'pu', node: 'emqx@127.0.0.1', payload: 'aGk=', qos: 2, retain: true, topic: 't/1', ts: 42 });
});

test('rules: EMQX action names, topic filters only for topic events, clear errors', () => {
  const rs = parseRules({
    'web.hook.rule.message.publish.2': '{"action": "on_message_publish", "topic": "b/#"}',
    'web.hook.rule.message.publish.1': '{"action": "on_message_publish", "topic": "a/+"}',
    'web.hook.rule.client.connected.1': '{"action": "on_client_connected", "topic": "ignored/#"}',
  });
  expect(rs.map((r) => [r.key, r.filter])).toEqual([
    ['web.hook.rule.client.connected.1', undefined],
    ['web.hook.rule.message.publish.1', 'a/+'],
    ['web.hook.rule.message.publish.2', 'b/#'],
  ]);
  expect(rs[1]!.match('a/x')).toBe(true);
  expect(rs[1]!.match('a/x/y')).toBe(false);
  expect(() => parseRules({ 'web.hook.rule.message.publish.1': '{"action": "on_client_connected"}' })).toThrow('"action" must be "on_message_publish"');
  expect(() => parseRules({ 'web.hook.rule.message.foo.1': '{"action": "on_message_foo"}' })).toThrow('unknown hook point message.foo');
  expect(() => parseRules({ 'web.hook.rule.message.publish.1': '{nope' })).toThrow('bad JSON');
  expect(() => parseRules({ 'web.hook.rule.message.publish.1': '{"action": "on_message_publish", "topic": "a/#/b"}' })).toThrow('valid topic filter');
});

const base = { 'web.hook.pool_size': 8, 'web.hook.pipelining_depth': 16, 'web.hook.request_timeout': 5000, 'web.hook.backlog.max_events': 10, 'web.hook.backlog.max_bytes': 1000, 'web.hook.reconnect_interval': 2000 };

test('settings: URL, headers, pipelining on/off', () => {
  const s = parseSettings({ ...base, 'web.hook.url': 'http://h:8080/a/b?x=1', 'web.hook.headers.X-Token': 't', 'web.hook.enable_pipelining': true });
  expect([s.origin, s.path, s.headers, s.pipelining, s.tls]).toEqual(['http://h:8080', '/a/b?x=1', { 'x-token': 't', 'content-type': 'application/json' }, 16, undefined]);
  expect(parseSettings({ ...base, 'web.hook.url': 'https://h', 'web.hook.enable_pipelining': false }).pipelining).toBe(1);
  expect(parseSettings({ ...base, 'web.hook.url': 'https://h' }).tls).toMatchObject({ verify: false });
  expect(() => parseSettings({ ...base, 'web.hook.url': 'ftp://h' })).toThrow('expected http:// or https://');
  expect(() => parseSettings({ ...base, 'web.hook.url': 'not a url' })).toThrow('not a URL');
});

test('backlog: the oldest go past either bound, and are counted', () => {
  const b = new Backlog(3, 10);
  for (const x of ['a', 'b', 'c', 'd']) b.push(x);
  expect([b.length, b.dropped, b.shift()]).toEqual([3, 1, 'b']);
  b.unshift('b');
  b.push('0123456789');
  expect([b.length, b.dropped, b.bytes]).toEqual([1, 4, 10]);
  expect(b.clear()).toBe(1);
});

test('the shipped conf parses against the schema with EMQX defaults, and etc/plugins has the same file', () => {
  const text = readFileSync(join(__dirname, '../etc/emqx_web_hook.conf'), 'utf8');
  const { values, problems } = readPluginConf(text, 'emqx_web_hook.conf', schema);
  expect(problems).toEqual([]);
  const s = parseSettings(values);
  expect([s.origin, s.path, s.encoding, s.poolSize, s.pipelining, s.requestTimeout, s.maxEvents]).toEqual(['http://127.0.0.1', '/', 'plain', 32, 16, 5000, 100000]);
  expect(s.headers).toEqual({ 'content-type': 'application/json' });
  expect(parseRules(values)).toEqual([]);
  expect(readFileSync(join(__dirname, '../../../etc/plugins/emqx_web_hook.conf'), 'utf8')).toBe(text);
});
