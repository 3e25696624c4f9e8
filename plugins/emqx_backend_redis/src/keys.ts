// EMQX's documented Redis layout (Enterprise "Redis Backend"), and the helpers around it:
//   mqtt:client:<clientid>  hash  state (1 online, 0 offline), online_at, offline_at (seconds)
//   mqtt:node:<node>        hash  <clientid> → connect time (seconds)
//   mqtt:sub:<clientid>     hash  <topic filter> → qos
//   mqtt:msg:<msgid>        hash  id, from, qos, topic, retain, payload, ts
//   mqtt:msg:<topic>        zset  msgids of the topic, scored by publish time (ms)
//   mqtt:retain:<topic>     hash  id, from, qos, topic, retain, payload, ts
//   mqtt:acked:<clientid>:<topic>  string  the last msgid the client acknowledged on the topic
import type { Message } from '@nemq/sdk';

export const clientKey = (cid: string): string => `mqtt:client:${cid}`;
export const nodeKey = (node: string): string => `mqtt:node:${node}`;
export const subKey = (cid: string): string => `mqtt:sub:${cid}`;
export const msgKey = (id: string): string => `mqtt:msg:${id}`;
export const topicKey = (topic: string): string => `mqtt:msg:${topic}`;
export const retainKey = (topic: string): string => `mqtt:retain:${topic}`;
export const ackedKey = (cid: string, topic: string): string => `mqtt:acked:${cid}:${topic}`;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** a message id in base 62 (digits, A-Z, a-z), as EMQX writes ids */
export function base62(n: number): string {
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
export function unbase62(s: string): number | undefined {
  let v = 0;
  for (const ch of s) {
    const d = ALPHABET.indexOf(ch);
    if (d < 0) return undefined;
    v = v * 62 + d;
  }
  return s.length > 0 && Number.isSafeInteger(v) ? v : undefined;
}

/** the message hash fields EMQX stores (mqtt:msg:<id>, mqtt:retain:<topic>); ts in seconds */
export function messageFields(m: Message): Array<string | Buffer | number> {
  return ['id', base62(m.id), 'from', m.from, 'qos', m.qos, 'topic', m.topic, 'retain', m.flags.retain ? 'true' : 'false', 'payload', m.payload, 'ts', Math.floor(m.timestamp / 1000)];
}

let fallbackId = 1;

/** a stored hash as a Message to deliver; undefined when the hash is empty or broken */
export function storedMessage(h: Record<string, Buffer>, retain: boolean): Message | undefined {
  const topic = h.topic?.toString();
  if (topic === undefined || topic === '') return undefined;
  const qos = Number(h.qos?.toString() ?? '0');
  const ts = Number(h.ts?.toString() ?? '0');
  const id = unbase62(h.id?.toString() ?? '') ?? fallbackId++;
  return {
    id,
    qos: (qos === 1 || qos === 2 ? qos : 0) as Message['qos'],
    from: h.from?.toString() ?? '',
    flags: { retain, dup: false, sys: false },
    topic,
    payload: h.payload ?? Buffer.alloc(0),
    properties: undefined,
    timestamp: Number.isFinite(ts) && ts > 0 ? ts * 1000 : Date.now(),
    headers: retain ? { retained: true } : {},
  };
}

/** a Redis glob that matches keys `<prefix><topic>` for topics `filter` may match (the part before the first wildcard, escaped) */
export function scanPattern(prefix: string, filter: string): string {
  const levels = filter.split('/');
  const fixed: string[] = [];
  for (const l of levels) {
    if (l === '+' || l === '#') break;
    fixed.push(l);
  }
  let head = fixed.join('/');
  if (fixed.length < levels.length && fixed.length > 0) head += '/';
  // '#' also matches the parent level itself: a/# matches a
  if (levels[fixed.length] === '#' && fixed.length > 0) head = fixed.join('/');
  return prefix + head.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + '*';
}

export const hasWildcard = (f: string): boolean => f.includes('+') || f.includes('#');
