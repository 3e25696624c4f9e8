import { parsePsk } from '../src/parse';

describe('psk.txt parsing', () => {
  test('identity before the first delimiter, the secret after it as bytes, CRLF endings dropped', () => {
    const t = parsePsk('client1:1234\r\nclient2:ab:cd\n');
    expect([...t.secrets.keys()]).toEqual(['client1', 'client2']);
    expect(t.secrets.get('client1')).toEqual(Buffer.from('1234'));
    expect(t.secrets.get('client2')).toEqual(Buffer.from('ab:cd'));
    expect(t.skipped).toEqual([]);
  });

  test('another delimiter, several characters long', () => {
    const t = parsePsk('dev-1=>s3cret\n', '=>');
    expect(t.secrets.get('dev-1')).toEqual(Buffer.from('s3cret'));
  });

  test('blank lines and # comments are skipped silently; bad lines are skipped with their line number, the rest still load', () => {
    const t = parsePsk('# devices\n\nnodelimiter\n:nosuchid\nempty:\ngood:1\n');
    expect([...t.secrets.keys()]).toEqual(['good']);
    expect(t.skipped).toEqual([
      { line: 3, reason: 'no ":"' },
      { line: 4, reason: 'empty identity' },
      { line: 5, reason: 'empty secret' },
    ]);
  });

  test('a later line for the same identity wins; an empty delimiter is refused', () => {
    expect(parsePsk('a:1\na:2\n').secrets.get('a')).toEqual(Buffer.from('2'));
    expect(() => parsePsk('a:1', '')).toThrow(/delimiter/);
  });
});
