// The shipped etc/plugins/emqx_bridge_rabbit.conf reads without problems against the schema and its rules are valid.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { parseRules, parseServers, schema } from '../src/index';

const ROOT = join(__dirname, '../../..');

test('etc/plugins/emqx_bridge_rabbit.conf (the same as the plugin\'s etc/) parses; server 1 and every rule are valid', () => {
  const text = readFileSync(join(ROOT, 'etc/plugins/emqx_bridge_rabbit.conf'), 'utf8');
  expect(readFileSync(join(__dirname, '../etc/emqx_bridge_rabbit.conf'), 'utf8')).toBe(text);
  const { values, problems } = readPluginConf(text, 'emqx_bridge_rabbit.conf', schema);
  expect(problems).toEqual([]);
  const servers = parseServers(values);
  expect(servers.get('1')).toEqual({ id: '1', host: '127.0.0.1', port: 5672, poolSize: 4, username: 'guest', password: 'guest', vhost: '/', heartbeat: 30, reconnectMs: 2000 });
  expect(parseRules(values, servers).map((r) => `${r.hook} ${r.exchangeType}:${r.exchange}`)).toEqual([
    'client.subscribe direct:emq.subscription', 'client.unsubscribe direct:emq.unsubscription',
    'message.publish topic:emq.$sys', 'message.publish topic:emq.pub', 'message.acked topic:emq.acked',
  ]);
  expect(values['bridge.rabbit.confirm_timeout']).toBe(15000);
});
