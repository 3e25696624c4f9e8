import { parseTerms, TermSyntaxError, type Term } from '../../src/access/index.js';

/** Strip line numbers for compact comparisons. */
function plain(t: Term): unknown {
  switch (t.type) {
    case 'tuple':
      return { tuple: t.items.map(plain) };
    case 'list':
      return t.items.map(plain);
    case 'atom':
      return { atom: t.value };
    case 'binary':
      return { bin: t.value };
    default:
      return t.value;
  }
}

function syntaxError(src: string, file = 'etc/acl.conf'): TermSyntaxError {
  try {
    parseTerms(src, file);
  } catch (e) {
    if (e instanceof TermSyntaxError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('Erlang term reader', () => {
  test('tuples, lists, atoms, strings, binaries and integers', () => {
    const [t] = parseTerms('{allow, {user, "dash"}, [<<"a/b">>, 42, -1, []], {}}.');
    expect(t && plain(t)).toEqual({
      tuple: [{ atom: 'allow' }, { tuple: [{ atom: 'user' }, 'dash'] }, [{ bin: 'a/b' }, 42, -1, []], { tuple: [] }],
    });
  });

  test('quoted atoms, atoms with @ and _', () => {
    const [t] = parseTerms("{'and', 'hello world', node_1@host}.");
    expect(t && plain(t)).toEqual({ tuple: [{ atom: 'and' }, { atom: 'hello world' }, { atom: 'node_1@host' }] });
  });

  test('string escapes and adjacent-string concatenation', () => {
    const [t] = parseTerms('["a\\"b\\\\c\\n", "x" "y", "\\x41\\101"].');
    expect(t && plain(t)).toEqual(['a"b\\c\n', 'xy', 'AA']);
  });

  test('binaries: empty, /utf8, several segments', () => {
    const [t] = parseTerms('[<<>>, <<"é"/utf8>>, <<"a", "b">>].');
    expect(t && plain(t)).toEqual([{ bin: '' }, { bin: 'é' }, { bin: 'ab' }]);
  });

  test('% comments anywhere, several terms, line numbers kept', () => {
    const terms = parseTerms('%% header\n{a}. % trailing\n\n%% more\n{b,\n c}.\n');
    expect(terms.map((t) => [plain(t), t.line])).toEqual([
      [{ tuple: [{ atom: 'a' }] }, 2],
      [{ tuple: [{ atom: 'b' }, { atom: 'c' }] }, 5],
    ]);
  });

  test('a dot inside strings is not a terminator; a term dot needs white space or end of file after it', () => {
    expect(parseTerms('{ipaddr, "127.0.0.1"}.').length).toBe(1);
    expect(parseTerms('{a}.%c').length).toBe(1);
    expect(syntaxError('{a}.{b}.').message).toBe('etc/acl.conf:1: syntax error: unexpected "{" after "."');
  });

  test('a missing dot is reported at the next term', () => {
    const e = syntaxError('{allow, all}\n{deny, all}.');
    expect(e.message).toBe('etc/acl.conf:2: syntax error: expected "." after a term, got "{"');
    expect(e.line).toBe(2);
    expect(e.file).toBe('etc/acl.conf');
  });

  test('unterminated strings report the line where they start', () => {
    expect(syntaxError('\n{allow, {user, "x}.\n\n').message).toBe('etc/acl.conf:2: syntax error: unterminated string');
  });

  test('variables, stray characters and unbalanced brackets are syntax errors', () => {
    expect(syntaxError('{allow, User}.').message).toBe(
      'etc/acl.conf:1: syntax error: variables are not allowed, got "User"',
    );
    expect(syntaxError('{allow; all}.').message).toBe('etc/acl.conf:1: syntax error: unexpected ";"');
    expect(syntaxError('{allow, all].').message).toBe('etc/acl.conf:1: syntax error: expected "," or "}", got "]"');
    expect(syntaxError('{allow, all').message).toBe('etc/acl.conf:1: syntax error: expected "," or "}", got end of file');
    expect(syntaxError('<<foo>>.').message).toBe('etc/acl.conf:1: syntax error: expected a string inside <<>>, got "foo"');
  });

  test('an empty or comment-only file has no terms', () => {
    expect(parseTerms('')).toEqual([]);
    expect(parseTerms('%% nothing\n   \n')).toEqual([]);
  });
});
