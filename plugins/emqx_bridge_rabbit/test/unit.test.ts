// emqx_bridge_rabbit pure parts: conf parsing, the AMQP messages, the bounded queue, and the
// drain loop against a fake link.
import { Bridge, BoundedQueue, ConfigError, Kind, Rec, base62, parseRules, parseServers, routingKey, toAmqp, type Connector, type Link } from '../src/index';

const SERVER = { 'bridge.rabbit.1.server': '127.0.0.1:5672', 'bridge.rabbit.1.pool_size': 2 };

describe('config', () => {
  test('servers: EMQX defaults for what is not given, heartbeat in seconds', () => {
    const s = parseServers({ ...SERVER, 'bridge.rabbit.2.server': 'h:1', 'bridge.rabbit.2.heartbeat': '0' });
    expect(s.get('1')).toEqual({ id: '1', host: '127.0.0.1', port: 5672, poolSize: 2, username: 'guest', password: 'guest', vhost: '/', heartbeat: 30, reconnectMs: 2000 });
    expect(s.get('2')!.heartbeat).toBe(0);
    expect(() => parseServers({ 'bridge.rabbit.1.server': 'nohost' })).toThrow('bridge.rabbit.1.server: expected host:port');
    expect(() => parseServers({ 'bridge.rabbit.1.pool_size': 1 })).toThrow('bridge.rabbit.1.server: missing');
  });

  test('rules: EMQX\'s documented examples parse; exchange type and name split; sorted by hook then N', () => {
    const c = {
      ...SERVER,
      'bridge.rabbit.hook.message.publish.2': '{"topic": "#", "action": "on_message_publish", "rabbit": 1, "exchange": "topic:emq.pub"}',
      'bridge.rabbit.hook.client.subscribe.1': '{"action": "on_client_subscribe", "rabbit": 1, "exchange": "direct:emq.subscription"}',
      'bridge.rabbit.hook.message.publish.1': '{"topic": "$SYS/#", "action": "on_message_publish", "rabbit": 1, "exchange": "topic:emq.$sys"}',
    };
    const rules = parseRules(c, parseServers(c));
    expect(rules.map((r) => [r.key, r.exchangeType, r.exchange, r.filter])).toEqual([
      ['bridge.rabbit.hook.client.subscribe.1', 'direct', 'emq.subscription', undefined],
      ['bridge.rabbit.hook.message.publish.1', 'topic', 'emq.$sys', '$SYS/#'],
      ['bridge.rabbit.hook.message.publish.2', 'topic', 'emq.pub', '#'],
    ]);
    expect(rules[2]!.match('a/b')).toBe(true);
    expect(rules[2]!.match('$SYS/x')).toBe(false);
    expect(rules[1]!.match('$SYS/x')).toBe(true);
  });

  test.each([
    ['{"exchange": "emq.pub"}', '"exchange" must be "<type>:<name>"'],
    ['{"exchange": "queue:x"}', '"exchange" must be "<type>:<name>"'],
    ['{"exchange": "topic:x", "rabbit": 3}', '"rabbit": 3 names no bridge.rabbit.3.server'],
    ['{"exchange": "topic:x", "action": "on_client_connected"}', '"action" must be "on_message_publish"'],
    ['{"exchange": "topic:x", "topic": "a/#/b"}', '"topic" must be an MQTT topic filter'],
    ['{"exchange": "topic:x", "format": "xml"}', '"format" must be raw or json'],
    ['not json', 'bad JSON'],
  ])('bad rule %s → %s', (value, msg) => {
    const c = { ...SERVER, 'bridge.rabbit.hook.message.publish.1': value };
    expect(() => parseRules(c, parseServers(c))).toThrow(ConfigError);
    expect(() => parseRules(c, parseServers(c))).toThrow(msg);
  });

  test('an unknown hook point is refused', () => {
    const c = { ...SERVER, 'bridge.rabbit.hook.message.sent.1': '{"exchange": "topic:x"}' };
    expect(() => parseRules(c, parseServers(c))).toThrow('unknown hook message.sent');
  });
});

