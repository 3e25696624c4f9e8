// Per-client ACL cache (EMQX enable_acl_cache, acl_cache_max_size, acl_cache_ttl).
import type { AclResult, PubSub } from '../types.js';

export class AclCache {
  private readonly map = new Map<string, { r: AclResult; at: number }>();
  constructor(private readonly max: number, private readonly ttl: number) {}

  get(action: PubSub, topic: string, now: number): AclResult | undefined {
    const k = action === 'publish' ? 'p' + topic : 's' + topic;
    const e = this.map.get(k);
    if (e === undefined) return undefined;
    if (now - e.at >= this.ttl) {
      this.map.delete(k);
      return undefined;
    }
    return e.r;
  }

  put(action: PubSub, topic: string, r: AclResult, now: number): void {
    if (this.max <= 0) return;
    const k = action === 'publish' ? 'p' + topic : 's' + topic;
    if (this.map.size >= this.max && !this.map.has(k)) {
      const first = this.map.keys().next();
      if (!first.done) this.map.delete(first.value);
    }
    this.map.set(k, { r, at: now });
  }

  clear(): void {
    this.map.clear();
  }
}
