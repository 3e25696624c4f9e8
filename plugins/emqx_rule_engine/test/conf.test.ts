// The shipped conf: it parses against the schema, its values mean what the comments say, and
// etc/plugins has the same file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { eventSetting, schema } from '../src/index';
import { EVENT_NAMES } from '../src/events';

test('the shipped conf parses with EMQX defaults; etc/plugins has the same file', () => {
  const text = readFileSync(join(__dirname, '../etc/emqx_rule_engine.conf'), 'utf8');
  const { values, problems } = readPluginConf(text, 'emqx_rule_engine.conf', schema);
  expect(problems).toEqual([]);
  expect(values['rule_engine.ignore_sys_message']).toBe(true);
  for (const n of EVENT_NAMES) expect(eventSetting(String(values[`rule_engine.events.${n}`]))).toBeUndefined();
  expect(readFileSync(join(__dirname, '../../../etc/plugins/emqx_rule_engine.conf'), 'utf8')).toBe(text);
  // the commented example and its variants
  const ex = /^#(rule_engine\.events\.client_connected = .*)$/m.exec(text)![1]!;
  const parsed = readPluginConf(ex, 'x.conf', schema);
  expect(parsed.problems).toEqual([]);
  expect(eventSetting(String(parsed.values['rule_engine.events.client_connected']))).toBe(1);
  expect(eventSetting('on')).toBe(0);
  expect(eventSetting('on, qos2')).toBe(2);
  expect(eventSetting('off')).toBeUndefined();
});
