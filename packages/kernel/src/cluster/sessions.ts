// Sessions across nodes (reference: emqx_cm's open_session under emqx_cm_locker):
// a per-clientid lock in Redis, the registry row naming the node that holds the
// session, takeover in two calls to that node, discard for a clean start, and the
// persistent session's subscriptions kept in Redis so they survive a node crash.
import { randomBytes } from 'node:crypto';
import type { ChannelCore, ClusterSessions } from '../channel/core.js';
import type { SessionEvents } from '../cm/cm.js';
import { importQueue, type SessionSnapshot } from '../session/handover.js';
import type { Session } from '../session/session.js';
import type { SubOpts } from '../types.js';
import type { Peer } from './link.js';
import type { Store } from './store.js';
import { messageRecord } from './wire.js';

const LOCK_TTL = 15000;

/** the session lock stayed taken: CONNACK "client identifier not valid", as EMQX */
export class LockBusy extends Error {
  readonly code = 'session_lock_busy';
}

export interface SessionsHost {
  readonly self: string;
  readonly member: boolean;
  readonly store: Store;
  /** a live peer by node name */
  peer(node: string): Peer | undefined;
  /** waits until every live peer has these route rows of ours */
  confirmRoutes(rows: string[]): Promise<void>;
  rowsOf(session: Session): string[];
  sessions(): ReadonlyMap<string, Session>;
  readonly discardTimeout: number;
  readonly takeoverTimeout: number;
  log(level: 'warning' | 'error' | 'info', line: string): void;
}

export class ClusterSessionTable implements ClusterSessions, SessionEvents {
  private readonly locks = new Map<string, string>();
  private readonly dirty = new Set<string>();
  private flushing = false;
  /** takeover latency, ms, last ones (bench) */
  readonly takeovers: number[] = [];

  constructor(private readonly h: SessionsHost) {}

  get active(): boolean {
    return this.h.member;
  }

