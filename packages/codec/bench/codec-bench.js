#!/usr/bin/env node
// Micro benchmark: PUBLISH parse / encode throughput of @nemq/codec vs mqtt-packet.
//   npx tsc -b packages/codec && node packages/codec/bench/codec-bench.js [seconds-per-case]
'use strict';
const path = require('node:path');
const { Parser, encode, PublishEncoder } = require(path.join(__dirname, '..', 'dist', 'index.js'));
const mqttPacket = require('mqtt-packet');

const SECONDS = Number(process.argv[2] || 2); // per case, both implementations together
const PAYLOAD = Buffer.alloc(64, 0x61);
const TOPIC = 'sensors/building-7/floor-3/room-42/temperature';

function publish(qos, version, withProps) {
  return {
    cmd: 'publish', qos, dup: false, retain: false, topic: TOPIC, payload: PAYLOAD,
    messageId: qos ? 4242 : undefined,
    properties: version === 5 && withProps ? { userProperties: { origin: 'bench' }, contentType: 'text/plain' } : undefined,
  };
}

/** Packets/s of fn (which handles `per` packets per call), over `ms` milliseconds. */
function rate(fn, per, ms) {
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = start + BigInt(Math.round(ms * 1e6));
  let now = start;
  while (now < limit) {
    for (let i = 0; i < 10; i++) fn();
    n += 10 * per;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - start) / 1e9);
}

const ROUNDS = 5;
const rows = [];
/** Alternates the two implementations for ROUNDS rounds and keeps the best rate of each (the machine may be busy). */
function compare(name, ours, theirs, per) {
  for (let i = 0; i < 50; i++) {
    ours();
    theirs();
  }
  let a = 0;
  let b = 0;
  const ms = (SECONDS * 1000) / ROUNDS / 2;
  for (let r = 0; r < ROUNDS; r++) {
    a = Math.max(a, rate(ours, per, ms));
    b = Math.max(b, rate(theirs, per, ms));
  }
  rows.push({ case: name, 'nemq pkt/s': Math.round(a), 'mqtt-packet pkt/s': Math.round(b), speedup: `${(a / b).toFixed(1)}x` });
}

let sink = 0;
const CASES = [[4, 0, false], [4, 1, false], [5, 0, false], [5, 1, false], [5, 1, true]];
for (const [version, qos, withProps] of CASES) {
  const pkt = publish(qos, version, withProps);
  const label = `v${version} qos${qos}${withProps ? ' +props' : ''}`;
  const one = encode(pkt, version);
  if (!mqttPacket.generate(pkt, { protocolVersion: version }).equals(one)) console.warn(`note: encodings differ for ${label}`);

  // parse: 1000 packets in one chunk (busy connection)
  const stream = Buffer.concat(Array.from({ length: 1000 }, () => one));
  const ours = new Parser({ protocolVersion: version });
  ours.onPacket = (p) => { sink += p.payload.length; };
  ours.onError = (e) => { throw e; };
  const theirs = mqttPacket.parser({ protocolVersion: version });
  theirs.on('packet', (p) => { sink += p.payload.length; });
  theirs.on('error', (e) => { throw e; });
  compare(`parse  ${label} (${one.length} B, 1000/chunk)`, () => ours.parse(stream), () => theirs.parse(stream), 1000);

  // parse: every packet in its own chunk (quiet connection)
  compare(`parse  ${label} (1 packet/chunk)`,
    () => { for (let i = 0; i < 100; i++) ours.parse(one); },
    () => { for (let i = 0; i < 100; i++) theirs.parse(one); }, 100);

  // encode a packet object to a Buffer
  compare(`encode ${label}`,
    () => { for (let i = 0; i < 100; i++) sink += encode(pkt, version).length; },
    () => { for (let i = 0; i < 100; i++) sink += mqttPacket.generate(pkt, { protocolVersion: version }).length; }, 100);

  // one message to 100 subscribers: PublishEncoder (built once) vs generate() per subscriber
  compare(`fan-out ${label} x100 (PublishEncoder)`,
    () => {
      const enc = new PublishEncoder(TOPIC, PAYLOAD, pkt.properties);
      for (let i = 0; i < 100; i++) sink += enc.frame(version, qos, false, false, i + 1).length;
    },
    () => {
      for (let i = 0; i < 100; i++) {
        sink += mqttPacket.generate({ ...pkt, messageId: qos ? i + 1 : undefined }, { protocolVersion: version }).length;
      }
    }, 100);
}
if (sink === -1) console.log(sink);

console.log(`node ${process.version}, ${SECONDS}s per case, payload ${PAYLOAD.length} B, topic ${TOPIC.length} chars`);
console.table(rows);
