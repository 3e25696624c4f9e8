// A session as it moves between cluster nodes (takeover, reference: emqx_session's
// record handed over by {takeover,'begin'}): JSON-able, messages in the cluster wire form.
import type { SubOpts } from '../types.js';
import { fromRecord, messageRecord } from '../cluster/wire.js';
import { AWAIT_COMP } from './inflight.js';
import { Queued } from './mqueue.js';
import type { Session } from './session.js';

export interface SessionSnapshot {
  /** [key as subscribed, filter as routed, opts] */
  subs: Array<[string, string, SubOpts]>;
  /** [packet id, awaiting PUBCOMP, message, qos, retain, subids] */
  inflight: Array<[number, boolean, string, number, boolean, number[] | null]>;
  /** [message, qos, retain, subids] */
  mqueue: Array<[string, number, boolean, number[] | null]>;
  /** incoming QoS 2 ids awaiting PUBREL */
  rels: number[];
  nextPid: number;
  createdAt: number;
}

/** what is queued: taken out of the session (it now belongs elsewhere) */
export function takeQueue(s: Session): SessionSnapshot['mqueue'] {
  const out: SessionSnapshot['mqueue'] = [];
  for (let q = s.mqueue.shift(); q !== undefined; q = s.mqueue.shift()) out.push([messageRecord(q.msg), q.qos, q.retain, q.subids ?? null]);
  return out;
}

/** the whole session; its window and queue are emptied (messages arriving later queue again) */
export function exportSession(s: Session): SessionSnapshot {
  const inflight: SessionSnapshot['inflight'] = [];
  s.inflight.forEach((id, phase, msg, qos, retain, subids) => inflight.push([id, phase === AWAIT_COMP, messageRecord(msg), qos, retain, subids ?? null]));
  s.inflight.clear();
  return {
    subs: [...s.subscriptions].map(([k, sub]) => [k, sub.filter, sub.opts]),
    inflight,
    mqueue: takeQueue(s),
    rels: [...s.awaitingRel.keys()],
    nextPid: s.peekPid(),
    createdAt: s.createdAt,
  };
}

/** fills a new session; its subscriptions are returned for the router */
export function importSession(s: Session, snap: SessionSnapshot): void {
  const now = Date.now();
  for (const [id, comp, m, qos, retain, subids] of snap.inflight) {
    s.inflight.add(id, fromRecord(m), qos, retain, subids ?? undefined, now);
    if (comp) s.inflight.toComp(s.inflight.find(id), now);
  }
  importQueue(s, snap.mqueue);
  for (const pid of snap.rels) s.awaitRel(pid);
  s.setPid(snap.nextPid);
}

export function importQueue(s: Session, q: SessionSnapshot['mqueue']): void {
  for (const [m, qos, retain, subids] of q) s.mqueue.push(new Queued(fromRecord(m), qos, retain, subids ?? undefined));
}
