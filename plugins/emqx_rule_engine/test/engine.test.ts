// The engine without a broker: actions, fallbacks, on_action_failed, async actions, metrics,
// templates and the SDK's action registry.
import { ruleRegistry, type RuleActionSpec } from '@nemq/sdk';
import { BUILTIN_ACTIONS, BUILTIN_TYPES } from '../src/actions';
import { Engine, RuleError } from '../src/engine';
import { compileTemplate } from '../src/template';
import { term, atom } from '../src/erlterm';

const published: Array<{ topic: string; payload: string; qos: number; retain: boolean; from: string }> = [];
const calls: string[] = [];
const flaky: RuleActionSpec = {
  name: 'flaky', app: 'test', types: [], params: {}, title: { en: 'Flaky' }, description: { en: 'fails when told' },
  create: (params) => (sel) => {
    calls.push(`${String(params.tag)}:${String(sel.v)}`);
    if (params.mode === 'throw') throw new Error('boom');
    if (params.mode === 'reject') return Promise.reject(new Error('later'));
    if (params.mode === 'async') return Promise.resolve();
    return undefined;
  },
};

function engine(extra: RuleActionSpec[] = []): Engine {
  return new Engine({
    node: 'emqx@127.0.0.1',
    logger: { info() {}, warning() {}, error() {} },
    publish: (topic, payload, o) => { published.push({ topic, payload: String(payload), ...o }); },
    actions: () => [...BUILTIN_ACTIONS, flaky, ...extra],
    resourceTypes: () => BUILTIN_TYPES,
    saved() {},
  });
}
const row = (v: unknown, topic = 't/1'): Record<string, unknown> => ({ topic, clientid: 'c', qos: 1, flags: { retain: true }, payload: JSON.stringify({ v }) });
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

beforeEach(() => { published.length = 0; calls.length = 0; });

test('fallbacks run when an action fails; continue runs the next action, stop does not', async () => {
  const e = engine();
  const actions = [
    { name: 'flaky', params: { tag: 'a', mode: 'throw' }, fallbacks: [{ name: 'flaky', params: { tag: 'fb' } }] },
    { name: 'flaky', params: { tag: 'b' } },
  ];
  await e.createRule({ rawsql: 'SELECT payload.v AS v FROM "t/#"', actions });
  e.applyTopic('t/1', () => row(1));
  expect(calls).toEqual(['a:1', 'fb:1', 'b:1']);
  calls.length = 0;
  const stop = await e.createRule({ rawsql: 'SELECT payload.v AS v FROM "s/#"', actions, on_action_failed: 'stop' });
  e.applyTopic('s/1', () => row(2, 's/1'));
  expect(calls).toEqual(['a:2', 'fb:2']);
  const r = e.rules.get(stop.id)!;
  expect(r.metrics).toMatchObject({ matched: 1, passed: 1, failed: 1 });
  expect(e.actionMetrics(r.def.actions[0]!, r)).toEqual({ taken: 1, success: 0, failed: 1 });
  expect(e.actionMetrics(r.def.actions[0]!.fallbacks[0]!, r)).toEqual({ taken: 1, success: 1, failed: 0 });
});

test('asynchronous actions count success or failure when they settle', async () => {
  const e = engine();
  const def = await e.createRule({ rawsql: 'SELECT payload.v AS v FROM "t/#"', actions: [{ name: 'flaky', params: { tag: 'ok', mode: 'async' } }, { name: 'flaky', params: { tag: 'no', mode: 'reject' } }] });
  e.applyTopic('t/1', () => row(1));
  await flush();
  const r = e.rules.get(def.id)!;
  expect(e.actionMetrics(r.def.actions[0]!, r)).toEqual({ taken: 1, success: 1, failed: 0 });
  expect(e.actionMetrics(r.def.actions[1]!, r)).toEqual({ taken: 1, success: 0, failed: 1 });
});

