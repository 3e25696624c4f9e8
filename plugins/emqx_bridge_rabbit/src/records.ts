// One hook event waiting for RabbitMQ, and the AMQP message EMQX's RabbitMQ bridge makes of it
// (EMQX Enterprise docs, "Bridge data into RabbitMQ"):
//   client.subscribe    routing key "subscribe",   header x-emq-client-id, body {"<topic>": qos, ...}
//   client.unsubscribe  routing key "unsubscribe", header x-emq-client-id, body ["<topic>", ...]
//   message.publish     routing key = topic with / → . and + → *, headers x-emq-publish-qos (byte),
//                       x-emq-client-id, x-emq-publish-msgid (base62), x-emqx-topic; body = payload
//   message.acked       routing key "puback", header x-emq-msg-acked = client id, body = base62 msg id
// nemq adds (EMQX documents no format for them; the fields are the Kafka bridge's JSON):
//   client.connected / client.disconnected  routing key "connected" / "disconnected"
//   session.subscribed / session.unsubscribed  routing key "subscribed" / "unsubscribed"
//   message.delivered  routing key from the topic as for message.publish
//   and message.publish with "format": "json".
import type { Rule } from './config.js';

export const Kind = {
  Connected: 0,
  Disconnected: 1,
  Subscribe: 2,
  Unsubscribe: 3,
  Subscribed: 4,
  Unsubscribed: 5,
  Publish: 6,
  Delivered: 7,
  Acked: 8,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

const EMPTY = Buffer.alloc(0);

/** What one event needs, captured in the hook; the AMQP message is built in the drain loop. */
export class Rec {
  constructor(
    readonly rule: Rule,
    readonly kind: Kind,
    readonly clientid: string,
    readonly username: string | null,
    /** MQTT topic, or the disconnect reason */
    readonly topic: string,
    readonly payload: Buffer,
    readonly qos: number,
    /** publisher (delivered/acked) */
    readonly from: string,
    readonly msgid: number,
    /** client.subscribe/unsubscribe: the filters and their QoS */
    readonly filters: ReadonlyArray<readonly [string, number]> | undefined,
    readonly ts: number,
    readonly size: number,
  ) {}
}

export function recSize(clientid: string, topic: string, payload: Buffer): number {
  return 200 + clientid.length + topic.length + payload.length;
}

export function connRec(rule: Rule, kind: Kind, clientid: string, username: string | null, reason: string): Rec {
  return new Rec(rule, kind, clientid, username, reason, EMPTY, 0, '', 0, undefined, Date.now(), recSize(clientid, reason, EMPTY));
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** an unsigned integer in base 62 (digits, then A-Z, then a-z, most significant first) */
export function base62(n: number): string {
  let v = Math.max(0, Math.floor(n));
  if (v === 0) return '0';
  let s = '';
  while (v > 0) {
    s = ALPHABET[v % 62]! + s;
    v = Math.floor(v / 62);
  }
  return s;
}

/** MQTT topic → AMQP routing key: levels joined by `.`, `+` as `*` (EMQX's rule) */
export function routingKey(topic: string): string {
  return topic.replace(/\//g, '.').replace(/\+/g, '*');
}

export interface AmqpMessage {
  routingKey: string;
  headers: Record<string, unknown> | undefined;
  content: Buffer;
}

const q = JSON.stringify;

/** Kafka-bridge style JSON of an event (the nemq additions) */
function eventJson(r: Rec, node: string): string {
  const tail = `,"node":${q(node)},"ts":${r.ts}}`;
  const user = r.username === null ? 'null' : q(r.username);
  switch (r.kind) {
    case Kind.Connected:
      return `{"client_id":${q(r.clientid)},"username":${user}${tail}`;
    case Kind.Disconnected:
      return `{"client_id":${q(r.clientid)},"username":${user},"reason":${q(r.topic)}${tail}`;
    case Kind.Subscribed:
    case Kind.Unsubscribed:
      return `{"client_id":${q(r.clientid)},"username":${user},"topic":${q(r.topic)},"qos":${r.qos}${tail}`;
    case Kind.Publish:
      return `{"client_id":${q(r.clientid)},"username":${user},"topic":${q(r.topic)},"payload":${q(r.payload.toString('base64'))},"qos":${r.qos}${tail}`;
    default:
      return `{"client_id":${q(r.clientid)},"username":${user},"from":${q(r.from)},"topic":${q(r.topic)},"payload":${q(r.payload.toString('base64'))},"qos":${r.qos}${tail}`;
  }
}

/** The AMQP message for a record. */
export function toAmqp(r: Rec, node: string): AmqpMessage {
  const cid = { 'x-emq-client-id': r.clientid };
  switch (r.kind) {
    case Kind.Subscribe: {
      const body: Record<string, number> = {};
      for (const [t, qos] of r.filters!) body[t] = qos;
      return { routingKey: 'subscribe', headers: cid, content: Buffer.from(q(body)) };
    }
    case Kind.Unsubscribe:
      return { routingKey: 'unsubscribe', headers: cid, content: Buffer.from(q(r.filters!.map((f) => f[0]))) };
    case Kind.Publish:
      return {
        routingKey: routingKey(r.topic),
        headers: {
          'x-emq-publish-qos': { '!': 'byte', value: r.qos },
          'x-emq-client-id': r.clientid,
          'x-emq-publish-msgid': base62(r.msgid),
          'x-emqx-topic': r.topic,
        },
        content: r.rule.format === 'raw' ? r.payload : Buffer.from(eventJson(r, node)),
      };
    case Kind.Acked:
      return { routingKey: 'puback', headers: { 'x-emq-msg-acked': r.clientid }, content: Buffer.from(base62(r.msgid)) };
    case Kind.Delivered:
      return { routingKey: routingKey(r.topic), headers: cid, content: Buffer.from(eventJson(r, node)) };
    case Kind.Connected:
      return { routingKey: 'connected', headers: cid, content: Buffer.from(eventJson(r, node)) };
    case Kind.Disconnected:
      return { routingKey: 'disconnected', headers: cid, content: Buffer.from(eventJson(r, node)) };
    case Kind.Subscribed:
      return { routingKey: 'subscribed', headers: cid, content: Buffer.from(eventJson(r, node)) };
    case Kind.Unsubscribed:
      return { routingKey: 'unsubscribed', headers: cid, content: Buffer.from(eventJson(r, node)) };
  }
}
