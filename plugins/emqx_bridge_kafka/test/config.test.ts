// Conf keys and rules of emqx_bridge_kafka.conf: EMQX's shipped file parses, rules map
// hook events to Kafka topics, bad rules are refused with the key that is wrong.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { ConfigError, parseDuration, parseRules, parseSettings } from '../src/config';
import { schema } from '../src/schema';

const CONF = join(__dirname, '../etc/emqx_bridge_kafka.conf');

function read(text: string) {
  const { values, problems } = readPluginConf(text, 'emqx_bridge_kafka.conf', schema);
  expect(problems).toEqual([]);
  return values;
}

test('the shipped conf (EMQX keys and values) passes the schema and gives EMQX defaults', () => {
  const c = read(readFileSync(CONF, 'utf8'));
  const s = parseSettings(c);
  expect(s).toMatchObject({
    servers: ['127.0.0.1:9092'], produce: 'sync', syncTimeout: 3000, acks: 0, ackTimeout: 10000, maxBatchBytes: 1024 * 1024,
    minBatchBytes: 0, maxSendAhead: 0, compression: 'no_compression', payload: 'base64', maxTotalBytes: 64 * 1024 * 1024,
    batchSize: 1000, lingerMs: 0, reconnectMs: 2000, replayqDir: undefined, metadataRefreshMs: 5000,
  });
  expect(c['bridge.kafka.sock.sndbuf']).toBe(1024 * 1024);
  expect(c['bridge.kafka.connection_strategy']).toBe('per_partition');
});

test('the root etc/plugins copy is the same file', () => {
  expect(readFileSync(join(__dirname, '../../../etc/plugins/emqx_bridge_kafka.conf'), 'utf8')).toBe(readFileSync(CONF, 'utf8'));
});

test('the shipped rules: the seven EMQX hooks to their EMQX topic names', () => {
  const rules = parseRules(read(readFileSync(CONF, 'utf8')));
  expect(rules.map((r) => [r.hook, r.topic, r.filter ?? null])).toEqual([
    ['client.connected', 'client_connected', null],
    ['client.disconnected', 'client_disconnected', null],
    ['session.subscribed', 'session_subscribed', '#'],
    ['session.unsubscribed', 'session_unsubscribed', '#'],
    ['message.publish', 'message_publish', '#'],
    ['message.delivered', 'message_delivered', '#'],
    ['message.acked', 'message_acked', '#'],
  ]);
  expect(rules.every((r) => r.strategy === 'random' && r.key_by === undefined)).toBe(true);
});

test('the empty conf gives every default and no rules', () => {
  const c = read('');
  expect(parseRules(c)).toEqual([]);
  expect(parseSettings(c).servers).toEqual(['127.0.0.1:9092']);
});

test('rule options from the EMQX docs: key ${clientid} | ${username}, strategy, format json; N orders rules of one hook', () => {
  const rules = parseRules(read([
    'bridge.kafka.hook.message.publish.2 = {"filter":"a/#", "topic":"t2", "key":"${username}", "strategy":"roundrobin"}',
    'bridge.kafka.hook.message.publish.1 = {"filter":"b/+", "topic":"t1", "key":"${clientid}", "strategy":"first_key_dispatch", "format":"json"}',
    'bridge.kafka.hook.client.connected.1 = {"topic":"c", "filter": "ignored/#"}',
  ].join('\n')));
  expect(rules.map((r) => [r.key, r.topic, r.filter, r.key_by, r.strategy])).toEqual([
    ['bridge.kafka.hook.client.connected.1', 'c', undefined, undefined, 'random'],
    ['bridge.kafka.hook.message.publish.1', 't1', 'b/+', 'clientid', 'first_key_dispatch'],
    ['bridge.kafka.hook.message.publish.2', 't2', 'a/#', 'username', 'roundrobin'],
  ]);
  expect(rules[0]!.match('anything')).toBe(true);
});

