// MQTT control packets as plain objects. Field names follow the mqtt-packet
// convention (cmd, messageId, properties in camelCase) so that the codec can be
// checked against it in tests and so users of mqtt.js recognise them.

export type QoS = 0 | 1 | 2;
/** 3 = MQTT 3.1 (MQIsdp), 4 = 3.1.1, 5 = 5.0 */
export type ProtocolVersion = 3 | 4 | 5;

export type UserProperties = Record<string, string | string[]>;

export interface ConnectProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumPacketSize?: number;
  topicAliasMaximum?: number;
  requestResponseInformation?: boolean;
  requestProblemInformation?: boolean;
  userProperties?: UserProperties;
  authenticationMethod?: string;
  authenticationData?: Buffer;
}

export interface WillProperties {
  willDelayInterval?: number;
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: UserProperties;
}

export interface Will {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: WillProperties;
}

export interface ConnectPacket {
  cmd: 'connect';
  protocolId: 'MQTT' | 'MQIsdp';
  protocolVersion: ProtocolVersion;
  clean: boolean;
  keepalive: number;
  clientId: string;
  username?: string;
  password?: Buffer;
  will?: Will;
  properties?: ConnectProperties;
  /** Bridge mode: the protocol level byte had bit 7 set (0x83 / 0x84), as sent by Mosquitto/EMQX bridges. */
  bridgeMode?: boolean;
}

export interface ConnackProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumQoS?: number;
  retainAvailable?: boolean;
  maximumPacketSize?: number;
  assignedClientIdentifier?: string;
  topicAliasMaximum?: number;
  reasonString?: string;
  userProperties?: UserProperties;
  wildcardSubscriptionAvailable?: boolean;
  subscriptionIdentifiersAvailable?: boolean;
  sharedSubscriptionAvailable?: boolean;
  serverKeepAlive?: number;
  responseInformation?: string;
  serverReference?: string;
  authenticationMethod?: string;
  authenticationData?: Buffer;
}

export interface ConnackPacket {
  cmd: 'connack';
  sessionPresent: boolean;
  /** v5 reason code; for v3/v4 the return code (0..5) */
  reasonCode: number;
  properties?: ConnackProperties;
}

export interface PublishProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  topicAlias?: number;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: UserProperties;
  /** several when a message matches several subscriptions with identifiers */
  subscriptionIdentifier?: number | number[];
  contentType?: string;
}

export interface PublishPacket {
  cmd: 'publish';
  qos: QoS;
  dup: boolean;
  retain: boolean;
  topic: string;
  /** present for QoS 1 and 2 */
  messageId?: number;
  payload: Buffer;
  properties?: PublishProperties;
}

export interface AckProperties {
  reasonString?: string;
  userProperties?: UserProperties;
}

export interface PubackPacket { cmd: 'puback'; messageId: number; reasonCode?: number; properties?: AckProperties }
export interface PubrecPacket { cmd: 'pubrec'; messageId: number; reasonCode?: number; properties?: AckProperties }
export interface PubrelPacket { cmd: 'pubrel'; messageId: number; reasonCode?: number; properties?: AckProperties }
export interface PubcompPacket { cmd: 'pubcomp'; messageId: number; reasonCode?: number; properties?: AckProperties }

export interface SubscriptionRequest {
  topic: string;
  qos: QoS;
  /** v5 no local */
  nl?: boolean;
  /** v5 retain as published */
  rap?: boolean;
  /** v5 retain handling 0..2 */
  rh?: number;
}

export interface SubscribeProperties {
  subscriptionIdentifier?: number;
  userProperties?: UserProperties;
}

export interface SubscribePacket {
  cmd: 'subscribe';
  messageId: number;
  subscriptions: SubscriptionRequest[];
  properties?: SubscribeProperties;
}

export interface SubackPacket {
  cmd: 'suback';
  messageId: number;
  /** granted QoS or reason code per filter */
  granted: number[];
  properties?: AckProperties;
}

export interface UnsubscribePacket {
  cmd: 'unsubscribe';
  messageId: number;
  unsubscriptions: string[];
  properties?: { userProperties?: UserProperties };
}

export interface UnsubackPacket {
  cmd: 'unsuback';
  messageId: number;
  /** v5 only: reason code per filter */
  granted?: number[];
  properties?: AckProperties;
}

export interface PingreqPacket { cmd: 'pingreq' }
export interface PingrespPacket { cmd: 'pingresp' }

export interface DisconnectProperties {
  sessionExpiryInterval?: number;
  reasonString?: string;
  userProperties?: UserProperties;
  serverReference?: string;
}

export interface DisconnectPacket {
  cmd: 'disconnect';
  reasonCode?: number;
  properties?: DisconnectProperties;
}

export interface AuthProperties {
  authenticationMethod?: string;
  authenticationData?: Buffer;
  reasonString?: string;
  userProperties?: UserProperties;
}

export interface AuthPacket {
  cmd: 'auth';
  reasonCode: number;
  properties?: AuthProperties;
}

export type Packet =
  | ConnectPacket | ConnackPacket | PublishPacket
  | PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket
  | SubscribePacket | SubackPacket | UnsubscribePacket | UnsubackPacket
  | PingreqPacket | PingrespPacket | DisconnectPacket | AuthPacket;

export type PacketCmd = Packet['cmd'];
