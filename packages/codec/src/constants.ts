// Packet type numbers (fixed header bits 7-4).
export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const UNSUBSCRIBE = 10;
export const UNSUBACK = 11;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;
export const AUTH = 15;

/** Largest value a variable byte integer can hold (4 bytes). */
export const MAX_VARINT = 268435455;
/** Largest possible MQTT packet: 1 byte type + 4 bytes length + body. */
export const MAX_PACKET_SIZE = 1 + 4 + MAX_VARINT;

// Property value types.
export const T_BOOL = 1; // byte restricted to 0/1, exposed as boolean
export const T_BYTE = 2;
export const T_U16 = 3;
export const T_U32 = 4;
export const T_VARINT = 5;
export const T_STRING = 6;
export const T_BINARY = 7;
export const T_PAIR = 8;

/** Context in which properties appear: a packet type number, or WILL for will properties. */
export const WILL = 0;

const bit = (...ctx: number[]): number => ctx.reduce((a, c) => a | (1 << c), 0);
const ACKS = [PUBACK, PUBREC, PUBREL, PUBCOMP];

interface PropDef { id: number; name: string; type: number; ctx: number }

/** MQTT 5 properties (spec table 2-4): identifier, field name, type, where allowed. */
export const PROPERTIES: readonly PropDef[] = [
  { id: 0x01, name: 'payloadFormatIndicator', type: T_BOOL, ctx: bit(PUBLISH, WILL) },
  { id: 0x02, name: 'messageExpiryInterval', type: T_U32, ctx: bit(PUBLISH, WILL) },
  { id: 0x03, name: 'contentType', type: T_STRING, ctx: bit(PUBLISH, WILL) },
  { id: 0x08, name: 'responseTopic', type: T_STRING, ctx: bit(PUBLISH, WILL) },
  { id: 0x09, name: 'correlationData', type: T_BINARY, ctx: bit(PUBLISH, WILL) },
  { id: 0x0b, name: 'subscriptionIdentifier', type: T_VARINT, ctx: bit(PUBLISH, SUBSCRIBE) },
  { id: 0x11, name: 'sessionExpiryInterval', type: T_U32, ctx: bit(CONNECT, CONNACK, DISCONNECT) },
  { id: 0x12, name: 'assignedClientIdentifier', type: T_STRING, ctx: bit(CONNACK) },
  { id: 0x13, name: 'serverKeepAlive', type: T_U16, ctx: bit(CONNACK) },
  { id: 0x15, name: 'authenticationMethod', type: T_STRING, ctx: bit(CONNECT, CONNACK, AUTH) },
  { id: 0x16, name: 'authenticationData', type: T_BINARY, ctx: bit(CONNECT, CONNACK, AUTH) },
  { id: 0x17, name: 'requestProblemInformation', type: T_BOOL, ctx: bit(CONNECT) },
  { id: 0x18, name: 'willDelayInterval', type: T_U32, ctx: bit(WILL) },
  { id: 0x19, name: 'requestResponseInformation', type: T_BOOL, ctx: bit(CONNECT) },
  { id: 0x1a, name: 'responseInformation', type: T_STRING, ctx: bit(CONNACK) },
  { id: 0x1c, name: 'serverReference', type: T_STRING, ctx: bit(CONNACK, DISCONNECT) },
  { id: 0x1f, name: 'reasonString', type: T_STRING, ctx: bit(CONNACK, ...ACKS, SUBACK, UNSUBACK, DISCONNECT, AUTH) },
  { id: 0x21, name: 'receiveMaximum', type: T_U16, ctx: bit(CONNECT, CONNACK) },
  { id: 0x22, name: 'topicAliasMaximum', type: T_U16, ctx: bit(CONNECT, CONNACK) },
  { id: 0x23, name: 'topicAlias', type: T_U16, ctx: bit(PUBLISH) },
  { id: 0x24, name: 'maximumQoS', type: T_BYTE, ctx: bit(CONNACK) },
  { id: 0x25, name: 'retainAvailable', type: T_BOOL, ctx: bit(CONNACK) },
  {
    id: 0x26, name: 'userProperties', type: T_PAIR,
    ctx: bit(CONNECT, CONNACK, PUBLISH, WILL, ...ACKS, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH),
  },
  { id: 0x27, name: 'maximumPacketSize', type: T_U32, ctx: bit(CONNECT, CONNACK) },
  { id: 0x28, name: 'wildcardSubscriptionAvailable', type: T_BOOL, ctx: bit(CONNACK) },
  { id: 0x29, name: 'subscriptionIdentifiersAvailable', type: T_BOOL, ctx: bit(CONNACK) },
  { id: 0x2a, name: 'sharedSubscriptionAvailable', type: T_BOOL, ctx: bit(CONNACK) },
];

export const PROP_COUNT = 0x2b;
/** Indexed by property id: field name ('' when the id is unknown). */
export const PROP_NAME: string[] = new Array<string>(PROP_COUNT).fill('');
/** Indexed by property id: value type (0 when unknown). */
export const PROP_TYPE: Uint8Array = new Uint8Array(PROP_COUNT);
/** Indexed by property id: bit set of contexts (1 << packet type, bit 0 = will) where it may appear. */
export const PROP_CTX: Uint32Array = new Uint32Array(PROP_COUNT);
for (const p of PROPERTIES) {
  PROP_NAME[p.id] = p.name;
  PROP_TYPE[p.id] = p.type;
  PROP_CTX[p.id] = p.ctx;
}

const codeSet = (codes: number[]): Uint8Array => {
  const s = new Uint8Array(256);
  for (const c of codes) s[c] = 1;
  return s;
};

// Reason codes allowed per packet (MQTT 5 spec, section 2.4 and the per-packet tables).
export const CONNACK_V5_CODES = codeSet([
  0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c,
  0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
]);
export const PUBACK_CODES = codeSet([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]);
export const PUBREL_CODES = codeSet([0x00, 0x92]);
export const SUBACK_V5_CODES = codeSet([0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2]);
export const SUBACK_V4_CODES = codeSet([0x00, 0x01, 0x02, 0x80]);
export const UNSUBACK_CODES = codeSet([0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91]);
export const DISCONNECT_CODES = codeSet([
  0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94,
  0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
]);
export const AUTH_CODES = codeSet([0x00, 0x18, 0x19]);