test.each([
  ['bridge.kafka.hook.message.publish.1 = {"filter": "#"', /bad JSON/],
  ['bridge.kafka.hook.message.publish.1 = ["t"]', /expected a JSON object/],
  ['bridge.kafka.hook.message.publish.1 = {"filter": "#"}', /"topic" must be a Kafka topic name/],
  ['bridge.kafka.hook.message.publish.1 = {"topic": "has space"}', /"topic" must be a Kafka topic name/],
  ['bridge.kafka.hook.message.publish.1 = {"topic": "t", "filter": "a/#/b"}', /"filter" must be an MQTT topic filter/],
  ['bridge.kafka.hook.message.publish.1 = {"topic": "t", "filter": "a+"}', /"filter" must be an MQTT topic filter/],
  ['bridge.kafka.hook.message.publish.1 = {"topic": "t", "key": "${peerhost}"}', /"key" must be/],
  ['bridge.kafka.hook.message.publish.1 = {"topic": "t", "strategy": "sticky"}', /"strategy" must be one of/],
  ['bridge.kafka.hook.message.publish.1 = {"topic": "t", "format": "avro"}', /"format" must be json/],
  ['bridge.kafka.hook.message.dropped.1 = {"topic": "t"}', /unknown hook message.dropped/],
])('a bad rule is refused naming its key: %s', (line, why) => {
  expect(() => parseRules(read(line))).toThrow(ConfigError);
  expect(() => parseRules(read(line))).toThrow(why);
  expect(() => parseRules(read(line))).toThrow(line.split(' = ')[0]!);
});

test.each([
  ['bridge.kafka.servers = ""', /no Kafka server/],
  ['bridge.kafka.servers = localhost', /expected host:port/],
  ['bridge.kafka.produce.sync_timeout = soon', /expected a duration/],
  ['bridge.kafka.producer.batch_size = 0', /batch_size: must be >= 1/],
])('bad settings are refused: %s', (line, why) => {
  expect(() => parseSettings(read(line))).toThrow(why);
});

test('a misspelt key or a bad enum value fails the schema check (load refuses the conf)', () => {
  expect(readPluginConf('bridge.kafka.produce = later\n', 'f', schema).problems.join()).toMatch(/bridge.kafka.produce/);
  expect(readPluginConf('bridge.kafka.sever = 1.2.3.4:9092\n', 'f', schema).problems.join()).toMatch(/unknown key/);
});

test('durations as EMQX writes them: 5S, 3s, 500ms, 1m, bare ms', () => {
  expect(parseDuration('5S', 'k')).toBe(5000);
  expect(parseDuration('3s', 'k')).toBe(3000);
  expect(parseDuration('500ms', 'k')).toBe(500);
  expect(parseDuration('1m30s', 'k')).toBe(90000);
  expect(parseDuration('250', 'k')).toBe(250);
  expect(() => parseDuration('', 'k')).toThrow(ConfigError);
  expect(() => parseDuration('5 parsecs', 'k')).toThrow(/k: expected a duration/);
});

test('several servers, several acks settings', () => {
  expect(parseSettings(read('bridge.kafka.servers = a:1,b:2, c:3\n')).servers).toEqual(['a:1', 'b:2', 'c:3']);
  expect(parseSettings(read('bridge.kafka.producer.required_acks = all_isr\n')).acks).toBe(-1);
  expect(parseSettings(read('bridge.kafka.producer.required_acks = leader_only\n')).acks).toBe(1);
});

test('a rule filter matches topics as MQTT filters do (the matcher is the SDK\'s compileFilter) [MQTT-4.7]', () => {
  const rules = parseRules(read([
    'bridge.kafka.hook.message.publish.1 = {"filter":"a/#", "topic":"t1"}',
    'bridge.kafka.hook.message.publish.2 = {"filter":"#", "topic":"t2"}',
    'bridge.kafka.hook.message.publish.3 = {"filter":"b/+/c", "topic":"t3"}',
  ].join('\n')));
  const m = (i: number, t: string): boolean => rules[i]!.match(t);
  expect([m(0, 'a'), m(0, 'a/b/c'), m(0, 'ab')]).toEqual([true, true, false]); // [MQTT-4.7.1-2]
  expect([m(1, 'x/y'), m(1, '$SYS/x')]).toEqual([true, false]); // [MQTT-4.7.2-1]
  expect([m(2, 'b/x/c'), m(2, 'b/x/y/c'), m(2, 'b//c')]).toEqual([true, false, true]); // [MQTT-4.7.1-3]
});
