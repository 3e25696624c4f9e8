// The rule SQL: parsing, compiling and running against event columns.
import { compileSql } from '../src/compile';
import { SqlError } from '../src/lexer';
import { parseSql } from '../src/parser';
import { EventData } from '../src/scope';

function run(sql: string, cols: Record<string, unknown>): unknown {
  return compileSql(sql).run(new EventData({ ...cols }), 'rule:test');
}
const msg = (payload: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  topic: 't/a', qos: 1, clientid: 'c1', username: 'u1', payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  flags: { retain: false, dup: false }, ...extra,
});

describe('parser', () => {
  test('SELECT fields, FROM several filters, WHERE', () => {
    const s = parseSql('SELECT payload.x AS x, clientid FROM "t/#", "a/+" WHERE x > 10');
    expect(s.foreach).toBe(false);
    expect(s.from).toEqual(['t/#', 'a/+']);
    expect(s.fields).toHaveLength(2);
    expect(s.where).toBeDefined();
  });
  test('keywords are case-insensitive; comments are skipped', () => {
    expect(parseSql('select * from "t" -- all\n where qos = 1').from).toEqual(['t']);
  });
  test('FOREACH ... DO ... INCASE ... FROM', () => {
    const s = parseSql('FOREACH payload.sensors AS s DO s.name AS n INCASE s.v > 1 FROM "t/#" WHERE qos = 1');
    expect(s.foreach).toBe(true);
    expect(s.doeach).toHaveLength(1);
    expect(s.incase).toBeDefined();
  });
  test.each([
    ['SELECT FROM "t"'],
    ['SELECT * "t"'],
    ['SELECT * FROM t'],
    ['SELECT * FROM "t" WHERE'],
    ['SELECT * FROM "t" WHERE a = \'x'],
    ['SELECT a,, b FROM "t"'],
    ['SELECT CASE END FROM "t"'],
    ['SELECT * FROM "t" extra'],
    ['UPDATE t'],
  ])('bad SQL is a SqlError: %s', (sql) => {
    expect(() => parseSql(sql)).toThrow(SqlError);
  });
  test('unknown function is refused at compile time', () => {
    expect(() => compileSql('SELECT nope(1) FROM "t"')).toThrow(/unknown function: nope/);
  });
});

