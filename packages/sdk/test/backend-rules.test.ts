import { backend } from '../src/index';

const { parseBackendRules, parsePools, parseTimeRange, parseSqlTemplate, bindSql, BackendConfigError } = backend;

const pools = { sql: true, pools: ['pool1', 'pool2'] };

describe('backend rules (backend.<db>.hook.<hookpoint>.<N>)', () => {
  test('EMQX shapes: function and SQL actions, topic filters, pools, offline_opts, payload_format', () => {
    const rules = parseBackendRules({
      'backend.mysql.hook.message.publish.2': '{"topic": "t/#", "action": {"function": "on_message_retain"}, "pool": "pool2", "payload_format": "plain_text"}',
      'backend.mysql.hook.message.publish.10': '{"topic": "#", "action": {"function": "on_message_store"}, "pool": "pool1"}',
      'backend.mysql.hook.client.connected.1': '{"action": {"function": "on_client_connected"}, "pool": "pool1"}',
      'backend.mysql.hook.session.subscribed.1': '{"topic": "#", "action": {"function": "on_message_fetch"}, "offline_opts": {"max_returned_count": 500, "time_range": "2h"}, "pool": "pool1"}',
      'backend.mysql.hook.session.unsubscribed.1': '{"topic": "#", "action": {"sql": ["delete from mqtt_acked where clientid = ${clientid} and topic = ${topic}"]}, "pool": "pool1"}',
    }, 'backend.mysql', pools);
    // by hook, then N numerically
    expect(rules.map((r) => r.key)).toEqual([
      'backend.mysql.hook.client.connected.1', 'backend.mysql.hook.message.publish.2', 'backend.mysql.hook.message.publish.10',
      'backend.mysql.hook.session.subscribed.1', 'backend.mysql.hook.session.unsubscribed.1',
    ]);
    const [conn, retain, store, fetch, unsub] = rules;
    expect(conn).toMatchObject({ hook: 'client.connected', fn: 'on_client_connected', topic: undefined, pool: 'pool1' });
    expect(conn!.match('anything')).toBe(true);
    expect(retain).toMatchObject({ fn: 'on_message_retain', pool: 'pool2', payloadFormat: 'plain_text' });
    expect(retain!.match('t/a/b')).toBe(true);
    expect(retain!.match('u/a')).toBe(false);
    expect(store!.payloadFormat).toBe('mongo_json');
    // '#' does not match $-topics [MQTT-4.7.2-1]
    expect(store!.match('$SYS/x')).toBe(false);
    expect(fetch).toMatchObject({ maxReturned: 500, timeRange: 2 * 3600_000 });
    expect(unsub!.sql).toEqual([{ parts: ['delete from mqtt_acked where clientid = ', ' and topic = ', ''], vars: ['clientid', 'topic'] }]);
  });

  test('backend.<db>.max_returned_count / time_range are the defaults of on_message_fetch', () => {
    const [r] = parseBackendRules({
      'backend.pgsql.max_returned_count': '20', 'backend.pgsql.time_range': '30m',
      'backend.pgsql.hook.session.subscribed.1': '{"topic": "#", "action": {"function": "on_message_fetch"}, "pool": "pool1"}',
    }, 'backend.pgsql', pools);
    expect(r).toMatchObject({ maxReturned: 20, timeRange: 30 * 60_000 });
    const [inf] = parseBackendRules({ 'backend.pgsql.hook.session.subscribed.1': '{"action": {"function": "on_message_fetch"}, "offline_opts": {"max_returned_count": "infinity", "time_range": "infinity"}}' }, 'backend.pgsql', pools);
    expect(inf).toMatchObject({ maxReturned: undefined, timeRange: undefined, pool: 'pool1' });
  });

  test.each([
    ['{"action": {"function": "on_client_connected"}', 'not JSON'],
    ['[1]', 'must be a JSON object'],
    ['{"action": {"function": "on_message_publish"}, "pool": "pool9"}', 'pool "pool9" is not defined (pools: pool1, pool2)'],
    ['{"topic": "a/#/b", "action": {"function": "on_message_publish"}}', 'bad topic filter "a/#/b"'],
    ['{"action": {"function": "on_nothing"}}', 'unknown function on_nothing'],
    ['{"action": {"function": "on_client_connected"}}', 'on_client_connected runs on client.connected, not message.publish'],
    ['{"action": {}}', '"action" must be {"function": ...} or {"sql": [...]}'],
    ['{"action": {"sql": []}}', '"sql" must be a list of statements'],
    ['{"action": {"sql": ["insert into t values(${password})"]}}', '${password} is not available here'],
    ['{"action": {"function": "on_message_publish"}, "payload_format": "xml"}', 'payload_format must be mongo_json or plain_text'],
  ])('a bad rule %s is refused: %s', (value, why) => {
    const run = (): unknown => parseBackendRules({ 'backend.mysql.hook.message.publish.1': value }, 'backend.mysql', pools);
    expect(run).toThrow(BackendConfigError);
    expect(run).toThrow(`backend.mysql.hook.message.publish.1: `);
    expect(run).toThrow(why);
  });

  test('an unknown hook and SQL on a backend without SQL are refused', () => {
    expect(() => parseBackendRules({ 'backend.mongo.hook.client.authenticate.1': '{"action": {"function": "on_client_connected"}}' }, 'backend.mongo', pools)).toThrow('unknown hook client.authenticate');
    expect(() => parseBackendRules({ 'backend.mongo.hook.client.connected.1': '{"action": {"sql": ["select 1"]}}' }, 'backend.mongo', { sql: false, pools: ['pool1'] })).toThrow('this backend has no SQL actions');
  });

  test('time ranges', () => {
    expect(parseTimeRange('1d', 'k')).toBe(86_400_000);
    expect(parseTimeRange('10s', 'k')).toBe(10_000);
    expect(parseTimeRange('infinity', 'k')).toBeUndefined();
    expect(() => parseTimeRange('2 hours', 'k')).toThrow('k: time range must be like');
  });

  test('pools: every <prefix>.<pool>.* with a server; hook and topology keys are not pools', () => {
    const p = parsePools({
      'backend.mongo.pool1.server': 'a:1', 'backend.mongo.pool1.c_pool_size': 4, 'backend.mongo.pool2.server': 'b:2',
      'backend.mongo.nopool.database': 'x', 'backend.mongo.topology.pool_size': 1, 'backend.mongo.hook.client.connected.1': '{}',
      'backend.mongo.max_returned_count': '5',
    }, 'backend.mongo');
    expect([...p.keys()]).toEqual(['pool1', 'pool2']);
    expect(Object.fromEntries(p.get('pool1')!)).toEqual({ server: 'a:1', c_pool_size: 4 });
  });

  test('SQL templates: ${name} become bind parameters in the driver\'s style, values never spliced into the text', () => {
    const t = parseSqlTemplate('insert into t(a, b) values(${clientid}, ${topic}, ${qos})', ['clientid', 'topic', 'qos'], 'k');
    expect(bindSql(t, { clientid: "o'brien; drop table t", topic: 'a/b', qos: 1 }, () => '?')).toEqual({ text: 'insert into t(a, b) values(?, ?, ?)', values: ["o'brien; drop table t", 'a/b', 1] });
    expect(bindSql(t, { clientid: 'c' }, (i) => `$${i + 1}`)).toEqual({ text: 'insert into t(a, b) values($1, $2, $3)', values: ['c', null, null] });
  });
});
