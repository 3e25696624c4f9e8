import { CodecError, Parser } from '../src/index.js';
import type { Packet, ProtocolVersion, QoS, UserProperties } from '../src/index.js';

export const VERSIONS: ProtocolVersion[] = [3, 4, 5];

export interface ParseResult {
  packets: Packet[];
  errors: CodecError[];
  parser: Parser;
}

/** Parses the buffers (each one `parse()` call) with a fresh parser. */
export function parseChunks(chunks: Buffer[], opts?: { protocolVersion?: ProtocolVersion; maxPacketSize?: number }): ParseResult {
  const parser = new Parser(opts);
  const packets: Packet[] = [];
  const errors: CodecError[] = [];
  parser.onPacket = (p) => packets.push(p);
  parser.onError = (e) => errors.push(e);
  for (const c of chunks) parser.parse(c);
  return { packets, errors, parser };
}

export function parseAll(buf: Buffer, version: ProtocolVersion = 4, maxPacketSize?: number): ParseResult {
  return parseChunks([buf], { protocolVersion: version, maxPacketSize });
}

/** Parses exactly one packet and fails the test otherwise. */
export function parseOne(buf: Buffer, version: ProtocolVersion = 4): Packet {
  const r = parseAll(buf, version);
  if (r.errors.length) throw new Error(`unexpected parse error: ${r.errors[0]!.message} (0x${r.errors[0]!.reasonCode.toString(16)})`);
  if (r.packets.length !== 1) throw new Error(`expected 1 packet, got ${r.packets.length}`);
  return r.packets[0]!;
}

/** Parses and expects exactly one error; returns its reason code. */
export function parseError(buf: Buffer | number[], version: ProtocolVersion = 4): CodecError {
  const r = parseAll(Buffer.isBuffer(buf) ? buf : Buffer.from(buf), version);
  if (r.errors.length !== 1) throw new Error(`expected one error, got ${r.errors.length} (packets: ${JSON.stringify(r.packets)})`);
  return r.errors[0]!;
}

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Splits buf at random points. */
export function randomChunks(buf: Buffer, rnd: Rng): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    const mode = rnd.int(4);
    const n = mode === 0 ? 1 : mode === 1 ? 1 + rnd.int(8) : 1 + rnd.int(Math.max(1, buf.length));
    out.push(buf.subarray(off, Math.min(buf.length, off + n)));
    off += n;
  }
  return out;
}

// ----------------------------------------------------------------- normalising

