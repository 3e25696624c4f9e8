import { pickMember, type SharedStrategy } from '../../src/broker/shared';
import { SharedGroup, Subscription } from '../../src/router/router';
import { Message } from '../../src/types';

function member(id: string, online = true, persistent = false): Subscription {
  const s = { clientid: id, outlet: online ? {} : undefined, get available() { return online || persistent; }, deliver: () => undefined };
  return new Subscription(s as any, 't', { qos: 0, nl: 0, rap: 0, rh: 0, share: 'g' });
}
const msg = (from: string, topic = 't') => new Message(1, 0, from, { retain: false, dup: false, sys: false }, topic, Buffer.alloc(0), undefined, 0);
function group(...m: Subscription[]): SharedGroup {
  const g = new SharedGroup('g', 't');
  g.members.push(...m);
  return g;
}
const ids = (g: SharedGroup, s: SharedStrategy, n: number, from = (i: number) => `p${i}`) =>
  Array.from({ length: n }, (_, i) => pickMember(g, s, msg(from(i)))!.subscriber.clientid);

test('round_robin cycles through members in order', () => {
  expect(ids(group(member('a'), member('b'), member('c')), 'round_robin', 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
});

test('sticky keeps the first pick while it stays online', () => {
  const out = ids(group(member('a'), member('b'), member('c')), 'sticky', 20);
  expect(new Set(out).size).toBe(1);
});

test('hash (by publisher client id) is stable per publisher', () => {
  const g = group(member('a'), member('b'), member('c'));
  const first = ids(g, 'hash', 10, () => 'same');
  expect(new Set(first).size).toBe(1);
  const spread = new Set(ids(g, 'hash_clientid', 60, (i) => `pub-${i}`));
  expect(spread.size).toBeGreaterThan(1);
});

test('random spreads over members', () => {
  const out = ids(group(member('a'), member('b')), 'random', 200);
  expect(out.filter((x) => x === 'a').length).toBeGreaterThan(40);
  expect(out.filter((x) => x === 'b').length).toBeGreaterThan(40);
});

test('offline members are skipped; a persistent offline member is used when nobody is online', () => {
  expect(ids(group(member('off', false), member('on')), 'round_robin', 4)).toEqual(['on', 'on', 'on', 'on']);
  expect(ids(group(member('gone', false), member('persist', false, true)), 'random', 3)).toEqual(['persist', 'persist', 'persist']);
  expect(pickMember(group(member('gone', false)), 'random', msg('x'))).toBeUndefined();
});
