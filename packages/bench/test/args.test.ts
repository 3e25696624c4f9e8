import { UsageError, describe as describeOpts, list, parseArgs, shellQuote, type OptSpec } from '../src/args.js';

const specs: OptSpec[] = [
  { name: 'host', short: 'h', type: 'string', default: '127.0.0.1', help: 'host' },
  { name: 'port', short: 'p', type: 'number', default: 1883, help: 'port' },
  { name: 'interval_of_msg', short: 'I', type: 'number', help: 'interval' },
  { name: 'keep-logs', type: 'boolean', default: false, help: 'keep' },
];

describe('parseArgs', () => {
  it('applies defaults', () => {
    expect(parseArgs([], specs).opts).toEqual({ host: '127.0.0.1', port: 1883, 'keep-logs': false });
  });
  it('short, long and --long=value forms; positionals', () => {
    const r = parseArgs(['fan-in', '-h', 'example', '--port', '2883', '-I', '0', '--keep-logs', 'x'], specs);
    expect(r.opts).toMatchObject({ host: 'example', port: 2883, interval_of_msg: 0, 'keep-logs': true });
    expect(r.positional).toEqual(['fan-in', 'x']);
    expect(parseArgs(['--port=1', '--keep-logs=false'], specs).opts).toMatchObject({ port: 1, 'keep-logs': false });
    expect(parseArgs(['--no-keep-logs'], specs).opts['keep-logs']).toBe(false);
  });
  it('treats everything after -- as positional', () => {
    expect(parseArgs(['--', '-h'], specs).positional).toEqual(['-h']);
  });
  it('rejects unknown options, missing and bad values', () => {
    expect(() => parseArgs(['--nope'], specs)).toThrow(UsageError);
    expect(() => parseArgs(['-x'], specs)).toThrow(/unknown option -x/);
    expect(() => parseArgs(['-p'], specs)).toThrow(/needs a value/);
    expect(() => parseArgs(['-p', 'abc'], specs)).toThrow(/needs a number/);
    expect(() => parseArgs(['--keep-logs=maybe'], specs)).toThrow(UsageError);
  });
  it('help text lists every option', () => {
    const d = describeOpts(specs);
    expect(d).toContain('-h, --host VALUE');
    expect(d).toContain('(default 1883)');
    expect(d).toContain('--keep-logs');
  });
});

describe('list / shellQuote', () => {
  it('splits comma lists', () => {
    expect(list('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(list(undefined)).toEqual([]);
  });
  it('quotes only when needed', () => {
    expect(shellQuote('--out=docs/benchmarks.md')).toBe('--out=docs/benchmarks.md');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});
