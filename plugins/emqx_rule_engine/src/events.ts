// The event rows rules read (EMQX 4.3's columns), one per hook call, and the event topics.
import type { ClientInfo, ConnInfo, Message, MessageProperties, SubOpts } from '@nemq/sdk';
import type { Row } from './values.js';

/** `$events/<name>` → hook point */
export const EVENT_TOPICS: Readonly<Record<string, string>> = {
  '$events/client_connected': 'client.connected',
  '$events/client_disconnected': 'client.disconnected',
  '$events/session_subscribed': 'session.subscribed',
  '$events/session_unsubscribed': 'session.unsubscribed',
  '$events/message_delivered': 'message.delivered',
  '$events/message_acked': 'message.acked',
  '$events/message_dropped': 'message.dropped',
  '$events/delivery_dropped': 'delivery.dropped',
};

/** the event names (conf `rule_engine.events.<name>`) */
export const EVENT_NAMES = Object.keys(EVENT_TOPICS).map((t) => t.slice('$events/'.length));

/** who publishes the `$events/...` messages (never run through message.publish rules again) */
export const EVENTS_FROM = 'emqx_events';

const PROP_NAMES: Readonly<Record<string, string>> = {
  payloadFormatIndicator: 'Payload-Format-Indicator',
  messageExpiryInterval: 'Message-Expiry-Interval',
  contentType: 'Content-Type',
  responseTopic: 'Response-Topic',
  correlationData: 'Correlation-Data',
  userProperties: 'User-Property',
  subscriptionIdentifier: 'Subscription-Identifier',
  topicAlias: 'Topic-Alias',
  sessionExpiryInterval: 'Session-Expiry-Interval',
  receiveMaximum: 'Receive-Maximum',
  maximumPacketSize: 'Maximum-Packet-Size',
  topicAliasMaximum: 'Topic-Alias-Maximum',
  requestResponseInformation: 'Request-Response-Information',
  requestProblemInformation: 'Request-Problem-Information',
  authenticationMethod: 'Authentication-Method',
  reasonString: 'Reason-String',
};

const EMPTY: Row = Object.freeze({}) as Row;

/** MQTT 5 properties as EMQX prints them (`User-Property` as a map, binaries as text) */
export function printableProps(p: MessageProperties | Record<string, unknown> | undefined): Row {
  if (p === undefined) return EMPTY;
  const out: Row = {};
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    out[PROP_NAMES[k] ?? k] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  }
  return out;
}

function msgId(id: number): string {
  return id.toString(16).toUpperCase().padStart(32, '0');
}

function flagsOf(m: Message): Row {
  return { retain: m.flags.retain, dup: m.flags.dup, sys: m.flags.sys };
}

function headersOf(m: Message): Row {
  const h: Row = {};
  for (const k in m.headers) if (k !== 'allow_publish') h[k] = m.headers[k];
  return h;
}

/**
 * message.publish columns. The cheap ones are fields; the payload text, id, flags, headers,
 * properties and timestamp are made on first read, so a rule that reads `payload.x` pays only
 * for what it reads. `full()` gives every column as a plain object (`SELECT *`).
 */
export class PublishRow {
  readonly clientid: string;
  readonly username: unknown;
  readonly peerhost: unknown;
  readonly topic: string;
  readonly qos: number;
  readonly publish_received_at: number;
  readonly event = 'message.publish';
  /** set per rule run (`metadata.rule_id`) */
  metadata: unknown = undefined;
  private text: string | undefined = undefined;
  private ts = 0;
  constructor(private readonly m: Message, readonly node: string) {
    this.clientid = m.from;
    this.username = m.headers.username;
    this.peerhost = m.headers.peerhost;
    this.topic = m.topic;
    this.qos = m.qos;
    this.publish_received_at = m.timestamp;
  }
  get payload(): string {
    return (this.text ??= this.m.payload.toString('utf8'));
  }
  get id(): string {
    return msgId(this.m.id);
  }
  get flags(): Row {
    return flagsOf(this.m);
  }
  get headers(): Row {
    return headersOf(this.m);
  }
  get pub_props(): Row {
    return printableProps(this.m.properties);
  }
  get timestamp(): number {
    return this.ts === 0 ? (this.ts = Date.now()) : this.ts;
  }
  full(): Row {
    const row: Row = {
      id: this.id, clientid: this.clientid, username: this.username, payload: this.payload, peerhost: this.peerhost,
      topic: this.topic, qos: this.qos, flags: this.flags, pub_props: this.pub_props, headers: this.headers,
      publish_received_at: this.publish_received_at, event: this.event, timestamp: this.timestamp, node: this.node,
    };
    if (this.metadata !== undefined) row.metadata = this.metadata;
    return row;
  }
}

export function publishRow(m: Message, node: string): Row {
  return new PublishRow(m, node) as unknown as Row;
}

export function connectedRow(ci: ClientInfo, conn: ConnInfo, node: string): Row {
  return {
    clientid: ci.clientid,
    username: ci.username,
    mountpoint: ci.mountpoint,
    peername: conn.peername,
    sockname: conn.sockname,
    proto_name: conn.proto_name,
    proto_ver: conn.proto_ver,
    keepalive: conn.keepalive,
    clean_start: conn.clean_start,
    receive_maximum: conn.receive_maximum,
    expiry_interval: conn.expiry_interval,
    is_bridge: ci.is_bridge,
    conn_props: printableProps(conn.conn_props),
    connected_at: conn.connected_at,
    event: 'client.connected',
    timestamp: Date.now(),
    node,
  };
}

