// Base 62 as EMQX writes it: message ids (emqx_guid's to_base62: digits, A-Z, a-z) and
// payloads (emqx_base62, the web hook's `encoding_of_payload_field = base62`).

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** a message id in base 62 (digits, A-Z, a-z), as EMQX writes ids */
export function base62Id(n: number): string {
  let v = Math.max(0, Math.floor(n));
  if (v === 0) return '0';
  let s = '';
  while (v > 0) {
    s = ALPHABET[v % 62]! + s;
    v = Math.floor(v / 62);
  }
  return s;
}

/** the number back, or undefined when `s` is not base 62 or too large */
export function unbase62Id(s: string): number | undefined {
  let v = 0;
  for (const ch of s) {
    const d = ALPHABET.indexOf(ch);
    if (d < 0) return undefined;
    v = v * 62 + d;
  }
  return s.length > 0 && Number.isSafeInteger(v) ? v : undefined;
}

/** EMQX's base62 (emqx_base62): base64's 6-bit groups over A-Z a-z 0-8, 61..63 as `9A`..`9C`, no padding */
export function base62Encode(buf: Buffer): string {
  let out = '';
  const ch = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : i < 52 ? String.fromCharCode(97 + i - 26) : i < 61 ? String.fromCharCode(48 + i - 52) : `9${String.fromCharCode(65 + i - 61)}`);
  let i = 0;
  for (; i + 3 <= buf.length; i += 3) {
    const n = (buf[i]! << 16) | (buf[i + 1]! << 8) | buf[i + 2]!;
    out += ch(n >> 18) + ch((n >> 12) & 63) + ch((n >> 6) & 63) + ch(n & 63);
  }
  const rest = buf.length - i;
  if (rest === 2) {
    // 16 bits: 6, 6 and the last 4 as a value below 16
    const n = (buf[i]! << 8) | buf[i + 1]!;
    out += ch(n >> 10) + ch((n >> 4) & 63) + ch(n & 15);
  } else if (rest === 1) {
    const n = buf[i]!;
    out += ch(n >> 2) + ch(n & 3);
  }
  return out;
}
