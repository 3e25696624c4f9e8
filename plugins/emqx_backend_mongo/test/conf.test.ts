// The shipped etc/plugins/emqx_backend_mongo.conf reads without problems against the schema and its rules are valid.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backend } from '@nemq/sdk';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { schema } from '../src/schema';

const ROOT = join(__dirname, '../../..');

test('etc/plugins/emqx_backend_mongo.conf (the same as the plugin\'s etc/) parses; pool1 and every rule are valid', () => {
  const text = readFileSync(join(ROOT, 'etc/plugins/emqx_backend_mongo.conf'), 'utf8');
  expect(readFileSync(join(__dirname, '../etc/emqx_backend_mongo.conf'), 'utf8')).toBe(text);
  const { values, problems } = readPluginConf(text, 'emqx_backend_mongo.conf', schema);
  expect(problems).toEqual([]);
  const pools = backend.parsePools(values, 'backend.mongo');
  expect([...pools.keys()]).toEqual(['pool1']);
  const rules = backend.parseBackendRules(values, 'backend.mongo', { sql: false, pools: ['pool1'] });
  expect(rules.map((r) => r.fn ?? 'sql')).toEqual(['on_client_connected', 'on_subscribe_lookup', 'on_client_disconnected', 'on_message_acked', 'on_message_publish', 'on_message_retain', 'on_retain_delete', 'on_message_fetch', 'on_retain_lookup']);
});
