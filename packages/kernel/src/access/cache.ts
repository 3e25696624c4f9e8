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
import type { AclAction } from './acl.js';

export interface AclCacheOptions {
  /** Max entries (EMQX `acl_cache_max_size`, default 32). */
  readonly maxSize?: number;
  /** Entry lifetime in ms (EMQX `acl_cache_ttl`, default 60000). */
  readonly ttl?: number;
  /** Clock in ms; default `Date.now`. */
  readonly now?: () => number;
}

interface Entry {
  readonly result: 'allow' | 'deny';
  readonly at: number;
}

export class AclCache {
  readonly maxSize: number;
  readonly ttl: number;
  private readonly now: () => number;
  /** Insertion order = storage order; oldest first. */
  private readonly entries = new Map<string, Entry>();
  private drainedAt = -Infinity;
  private newestAt = -Infinity;

  constructor(opts: AclCacheOptions = {}) {
    this.maxSize = Math.max(1, opts.maxSize ?? 32);
    this.ttl = opts.ttl ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(action: AclAction, topic: string): 'allow' | 'deny' | undefined {
    const e = this.entries.get(key(action, topic));
    if (e === undefined) return undefined;
    if (this.expired(e, this.now())) {
      this.cleanup();
      return undefined;
    }
    return e.result;
  }

  put(action: AclAction, topic: string, result: 'allow' | 'deny'): void {
    const now = this.now();
    const k = key(action, topic);
    if (this.entries.has(k)) {
      this.entries.delete(k);
    } else if (this.entries.size >= this.maxSize) {
      // entries are stored in time order, so the last one stored is the newest
      if (this.expired({ result: 'allow', at: this.newestAt }, now)) {
        this.entries.clear();
      } else {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
    }
    this.entries.set(k, { result, at: now });
    this.newestAt = now;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Expire every entry stored at or before `at` (default: now). */
  drain(at: number = this.now()): void {
    this.drainedAt = Math.max(this.drainedAt, at);
  }

  /** Live entries, oldest first. */
  list(): Array<{ action: AclAction; topic: string; result: 'allow' | 'deny'; at: number }> {
    this.cleanup();
    return [...this.entries].map(([k, e]) => {
      const action: AclAction = k.startsWith('p:') ? 'publish' : 'subscribe';
      return { action, topic: k.slice(2), result: e.result, at: e.at };
    });
  }

  private expired(e: Entry, now: number): boolean {
    return e.at <= this.drainedAt || e.at + this.ttl <= now;
  }

  /** Drop expired entries (all of them: entries are stored in time order, but drain can expire any). */
  private cleanup(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (this.expired(e, now)) this.entries.delete(k);
  }
}

function key(action: AclAction, topic: string): string {
  return action === 'publish' ? `p:${topic}` : `s:${topic}`;
}