/** Deep copy without undefined-valued keys and with plain prototypes, for comparisons. */
export function clean(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(clean);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      // defineProperty: keys such as __proto__ must stay ordinary keys
      if (x !== undefined) Object.defineProperty(o, k, { value: clean(x), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
  return v;
}

const pick = (o: Record<string, unknown>, keys: string[]): Record<string, unknown> => {
  const r: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) r[k] = o[k];
  return r;
};

/** Projects an mqtt-packet (or our) packet object onto the fields of our packet types. */
export function normalize(p: Record<string, unknown>): unknown {
  const cmd = p.cmd as string;
  let r: Record<string, unknown>;
  switch (cmd) {
    case 'connect': {
      r = pick(p, ['cmd', 'protocolId', 'protocolVersion', 'clean', 'keepalive', 'clientId', 'username', 'password', 'will', 'properties', 'bridgeMode']);
      if (r.will) r.will = pick(r.will as Record<string, unknown>, ['topic', 'payload', 'qos', 'retain', 'properties']);
      break;
    }
    case 'connack':
      r = pick(p, ['cmd', 'sessionPresent', 'reasonCode', 'properties']);
      if (p.returnCode !== undefined) r.reasonCode = p.returnCode;
      break;
    case 'publish':
      r = pick(p, ['cmd', 'qos', 'dup', 'retain', 'topic', 'messageId', 'payload', 'properties']);
      break;
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
      r = pick(p, ['cmd', 'messageId', 'reasonCode', 'properties']);
      break;
    case 'subscribe':
      r = pick(p, ['cmd', 'messageId', 'subscriptions', 'properties']);
      break;
    case 'suback':
      r = pick(p, ['cmd', 'messageId', 'granted', 'properties']);
      break;
    case 'unsubscribe':
      r = pick(p, ['cmd', 'messageId', 'unsubscriptions', 'properties']);
      break;
    case 'unsuback':
      r = pick(p, ['cmd', 'messageId', 'granted', 'properties']);
      break;
    case 'disconnect': case 'auth':
      r = pick(p, ['cmd', 'reasonCode', 'properties']);
      break;
    default:
      r = pick(p, ['cmd']);
  }
  if (r.properties && Object.keys(r.properties as object).length === 0) delete r.properties;
  return clean(r);
}

// ----------------------------------------------------------------- random values

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** mulberry32 */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

const CHARS = ['a', 'b', 'z', '0', '9', '/', '-', '_', ' ', '.', '$', '+', '#', 'é', 'ß', '中', '文', '😀', '\u07ff', '\uffef', '\u0001', '~'];

export function randString(r: Rng, min = 0, max = 12): string {
  const n = r.bool(0.05) ? r.range(60, 300) : r.range(min, max);
  let s = '';
  const ascii = r.bool(0.7);
  for (let i = 0; i < n; i++) s += ascii ? String.fromCharCode(0x21 + r.int(94)) : r.pick(CHARS);
  if (s.length < min) s += 'x'.repeat(min - s.length);
  return s;
}

export function randBuffer(r: Rng, max = 20): Buffer {
  return r.bytes(r.bool(0.05) ? r.range(100, 2000) : r.int(max + 1));
}

export function randUserProps(r: Rng): UserProperties {
  const up = Object.create(null) as UserProperties;
  const n = r.range(1, 4);
  for (let i = 0; i < n; i++) {
    const k = r.bool(0.1) ? r.pick(['__proto__', 'constructor', 'toString', '']) : randString(r, 0, 6);
    if (r.bool(0.3)) {
      const vals: string[] = [];
      const m = r.range(2, 4);
      for (let j = 0; j < m; j++) vals.push(randString(r, 1));
      up[k] = vals;
    } else {
      // non-empty: mqtt-packet merges a repeated key whose first value is '' incorrectly
      up[k] = randString(r, 1);
    }
  }
  return up;
}

const u16 = (r: Rng): number => r.int(0x10000);
const u32 = (r: Rng): number => (r.bool(0.2) ? 0xffffffff : r.int(0x100000000));
const varint = (r: Rng): number => r.pick([1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455, 1 + r.int(268435455)]);

type PropGen = (r: Rng) => unknown;
const PROP_GENS: Record<string, PropGen> = {
  payloadFormatIndicator: (r) => r.bool(),
  messageExpiryInterval: u32,
  contentType: (r) => randString(r),
  responseTopic: (r) => randString(r, 1),
  correlationData: (r) => randBuffer(r),
  sessionExpiryInterval: u32,
  assignedClientIdentifier: (r) => randString(r),
  serverKeepAlive: u16,
  authenticationMethod: (r) => randString(r),
  authenticationData: (r) => randBuffer(r),
  requestProblemInformation: (r) => r.bool(),
  willDelayInterval: u32,
  requestResponseInformation: (r) => r.bool(),
  responseInformation: (r) => randString(r),
  serverReference: (r) => randString(r),
  reasonString: (r) => randString(r),
  receiveMaximum: (r) => r.range(1, 0xffff),
  topicAliasMaximum: u16,
  topicAlias: (r) => r.range(1, 0xffff),
  maximumQoS: (r) => r.int(2),
  retainAvailable: (r) => r.bool(),
  userProperties: randUserProps,
  maximumPacketSize: (r) => r.range(1, 0xffffffff),
  wildcardSubscriptionAvailable: (r) => r.bool(),
  subscriptionIdentifiersAvailable: (r) => r.bool(),
  sharedSubscriptionAvailable: (r) => r.bool(),
};

export const PROPS_FOR = {
  connect: ['sessionExpiryInterval', 'receiveMaximum', 'maximumPacketSize', 'topicAliasMaximum', 'requestResponseInformation',
    'requestProblemInformation', 'userProperties', 'authenticationMethod', 'authenticationData'],
  will: ['willDelayInterval', 'payloadFormatIndicator', 'messageExpiryInterval', 'contentType', 'responseTopic', 'correlationData', 'userProperties'],
  connack: ['sessionExpiryInterval', 'receiveMaximum', 'maximumQoS', 'retainAvailable', 'maximumPacketSize', 'assignedClientIdentifier',
    'topicAliasMaximum', 'reasonString', 'userProperties', 'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable',
    'sharedSubscriptionAvailable', 'serverKeepAlive', 'responseInformation', 'serverReference', 'authenticationMethod', 'authenticationData'],
  publish: ['payloadFormatIndicator', 'messageExpiryInterval', 'topicAlias', 'responseTopic', 'correlationData', 'userProperties', 'contentType'],
  ack: ['reasonString', 'userProperties'],
  subscribe: ['userProperties'],
  unsubscribe: ['userProperties'],
  disconnect: ['sessionExpiryInterval', 'reasonString', 'userProperties', 'serverReference'],
  auth: ['authenticationMethod', 'authenticationData', 'reasonString', 'userProperties'],
} as const;

/** All listed properties (full = true) or a random subset; undefined when the subset is empty. */
export function randProps(r: Rng, names: readonly string[], full = false): Record<string, unknown> | undefined {
  const o: Record<string, unknown> = {};
  let n = 0;
  for (const name of names) {
    if (full || r.bool(0.3)) {
      o[name] = PROP_GENS[name]!(r);
      n++;
    }
  }
  return n === 0 ? undefined : o;
}

export const CODES = {
  connackV5: [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f],
  puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0x00, 0x92],
  subackV5: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  subackV4: [0x00, 0x01, 0x02, 0x80],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
    0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2],
  auth: [0x00, 0x18, 0x19],
};

