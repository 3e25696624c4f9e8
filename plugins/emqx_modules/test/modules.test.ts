// emqx_modules pure parts: conf parsing, %c/%u, rewrite, $delayed topics, loaded_modules, counters.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, Message } from '@nemq/sdk';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { DelayedStore, feedVars, MAX_INTERVAL, parseDelayed, parseRewrite, parseSubscriptions, readLoaded, rewrite, schema, TopicMetrics, writeLoaded } from '../src/index';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warning: () => undefined, error: () => undefined };

test('module.subscription.N: sorted by N, qos 1 and options 0 by default, bad values refused', () => {
  expect(parseSubscriptions({
    'module.subscription.2.topic': 'b/%u', 'module.subscription.2.qos': 0, 'module.subscription.2.rh': 2,
    'module.subscription.1.topic': 'a/%c',
  })).toEqual([
    { n: 1, topic: 'a/%c', qos: 1, nl: 0, rap: 0, rh: 0 },
    { n: 2, topic: 'b/%u', qos: 0, nl: 0, rap: 0, rh: 2 },
  ]);
  expect(() => parseSubscriptions({ 'module.subscription.1.topic': 'a', 'module.subscription.1.qos': 3 })).toThrow('module.subscription.1.qos: expected 0..2');
  expect(() => parseSubscriptions({ 'module.subscription.1.topic': 'a/#/b' })).toThrow('not a valid topic filter');
});

test('feedVars replaces whole %c / %u levels; %u stays without a username', () => {
  expect(feedVars('a/%c/%u/x', 'id', 'u')).toBe('a/id/u/x');
  expect(feedVars('a/%c_x/%u', 'id', undefined)).toBe('a/%c_x/%u');
});

test("rewrite: EMQX's example rules, first matching filter decides, a regex miss keeps the topic", () => {
  const { pub, sub } = parseRewrite({
    'module.rewrite.pub.rule.1': 'x/# ^x/y/(.+)$ z/y/$1',
    'module.rewrite.pub.rule.2': 'x/y/# ^(.+)$ never/$1',
    'module.rewrite.sub.rule.1': 'y/+/z/# ^y/(.+)/z/(.+)$ y/z/$2',
    'module.rewrite.rule.9': 'old/# ^old/(.+)$ new/$1',
  });
  expect(pub.map((r) => r.key)).toEqual(['module.rewrite.pub.rule.1', 'module.rewrite.pub.rule.2', 'module.rewrite.rule.9']);
  expect(sub.map((r) => r.key)).toEqual(['module.rewrite.sub.rule.1', 'module.rewrite.rule.9']);
  expect(rewrite('x/y/a/b', pub)).toBe('z/y/a/b');
  expect(rewrite('x/q', pub)).toBe('x/q');
  expect(rewrite('old/t', pub)).toBe('new/t');
  expect(rewrite('y/a/z/b', sub)).toBe('y/z/b');
  expect(rewrite('other', sub)).toBe('other');
  expect(() => parseRewrite({ 'module.rewrite.pub.rule.1': 'x/# ^x' })).toThrow('expected "<topic filter> <regex> <destination>"');
  expect(() => parseRewrite({ 'module.rewrite.pub.rule.1': 'x/# ^x(( y' })).toThrow('bad regex');
});

test('$delayed topics: seconds from now, or a Unix time from MAX_INTERVAL on; bad ones explained', () => {
  expect(parseDelayed('$delayed/10/a/b', 1000)).toEqual({ at: 11000, topic: 'a/b' });
  expect(parseDelayed(`$delayed/${MAX_INTERVAL}/a`, 0)).toEqual({ at: MAX_INTERVAL * 1000, topic: 'a' });
  expect(parseDelayed('a/b', 0)).toBeUndefined();
  expect(parseDelayed('$delayed/x/a', 0)).toMatch(/bad delay "x"/);
  expect(parseDelayed('$delayed/5', 0)).toMatch(/bad delay/);
  expect(parseDelayed('$delayed/5/', 0)).toMatch(/no topic/);
});

