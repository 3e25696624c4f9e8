import { isUtf8 } from 'node:buffer';

// Below this length strings are scanned byte by byte in JS, which beats the
// native round trip for the short topics/client ids typical in MQTT.
const SHORT = 64;

/**
 * Decodes an MQTT UTF-8 string from b[s, e). Returns null when the bytes are
 * not well-formed UTF-8 (this also rejects surrogates and overlong forms,
 * [MQTT-1.5.4-1]) or contain U+0000 [MQTT-1.5.4-2].
 */
export function decodeString(b: Buffer, s: number, e: number): string | null {
  if (e - s <= SHORT) {
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c === 0) return null;
      if (c > 0x7f) return decodeSlow(b, s, e);
    }
    return b.toString('latin1', s, e);
  }
  return decodeSlow(b, s, e);
}

function decodeSlow(b: Buffer, s: number, e: number): string | null {
  const v = b.subarray(s, e);
  if (!isUtf8(v) || v.indexOf(0) !== -1) return null;
  return b.toString('utf8', s, e);
}

/** UTF-8 byte length of s (lone surrogates count as the 3-byte replacement character, as Buffer writes them). */
export function utf8Length(s: string): number {
  const n = s.length;
  if (n <= SHORT) {
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
  if (n <= SHORT) {
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        len = buf.write(s, start, 'utf8');
        break;
      }
      buf[start + i] = c;
    }
  } else {
    len = buf.write(s, start, 'utf8');
  }
  buf[off] = len >>> 8;
  buf[off + 1] = len & 0xff;
  return start + len;
}