export const CMDS = ['connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'suback',
  'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth'] as const;

/** A random valid packet of the given type for the version; full = include every property. */
export function randPacket(r: Rng, cmd: (typeof CMDS)[number], v: ProtocolVersion, full = false): Packet {
  const v5 = v === 5;
  const props = (names: readonly string[]) => (v5 ? randProps(r, names, full) : undefined);
  const id = () => r.range(1, 0xffff);
  switch (cmd) {
    case 'connect': {
      const clean = r.bool();
      const hasUser = full || r.bool();
      return {
        cmd, protocolId: v === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: v, clean,
        keepalive: u16(r),
        clientId: randString(r, v === 3 || !clean ? 1 : 0, v === 3 ? 23 : 12),
        username: hasUser ? randString(r) : undefined,
        password: (hasUser || v5) && (full || r.bool()) ? randBuffer(r) : undefined,
        will: full || r.bool() ? {
          topic: randString(r, 1), payload: randBuffer(r), qos: r.int(3) as QoS, retain: r.bool(), properties: props(PROPS_FOR.will),
        } : undefined,
        properties: props(PROPS_FOR.connect),
      };
    }
    case 'connack':
      return { cmd, sessionPresent: r.bool() && v !== 3, reasonCode: v5 ? r.pick(CODES.connackV5) : r.int(6), properties: props(PROPS_FOR.connack) };
    case 'publish': {
      const qos = r.int(3) as QoS;
      let properties = props(PROPS_FOR.publish);
      if (v5 && (full || r.bool(0.3))) {
        properties = properties ?? {};
        properties.subscriptionIdentifier = r.bool() ? varint(r) : [varint(r), varint(r), varint(r)];
      }
      return {
        cmd, qos, dup: r.bool(), retain: r.bool(), topic: randString(r, 1, 30),
        messageId: qos > 0 ? id() : undefined, payload: randBuffer(r, 100), properties,
      };
    }
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp': {
      const codes = cmd === 'pubrel' || cmd === 'pubcomp' ? CODES.pubrel : CODES.puback;
      return { cmd, messageId: id(), reasonCode: v5 ? r.pick(codes) : undefined, properties: props(PROPS_FOR.ack) };
    }
    case 'subscribe': {
      const n = r.range(1, 4);
      const subscriptions = [];
      for (let i = 0; i < n; i++) {
        const topic = randString(r, 1);
        const qos = r.int(3) as QoS;
        subscriptions.push(v5 ? { topic, qos, nl: r.bool(), rap: r.bool(), rh: r.int(3) } : { topic, qos });
      }
      let properties = props(PROPS_FOR.subscribe);
      if (v5 && (full || r.bool(0.3))) properties = { ...properties, subscriptionIdentifier: varint(r) };
      return { cmd, messageId: id(), subscriptions, properties };
    }
    case 'suback': {
      const n = r.range(1, 5);
      const granted: number[] = [];
      for (let i = 0; i < n; i++) granted.push(r.pick(v5 ? CODES.subackV5 : CODES.subackV4));
      return { cmd, messageId: id(), granted, properties: props(PROPS_FOR.ack) };
    }
    case 'unsubscribe': {
      const n = r.range(1, 4);
      const unsubscriptions: string[] = [];
      for (let i = 0; i < n; i++) unsubscriptions.push(randString(r, 1));
      return { cmd, messageId: id(), unsubscriptions, properties: props(PROPS_FOR.unsubscribe) };
    }
    case 'unsuback': {
      if (!v5) return { cmd, messageId: id() };
      const n = r.range(1, 5);
      const granted: number[] = [];
      for (let i = 0; i < n; i++) granted.push(r.pick(CODES.unsuback));
      return { cmd, messageId: id(), granted, properties: props(PROPS_FOR.ack) };
    }
    case 'pingreq':
    case 'pingresp':
      return { cmd };
    case 'disconnect':
      return v5 ? { cmd, reasonCode: r.pick(CODES.disconnect), properties: props(PROPS_FOR.disconnect) } : { cmd };
    case 'auth': {
      const properties = randProps(r, PROPS_FOR.auth, full) ?? {};
      properties.authenticationMethod ??= randString(r, 1);
      return { cmd, reasonCode: r.pick(CODES.auth), properties };
    }
  }
}

/** Commands that exist in the version (AUTH is MQTT 5 only). */
export const cmdsFor = (v: ProtocolVersion) => (v === 5 ? CMDS : CMDS.filter((c) => c !== 'auth'));

/** Splits buf into chunks of `size` bytes. */
export function randChunksFixed(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length; off += size) out.push(buf.subarray(off, off + size));
  return out;
}
