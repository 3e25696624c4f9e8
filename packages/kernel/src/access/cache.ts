/**
 * Per-connection ACL cache with EMQX 4.3 semantics (emqx_acl_cache):
 *
 * - key: action + topic; at most `maxSize` entries, each valid for `ttl` ms
 *   from when it was stored;
 * - when full, the entry stored longest ago is evicted (storing an existing
 *   key again refreshes it; a `get` does not reorder), except that if even
 *   the newest entry has expired the whole cache is emptied first;
 * - an expired hit drops every expired entry and reports a miss;
 * - `drain(at)` expires everything stored at or before `at` (EMQX's global
 *   "drain by timestamp" used on ACL reload).
 *
 * Pure: time comes from the injected `now()`.
 */
import type { AclAction } from '@nemq/sdk';

export interface AclCacheOptions {
  /** Max entries (EMQX `acl_cache_max_size`, default 32). */
  readonly maxSize?: number;
  /** Entry lifetime in ms (EMQX `acl_cache_ttl`, default 60000). */
  readonly ttl?: number;
  /** Clock in ms; default `Date.now`. */
  readonly now?: () => number;
}

class Entry {
  constructor(
    readonly result: 'allow' | 'deny',
    readonly at: number,
    /** storage order across both maps */
    readonly seq: number,
  ) {}
}

export class AclCache {
  readonly maxSize: number;
  readonly ttl: number;
  private readonly now: () => number;
  /** One map per action, so a lookup builds no key string. Insertion order = storage order. */
  private readonly pub = new Map<string, Entry>();
  private readonly sub = new Map<string, Entry>();
  private seq = 0;
  private drainedAt = -Infinity;
  private newestAt = -Infinity;

  constructor(opts: AclCacheOptions = {}) {
    this.maxSize = Math.max(1, opts.maxSize ?? 32);
    this.ttl = opts.ttl ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.pub.size + this.sub.size;
  }

  get(action: AclAction, topic: string): 'allow' | 'deny' | undefined {
    const e = (action === 'publish' ? this.pub : this.sub).get(topic);
    if (e === undefined) return undefined;
    if (this.expired(e, this.now())) {
      this.cleanup();
      return undefined;
    }
    return e.result;
  }

  put(action: AclAction, topic: string, result: 'allow' | 'deny'): void {
    const now = this.now();
    const map = action === 'publish' ? this.pub : this.sub;
    if (map.has(topic)) {
      map.delete(topic);
    } else if (this.size >= this.maxSize) {
      // entries are stored in time order, so the last one stored is the newest
      if (this.newestAt <= this.drainedAt || this.newestAt + this.ttl <= now) {
        this.clear();
      } else {
        this.evictOldest();
      }
    }
    map.set(topic, new Entry(result, now, ++this.seq));
    this.newestAt = now;
  }

  clear(): void {
    this.pub.clear();
    this.sub.clear();
  }

  /** Expire every entry stored at or before `at` (default: now). */
  drain(at: number = this.now()): void {
    this.drainedAt = Math.max(this.drainedAt, at);
  }

  /** Live entries, oldest first. */
  list(): Array<{ action: AclAction; topic: string; result: 'allow' | 'deny'; at: number }> {
    this.cleanup();
    const all = [
      ...[...this.pub].map(([topic, e]) => ({ action: 'publish' as AclAction, topic, e })),
      ...[...this.sub].map(([topic, e]) => ({ action: 'subscribe' as AclAction, topic, e })),
    ].sort((a, b) => a.e.seq - b.e.seq);
    return all.map(({ action, topic, e }) => ({ action, topic, result: e.result, at: e.at }));
  }

  private evictOldest(): void {
    const p = this.pub.entries().next();
    const s = this.sub.entries().next();
    if (p.done && s.done) return;
    if (s.done || (!p.done && p.value[1].seq < s.value[1].seq)) this.pub.delete(p.value![0]);
    else this.sub.delete(s.value[0]);
  }

  private expired(e: Entry, now: number): boolean {
    return e.at <= this.drainedAt || e.at + this.ttl <= now;
  }

  /** Drop expired entries (all of them: entries are stored in time order, but drain can expire any). */
  private cleanup(): void {
    const now = this.now();
    for (const map of [this.pub, this.sub]) for (const [k, e] of map) if (this.expired(e, now)) map.delete(k);
  }
}