describe('SELECT and WHERE', () => {
  const bench = 'SELECT payload.x AS x FROM "t/#" WHERE payload.x > 10';
  test('the benchmark rule', () => {
    expect(run(bench, msg({ x: 11 }))).toEqual({ x: 11 });
    expect(run(bench, msg({ x: 10 }))).toBeUndefined();
    expect(run(bench, msg('not json'))).toBeUndefined();
  });
  test('aliases are visible to WHERE and later fields', () => {
    expect(run('SELECT payload.x AS x, x * 2 AS y FROM "t" WHERE y = 8', msg({ x: 4 }))).toEqual({ x: 4, y: 8 });
  });
  test('* selects every column; un-aliased paths nest', () => {
    const out = run('SELECT *, payload.a.b FROM "t"', msg({ a: { b: 1 } })) as Record<string, unknown>;
    expect(out.clientid).toBe('c1');
    expect(out.payload).toEqual({ a: { b: 1 } });
    expect(run('SELECT payload.a.b FROM "t"', msg({ a: { b: 1 } }))).toEqual({ payload: { a: { b: 1 } } });
    expect(run('SELECT clientid, topic FROM "t"', msg({}))).toEqual({ clientid: 'c1', topic: 't/a' });
  });
  test('nested aliases', () => {
    expect(run('SELECT payload.v AS a.b.c FROM "t"', msg({ v: 3 }))).toEqual({ a: { b: { c: 3 } } });
  });
  test('array indexes from 1, negative from the end', () => {
    const p = msg({ arr: [10, 20, 30], objs: [{ n: 'a' }, { n: 'b' }] });
    expect(run('SELECT payload.arr[1] AS f, payload.arr[-1] AS l, payload.objs[2].n AS n, payload.arr[9] AS none FROM "t"', p))
      .toEqual({ f: 10, l: 30, n: 'b', none: undefined });
  });
  test('comparison operators and text/number coercion', () => {
    const p = msg({ n: 5, s: '5', t: 'abc' });
    const yes = (cond: string): boolean => run(`SELECT 1 AS one FROM "t" WHERE ${cond}`, p) !== undefined;
    expect(yes('payload.n = 5')).toBe(true);
    expect(yes('payload.n = payload.s')).toBe(true);
    expect(yes("payload.n = '5'")).toBe(true);
    expect(yes('payload.n != 4')).toBe(true);
    expect(yes('payload.n <> 5')).toBe(false);
    expect(yes('payload.n >= 5 and payload.n <= 5')).toBe(true);
    expect(yes('payload.n < 5 or payload.n > 5')).toBe(false);
    expect(yes('not payload.n = 4')).toBe(true);
    expect(yes("payload.t = 'abc'")).toBe(true);
    expect(yes('payload.missing > 1')).toBe(false);
    expect(yes('payload.missing = payload.other')).toBe(true);
    expect(yes('qos in (0, 1)')).toBe(true);
    expect(yes('qos not in (0, 1)')).toBe(false);
    expect(yes("topic =~ 't/#'")).toBe(true);
    expect(yes("topic =~ 'x/+'")).toBe(false);
    expect(yes('flags.retain = false')).toBe(true);
    expect(yes("username = 'u1' and (qos = 2 or clientid = 'c1')")).toBe(true);
  });
  test('arithmetic: + - * / div mod, unary minus, + joins texts', () => {
    expect(run("SELECT 1 + 2 * 3 AS a, (1 + 2) * 3 AS b, 7 / 2 AS c, 7 div 2 AS d, 7 mod 2 AS e, -payload.x AS f, 'a' + 'b' AS g, 10 - 2 - 3 AS h FROM \"t\"", msg({ x: 4 })))
      .toEqual({ a: 7, b: 9, c: 3.5, d: 3, e: 1, f: -4, g: 'ab', h: 5 });
  });
  test('division by zero is an exception (counted by the engine)', () => {
    expect(() => run('SELECT 1 / 0 AS x FROM "t"', msg({}))).toThrow();
  });
  test('CASE WHEN and CASE <expr> WHEN', () => {
    const sql = "SELECT CASE WHEN payload.t > 30 THEN 'hot' WHEN payload.t > 10 THEN 'warm' ELSE 'cold' END AS s, CASE qos WHEN 1 THEN 'one' ELSE 'other' END AS q FROM \"t\"";
    expect(run(sql, msg({ t: 40 }))).toEqual({ s: 'hot', q: 'one' });
    expect(run(sql, msg({ t: 20 }))).toEqual({ s: 'warm', q: 'one' });
    expect(run(sql, msg({ t: 0 }))).toEqual({ s: 'cold', q: 'one' });
    expect(run("SELECT CASE WHEN qos = 2 THEN 'x' END AS s FROM \"t\"", msg({}))).toEqual({ s: undefined });
  });
  test('string literals in single and double quotes, escapes, booleans, lists, ranges', () => {
    expect(run("SELECT 'it''s' AS a, \"dq\" AS b, 'a\\nb' AS c, true AS d, [1, 'x'] AS e, [1..3] AS f, 1.5e1 AS g FROM \"t\"", msg({})))
      .toEqual({ a: "it's", b: 'dq', c: 'a\nb', d: true, e: [1, 'x'], f: [1, 2, 3], g: 15 });
  });
  test('metadata.rule_id', () => {
    expect(run('SELECT metadata.rule_id AS id FROM "t"', msg({}))).toEqual({ id: 'rule:test' });
  });
  test('the payload is decoded once per event for every rule', () => {
    const ev = new EventData(msg({ x: 20 }));
    const spy = jest.spyOn(JSON, 'parse');
    const a = compileSql('SELECT payload.x AS x FROM "t" WHERE payload.x > 10');
    const b = compileSql('SELECT payload.x AS y FROM "t"');
    expect(a.run(ev, 'r1')).toEqual({ x: 20 });
    expect(b.run(ev, 'r2')).toEqual({ y: 20 });
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });
});