test('republish: templates, fixed and original QoS and retain, JSON of the whole result', async () => {
  const e = engine();
  await e.createRule({ rawsql: 'SELECT payload.v AS v, clientid FROM "t/#"', actions: [
    { name: 'republish', params: { target_topic: 'o/${clientid}/${v}', target_qos: 2, payload_tmpl: 'v=${v}' } },
    { name: 'republish', params: { target_topic: 'o/orig', target_qos: -1, target_retain: '${flags.retain}', payload_tmpl: '' } },
  ] });
  e.applyTopic('t/1', () => row(7));
  expect(published).toEqual([
    { topic: 'o/c/7', payload: 'v=7', qos: 2, retain: false, from: expect.stringMatching(/^republish_[0-9a-f]{8}$/) },
    { topic: 'o/orig', payload: '{"v":7,"clientid":"c"}', qos: 1, retain: true, from: expect.stringMatching(/^republish_/) },
  ]);
});

test('rules not matching the topic do not run; disabled rules do not run', async () => {
  const e = engine();
  const d = await e.createRule({ rawsql: 'SELECT payload.v AS v FROM "a/+", "b/#"', actions: [{ name: 'flaky', params: { tag: 'x' } }] });
  let built = 0;
  e.applyTopic('c/1', () => { built++; return row(1); });
  expect(built).toBe(0);
  e.applyTopic('a/1', () => row(1, 'a/1'));
  e.applyTopic('b/x/y', () => row(2, 'b/x/y'));
  expect(calls).toEqual(['x:1', 'x:2']);
  await e.updateRule(d.id, { enabled: false });
  e.applyTopic('a/1', () => row(3, 'a/1'));
  expect(calls).toEqual(['x:1', 'x:2']);
  expect(e.rules.get(d.id)!.metrics.matched).toBe(2);
});

test('errors name what is wrong', async () => {
  const e = engine();
  await expect(e.createRule({ rawsql: 'SELECT * FROM "t"', actions: [{ name: 'missing' }] })).rejects.toThrow(new RuleError('Action missing Not Found'));
  await expect(e.createRule({ rawsql: 'SELECT * FROM t' })).rejects.toThrow(/select_and_transform_error/);
  await expect(e.createRule({ rawsql: 'SELECT * FROM "$events/nope"' })).rejects.toThrow(/unknown_event/);
  await expect(e.createRule({ rawsql: 'SELECT * FROM "t"', actions: [{ name: 'data_to_webserver', params: {} }] })).rejects.toThrow(/resource_required/);
  await expect(e.createResource({ type: 'nope' })).rejects.toThrow('Resource Type nope Not Found');
  await expect(e.createResource({ type: 'web_hook', config: { url: 'ftp://x' } })).rejects.toThrow(/bad url/);
});

test('the SDK registry: the latest action of a name wins, removing it brings the previous back', () => {
  const reg = ruleRegistry();
  let changes = 0;
  const offListen = reg.onChange(() => { changes++; });
  const a1 = { ...flaky, name: 'reg_test', app: 'one' };
  const a2 = { ...flaky, name: 'reg_test', app: 'two' };
  const off1 = reg.addAction(a1);
  const off2 = reg.addAction(a2);
  expect(reg.actions().find((a) => a.name === 'reg_test')!.app).toBe('two');
  off2();
  expect(reg.actions().find((a) => a.name === 'reg_test')!.app).toBe('one');
  off1();
  expect(reg.actions().find((a) => a.name === 'reg_test')).toBeUndefined();
  expect(changes).toBe(4);
  offListen();
});

test('templates and Erlang terms', () => {
  expect(compileTemplate('a/${x}/${m.k}/${none}')({ x: 1, m: { k: 'v' } })).toBe('a/1/v/undefined');
  expect(compileTemplate('${obj}')({ obj: { a: [1] } })).toBe('{"a":[1]}');
  expect(compileTemplate('plain')({})).toBe('plain');
  expect(term(['t/#'])).toBe('[<<"t/#">>]');
  expect(term({ url: 'http://x', n: 1.5, b: true, l: [] })).toBe('#{<<"b">> => true,<<"l">> => [],<<"n">> => 1.5,<<"url">> => <<"http://x">>}');
  expect(term([{ node: atom('emqx@127.0.0.1'), is_alive: false }], true)).toBe("[#{is_alive => false,node => 'emqx@127.0.0.1'}]");
  expect(term('say "hi"')).toBe('<<"say \\"hi\\"">>');
});
