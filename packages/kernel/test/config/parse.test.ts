import { ConfigError, parseConfText } from '../../src/config/index.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfText', () => {
  test('reads key = value lines with their line numbers', () => {
    expect(parseConfText('a.b = 1\n\nc_d.e-f = x y z\n', 'f.conf')).toEqual([
      { key: 'a.b', value: '1', line: 1 },
      { key: 'c_d.e-f', value: 'x y z', line: 3 },
    ]);
  });

  test('skips blank lines and # comments, including indented ones', () => {
    const text = '# top\n\n   # indented\n## double\nk = v\n';
    expect(parseConfText(text)).toEqual([{ key: 'k', value: 'v', line: 5 }]);
  });

  test('a # inside a value is part of it (only whole lines are comments, as in EMQX)', () => {
    expect(parseConfText('module.subscription.1.topic = a/#\n')[0]?.value).toBe('a/#');
    expect(parseConfText('module.rewrite.pub.rule.1 = x/# ^x/y/(.+)$ z/y/$1')[0]?.value).toBe('x/# ^x/y/(.+)$ z/y/$1');
    expect(parseConfText('k = value   # note\n')[0]?.value).toBe('value   # note');
  });

  test('trailing blanks are dropped', () => {
    expect(parseConfText('k = value\t \n')[0]?.value).toBe('value');
  });

  test('{{ placeholder }} lines are skipped; include lines are returned as includes', () => {
    expect(parseConfText('{{ extra_config }}\ninclude etc/more.conf\nk = v')).toEqual([
      { key: 'include', value: 'etc/more.conf', line: 2, include: true },
      { key: 'k', value: 'v', line: 3 },
    ]);
  });

  test('keys may contain @ / : like cuttlefish words', () => {
    expect(parseConfText('a.b@c/d:e = 1')[0]?.key).toBe('a.b@c/d:e');
  });

  test('blanks around "=" are optional', () => {
    expect(parseConfText('k=v')[0]).toEqual({ key: 'k', value: 'v', line: 1 });
    expect(parseConfText('  k   =    v  ')[0]?.value).toBe('v');
  });

  test('values may contain "=" and ":"', () => {
    expect(parseConfText('zone.z.mqueue_priorities = a/1=10,b=2')[0]?.value).toBe('a/1=10,b=2');
    expect(parseConfText('listener.tcp.x = [::1]:1883')[0]?.value).toBe('[::1]:1883');
  });

  test('a value that is one double-quoted string is unquoted, with escapes', () => {
    expect(parseConfText('k = "a # b  "')[0]?.value).toBe('a # b  ');
    expect(parseConfText('k = "say \\"hi\\"\\\\\\n"')[0]?.value).toBe('say "hi"\\\n');
    expect(parseConfText('k = ""')[0]?.value).toBe('');
  });

  test('quotes that do not wrap the whole value are kept as written', () => {
    expect(parseConfText(`k = select * from t where u = '%u' limit 1`)[0]?.value).toBe(`select * from t where u = '%u' limit 1`);
    expect(parseConfText('k = "x" y')[0]?.value).toBe('"x" y');
    expect(parseConfText('k = "open')[0]?.value).toBe('"open');
  });

  test('duplicates are all returned, in order (the loader lets the last win)', () => {
    expect(parseConfText('k = 1\nk = 2').map((e) => e.value)).toEqual(['1', '2']);
  });

  test('CRLF line ends and a UTF-8 BOM are accepted', () => {
    expect(parseConfText('\uFEFFa = 1\r\nb = 2\r\n')).toEqual([
      { key: 'a', value: '1', line: 1 },
      { key: 'b', value: '2', line: 2 },
    ]);
  });

  test('a line without "=" is a syntax error naming file and line', () => {
    expect(problemsOf(() => parseConfText('a = 1\njunk here\n', 'etc/emqx.conf'))).toEqual([
      'etc/emqx.conf:2: syntax error: expected "key = value", got "junk here"',
    ]);
  });

  test('a bad key, a missing value and a bad escape are errors, all reported', () => {
    const problems = problemsOf(() => parseConfText('bad key = 1\nk =\nok = 1\ns = "\\q"', 'f.conf'));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^f\.conf:1: syntax error: bad key "bad key"/);
    expect(problems[1]).toBe('f.conf:2: k: syntax error: missing value after "=" (write "" for an empty string)');
    expect(problems[2]).toMatch(/^f\.conf:4: s: syntax error: unknown escape/);
  });

  test('keys with empty segments are rejected', () => {
    expect(problemsOf(() => parseConfText('a..b = 1'))[0]).toMatch(/bad key "a\.\.b"/);
    expect(problemsOf(() => parseConfText('.a = 1'))[0]).toMatch(/bad key/);
  });
});