export function disconnectedRow(ci: ClientInfo, reason: string, conn: ConnInfo, node: string): Row {
  return {
    reason,
    clientid: ci.clientid,
    username: ci.username,
    peername: conn.peername,
    sockname: conn.sockname,
    proto_name: conn.proto_name,
    proto_ver: conn.proto_ver,
    disconn_props: EMPTY,
    disconnected_at: conn.disconnected_at ?? Date.now(),
    event: 'client.disconnected',
    timestamp: Date.now(),
    node,
  };
}

export function subRow(event: 'session.subscribed' | 'session.unsubscribed', ci: ClientInfo, topic: string, opts: SubOpts, node: string): Row {
  return {
    clientid: ci.clientid,
    username: ci.username,
    peerhost: ci.peerhost,
    [event === 'session.subscribed' ? 'sub_props' : 'unsub_props']: EMPTY,
    topic,
    qos: opts.qos,
    event,
    timestamp: Date.now(),
    node,
  };
}

/** message.delivered / message.acked / delivery.dropped: the receiver and the message */
export function deliveryRow(event: string, ci: ClientInfo, m: Message, node: string, reason?: string): Row {
  const row: Row = {
    id: msgId(m.id),
    from_clientid: m.from,
    from_username: m.headers.username,
    clientid: ci.clientid,
    username: ci.username,
    payload: m.payload.toString('utf8'),
    peerhost: ci.peerhost,
    topic: m.topic,
    qos: m.qos,
    flags: flagsOf(m),
    headers: headersOf(m),
    pub_props: printableProps(m.properties),
    publish_received_at: m.timestamp,
    event,
    timestamp: Date.now(),
    node,
  };
  if (event === 'message.acked') row.puback_props = EMPTY;
  if (reason !== undefined) row.reason = reason;
  return row;
}

export function droppedRow(m: Message, reason: string, node: string): Row {
  return {
    id: msgId(m.id),
    reason,
    clientid: m.from,
    username: m.headers.username,
    payload: m.payload.toString('utf8'),
    peerhost: m.headers.peerhost,
    topic: m.topic,
    qos: m.qos,
    flags: flagsOf(m),
    headers: headersOf(m),
    pub_props: printableProps(m.properties),
    publish_received_at: m.timestamp,
    event: 'message.dropped',
    timestamp: Date.now(),
    node,
  };
}

/** `/rule_events`: each event, its topic, columns and a sample SQL */
export function eventInfo(): Row[] {
  const sample: Record<string, string> = {
    'message.publish': 'SELECT payload.msg as msg FROM "t/#" WHERE msg = \'hello\'',
  };
  const cols: Record<string, string[]> = {
    'message.publish': ['id', 'clientid', 'username', 'payload', 'peerhost', 'topic', 'qos', 'flags', 'headers', 'pub_props', 'publish_received_at', 'timestamp', 'node'],
    'message.delivered': ['id', 'from_clientid', 'from_username', 'clientid', 'username', 'payload', 'peerhost', 'topic', 'qos', 'flags', 'headers', 'pub_props', 'publish_received_at', 'timestamp', 'node'],
    'message.acked': ['id', 'from_clientid', 'from_username', 'clientid', 'username', 'payload', 'peerhost', 'topic', 'qos', 'flags', 'headers', 'pub_props', 'puback_props', 'publish_received_at', 'timestamp', 'node'],
    'message.dropped': ['id', 'reason', 'clientid', 'username', 'payload', 'peerhost', 'topic', 'qos', 'flags', 'headers', 'pub_props', 'publish_received_at', 'timestamp', 'node'],
    'delivery.dropped': ['id', 'reason', 'from_clientid', 'from_username', 'clientid', 'username', 'payload', 'peerhost', 'topic', 'qos', 'flags', 'headers', 'pub_props', 'publish_received_at', 'timestamp', 'node'],
    'client.connected': ['clientid', 'username', 'mountpoint', 'peername', 'sockname', 'proto_name', 'proto_ver', 'keepalive', 'clean_start', 'receive_maximum', 'expiry_interval', 'is_bridge', 'conn_props', 'connected_at', 'timestamp', 'node'],
    'client.disconnected': ['reason', 'clientid', 'username', 'peername', 'sockname', 'proto_name', 'proto_ver', 'disconn_props', 'disconnected_at', 'timestamp', 'node'],
    'session.subscribed': ['clientid', 'username', 'peerhost', 'topic', 'qos', 'sub_props', 'timestamp', 'node'],
    'session.unsubscribed': ['clientid', 'username', 'peerhost', 'topic', 'qos', 'unsub_props', 'timestamp', 'node'],
  };
  return Object.entries(cols).map(([event, columns]) => {
    const topic = event === 'message.publish' ? '#' : `$events/${event.replace('.', '_')}`;
    const title = event.replace('.', ' ');
    return {
      event,
      title: { en: title },
      description: { en: title },
      test_columns: {},
      columns,
      sql_example: sample[event] ?? `SELECT * FROM "${topic}"`,
    };
  });
}