  async beforeOpen(clientid: string, cleanStart: boolean): Promise<SessionSnapshot | undefined> {
    const h = this.h;
    // Redis unreachable: the client gets in on this node alone (no takeover from a peer);
    // its registry row is written when Redis is back (reassert)
    if (!h.store.ready) return undefined;
    const token = randomBytes(8).toString('hex');
    let owner: string | null;
    let sess: Record<string, string>;
    try {
      for (let i = 0; ; i++) {
        if (await h.store.lock(clientid, token, LOCK_TTL)) break;
        // EMQX answers "client identifier not valid" when its lock is not acquired
        if (i >= 40) throw new LockBusy(`session lock of ${clientid} not acquired`);
        await new Promise((r) => setTimeout(r, 25));
      }
      this.locks.set(clientid, token);
      ({ owner, sess } = await h.store.lookup(clientid));
    } catch (err) {
      if (err instanceof LockBusy) throw err;
      // Redis failed under us (a failover): as while it is unreachable, this node alone
      h.log('warning', `session registry unreachable for ${clientid}: ${(err as Error).message}`);
      this.locks.delete(clientid);
      return undefined;
    }
    const peer = owner && owner !== h.self ? h.peer(owner) : undefined;
    if (peer) {
      if (cleanStart) {
        await peer.call('discard', { clientid }, h.discardTimeout).catch((e: Error) => h.log('warning', `discard of ${clientid} on ${owner}: ${e.message}`));
        return undefined;
      }
      const t0 = performance.now();
      try {
        const snap = await peer.call<SessionSnapshot | null>('takeover_begin', { clientid }, h.takeoverTimeout);
        if (snap) {
          (snap as SessionSnapshot & { from?: string; t0?: number }).from = owner!;
          (snap as SessionSnapshot & { t0?: number }).t0 = t0;
          return snap;
        }
      } catch (e) {
        // EMQX: a takeover that fails starts a fresh session
        h.log('warning', `takeover of ${clientid} from ${owner}: ${(e as Error).message}`);
        return undefined;
      }
    }
    if (owner === h.self) return undefined;
    if (cleanStart) {
      if (sess.node !== undefined) await h.store.dropSession(clientid);
      return undefined;
    }
    // the node that had it is gone: the persistent session's subscriptions are in Redis
    if (sess.subs !== undefined) {
      try {
        const subs = JSON.parse(sess.subs) as Array<[string, string, SubOpts]>;
        return { subs, inflight: [], mqueue: [], rels: [], nextPid: 1, createdAt: Date.now() };
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  afterOpen(ch: ChannelCore, session: Session, handover: SessionSnapshot | undefined): void {
    if (!this.h.member) return;
    const id = session.clientid;
    const from = (handover as (SessionSnapshot & { from?: string; t0?: number }) | undefined)?.from;
    if (from === undefined) {
      void this.finish(ch, session);
      return;
    }
    const t0 = (handover as SessionSnapshot & { t0: number }).t0;
    // the old node delivers until every peer routes to us; what it queued meanwhile comes back
    session.seen = new Set();
    const h = this.h;
    void h.confirmRoutes(h.rowsOf(session))
      .catch((e: Error) => h.log('warning', `takeover of ${id}: routes not confirmed: ${e.message}`))
      .then(() => h.peer(from)?.call<SessionSnapshot['mqueue']>('takeover_end', { clientid: id }, h.takeoverTimeout))
      .then((pendings) => {
        if (pendings && pendings.length) {
          // into the queue behind what is there, then drained: seen drops duplicates
          const tmp = { mqueue: pendings } as SessionSnapshot;
          const q: Session = session;
          importQueueDeduped(q, tmp.mqueue);
          q.drain();
        }
      })
      .catch((e: Error) => h.log('warning', `takeover of ${id} from ${from}: ${e.message}`))
      .finally(() => {
        session.seen = undefined;
        this.takeovers.push(performance.now() - t0);
        if (this.takeovers.length > 10000) this.takeovers.splice(0, 5000);
        void this.finish(ch, session);
      });
  }

  private async finish(ch: ChannelCore, session: Session): Promise<void> {
    const h = this.h;
    const id = session.clientid;
    if (!h.store.ready) return this.abortOpen(id);
    try {
      await h.store.claim(id, h.self);
      if (session.expiryInterval > 0) await this.save(session);
      else await h.store.dropSession(id);
      if (ch.will) await h.store.saveWill(h.self, id, JSON.stringify({ m: messageRecord(ch.will), d: ch.willDelay }));
    } catch (e) {
      h.log('warning', `registry row of ${id}: ${(e as Error).message}`);
    } finally {
      this.abortOpen(id);
    }
  }

  abortOpen(clientid: string): void {
    const token = this.locks.get(clientid);
    if (token === undefined) return;
    this.locks.delete(clientid);
    this.h.store.unlock(clientid, token).catch(() => undefined);
  }

  private save(s: Session): Promise<unknown> {
    const subs = [...s.subscriptions].map(([k, sub]) => [k, sub.filter, sub.opts]);
    return this.h.store.saveSession(s.clientid, this.h.self, s.expiryInterval, JSON.stringify(subs));
  }

  /** a subscription changed: persistent sessions are written once per event-loop turn */
  changed(s: Session): void {
    if (!this.h.member || s.expiryInterval === 0) return;
    this.dirty.add(s.clientid);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      const all = this.h.sessions();
      for (const id of this.dirty) {
        const s2 = all.get(id);
        if (s2 && s2.expiryInterval > 0) this.save(s2).catch((e: Error) => this.h.log('warning', `session row of ${id}: ${e.message}`));
      }
      this.dirty.clear();
    });
  }

  /** after a Redis restart: every local session's rows again */
  async reassert(): Promise<void> {
    for (const s of this.h.sessions().values()) {
      await this.h.store.claim(s.clientid, this.h.self);
      if (s.expiryInterval > 0) await this.save(s);
    }
  }

  // ---- SessionEvents ----

  ended(clientid: string): void {
    if (!this.h.member) return;
    this.h.store.release(clientid, this.h.self).catch(() => undefined);
  }

  moved(_clientid: string): void {
    // the new node claims the row; nothing to undo here
  }

  closed(clientid: string): void {
    if (!this.h.member) return;
    this.h.store.dropWill(this.h.self, clientid).catch(() => undefined);
  }
}

function importQueueDeduped(s: Session, q: SessionSnapshot['mqueue']): void {
  const seen = s.seen;
  const before = s.mqueue.length;
  importQueue(s, q);
  if (seen === undefined) return;
  // importQueue appended; drop the ones already delivered directly
  const keep = [];
  for (let i = 0, n = s.mqueue.length; i < n; i++) {
    const e = s.mqueue.shift()!;
    if (i < before || !seen.has(e.msg.id)) keep.push(e);
    if (i >= before) seen.add(e.msg.id);
  }
  for (const e of keep) s.mqueue.push(e);
}
