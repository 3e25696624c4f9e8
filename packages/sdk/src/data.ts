// The data the kernel hands to hooks (EMQX 4.3 records, keys spelled as EMQX spells them).

export type QoS = 0 | 1 | 2;
export type PubSub = 'publish' | 'subscribe';
export type AclResult = 'allow' | 'deny';

/** EMQX ClientInfo: who the client is (the receiver, for delivery hooks). */
export interface ClientInfo {
  zone: string;
  protocol: 'mqtt';
  /** peer IP address */
  peerhost: string;
  /** the listener's port */
  sockport: number;
  clientid: string;
  username: string | undefined;
  /** only during client.authenticate */
  password?: Buffer | undefined;
  is_bridge: boolean;
  is_superuser: boolean;
  /** `%c`/`%u` already expanded */
  mountpoint: string | undefined;
  anonymous?: boolean;
  auth_result?: string;
  /** TLS client certificate common name */
  cn?: string;
  /** TLS client certificate subject */
  dn?: string;
}

/** EMQX ConnInfo: the connection. */
export interface ConnInfo {
  socktype: 'tcp' | 'ssl' | 'ws' | 'wss';
  /** `host:port` of the listener */
  sockname: string;
  /** `host:port` of the client */
  peername: string;
  proto_name: string;
  /** 3, 4 or 5 */
  proto_ver: number;
  clean_start: boolean;
  clientid: string;
  username: string | undefined;
  /** MQTT 5 CONNECT properties (`{}` for v3) */
  conn_props: ConnectProps;
  connected: boolean;
  /** ms since the epoch */
  connected_at: number;
  disconnected_at?: number;
  /** seconds */
  keepalive: number;
  receive_maximum: number;
  /** seconds */
  expiry_interval: number;
}

/** MQTT 5 CONNECT / CONNACK properties, as the codec names them (`sessionExpiryInterval`, ...). */
export type ConnectProps = Record<string, unknown>;
export type ConnackProps = Record<string, unknown>;
/** SUBSCRIBE / UNSUBSCRIBE properties (`subscriptionIdentifier`, `userProperties`). */
export type SubscribeProps = Record<string, unknown>;

/** A `client.connect` accumulator that rejects the client with a CONNACK reason code. */
export interface ConnectError {
  error: number;
}

export type UserProperties = Record<string, string | string[]>;

/** MQTT 5 PUBLISH properties of a message. */
export interface MessageProperties {
  payloadFormatIndicator?: boolean;
  /** seconds */
  messageExpiryInterval?: number;
  topicAlias?: number;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: UserProperties;
  subscriptionIdentifier?: number | number[];
  contentType?: string;
}

export interface MessageFlags {
  retain: boolean;
  dup: boolean;
  /** published by the broker itself ($SYS) */
  sys: boolean;
}

export interface MessageHeaders {
  username?: string | undefined;
  peerhost?: string;
  proto_ver?: number;
  /** a message.publish tap sets it to false to drop the message */
  allow_publish?: boolean;
  [key: string]: unknown;
}

/** EMQX's message record. One object per published message, shared by every delivery. */
export interface Message {
  readonly id: number;
  qos: QoS;
  /** the publisher's client id, or the plugin / module that published */
  from: string;
  flags: MessageFlags;
  topic: string;
  payload: Buffer;
  properties: MessageProperties | undefined;
  /** ms since the epoch */
  timestamp: number;
  headers: MessageHeaders;
}

/** Subscription options (EMQX SubOpts). */
export interface SubOpts {
  qos: QoS;
  /** no local */
  nl: 0 | 1;
  /** retain as published */
  rap: 0 | 1;
  /** retain handling */
  rh: 0 | 1 | 2;
  /** shared-subscription group (`$share/<group>/...`, `$queue` for `$queue/...`) */
  share?: string;
  /** MQTT 5 subscription identifier */
  subid?: number;
  /** session.subscribed only: the filter was not subscribed before */
  is_new?: boolean;
  /** client.subscribe only: set true to refuse this filter (SUBACK 0x87 / 0x80) */
  deny_subscription?: boolean;
}

/** The filters of one SUBSCRIBE or UNSUBSCRIBE: `[filter as sent, options]`. */
export type TopicFilters = Array<[string, SubOpts]>;

/** What session hooks get about the session. */
export interface SessInfo {
  clientid: string;
  created_at: number;
  /** seconds */
  expiry_interval: number;
  subscriptions_cnt: number;
  inflight_cnt: number;
  inflight_max: number;
  mqueue_len: number;
  mqueue_max: number;
  mqueue_dropped: number;
  awaiting_rel_cnt: number;
  awaiting_rel_max: number;
}

export type AuthResultCode =
  | 'success' | 'not_authorized' | 'bad_username_or_password' | 'server_unavailable' | 'server_busy'
  | 'banned' | 'client_identifier_not_valid';

/**
 * The client.authenticate accumulator, and what a tap returns to decide. Its keys are merged into
 * the ClientInfo (`is_superuser`, `mountpoint`, ...).
 */
export interface AuthResult {
  auth_result: AuthResultCode | (string & {});
  anonymous?: boolean;
  is_superuser?: boolean;
  mountpoint?: string;
  [key: string]: unknown;
}

/** client.enhanced_authenticate: `ok` succeeds, `continue` sends AUTH 0x18 with `data`, `error` refuses. */
export interface EnhancedAuthResult {
  status: 'ok' | 'continue' | 'error';
  data?: Buffer;
  /** handed back to the next call of this exchange */
  cache?: unknown;
}

/** message.dropped: who dropped it. */
export interface DroppedBy {
  node: string;
}