describe('FOREACH', () => {
  const p = msg({ date: '2020-04-24', sensors: [{ name: 'a', idx: 0 }, { name: 'b', idx: 1 }, { name: 'c', idx: 2 }] });
  test('each item, the collection named by AS', () => {
    expect(run('FOREACH payload.sensors AS s DO s.name AS n, clientid INCASE s.idx >= 1 FROM "t/#"', p))
      .toEqual([{ n: 'b', clientid: 'c1' }, { n: 'c', clientid: 'c1' }]);
  });
  test('without DO each row is the columns with `item`', () => {
    const rows = run('FOREACH payload.sensors FROM "t/#"', p) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(3);
    expect(rows[0]!.item).toEqual({ name: 'a', idx: 0 });
    expect(rows[0]!.clientid).toBe('c1');
  });
  test('fields before the collection, WHERE over them', () => {
    expect(run('FOREACH payload.date AS d, payload.sensors AS s DO payload.date AS d, s.idx AS i FROM "t" WHERE d = \'2020-04-24\'', p))
      .toEqual([{ d: '2020-04-24', i: 0 }, { d: '2020-04-24', i: 1 }, { d: '2020-04-24', i: 2 }]);
    expect(run('FOREACH payload.sensors AS s FROM "t" WHERE qos = 2', p)).toBeUndefined();
  });
  test('an empty collection gives no rows', () => {
    expect(run('FOREACH payload.none AS s FROM "t"', p)).toEqual([]);
  });
});

