// Per-client ACL cache (EMQX enable_acl_cache, acl_cache_max_size, acl_cache_ttl).
// One map per action so a lookup builds no key string.
import type { AclResult, PubSub } from '../types.js';

class Entry {
  constructor(public r: AclResult, public at: number) {}
}

export class AclCache {
  private readonly pub = new Map<string, Entry>();
  private readonly sub = new Map<string, Entry>();
  constructor(private readonly max: number, private readonly ttl: number) {}

  get(action: PubSub, topic: string, now: number): AclResult | undefined {
    const map = action === 'publish' ? this.pub : this.sub;
    const e = map.get(topic);
    if (e === undefined) return undefined;
    if (now - e.at >= this.ttl) {
      map.delete(topic);
      return undefined;
    }
    return e.r;
  }

  put(action: PubSub, topic: string, r: AclResult, now: number): void {
    if (this.max <= 0) return;
    const map = action === 'publish' ? this.pub : this.sub;
    if (this.pub.size + this.sub.size >= this.max && !map.has(topic)) {
      // evict the oldest entry of the fuller map
      const victim = this.pub.size >= this.sub.size ? this.pub : this.sub;
      const first = victim.keys().next();
      if (!first.done) victim.delete(first.value);
    }
    map.set(topic, new Entry(r, now));
  }

  clear(): void {
    this.pub.clear();
    this.sub.clear();
  }
}
