// One hook event waiting for Kafka, and the JSON value EMQX's Kafka bridge writes for it
// (EMQX Enterprise docs, "Forward ... to Kafka"):
//   client_connected      {client_id, username, node, ts}
//   client_disconnected   {client_id, username, reason, node, ts}
//   session_(un)subscribed {client_id, topic, qos, node, ts}
//   message_publish       {client_id, username, topic, payload, qos, node, ts}
//   message_delivered/acked {client_id, username, from, topic, payload, qos, node, ts}
// `payload` is base64 unless encode_payload_type = plain; `ts` is milliseconds since the epoch;
// an unknown username is JSON null.
import type { Rule } from './config.js';

export const Kind = {
  Connected: 0,
  Disconnected: 1,
  Subscribed: 2,
  Unsubscribed: 3,
  Publish: 4,
  Delivered: 5,
  Acked: 6,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** The fields one event needs, captured in the hook (no reference to socket buffers is kept). */
export class Rec {
  constructor(
    readonly rule: Rule,
    readonly kind: Kind,
    /** client_id */
    readonly clientid: string,
    readonly username: string | null,
    /** MQTT topic (subscribe/publish events) or the disconnect reason */
    readonly topic: string,
    /** payload already encoded as base64 or text; '' for events without one */
    readonly payload: string,
    readonly qos: number,
    /** publisher client id (delivered/acked) */
    readonly from: string,
    readonly ts: number,
    /** estimated size in the buffer, bytes */
    readonly size: number,
  ) {}
}

/** the `payload` field: base64 (EMQX's default) or the payload as UTF-8 text (`encode_payload_type = plain`) */
export function payloadEncoder(type: 'base64' | 'plain'): (p: Buffer) => string {
  return type === 'base64' ? (p) => p.toString('base64') : (p) => p.toString('utf8');
}

/** bytes a record is charged in the buffer: its strings plus a fixed 100 for the JSON around them */
export function recSize(clientid: string, username: string | null, topic: string, payload: string, from: string): number {
  return 100 + clientid.length + (username === null ? 0 : username.length) + topic.length + payload.length + from.length;
}

let lastNode = '';
let lastNodeJson = '""';
const q = JSON.stringify;

/** The Kafka record value: EMQX's JSON for the event (built as a string: no object per record). */
export function encodeValue(r: Rec, node: string): string {
  if (node !== lastNode) {
    lastNode = node;
    lastNodeJson = q(node);
  }
  const tail = `,"node":${lastNodeJson},"ts":${r.ts}}`;
  const user = r.username === null ? 'null' : q(r.username);
  switch (r.kind) {
    case Kind.Connected:
      return `{"client_id":${q(r.clientid)},"username":${user}${tail}`;
    case Kind.Disconnected:
      return `{"client_id":${q(r.clientid)},"username":${user},"reason":${q(r.topic)}${tail}`;
    case Kind.Subscribed:
    case Kind.Unsubscribed:
      return `{"client_id":${q(r.clientid)},"topic":${q(r.topic)},"qos":${r.qos}${tail}`;
    case Kind.Publish:
      return `{"client_id":${q(r.clientid)},"username":${user},"topic":${q(r.topic)},"payload":${q(r.payload)},"qos":${r.qos}${tail}`;
    case Kind.Delivered:
    case Kind.Acked:
      return `{"client_id":${q(r.clientid)},"username":${user},"from":${q(r.from)},"topic":${q(r.topic)},"payload":${q(r.payload)},"qos":${r.qos}${tail}`;
  }
}

/** The Kafka record key the rule asks for (`${clientid}` / `${username}`), or null. */
export function recordKey(r: Rec): string | null {
  const by = r.rule.key_by;
  if (by === 'clientid') return r.clientid;
  if (by === 'username') return r.username;
  return null;
}