describe('functions', () => {
  const f = (expr: string, payload: unknown = {}): unknown => (run(`SELECT ${expr} AS v FROM "t"`, msg(payload)) as { v: unknown }).v;
  test('math', () => {
    expect(f('abs(-2)')).toBe(2);
    expect(f('ceil(1.2)')).toBe(2);
    expect(f('floor(1.8)')).toBe(1);
    expect(f('round(2.5)')).toBe(3);
    expect(f('sqrt(16)')).toBe(4);
    expect(f('power(2, 10)')).toBe(1024);
    expect(f('fmod(7, 3)')).toBe(1);
    expect(f('log10(1000)')).toBeCloseTo(3);
    expect(f('exp(0)')).toBe(1);
  });
  test('bits', () => {
    expect(f('bitand(6, 3)')).toBe(2);
    expect(f('bitor(6, 3)')).toBe(7);
    expect(f('bitxor(6, 3)')).toBe(5);
    expect(f('bitsl(1, 4)')).toBe(16);
    expect(f('bitsr(16, 2)')).toBe(4);
    expect(f('bitnot(0)')).toBe(-1);
  });
  test('types', () => {
    expect(f('str(12)')).toBe('12');
    expect(f('str(1.5)')).toBe('1.5');
    expect(f("int('42')")).toBe(42);
    expect(f('int(3.9)')).toBe(3);
    expect(f("float('1.5')")).toBe(1.5);
    expect(f("bool('true')")).toBe(true);
    expect(f('is_null(payload.none)')).toBe(true);
    expect(f('is_not_null(payload.a)', { a: 1 })).toBe(true);
    expect(f("is_str('a')")).toBe(true);
    expect(f('is_int(1)')).toBe(true);
    expect(f('is_float(1.5)')).toBe(true);
    expect(f('is_num(1)')).toBe(true);
    expect(f('is_bool(false)')).toBe(true);
    expect(f('is_map(payload.m)', { m: {} })).toBe(true);
    expect(f('is_array(payload.l)', { l: [] })).toBe(true);
  });
  test('strings', () => {
    expect(f("lower('AbC')")).toBe('abc');
    expect(f("upper('abc')")).toBe('ABC');
    expect(f("trim('  a ')")).toBe('a');
    expect(f("ltrim('  a ')")).toBe('a ');
    expect(f("rtrim('  a ')")).toBe('  a');
    expect(f("reverse('abc')")).toBe('cba');
    expect(f("strlen('héllo')")).toBe(5);
    expect(f("substr('abcdef', 2)")).toBe('cdef');
    expect(f("substr('abcdef', 1, 3)")).toBe('bcd');
    expect(f("split('a/b//c', '/')")).toEqual(['a', 'b', 'c']);
    expect(f("split('a/b//c', '/', 'notrim')")).toEqual(['a', 'b', '', 'c']);
    expect(f("split('a/b/c', '/', 'leading')")).toEqual(['a', 'b/c']);
    expect(f("split('a/b/c', '/', 'trailing')")).toEqual(['a/b', 'c']);
    expect(f("concat('a', 'b')")).toBe('ab');
    expect(f("tokens('a b,c', ' ,')")).toEqual(['a', 'b', 'c']);
    expect(f("replace('a-b-c', '-', '+')")).toBe('a+b+c');
    expect(f("replace('a-b-c', '-', '+', 'leading')")).toBe('a+b-c');
    expect(f("replace('a-b-c', '-', '+', 'trailing')")).toBe('a-b+c');
    expect(f("regex_match('abc123', '^[a-z]+[0-9]+$')")).toBe(true);
    expect(f("regex_replace('a1b22', '[0-9]+', '#')")).toBe('a#b#');
    expect(f("ascii('A')")).toBe(65);
    expect(f("find('a/b/c', '/')")).toBe('/b/c');
    expect(f("pad('ab', 4)")).toBe('ab  ');
    expect(f("pad('ab', 4, 'leading', '0')")).toBe('00ab');
    expect(f("sprintf('~s-~p', 'a', 'b')")).toBe('a-"b"');
  });
  test('maps and arrays', () => {
    expect(f("map_get('a.b', payload)", { a: { b: 2 } })).toBe(2);
    expect(f("map_get('x', payload, 'dflt')")).toBe('dflt');
    expect(f("map_put('k', 1, payload)", { a: 1 })).toEqual({ a: 1, k: 1 });
    expect(f('nth(2, payload.l)', { l: [5, 6, 7] })).toBe(6);
    expect(f('length(payload.l)', { l: [5, 6, 7] })).toBe(3);
    expect(f('sublist(2, payload.l)', { l: [5, 6, 7] })).toEqual([5, 6]);
    expect(f('sublist(2, 2, payload.l)', { l: [5, 6, 7] })).toEqual([6, 7]);
    expect(f('first(payload.l)', { l: [5, 6, 7] })).toBe(5);
    expect(f('last(payload.l)', { l: [5, 6, 7] })).toBe(7);
    expect(f('contains(6, payload.l)', { l: [5, 6, 7] })).toBe(true);
  });
  test('hashes and encodings', () => {
    expect(f("md5('a')")).toBe('0cc175b9c0f1b6a831c399e269772661');
    expect(f("sha('a')")).toBe('86f7e437faa5a7fce15d1ddcb9eaeaea377667b8');
    expect(f("sha256('a')")).toBe('ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb');
    expect(f("base64_encode('hello')")).toBe('aGVsbG8=');
    expect(f("base64_decode('aGVsbG8=')")).toBe('hello');
    expect(f('json_encode(json_decode(payload))', { a: 1 })).toBe('{"a":1}');
    expect(f('json_encode(payload)', { a: 1 })).toBe('"{\\"a\\":1}"');
    expect(f("json_decode('{\"a\":[1]}')")).toEqual({ a: [1] });
    expect(f("bin2hexstr('ab')")).toBe('6162');
  });
  test('time', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(Math.abs((f('now_timestamp()') as number) - now)).toBeLessThanOrEqual(1);
    expect(Math.abs((f("now_timestamp('millisecond')") as number) - Date.now())).toBeLessThan(1000);
    expect(f('now_rfc3339()')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect(f("rfc3339_to_unix_ts('2020-01-01T00:00:00+00:00')")).toBe(1577836800);
    expect(Date.parse(f('unix_ts_to_rfc3339(1577836800)') as string)).toBe(1577836800000);
  });
  test('message shortcuts', () => {
    expect(f('topic()')).toBe('t/a');
    expect(f('topic(2)')).toBe('a');
    expect(f('clientid()')).toBe('c1');
    expect(f('qos()')).toBe(1);
    expect(f("payload('a.b')", { a: { b: 'x' } })).toBe('x');
  });
  test('a function given the wrong type throws (an exception of the rule)', () => {
    expect(() => f('lower(1)')).toThrow();
    expect(() => f("abs('x')")).toThrow();
  });
});
