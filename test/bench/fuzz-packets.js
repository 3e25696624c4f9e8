// Random valid MQTT packets and ways to break them, for test/bench/socket-fuzz.js.
// Encoding is the broker's own codec (packages/codec/dist).
'use strict';
const { join } = require('node:path');
const { encode } = require(join(__dirname, '../../packages/codec/dist/index.js'));

/** mulberry32: a small seeded generator, so a run can be repeated */
class Rng {
  constructor(seed) {
    this.s = seed >>> 0;
  }
  next() {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n) {
    return Math.floor(this.next() * n);
  }
  range(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }
  bool(p = 0.5) {
    return this.next() < p;
  }
  pick(a) {
    return a[this.int(a.length)];
  }
  bytes(n) {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

const CHARS = 'abz09/-_.$+#é中😀~';
function str(r, min = 0, max = 12) {
  const n = r.range(min, max);
  let s = '';
  for (let i = 0; i < n; i++) s += r.bool(0.8) ? String.fromCharCode(0x21 + r.int(94)) : r.pick([...CHARS]);
  return s || (min > 0 ? 'x' : '');
}
const id = (r) => r.range(1, 0xffff);

const CMDS = ['connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'suback',
  'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth'];
const cmdsFor = (v) => (v === 5 ? CMDS : CMDS.filter((c) => c !== 'auth'));

/** a valid packet of type cmd for protocol version v (3, 4 or 5) */
function packet(r, cmd, v, clientId) {
  const v5 = v === 5;
  const props = (o) => (v5 && r.bool(0.3) ? o : undefined);
  switch (cmd) {
    case 'connect':
      return {
        cmd, protocolId: v === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: v, clean: true, keepalive: r.pick([0, 5, 60, 0xffff]),
        clientId: clientId ?? `fz-${str(r, 1, 10)}`, username: r.bool(0.3) ? str(r) : undefined,
        will: r.bool(0.2) ? { topic: `fz/${str(r, 1)}`, payload: r.bytes(r.int(20)), qos: r.int(3), retain: r.bool() } : undefined,
        properties: props({ sessionExpiryInterval: r.int(100), receiveMaximum: r.range(1, 100), userProperties: { k: str(r, 1) } }),
      };
    case 'connack':
      return { cmd, sessionPresent: false, reasonCode: 0 };
    case 'publish': {
      const qos = r.int(3);
      return {
        cmd, qos, dup: r.bool(0.1), retain: r.bool(0.1), topic: `fz/${str(r, 0, 20)}`, messageId: qos ? id(r) : undefined,
        payload: r.bytes(r.int(200)), properties: props({ messageExpiryInterval: r.int(60), contentType: str(r) }),
      };
    }
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
      return { cmd, messageId: id(r), reasonCode: v5 ? r.pick([0, 0x10, 0x80, 0x92]) : undefined };
    case 'subscribe': {
      const subscriptions = [];
      for (let i = r.range(1, 3); i > 0; i--) {
        const topic = r.bool(0.2) ? r.pick(['#', '+/+', '$share/g/fz/#', '$SYS/#', 'fz/#']) : `fz/${str(r, 1)}`;
        subscriptions.push(v5 ? { topic, qos: r.int(3), nl: r.bool(), rap: r.bool(), rh: r.int(3) } : { topic, qos: r.int(3) });
      }
      return { cmd, messageId: id(r), subscriptions };
    }
    case 'suback':
      return { cmd, messageId: id(r), granted: [0] };
    case 'unsubscribe':
      return { cmd, messageId: id(r), unsubscriptions: [`fz/${str(r, 1)}`] };
    case 'unsuback':
      return v5 ? { cmd, messageId: id(r), granted: [0] } : { cmd, messageId: id(r) };
    case 'pingreq': case 'pingresp':
      return { cmd };
    case 'disconnect':
      return v5 ? { cmd, reasonCode: r.pick([0, 4, 0x80]) } : { cmd };
    case 'auth':
      return { cmd, reasonCode: r.pick([0, 0x18, 0x19]), properties: { authenticationMethod: str(r, 1) } };
  }
  throw new Error(`unknown cmd ${cmd}`);
}

const frame = (r, cmd, v, clientId) => encode(packet(r, cmd, v, clientId), v);

/** bit flips, truncation, length fields changed, byte edits, type/flag changes, trailing garbage */
function mutate(r, buf) {
  const b = Buffer.from(buf);
  switch (r.int(7)) {
    case 0:
      for (let n = 1 + r.int(3); n > 0; n--) {
        const at = r.int(b.length);
        b[at] ^= 1 << r.int(8);
      }
      return b;
    case 1:
      return b.subarray(0, r.int(b.length));
    case 2:
      b[1] = r.bool() ? (b[1] + r.range(-3, 3)) & 0xff : r.int(256);
      return b;
    case 3:
      b[r.int(b.length)] = r.int(256);
      return b;
    case 4:
      b[0] = r.bool() ? (b[0] & 0xf0) | r.int(16) : r.int(256);
      return b;
    case 5: {
      const at = 1 + r.int(b.length);
      return r.bool()
        ? Buffer.concat([b.subarray(0, at), Buffer.from([r.int(256)]), b.subarray(at)])
        : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    }
    default:
      return Buffer.concat([b, r.bytes(1 + r.int(8))]);
  }
}

/** a fixed header claiming `len` body bytes (variable-length integer, up to 4 bytes) */
function header(byte0, len) {
  const out = [byte0];
  do {
    let d = len % 128;
    len = Math.floor(len / 128);
    if (len > 0) d |= 0x80;
    out.push(d);
  } while (len > 0);
  return Buffer.from(out);
}

module.exports = { Rng, CMDS, cmdsFor, packet, frame, mutate, header };
