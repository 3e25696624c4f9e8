// Flapping detection (EMQX's emqx_flapping): a client id that goes from connected
// to disconnected `threshold` times within `window` is banned for `ban time`.
import type { FlappingPolicy } from '../config/types.js';
import type { Banned } from './banned.js';

interface Count {
  startedAt: number;
  n: number;
}

export class Flapping {
  private readonly counts = new Map<string, Count>();

  constructor(private readonly banned: Banned, public policy: FlappingPolicy, private readonly warn: (line: string) => void) {}

  /** one disconnect of a connected client; true when it got banned by it */
  detect(clientid: string, peerhost: string, now = Date.now()): boolean {
    const p = this.policy;
    let c = this.counts.get(clientid);
    if (!c || now - c.startedAt >= p.windowMs) {
      c = { startedAt: now, n: 0 };
      this.counts.set(clientid, c);
    }
    c.n++;
    if (c.n < p.threshold) return false;
    this.counts.delete(clientid);
    this.warn(`Flapping detected: ${clientid}(${peerhost}) disconnected ${c.n} times in ${p.windowMs}ms`);
    const at = Math.floor(now / 1000);
    this.banned.add({ as: 'clientid', who: clientid, by: 'flapping detector', reason: 'flapping is detected', at, until: at + Math.ceil(p.banMs / 1000) });
    return true;
  }

  /** forgets counts whose window has passed */
  sweep(now = Date.now()): void {
    for (const [k, c] of this.counts) if (now - c.startedAt >= this.policy.windowMs) this.counts.delete(k);
  }
}
