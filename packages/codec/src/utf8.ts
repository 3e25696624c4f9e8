/**
 * Buffer.prototype.latin1Slice / utf8Slice / utf8Write are what toString()
 * and write() call after decoding their arguments; calling them directly
 * saves that overhead on the hot path. They are not documented, so fall back
 * to the public API when a runtime lacks them.
 */
interface BufferInternals {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  utf8Write(s: string, offset: number): number;
}
const internals = Buffer.prototype as unknown as Partial<BufferInternals>;
const FAST = typeof internals.latin1Slice === 'function' && typeof internals.utf8Slice === 'function' &&
  typeof internals.utf8Write === 'function';

// Crossover points measured on Node 20: below them a JS loop beats the
// native call overhead, above them the native path wins.
const SHORT_DECODE = 16;
const SHORT_LENGTH = 8;
const SHORT_WRITE = 16;

/**
 * Decodes an MQTT UTF-8 string from b[s, e). Returns null when the bytes are
 * not well-formed UTF-8 (this also rejects surrogates and overlong forms,
 * [MQTT-1.5.4-1]) or contain U+0000 [MQTT-1.5.4-2].
 */
export function decodeString(b: Buffer, s: number, e: number): string | null {
  if (e - s <= SHORT_DECODE) {
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c === 0) return null;
      if (c > 0x7f) {
        if (!validUtf8(b, i, e)) return null;
        return FAST ? (b as unknown as BufferInternals).utf8Slice(s, e) : b.toString('utf8', s, e);
      }
    }
    return FAST ? (b as unknown as BufferInternals).latin1Slice(s, e) : b.toString('latin1', s, e);
  }
  // The decoder replaces every ill-formed sequence with U+FFFD, so a result
  // without U+FFFD came from valid input; with one, check the bytes exactly.
  const r = FAST ? (b as unknown as BufferInternals).utf8Slice(s, e) : b.toString('utf8', s, e);
  if (r.includes('\0')) return null;
  if (r.includes('\ufffd') && !validUtf8(b, s, e)) return null;
  return r;
}

/**
 * Checks that b[i, e) is well-formed UTF-8 without U+0000 (Unicode table 3-7:
 * no overlong forms, no surrogates, nothing above U+10FFFF).
 */
export function validUtf8(b: Buffer, i: number, e: number): boolean {
  while (i < e) {
    const c = b[i]!;
    if (c < 0x80) {
      if (c === 0) return false;
      i++;
    } else if (c < 0xc2) {
      return false; // continuation byte, or overlong 2-byte form
    } else if (c < 0xe0) {
      if (i + 1 >= e || (b[i + 1]! & 0xc0) !== 0x80) return false;
      i += 2;
    } else if (c < 0xf0) {
      if (i + 2 >= e) return false;
      const c1 = b[i + 1]!;
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80) return false;
      if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return false; // overlong / surrogate
      i += 3;
    } else if (c < 0xf5) {
      if (i + 3 >= e) return false;
      const c1 = b[i + 1]!;
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80 || (b[i + 3]! & 0xc0) !== 0x80) return false;
      if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return false; // overlong / above U+10FFFF
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}


/** UTF-8 byte length of s (lone surrogates count as the 3-byte replacement character, as Buffer writes them). */
export function utf8Length(s: string): number {
  const n = s.length;
  if (n <= SHORT_LENGTH) {
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
    }
    return n;
  }
  return Buffer.byteLength(s, 'utf8');
}

/**
 * Writes s as a 2-byte-length-prefixed UTF-8 string at off and returns the
 * offset after it. The caller has sized the buffer exactly (utf8Length).
 */
export function writeString(buf: Buffer, off: number, s: string): number {
  const n = s.length;
  const start = off + 2;
  let len = n;
  if (n <= SHORT_WRITE) {
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        len = FAST ? (buf as unknown as BufferInternals).utf8Write(s, start) : buf.write(s, start, 'utf8');
        break;
      }
      buf[start + i] = c;
    }
  } else {
    len = FAST ? (buf as unknown as BufferInternals).utf8Write(s, start) : buf.write(s, start, 'utf8');
  }
  buf[off] = len >>> 8;
  buf[off + 1] = len & 0xff;
  return start + len;
}