describe('messages', () => {
  const c = { ...SERVER, 'bridge.rabbit.hook.message.publish.1': '{"exchange": "topic:emq.pub"}' };
  const rule = parseRules(c, parseServers(c))[0]!;

  test('routing key: / becomes . and + becomes *', () => {
    expect(routingKey('a/+/b/#')).toBe('a.*.b.#');
    expect(routingKey('/x/')).toBe('.x.');
  });

  test('base62: digits, A-Z, a-z', () => {
    expect(base62(0)).toBe('0');
    expect(base62(61)).toBe('z');
    expect(base62(62)).toBe('10');
    expect(base62(35)).toBe('Z');
  });

  test('publish: raw payload and EMQX headers, qos as a byte', () => {
    const r = new Rec(rule, Kind.Publish, 'c1', null, 'a/b', Buffer.from('p'), 1, '', 62, undefined, 0, 10);
    const m = toAmqp(r, 'n@h');
    expect(m.routingKey).toBe('a.b');
    expect(m.content.toString()).toBe('p');
    expect(m.headers).toEqual({ 'x-emq-publish-qos': { '!': 'byte', value: 1 }, 'x-emq-client-id': 'c1', 'x-emq-publish-msgid': '10', 'x-emqx-topic': 'a/b' });
  });

  test('subscribe: {"topic": qos}; unsubscribe: ["topic"]; acked: puback with the msgid', () => {
    const fs: Array<[string, number]> = [['a/#', 1], ['b', 0]];
    expect(toAmqp(new Rec(rule, Kind.Subscribe, 'c', null, '', Buffer.alloc(0), 0, '', 0, fs, 0, 1), 'n').content.toString()).toBe('{"a/#":1,"b":0}');
    expect(toAmqp(new Rec(rule, Kind.Unsubscribe, 'c', null, '', Buffer.alloc(0), 0, '', 0, fs, 0, 1), 'n').content.toString()).toBe('["a/#","b"]');
    const a = toAmqp(new Rec(rule, Kind.Acked, 'rx', null, 't', Buffer.alloc(0), 1, 'tx', 3844, undefined, 0, 1), 'n');
    expect(a).toEqual({ routingKey: 'puback', headers: { 'x-emq-msg-acked': 'rx' }, content: Buffer.from('100') });
  });
});

describe('BoundedQueue', () => {
  const it = (size: number): { size: number } => ({ size });
  test('drops the oldest past the bound and counts them; unshift puts a batch back in front', () => {
    const q = new BoundedQueue<{ size: number }>(10);
    const a = it(4);
    const b = it(4);
    const c = it(4);
    q.push(a);
    q.push(b);
    expect(q.push(c)).toBe(1);
    expect(q.dropped).toBe(1);
    expect(q.take(1)).toEqual([b]);
    q.unshift([b]);
    expect(q.take(5)).toEqual([b, c]);
    expect(q.bytes).toBe(0);
  });
});

describe('Bridge drain loop (fake link)', () => {
  const c = { ...SERVER, 'bridge.rabbit.1.pool_size': 1, 'bridge.rabbit.1.reconnect_wait': '10ms', 'bridge.rabbit.hook.message.publish.1': '{"exchange": "topic:x"}' };
  const servers = parseServers(c);
  const rule = parseRules(c, servers)[0]!;
  const rec = (i: number): Rec => new Rec(rule, Kind.Publish, 'c', null, 't', Buffer.from(String(i)), 1, '', i, undefined, 0, 100);
  const log = { info: () => undefined, warning: () => undefined, debug: () => undefined };

  test('a batch whose channel fails goes back to the queue and is sent again on the next link; counted once', async () => {
    const sentOk: number[] = [];
    let opens = 0;
    const connector: Connector = {
      async open(): Promise<Link> {
        const n = ++opens;
        return {
          send(batch, done) {
            if (n === 1) setImmediate(() => done(new Error('channel closed')));
            else {
              for (const r of batch) sentOk.push(r.msgid);
              setImmediate(() => done(null));
            }
          },
          close: async () => undefined,
        };
      },
    };
    const b = new Bridge(servers.get('1')!, connector, { maxBufferBytes: 1 << 20, batchSize: 3 }, log);
    b.start();
    for (let i = 0; i < 7; i++) b.enqueue(rec(i));
    const t0 = Date.now();
    while (!(b.stats().sent === 7) && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 5));
    expect(sentOk).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(b.stats()).toMatchObject({ sent: 7, failed_batches: 1, dropped: 0, buffered: 0, inflight: 0 });
    expect(opens).toBe(2);
    await b.stop(0);
  });

  test('stop gives up what is buffered and counts it dropped; enqueue after stop is ignored', async () => {
    const connector: Connector = { open: () => Promise.reject(new Error('ECONNREFUSED')) };
    const b = new Bridge(servers.get('1')!, connector, { maxBufferBytes: 1 << 20, batchSize: 3 }, log);
    b.start();
    for (let i = 0; i < 5; i++) b.enqueue(rec(i));
    expect(await b.stop(0)).toBe(5);
    b.enqueue(rec(9));
    expect(b.stats()).toMatchObject({ status: 'stopped', dropped: 5, buffered: 0, enqueued: 5 });
  });
});
