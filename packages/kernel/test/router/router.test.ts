import { Router, Subscription, type Subscriber } from '../../src/router/router';
import { topicMatches, validTopicFilter } from '@nemq/sdk';
import type { Message, SubOpts } from '../../src/types';

function subscriber(id: string): Subscriber & { got: string[] } {
  const got: string[] = [];
  return { clientid: id, available: true, got, deliver: (m: Message) => void got.push(m.topic) };
}
const opts = (over: Partial<SubOpts> = {}): SubOpts => ({ qos: 0, nl: 0, rap: 0, rh: 0, ...over });

describe('Router', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a/b', 'a/b', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['#', 'a/b', true],
    ['+/+', 'a/b', true],
    ['+', '/a', false],
    ['/+', '/a', true],
    ['a//b', 'a//b', true],
    ['a/+/c', 'a//c', true],
    ['#', '$SYS/a', false],
    ['+/a', '$SYS/a', false],
    ['$SYS/+', '$SYS/a', true],
  ];
  test.each(cases)('filter %s vs topic %s -> %s (trie agrees with topicMatches)', (filter, topic, expected) => {
    const r = new Router();
    const s = subscriber('c');
    r.add(new Subscription(s, filter, opts()));
    expect(r.match(topic).subs.length === 1).toBe(expected);
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  test('route cache is cleared on subscribe and unsubscribe', () => {
    const r = new Router();
    const s = subscriber('c');
    expect(r.match('a/b').subs).toHaveLength(0);
    const sub = new Subscription(s, 'a/+', opts());
    r.add(sub);
    expect(r.match('a/b').subs).toHaveLength(1);
    expect(r.remove(sub)).toBe(true);
    expect(r.match('a/b').subs).toHaveLength(0);
    expect(r.routeCount).toBe(0);
    expect(r.filters()).toEqual([]);
  });

  test('overlap is flagged when one subscriber has two matching filters', () => {
    const r = new Router();
    const s = subscriber('c');
    r.add(new Subscription(s, 'a/+', opts()));
    r.add(new Subscription(s, 'a/#', opts()));
    const m = r.match('a/b');
    expect(m.subs).toHaveLength(2);
    expect(m.overlap).toBe(true);
  });

  test('shared groups are returned separately from plain subscriptions', () => {
    const r = new Router();
    r.add(new Subscription(subscriber('a'), 't', opts({ share: 'g' })));
    r.add(new Subscription(subscriber('b'), 't', opts({ share: 'g' })));
    r.add(new Subscription(subscriber('c'), 't', opts()));
    const m = r.match('t');
    expect(m.subs).toHaveLength(1);
    expect(m.groups).toHaveLength(1);
    expect(m.groups[0]!.members).toHaveLength(2);
    expect(r.filters()).toEqual(['t']);
  });

  test('a random mix of filters matches exactly like the reference matcher', () => {
    const levels = ['a', 'b', '', '+', '#'];
    const r = new Router();
    const filters: string[] = [];
    let seed = 42;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 300; i++) {
      const n = 1 + rnd(4);
      const parts: string[] = [];
      for (let k = 0; k < n; k++) {
        const l = levels[rnd(levels.length)]!;
        parts.push(l);
        if (l === '#') break;
      }
      const f = parts.join('/');
      if (!validTopicFilter(f)) continue;
      filters.push(f);
      r.add(new Subscription(subscriber('s' + i), f, opts()));
    }
    for (let i = 0; i < 300; i++) {
      const n = 1 + rnd(4);
      const parts: string[] = [];
      for (let k = 0; k < n; k++) parts.push(['a', 'b', '', '$x'][rnd(k === 0 ? 4 : 3)]!);
      const topic = parts.join('/');
      const expected = filters.filter((f) => topicMatches(f, topic)).sort();
      expect(r.match(topic).subs.map((s) => s.filter).sort()).toEqual(expected);
    }
  });
});
