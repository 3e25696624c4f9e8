// The JSON body EMQX 4.3's web hook POSTs for each event. EMQX builds an Erlang map and encodes
// it, and a small map's keys come out in sorted order, so the keys here are written sorted too:
// the bytes match. An unknown username is null; times are ms since the epoch.
import type { ClientInfo, ConnInfo, Message, SubOpts } from '@nemq/sdk';
import type { Encoding } from './config.js';

const q = JSON.stringify;

/** EMQX's base62 (emqx_base62): base64's 6-bit groups over A-Z a-z 0-8, 61..63 as `9A`..`9C`, no padding */
export function base62(buf: Buffer): string {
  let out = '';
  const ch = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : i < 52 ? String.fromCharCode(97 + i - 26) : i < 61 ? String.fromCharCode(48 + i - 52) : `9${String.fromCharCode(65 + i - 61)}`);
  let i = 0;
  for (; i + 3 <= buf.length; i += 3) {
    const n = (buf[i]! << 16) | (buf[i + 1]! << 8) | buf[i + 2]!;
    out += ch(n >> 18) + ch((n >> 12) & 63) + ch((n >> 6) & 63) + ch(n & 63);
  }
  const rest = buf.length - i;
  if (rest === 2) {
    // 16 bits: 6, 6 and the last 4 as a value below 16
    const n = (buf[i]! << 8) | buf[i + 1]!;
    out += ch(n >> 10) + ch((n >> 4) & 63) + ch(n & 15);
  } else if (rest === 1) {
    const n = buf[i]!;
    out += ch(n >> 2) + ch(n & 3);
  }
  return out;
}

export function payloadEncoder(e: Encoding): (p: Buffer) => string {
  if (e === 'base64') return (p) => p.toString('base64');
  if (e === 'base62') return base62;
  return (p) => p.toString('utf8');
}

/** `1.2.3.4:5` or `[::1]:5` → the address */
export function peerAddress(peername: string): string {
  const i = peername.lastIndexOf(':');
  const host = i < 0 ? peername : peername.slice(0, i);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

const user = (u: string | undefined | null): string => (u === undefined || u === null ? 'null' : q(u));

/** Builds the bodies for one node and one payload encoding. */
export class Bodies {
  private readonly node: string;
  constructor(node: string, private readonly enc: (p: Buffer) => string) {
    this.node = q(node);
  }

  connect(ci: ConnInfo): string {
    return `{"action":"client_connect","clientid":${q(ci.clientid)},"ipaddress":${q(peerAddress(ci.peername))},"keepalive":${ci.keepalive},"node":${this.node},"proto_ver":${ci.proto_ver},"username":${user(ci.username)}}`;
  }

  connack(ci: ConnInfo, rc: string): string {
    return `{"action":"client_connack","clientid":${q(ci.clientid)},"conn_ack":${q(rc)},"ipaddress":${q(peerAddress(ci.peername))},"keepalive":${ci.keepalive},"node":${this.node},"proto_ver":${ci.proto_ver},"username":${user(ci.username)}}`;
  }

  connected(cl: ClientInfo, ci: ConnInfo): string {
    return `{"action":"client_connected","clientid":${q(cl.clientid)},"connected_at":${ci.connected_at},"ipaddress":${q(cl.peerhost)},"keepalive":${ci.keepalive},"node":${this.node},"proto_ver":${ci.proto_ver},"username":${user(cl.username)}}`;
  }

  disconnected(cl: ClientInfo, reason: string, ci: ConnInfo): string {
    return `{"action":"client_disconnected","clientid":${q(cl.clientid)},"disconnected_at":${ci.disconnected_at ?? Date.now()},"node":${this.node},"reason":${q(reason)},"username":${user(cl.username)}}`;
  }

  /** client_subscribe, client_unsubscribe, session_subscribed: with the filter's options */
  subscription(action: string, cl: ClientInfo, topic: string, opts: SubOpts): string {
    return `{"action":"${action}","clientid":${q(cl.clientid)},"node":${this.node},"opts":${optsJson(opts)},"topic":${q(topic)},"username":${user(cl.username)}}`;
  }

  unsubscribed(cl: ClientInfo, topic: string): string {
    return `{"action":"session_unsubscribed","clientid":${q(cl.clientid)},"node":${this.node},"topic":${q(topic)},"username":${user(cl.username)}}`;
  }

  terminated(cl: ClientInfo, reason: string): string {
    return `{"action":"session_terminated","clientid":${q(cl.clientid)},"node":${this.node},"reason":${q(reason)},"username":${user(cl.username)}}`;
  }

  publish(m: Message): string {
    return `{"action":"message_publish","from_client_id":${q(m.from)},"from_username":${user(m.headers.username)},"node":${this.node},"payload":${q(this.enc(m.payload))},"qos":${m.qos},"retain":${m.flags.retain},"topic":${q(m.topic)},"ts":${m.timestamp}}`;
  }

  /** message_delivered, message_acked: `cl` is the receiver */
  delivery(action: string, cl: ClientInfo, m: Message): string {
    return `{"action":"${action}","clientid":${q(cl.clientid)},"from_client_id":${q(m.from)},"from_username":${user(m.headers.username)},"node":${this.node},"payload":${q(this.enc(m.payload))},"qos":${m.qos},"retain":${m.flags.retain},"topic":${q(m.topic)},"ts":${m.timestamp},"username":${user(cl.username)}}`;
  }

  dropped(m: Message, reason: string): string {
    return `{"action":"message_dropped","from_client_id":${q(m.from)},"from_username":${user(m.headers.username)},"node":${this.node},"payload":${q(this.enc(m.payload))},"qos":${m.qos},"reason":${q(reason)},"retain":${m.flags.retain},"topic":${q(m.topic)},"ts":${m.timestamp}}`;
  }
}

/** the subscription options as EMQX's map: sorted keys, `deny_subscription` left out */
export function optsJson(o: SubOpts): string {
  const keys = Object.keys(o).filter((k) => k !== 'deny_subscription' && (o as unknown as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${q(k)}:${q((o as unknown as Record<string, unknown>)[k])}`).join(',')}}`;
}
