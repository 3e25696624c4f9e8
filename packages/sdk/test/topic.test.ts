// Topic names and filters (MQTT 5.0 section 4.7), shared subscriptions and mountpoints.
import { compileFilter, isWildcard, levelCount, mount, parseShare, topicMatches, unmount, validTopicFilter, validTopicName } from '@nemq/sdk';

describe('topic validation', () => {
  test('[MQTT-4.7.1-2] # must be last and alone in its level', () => {
    expect(validTopicFilter('a/#')).toBe(true);
    expect(validTopicFilter('#')).toBe(true);
    expect(validTopicFilter('a/#/b')).toBe(false);
    expect(validTopicFilter('a#')).toBe(false);
  });

  test('[MQTT-4.7.1-3] + must occupy a whole level', () => {
    expect(validTopicFilter('+/a/+')).toBe(true);
    expect(validTopicFilter('a+')).toBe(false);
    expect(validTopicFilter('a/+b')).toBe(false);
    expect(validTopicFilter('a/b+')).toBe(false);
  });

  test('[MQTT-4.7.3-1] filters are at least one character; empty levels and $ are allowed', () => {
    for (const ok of ['a', '#', 'a/#', '+/b/+', '/', '$SYS/#']) expect(validTopicFilter(ok)).toBe(true);
    expect(validTopicFilter('')).toBe(false);
  });

  test('[MQTT-3.3.2-2] topic names have no wildcards; [MQTT-4.7.3-1] not empty', () => {
    expect(validTopicName('a/b')).toBe(true);
    expect(validTopicName('a/+')).toBe(false);
    expect(validTopicName('a/#')).toBe(false);
    expect(validTopicName('')).toBe(false);
  });

  test('[MQTT-1.5.4-2] no U+0000 in names or filters', () => {
    expect(validTopicName('a\u0000b')).toBe(false);
    expect(validTopicFilter('\u0000')).toBe(false);
  });

  test('[MQTT-1.5.4-1] at most 65535 bytes of UTF-8', () => {
    expect(validTopicName('a'.repeat(65535))).toBe(true);
    expect(validTopicName('a'.repeat(65536))).toBe(false);
    expect(validTopicFilter('é'.repeat(32767))).toBe(true); // 65534 bytes
    expect(validTopicFilter('é'.repeat(32768))).toBe(false); // 65536 bytes, 32768 UTF-16 units
    expect(validTopicName('€'.repeat(21846))).toBe(false); // 65538 bytes
  });

  test('max topic levels', () => {
    expect(validTopicName('a/b/c', 2)).toBe(false);
    expect(validTopicName('a/b', 2)).toBe(true);
    expect(validTopicFilter('a/+/#', 2)).toBe(false);
    expect(levelCount('a//b/')).toBe(4);
  });

  test('isWildcard', () => {
    expect(isWildcard('a/+')).toBe(true);
    expect(isWildcard('#')).toBe(true);
    expect(isWildcard('a/b')).toBe(false);
  });
});

// the split-based definition, to check the in-place matcher against
function reference(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe('topic matching [MQTT-4.7]', () => {
  const cases: Array<[string, string, boolean]> = [
    ['#', 'a/b', true], ['#', '$SYS/x', false], ['+/b', '$SYS/b', false], ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/brokers', true], ['a/#', 'a', true], ['a/#', 'a/b/c', true], ['a/#', 'ab', false],
    ['a/+', 'a/', true], ['a/+', 'a', false], ['a/+/c', 'a/b/c', true], ['a/+/c', 'a/b/d', false],
    ['+', 'a', true], ['+', 'a/b', false], ['+', '/a', false], ['/+', '/a', true], ['a/b', 'a/b', true],
    ['a/b', 'a/b/', false], ['a/b', 'a', false], ['+/+', '/', true], ['sensor/#', 'sensor', true], ['a//b', 'a//b', true],
  ];

  // [MQTT-4.7.1-2] '#' matches the parent and any number of levels; [MQTT-4.7.1-3] '+' exactly one;
  // [MQTT-4.7.2-1] a leading wildcard does not match a topic starting with '$'
  test.each(cases)('%s matches %s: %s', (f, t, want) => {
    expect(topicMatches(f, t)).toBe(want);
    expect(compileFilter(f)(t)).toBe(want);
  });

  test('agrees with the split-based definition on 20000 random filter/topic pairs', () => {
    const words = ['a', 'b', '', '$SYS', 'ab'];
    let seed = 42;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 20000; i++) {
      const t = Array.from({ length: 1 + rnd(4) }, () => words[rnd(words.length)]!).join('/');
      const fl = Array.from({ length: 1 + rnd(4) }, () => ['a', 'b', '+', '', '$SYS'][rnd(5)]!);
      if (rnd(3) === 0) fl.push('#');
      const f = fl.join('/');
      const want = reference(f, t);
      expect([f, t, topicMatches(f, t)]).toEqual([f, t, want]);
      expect([f, t, compileFilter(f)(t)]).toEqual([f, t, want]);
    }
  });
});

describe('shared subscriptions [MQTT-4.8.2]', () => {
  test('$share/<group>/<filter> and $queue/<filter>', () => {
    expect(parseShare('$share/g/a/b')).toEqual({ group: 'g', filter: 'a/b' });
    expect(parseShare('$queue/a')).toEqual({ group: '$queue', filter: 'a' });
    expect(parseShare('a/b')).toEqual({ group: undefined, filter: 'a/b' });
  });

  test('[MQTT-4.8.2-1] the share name is not empty and holds no wildcard; a filter must follow', () => {
    expect(parseShare('$share/g')).toBeUndefined();
    expect(parseShare('$share//a')).toBeUndefined();
    expect(parseShare('$share/g+/a')).toBeUndefined();
    expect(parseShare('$share/g/')).toBeUndefined();
    expect(parseShare('$queue/')).toBeUndefined();
  });
});

describe('mountpoints', () => {
  test('mount prefixes, unmount strips only its own prefix', () => {
    expect(mount('user/c1/', 'a/b')).toBe('user/c1/a/b');
    expect(mount(undefined, 'a/b')).toBe('a/b');
    expect(mount('', 'a/b')).toBe('a/b');
    expect(unmount('user/c1/', 'user/c1/a/b')).toBe('a/b');
    expect(unmount('user/c1/', 'other/a')).toBe('other/a');
    expect(unmount(undefined, 'a')).toBe('a');
  });
});
