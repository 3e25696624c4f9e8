// Topic trie with a route cache. Filters are stored split by level; `+` and `#` are
// ordinary keys of the children map. A publish looks its topic up in the cache first;
// any (un)subscribe clears the cache.
import type { Message, SubOpts } from '../types.js';

export interface Subscriber {
  readonly clientid: string;
  /** a delivery from the broker; `sub` says which subscription matched */
  deliver(msg: Message, sub: Subscription): void;
  /** false when a shared-subscription member should be skipped (offline and not persistent) */
  readonly available: boolean;
  /** set on a cluster peer standing in for its subscribers (cluster/routes.ts) */
  readonly remote?: boolean;
}

/** told when a filter gains its first subscriber on this node, or loses its last (the cluster's route rows) */
export type LocalRouteListener = (filter: string, group: string | undefined, added: boolean) => void;

export class Subscription {
  constructor(
    public readonly subscriber: Subscriber,
    /** the filter as stored in the trie (mounted, without `$share/g/`) */
    public readonly filter: string,
    public opts: SubOpts,
  ) {}
}

export class SharedGroup {
  members: Subscription[] = [];
  /** round robin cursor */
  next = 0;
  /** sticky choice */
  sticky: Subscription | undefined = undefined;
  /** members on this node (not cluster peers) */
  local = 0;
  constructor(public readonly group: string, public readonly filter: string) {}
}

class Node {
  children: Map<string, Node> | undefined = undefined;
  subs: Subscription[] | undefined = undefined;
  groups: Map<string, SharedGroup> | undefined = undefined;
  /** plain subscriptions on this node (not cluster peers) */
  local = 0;
}

export interface MatchResult {
  readonly subs: readonly Subscription[];
  readonly groups: readonly SharedGroup[];
  /** one subscriber holds several matching subscriptions */
  readonly overlap: boolean;
}

export interface ExactRoute {
  readonly subs: readonly Subscription[];
  readonly groups: ReadonlyMap<string, SharedGroup> | undefined;
}

const EMPTY: MatchResult = Object.freeze({ subs: [], groups: [], overlap: false });
const CACHE_MAX = 65536;

export class Router {
  private readonly root = new Node();
  private readonly cache = new Map<string, MatchResult>();
  private readonly exactCache = new Map<string, ExactRoute>();
  /** number of distinct filters holding at least one subscription */
  private filterCount = 0;
  /** the cluster, when there is one */
  onLocal: LocalRouteListener | undefined = undefined;

  get routeCount(): number {
    return this.filterCount;
  }

  add(sub: Subscription): void {
    const node = this.nodeFor(sub.filter, true)!;
    const group = sub.opts.share;
    const wasEmpty = isEmpty(node);
    const local = sub.subscriber.remote !== true;
    if (group === undefined) {
      (node.subs ??= []).push(sub);
      if (local && node.local++ === 0 && this.onLocal) this.onLocal(sub.filter, undefined, true);
    } else {
      node.groups ??= new Map();
      let g = node.groups.get(group);
      if (!g) node.groups.set(group, (g = new SharedGroup(group, sub.filter)));
      g.members.push(sub);
      if (local && g.local++ === 0 && this.onLocal) this.onLocal(sub.filter, group, true);
    }
    if (wasEmpty) this.filterCount++;
    (this.cache.clear(), this.exactCache.clear());
  }

  remove(sub: Subscription): boolean {
    const node = this.nodeFor(sub.filter, false);
    if (!node) return false;
    let removed = false;
    const group = sub.opts.share;
    const local = sub.subscriber.remote !== true;
    if (group === undefined) {
      removed = removeFrom(node.subs, sub);
      if (removed && local && --node.local === 0 && this.onLocal) this.onLocal(sub.filter, undefined, false);
    } else {
      const g = node.groups?.get(group);
      if (g) {
        removed = removeFrom(g.members, sub);
        if (g.sticky === sub) g.sticky = undefined;
        if (g.members.length === 0) node.groups!.delete(group);
        if (removed && local && --g.local === 0 && this.onLocal) this.onLocal(sub.filter, group, false);
      }
    }
    if (removed) {
      if (isEmpty(node)) {
        this.filterCount--;
        this.prune(sub.filter);
      }
      (this.cache.clear(), this.exactCache.clear());
    }
    return removed;
  }

  match(topic: string): MatchResult {
    const hit = this.cache.get(topic);
    if (hit !== undefined) return hit;
    const subs: Subscription[] = [];
    const groups: SharedGroup[] = [];
    const levels = topic.split('/');
    // [MQTT-4.7.2-1] a `$` topic is not matched by a filter starting with a wildcard
    walk(this.root, levels, 0, subs, groups, topic.charCodeAt(0) === 0x24);
    let res: MatchResult;
    if (subs.length === 0 && groups.length === 0) res = EMPTY;
    else res = { subs, groups, overlap: hasOverlap(subs) };
    // $SYS topics are mostly one-off (clients/<id>/connected): not worth a cache slot
    if (topic.charCodeAt(0) === 0x24 && topic.startsWith('$SYS/')) return res;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(topic, res);
    return res;
  }

