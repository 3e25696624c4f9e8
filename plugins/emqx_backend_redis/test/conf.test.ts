// The shipped etc/plugins/emqx_backend_redis.conf reads without problems against the schema and its rules are valid.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { parsePools, parseRules, schema } from '../src/index';

const ROOT = join(__dirname, '../../..');

test('etc/plugins/emqx_backend_redis.conf (the same as the plugin\'s etc/) parses; pool1 and every rule are valid', () => {
  const text = readFileSync(join(ROOT, 'etc/plugins/emqx_backend_redis.conf'), 'utf8');
  expect(readFileSync(join(__dirname, '../etc/emqx_backend_redis.conf'), 'utf8')).toBe(text);
  const { values, problems } = readPluginConf(text, 'emqx_backend_redis.conf', schema);
  expect(problems).toEqual([]);
  const pools = parsePools(values);
  expect([...pools.keys()]).toEqual(['pool1']);
  expect(pools.get('pool1')).toMatchObject({ channel: 'mqtt_channel', poolSize: 8, database: 0 });
  expect(parseRules(values, pools).map((r) => r.fn)).toEqual([
    'on_client_connected', 'on_subscribe_lookup', 'on_client_disconnected', 'on_message_fetch_for_queue', 'on_message_fetch_for_pubsub', 'on_retain_lookup',
    'on_message_publish', 'on_message_retain', 'on_retain_delete', 'on_message_acked_for_queue', 'on_message_acked_for_pubsub',
  ]);
});
