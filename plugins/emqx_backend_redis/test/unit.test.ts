// emqx_backend_redis pure parts: conf parsing, raw command expansion, ids, scan patterns.
import { ConfigError, base62, expand, messageFields, parsePools, parseRules, scanPattern, storedMessage, unbase62 } from '../src/index';

const POOL = { 'backend.redis.pool1.server': '127.0.0.1:6379' };

describe('pools', () => {
  test('EMQX defaults for what is not given', () => {
    expect(parsePools({ ...POOL, 'backend.redis.msg.expired_after': 3600 }).get('pool1')).toEqual({
      name: 'pool1', type: 'single', servers: [{ host: '127.0.0.1', port: 6379 }], sentinel: undefined, poolSize: 8, database: 0, password: undefined, channel: undefined,
    });
  });
  test.each([
    [{ 'backend.redis.pool1.server': 'x' }, 'expected host:port'],
    [{ 'backend.redis.pool1.pool_size': 2 }, 'backend.redis.pool1.server: missing'],
    [{ ...POOL, 'backend.redis.pool1.type': 'cluster' }, 'cluster is not supported'],
    [{ ...POOL, 'backend.redis.pool1.type': 'sentinel' }, 'the master name is needed'],
    [{ 'backend.redis.pool1.server': 'a:1,b:2' }, 'one host:port for type single'],
  ])('bad pool %j', (c, msg) => {
    expect(() => parsePools(c)).toThrow(msg);
  });
});

describe('rules', () => {
  const pools = parsePools(POOL);
  test('functions and raw commands; sorted by hook then N', () => {
    const rules = parseRules({
      'backend.redis.hook.message.publish.1': '{"topic": "#", "action": {"function": "on_message_publish"}, "pool": "pool1"}',
      'backend.redis.hook.client.connected.3': '{"action": {"commands": ["SET conn:${clientid} clientid", "EXPIRE  conn:${clientid} 60"]}, "pool": "pool1"}',
      'backend.redis.hook.client.connected.1': '{"topic": "ignored/#", "action": {"function": "on_client_connected"}}',
    }, pools);
    expect(rules.map((r) => [r.key, r.fn, r.filter])).toEqual([
      ['backend.redis.hook.client.connected.1', 'on_client_connected', undefined],
      ['backend.redis.hook.client.connected.3', undefined, undefined],
      ['backend.redis.hook.message.publish.1', 'on_message_publish', '#'],
    ]);
    expect(rules[1]!.commands).toEqual([['SET', 'conn:${clientid}', 'clientid'], ['EXPIRE', 'conn:${clientid}', '60']]);
  });
  test.each([
    ['{"action": {"function": "on_client_connected"}}', '"function" must be one of on_message_publish, on_message_retain, on_retain_delete'],
    ['{"action": {"commands": ["SET x ${clientid2}"]}}', '${clientid2} is not a parameter of message.publish'],
    ['{"action": {"commands": []}}', '"action" must be {"function": ...} or {"commands": [...]}'],
    ['{"action": {"function": "on_message_publish"}, "pool": "pool9"}', '"pool": "pool9" names no backend.redis.pool9.server'],
    ['{"topic": "a/#/b", "action": {"function": "on_message_publish"}}', '"topic" must be an MQTT topic filter'],
    ['{oops', 'bad JSON'],
  ])('bad rule %s', (value, msg) => {
    expect(() => parseRules({ 'backend.redis.hook.message.publish.1': value }, pools)).toThrow(ConfigError);
    expect(() => parseRules({ 'backend.redis.hook.message.publish.1': value }, pools)).toThrow(msg);
  });
  test('message.delivered has no function, only commands', () => {
    expect(() => parseRules({ 'backend.redis.hook.message.delivered.1': '{"action": {"function": "on_message_publish"}}' }, pools)).toThrow('(none: use "commands")');
  });
});

describe('helpers', () => {
  test('expand: a whole-argument placeholder keeps its value as is, others are interpolated; nothing is split', () => {
    const payload = Buffer.from([1, 2]);
    expect(expand([['SET', 'last:${clientid}', '${payload}'], ['RPUSH', 'pub:${topic}', '${msgid}']], { clientid: 'a b', payload, topic: 't/1', msgid: 'X' }))
      .toEqual([['SET', 'last:a b', payload], ['RPUSH', 'pub:t/1', 'X']]);
  });
  test('base62 round trip', () => {
    for (const n of [0, 1, 61, 62, 3844, 2 ** 52 + 12345]) expect(unbase62(base62(n))).toBe(n);
    expect(unbase62('not-base62')).toBeUndefined();
  });
  test('scanPattern: the fixed levels before the first wildcard, glob characters escaped', () => {
    expect(scanPattern('mqtt:retain:', 'a/+/c')).toBe('mqtt:retain:a/*');
    expect(scanPattern('mqtt:retain:', 'a/b/#')).toBe('mqtt:retain:a/b*');
    expect(scanPattern('mqtt:retain:', '#')).toBe('mqtt:retain:*');
    expect(scanPattern('mqtt:msg:', 'x[1]*/+')).toBe('mqtt:msg:x\\[1\\]\\*/*');
  });
  test('messageFields and storedMessage agree', () => {
    const m = { id: 999, qos: 1 as const, from: 'c', flags: { retain: true, dup: false, sys: false }, topic: 't', payload: Buffer.from('p'), properties: undefined, timestamp: 1_700_000_000_123, headers: {} };
    const f = messageFields(m);
    const h: Record<string, Buffer> = {};
    for (let i = 0; i < f.length; i += 2) h[String(f[i])] = Buffer.isBuffer(f[i + 1]) ? (f[i + 1] as Buffer) : Buffer.from(String(f[i + 1]));
    expect(h.ts!.toString()).toBe('1700000000');
    expect(storedMessage(h, true)).toMatchObject({ id: 999, qos: 1, from: 'c', topic: 't', payload: Buffer.from('p'), flags: { retain: true }, timestamp: 1_700_000_000_000 });
    expect(storedMessage({}, false)).toBeUndefined();
  });
});
