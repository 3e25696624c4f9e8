// `/clients` and `/subscriptions` rows of this node, filtered and sliced where they live so a
// page of 100 out of 100,000 clients costs one pass and no copies.
import { parseShare, topicMatches, type ClientQuery, type ClientRow, type Slice, type SubscriptionQuery, type SubscriptionRow } from '@nemq/sdk';
import type { Channel } from '../channel/channel.js';
import type { Session } from '../session/session.js';
import type { Zone } from '../zone.js';

export interface ClientSource {
  readonly nodeName: string;
  readonly cm: { readonly channels: ReadonlyMap<string, Channel>; readonly sessions: ReadonlyMap<string, Session> };
  zone(name: string): Zone;
}

/** every client id of this node: sessions (online or not), then channels still connecting */
function* ids(src: ClientSource): Generator<string> {
  yield* src.cm.sessions.keys();
  for (const id of src.cm.channels.keys()) if (!src.cm.sessions.has(id)) yield id;
}

export function clientRow(src: ClientSource, clientid: string): ClientRow | null {
  const s = src.cm.sessions.get(clientid);
  const ch = src.cm.channels.get(clientid);
  if (!s && !ch) return null;
  const ci = ch?.clientinfo;
  const conn = ch?.conninfo;
  const zone = ch?.zone ?? src.zone(ci?.zone ?? 'external');
  const t = ch?.transport as { bytesIn?: number; bytesOut?: number } | undefined;
  const row: ClientRow = {
    node: src.nodeName,
    clientid,
    username: ci?.username ?? null,
    proto_name: conn?.proto_name ?? 'MQTT',
    proto_ver: conn?.proto_ver ?? 4,
    ip_address: ci?.peerhost ?? '',
    port: ch?.transport.peerport ?? 0,
    is_bridge: ci?.is_bridge ?? false,
    connected_at: conn?.connected_at ?? 0,
    connected: ch?.connected ?? false,
    zone: ci?.zone ?? zone.name,
    keepalive: ch?.keepalive ?? 0,
    clean_start: conn?.clean_start ?? false,
    expiry_interval: s?.expiryInterval ?? 0,
    created_at: s?.createdAt ?? conn?.connected_at ?? 0,
    subscriptions_cnt: s?.subscriptions.size ?? 0,
    max_subscriptions: zone.maxSubscriptions,
    inflight: s?.inflight.size ?? 0,
    max_inflight: s?.opts.maxInflight ?? zone.maxInflight,
    mqueue_len: s?.mqueue.length ?? 0,
    max_mqueue: s?.opts.maxMqueueLen ?? zone.maxMqueueLen,
    mqueue_dropped: s?.mqueue.dropped ?? 0,
    awaiting_rel: s?.awaitingRel.size ?? 0,
    max_awaiting_rel: zone.maxAwaitingRel,
    recv_oct: t?.bytesIn ?? 0,
    recv_cnt: 0,
    recv_pkt: 0,
    recv_msg: 0,
    send_oct: t?.bytesOut ?? 0,
    send_cnt: 0,
    send_pkt: 0,
    send_msg: s?.delivered ?? 0,
    mailbox_len: 0,
    heap_size: 0,
    reductions: 0,
  };
  if (conn?.disconnected_at) row.disconnected_at = conn.disconnected_at;
  return row;
}

function range(v: number, gte: number | undefined, lte: number | undefined): boolean {
  return (gte === undefined || v >= gte) && (lte === undefined || v <= lte);
}

export function clientMatches(r: ClientRow, q: ClientQuery): boolean {
  if (q.clientid !== undefined && r.clientid !== q.clientid) return false;
  if (q.username !== undefined && r.username !== q.username) return false;
  if (q.zone !== undefined && r.zone !== q.zone) return false;
  if (q.ip_address !== undefined && r.ip_address !== q.ip_address) return false;
  if (q.conn_state !== undefined && r.connected !== (q.conn_state === 'connected')) return false;
  if (q.clean_start !== undefined && r.clean_start !== q.clean_start) return false;
  if (q.proto_name !== undefined && r.proto_name !== q.proto_name) return false;
  if (q.proto_ver !== undefined && r.proto_ver !== q.proto_ver) return false;
  if (q._like_clientid !== undefined && !r.clientid.includes(q._like_clientid)) return false;
  if (q._like_username !== undefined && !(r.username ?? '').includes(q._like_username)) return false;
  return range(r.created_at, q._gte_created_at, q._lte_created_at)
    && range(r.connected_at, q._gte_connected_at, q._lte_connected_at)
    && range(r.mqueue_len, q._gte_mqueue_len, q._lte_mqueue_len)
    && range(r.mqueue_dropped, q._gte_mqueue_dropped, q._lte_mqueue_dropped);
}

const FILTER_KEYS = new Set(['clientid', 'username', 'zone', 'ip_address', 'conn_state', 'clean_start', 'proto_name', 'proto_ver',
  '_like_clientid', '_like_username', '_gte_created_at', '_lte_created_at', '_gte_connected_at', '_lte_connected_at',
  '_gte_mqueue_len', '_lte_mqueue_len', '_gte_mqueue_dropped', '_lte_mqueue_dropped']);

export function listClients(src: ClientSource, q: ClientQuery & Slice): { rows: ClientRow[]; count: number } {
  const filtered = Object.keys(q).some((k) => FILTER_KEYS.has(k) && (q as unknown as Record<string, unknown>)[k] !== undefined);
  if (q.clientid !== undefined && !q._like_clientid) {
    // one lookup, as EMQX's ets:lookup for an exact clientid
    const r = clientRow(src, q.clientid);
    const hit = r && clientMatches(r, q) ? [r] : [];
    return { rows: q.skip === 0 ? hit.slice(0, q.limit) : [], count: hit.length };
  }
  const rows: ClientRow[] = [];
  let count = 0;
  const like = q._like_clientid;
  for (const id of ids(src)) {
    // the cheap test first: no row is built for a client id that does not match
    if (like !== undefined && !id.includes(like)) continue;
    if (!filtered) {
      if (count >= q.skip && rows.length < q.limit) rows.push(clientRow(src, id)!);
      count++;
      continue;
    }
    const r = clientRow(src, id);
    if (!r || !clientMatches(r, q)) continue;
    if (count >= q.skip && rows.length < q.limit) rows.push(r);
    count++;
  }
  return { rows, count };
}

export function listSubscriptions(src: ClientSource, q: SubscriptionQuery & Slice): { rows: SubscriptionRow[]; count: number } {
  const rows: SubscriptionRow[] = [];
  let count = 0;
  const take = (clientid: string, s: Session): void => {
    for (const [topic, sub] of s.subscriptions) {
      if (q.topic !== undefined && topic !== q.topic) continue;
      if (q.qos !== undefined && sub.opts.qos !== q.qos) continue;
      if (q.share !== undefined && sub.opts.share !== q.share) continue;
      if (q._match_topic !== undefined && !topicMatches(parseShare(topic)?.filter ?? topic, q._match_topic)) continue;
      if (count >= q.skip && rows.length < q.limit) rows.push({ node: src.nodeName, clientid, topic, qos: sub.opts.qos });
      count++;
    }
  };
  if (q.clientid !== undefined) {
    const s = src.cm.sessions.get(q.clientid);
    if (s) take(q.clientid, s);
  } else {
    for (const [id, s] of src.cm.sessions) take(id, s);
  }
  return { rows, count };
}