  /** the subscriptions of exactly this filter (a forward from a cluster peer names its filter); cached as match() is */
  exact(filter: string): ExactRoute | undefined {
    let hit = this.exactCache.get(filter);
    if (hit !== undefined) return hit;
    const node = this.nodeFor(filter, false);
    if (!node) return undefined;
    hit = { subs: node.subs ?? [], groups: node.groups };
    if (this.exactCache.size >= CACHE_MAX) this.exactCache.clear();
    this.exactCache.set(filter, hit);
    return hit;
  }

  /** one row per (filter, node) as EMQX's emqx_route: this node's name for local subscribers, a peer's for remote */
  rows(self: string): Array<[filter: string, node: string]> {
    const out: Array<[string, string]> = [];
    const visit = (node: Node, path: string[]): void => {
      if (!isEmpty(node)) {
        const f = path.join('/');
        const seen = new Set<string>();
        const add = (s: Subscription): void => {
          const n = s.subscriber.remote === true ? s.subscriber.clientid : self;
          if (!seen.has(n)) (seen.add(n), out.push([f, n]));
        };
        node.subs?.forEach(add);
        if (node.groups) for (const g of node.groups.values()) g.members.forEach(add);
      }
      if (node.children) for (const [k, c] of node.children) visit(c, [...path, k]);
    };
    if (this.root.children) for (const [k, c] of this.root.children) visit(c, [k]);
    return out;
  }

  /** every filter with subscribers (for `routes list` and `$SYS` stats) */
  filters(): string[] {
    const out: string[] = [];
    const visit = (node: Node, path: string[]): void => {
      if (!isEmpty(node)) out.push(path.join('/'));
      if (node.children) for (const [k, c] of node.children) visit(c, [...path, k]);
    };
    if (this.root.children) for (const [k, c] of this.root.children) visit(c, [k]);
    return out;
  }

  private nodeFor(filter: string, create: boolean): Node | undefined {
    let node = this.root;
    for (const level of filter.split('/')) {
      let next = node.children?.get(level);
      if (!next) {
        if (!create) return undefined;
        next = new Node();
        (node.children ??= new Map()).set(level, next);
      }
      node = next;
    }
    return node;
  }

  private prune(filter: string): void {
    const levels = filter.split('/');
    const path: Node[] = [this.root];
    for (const level of levels) {
      const next = path[path.length - 1]!.children?.get(level);
      if (!next) return;
      path.push(next);
    }
    for (let i = levels.length; i > 0; i--) {
      const node = path[i]!;
      if (!isEmpty(node) || (node.children && node.children.size > 0)) return;
      path[i - 1]!.children!.delete(levels[i - 1]!);
    }
  }
}

function isEmpty(node: Node): boolean {
  return (node.subs === undefined || node.subs.length === 0) && (node.groups === undefined || node.groups.size === 0);
}

function removeFrom(list: Subscription[] | undefined, sub: Subscription): boolean {
  if (!list) return false;
  const i = list.indexOf(sub);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

function collect(node: Node, subs: Subscription[], groups: SharedGroup[]): void {
  if (node.subs) for (let i = 0; i < node.subs.length; i++) subs.push(node.subs[i]!);
  if (node.groups) for (const g of node.groups.values()) groups.push(g);
}

function walk(node: Node, levels: string[], i: number, subs: Subscription[], groups: SharedGroup[], dollar: boolean): void {
  const children = node.children;
  if (!children) return;
  const wild = !(dollar && i === 0);
  if (wild) {
    // `#` also matches the parent level: `a/#` matches `a` [MQTT-4.7.1-2]
    const hash = children.get('#');
    if (hash) collect(hash, subs, groups);
  }
  if (i === levels.length) return;
  const exact = children.get(levels[i]!);
  if (exact) {
    if (i + 1 === levels.length) collect(exact, subs, groups);
    walk(exact, levels, i + 1, subs, groups, dollar);
  }
  if (wild) {
    const plus = children.get('+');
    if (plus) {
      if (i + 1 === levels.length) collect(plus, subs, groups);
      walk(plus, levels, i + 1, subs, groups, dollar);
    }
  }
}

function hasOverlap(subs: Subscription[]): boolean {
  if (subs.length < 2) return false;
  const seen = new Set<Subscriber>();
  for (const s of subs) {
    // a peer gets one forward per matching filter (EMQX): never merged
    if (s.subscriber.remote === true) continue;
    if (seen.has(s.subscriber)) return true;
    seen.add(s.subscriber);
  }
  return false;
}
