import type { PublishEncoder, PublishProperties, QoS } from '@nemq/codec';

/** EMQX ClientInfo (reference §1.2), camel-free keys kept as EMQX spells them. */
export interface ClientInfo {
  zone: string;
  protocol: 'mqtt';
  peerhost: string;
  sockport: number;
  clientid: string;
  username: string | undefined;
  password?: Buffer | undefined;
  is_bridge: boolean;
  is_superuser: boolean;
  mountpoint: string | undefined;
  anonymous?: boolean;
  auth_result?: string;
  cn?: string;
  dn?: string;
}

/** EMQX ConnInfo (reference §1.2). */
export interface ConnInfo {
  socktype: 'tcp' | 'ssl' | 'ws' | 'wss';
  sockname: string;
  peername: string;
  proto_name: string;
  proto_ver: number;
  clean_start: boolean;
  clientid: string;
  username: string | undefined;
  conn_props: Record<string, unknown>;
  connected: boolean;
  connected_at: number;
  disconnected_at?: number;
  keepalive: number;
  receive_maximum: number;
  expiry_interval: number;
}

export interface MessageFlags {
  retain: boolean;
  dup: boolean;
  sys: boolean;
}

export interface MessageHeaders {
  username?: string | undefined;
  peerhost?: string;
  proto_ver?: number;
  /** set to false by a message.publish tap to drop the message */
  allow_publish?: boolean;
  [key: string]: unknown;
}

/** EMQX message record. One object per published message, shared by all deliveries. */
export class Message {
  /** lazily built encoder shared by every subscriber */
  encoder: PublishEncoder | undefined = undefined;
  headers: MessageHeaders;
  constructor(
    public readonly id: number,
    public qos: QoS,
    public from: string,
    public flags: MessageFlags,
    public topic: string,
    public payload: Buffer,
    public properties: PublishProperties | undefined,
    public timestamp: number,
    headers?: MessageHeaders,
  ) {
    this.headers = headers ?? {};
  }
}

/** Subscription options (reference §1.2 SubOpts). */
export interface SubOpts {
  qos: QoS;
  nl: 0 | 1;
  rap: 0 | 1;
  rh: 0 | 1 | 2;
  share?: string;
  subid?: number;
  is_new?: boolean;
}

export type PubSub = 'publish' | 'subscribe';
export type AclResult = 'allow' | 'deny';
