// The replica of the peers' route rows (EMQX's emqx_route: one row per filter and node,
// `$share/<group>/<filter>` for a shared group's member node). Each row is one
// subscription in this node's own router whose subscriber stands for the peer, so a
// publish matches local and remote routes in one trie walk.
import { parseShare } from '@nemq/sdk';
import { Subscription, type Router, type Subscriber } from '../router/router.js';
import type { Message } from '../types.js';
import type { Peer } from './link.js';

/** a row as stored: the filter, or `$share/<group>/<filter>` */
export function rowOf(filter: string, group: string | undefined): string {
  return group === undefined ? filter : `$share/${group}/${filter}`;
}

/** a peer in the router: every delivery to it is a forward on its links */
export class RemoteNode implements Subscriber {
  readonly remote = true;
  readonly available = true;
  peer: Peer | undefined = undefined;
  readonly rows = new Map<string, Subscription>();

  constructor(readonly clientid: string, private readonly counts: { 'messages.forward': number; 'messages.forward.dropped': number }) {}

  deliver(msg: Message, sub: Subscription): void {
    const p = this.peer;
    if (p === undefined) {
      this.counts['messages.forward.dropped']++;
      return;
    }
    if (p.forward(sub.filter, sub.opts.share, msg)) this.counts['messages.forward']++;
  }
}

export class RemoteRoutes {
  readonly nodes = new Map<string, RemoteNode>();

  constructor(private readonly router: Router, private readonly counts: { 'messages.forward': number; 'messages.forward.dropped': number }) {}

  node(name: string): RemoteNode {
    let n = this.nodes.get(name);
    if (!n) this.nodes.set(name, (n = new RemoteNode(name, this.counts)));
    return n;
  }

  add(name: string, row: string): void {
    const n = this.node(name);
    if (n.rows.has(row)) return;
    const s = parseShare(row);
    if (!s) return;
    const sub = new Subscription(n, s.filter, s.group === undefined ? { qos: 2, nl: 0, rap: 1, rh: 0 } : { qos: 2, nl: 0, rap: 1, rh: 0, share: s.group });
    n.rows.set(row, sub);
    this.router.add(sub);
  }

  del(name: string, row: string): void {
    const n = this.nodes.get(name);
    const sub = n?.rows.get(row);
    if (!sub) return;
    n!.rows.delete(row);
    this.router.remove(sub);
  }

  /** a full copy of one peer's rows (join, resync): the difference is applied */
  set(name: string, rows: Iterable<string>): void {
    const n = this.node(name);
    const want = new Set(rows);
    for (const row of [...n.rows.keys()]) if (!want.has(row)) this.del(name, row);
    for (const row of want) this.add(name, row);
  }

  drop(name: string): void {
    const n = this.nodes.get(name);
    if (!n) return;
    for (const sub of n.rows.values()) this.router.remove(sub);
    n.rows.clear();
    n.peer = undefined;
    this.nodes.delete(name);
  }

  get size(): number {
    let k = 0;
    for (const n of this.nodes.values()) k += n.rows.size;
    return k;
  }
}