test('the delayed store keeps order, writes its file, reads it back, publishes what is due', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nemq-delayed-'));
  try {
    const out: string[] = [];
    const s = new DelayedStore(dir, (h) => out.push(h.topic), quiet);
    const msg = (topic: string, ts: number): Message => ({ id: 1, qos: 1, from: 'c', flags: { retain: false, dup: false, sys: false }, topic, payload: Buffer.from('p'), properties: { topicAlias: 3, contentType: 'text/plain' }, timestamp: ts, headers: {} });
    expect(s.take(msg('$delayed/100/late', Date.now()))).toBe(true);
    expect(s.take(msg('$delayed/0/now', Date.now()))).toBe(true);
    expect(s.take(msg('plain', Date.now()))).toBe(false);
    expect(s.list().map((h) => h.topic)).toEqual(['now', 'late']);
    expect(s.list()[0]!.properties).toEqual({ contentType: 'text/plain' });
    s.flush();
    await new Promise((r) => setImmediate(r));
    const again = new DelayedStore(dir, (h) => out.push(h.topic), quiet);
    expect(again.list().map((h) => [h.topic, h.payload.toString()])).toEqual([['now', 'p'], ['late', 'p']]);
    again.start();
    for (let i = 0; i < 200 && out.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(out).toEqual(['now']);
    again.stop();
    writeFileSync(join(dir, 'delayed_messages.json'), '{not json');
    expect(new DelayedStore(dir, () => undefined, quiet).size).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loaded_modules: EMQX term lines written and read back; missing file → undefined', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nemq-loaded-'));
  try {
    const f = join(dir, 'loaded_modules');
    expect(readLoaded(f)).toBeUndefined();
    writeLoaded(f, new Map([['emqx_mod_presence', true], ['emqx_mod_delayed', false]]));
    expect(readFileSync(f, 'utf8')).toBe('{emqx_mod_presence, true}.\n{emqx_mod_delayed, false}.\n');
    writeFileSync(f, '{emqx_mod_rewrite,true}.\n%% comment\n{ emqx_mod_delayed , false }.\n');
    expect([...readLoaded(f)!]).toEqual([['emqx_mod_rewrite', true], ['emqx_mod_delayed', false]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('topic metrics: no wildcards, a quota, counts and rates', () => {
  const m = new TopicMetrics(2);
  expect([m.register('a/#'), m.register('a'), m.register('a'), m.register('b'), m.register('c')]).toEqual(['bad_topic', undefined, 'already_existed', undefined, 'quota_exceeded']);
  const c = m.topics.get('a')!;
  c.in(1);
  c.in(2);
  c.out(1);
  c.dropped();
  c.tick(2);
  expect(c.json()).toMatchObject({ 'messages.in.count': 2, 'messages.in.rate': 1, 'messages.qos1.in.count': 1, 'messages.qos2.in.count': 1, 'messages.out.count': 1, 'messages.dropped.count': 1, 'messages.dropped.rate': 0.5 });
  expect(m.unregister('a')).toBe(true);
  expect(m.unregister('a')).toBe(false);
});

test('the shipped conf parses against the schema, and etc/plugins has the same file', () => {
  const text = readFileSync(join(__dirname, '../etc/emqx_modules.conf'), 'utf8');
  const { values, problems } = readPluginConf(text, 'emqx_modules.conf', schema);
  expect(problems).toEqual([]);
  expect(values['module.presence.qos']).toBe(1);
  expect(parseSubscriptions(values)).toEqual([]);
  expect(parseRewrite(values)).toEqual({ pub: [], sub: [] });
  // the commented examples are valid too
  const examples = readPluginConf(text.replace(/^## (module\.)/gm, '$1'), 'emqx_modules.conf', schema);
  expect(examples.problems).toEqual([]);
  expect(parseSubscriptions(examples.values).map((s) => s.topic)).toEqual(['connected/%c/%u', 'calendar/%c']);
  expect(rewrite('x/y/1', parseRewrite(examples.values).pub)).toBe('z/y/1');
  expect(readFileSync(join(__dirname, '../../../etc/plugins/emqx_modules.conf'), 'utf8')).toBe(text);
});
