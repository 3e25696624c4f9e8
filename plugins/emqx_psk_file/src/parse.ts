// psk.txt: one `<identity><delimiter><secret>` a line (EMQX 4.3 emqx_psk_file).

export interface PskTable {
  /** identity → secret bytes */
  readonly secrets: Map<string, Buffer>;
  /** lines that were skipped, 1-based, with why */
  readonly skipped: ReadonlyArray<{ readonly line: number; readonly reason: string }>;
}

/**
 * The identity is everything before the first delimiter, the secret everything after it, less the
 * line ending. Blank lines and `#` comments are skipped; so is a line without the delimiter, an
 * empty identity or an empty secret (EMQX stops reading at the first bad line; we go on and say so).
 */
export function parsePsk(text: string, delimiter = ':'): PskTable {
  if (delimiter === '') throw new Error('psk.file.delimiter must not be empty');
  const secrets = new Map<string, Buffer>();
  const skipped: Array<{ line: number; reason: string }> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const at = line.indexOf(delimiter);
    const why = at < 0 ? `no ${JSON.stringify(delimiter)}` : at === 0 ? 'empty identity' : at + delimiter.length === line.length ? 'empty secret' : undefined;
    if (why !== undefined) {
      skipped.push({ line: i + 1, reason: why });
      continue;
    }
    secrets.set(line.slice(0, at), Buffer.from(line.slice(at + delimiter.length), 'utf8'));
  }
  return { secrets, skipped };
}
