// Picks one member of a shared-subscription group (reference §8.1).
import type { Message } from '../types.js';
import type { SharedGroup, Subscription } from '../router/router.js';

export type SharedStrategy = 'random' | 'round_robin' | 'sticky' | 'hash' | 'hash_clientid' | 'hash_topic' | 'local';

/** `localOnly`: a forward from a peer picks among this node's members only */
export function pickMember(g: SharedGroup, strategy: SharedStrategy, msg: Message, localOnly = false): Subscription | undefined {
  const members = g.members;
  const n = members.length;
  if (n === 0) return undefined;
  if (strategy === 'sticky') {
    const s = g.sticky;
    if (s !== undefined && s.subscriber.available && !(localOnly && s.subscriber.remote === true)) return s;
  }
  let start: number;
  switch (strategy) {
    case 'round_robin':
      start = g.next++ % n;
      if (g.next >= n) g.next = 0;
      break;
    case 'hash':
    case 'hash_clientid':
      start = hash(msg.from) % n;
      break;
    case 'hash_topic':
      start = hash(msg.topic) % n;
      break;
    default:
      start = (Math.random() * n) | 0;
  }
  // prefer an online member; else a persistent offline one (its message is queued)
  let fallback: Subscription | undefined;
  for (let k = 0; k < n; k++) {
    const m = members[(start + k) % n]!;
    const sub = m.subscriber as { outlet?: unknown; available: boolean; remote?: boolean };
    // `local`: a member on this node when there is one, a peer's only when not
    if (sub.remote === true && (localOnly || (strategy === 'local' && g.local > 0))) continue;
    if (sub.outlet !== undefined || sub.remote === true) {
      if (strategy === 'sticky') g.sticky = m;
      return m;
    }
    if (fallback === undefined && sub.available) fallback = m;
  }
  if (strategy === 'sticky' && fallback) g.sticky = fallback;
  return fallback;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
