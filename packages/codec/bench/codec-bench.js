#!/usr/bin/env node
// Micro benchmark: PUBLISH parse / encode throughput of @nemq/codec vs mqtt-packet.
//   npx tsc -b packages/codec && node packages/codec/bench/codec-bench.js [seconds-per-case]
'use strict';
const path = require('node:path');
const { Parser, encode, PublishEncoder } = require(path.join(__dirname, '..', 'dist', 'index.js'));
const mqttPacket = require('mqtt-packet');

const SECONDS = Number(process.argv[2] || 1);
const PAYLOAD = Buffer.alloc(64, 0x61);
const TOPIC = 'sensors/building-7/floor-3/room-42/temperature';

function publish(qos, version) {
  return {
    cmd: 'publish', qos, dup: false, retain: false, topic: TOPIC, payload: PAYLOAD,
    messageId: qos ? 4242 : undefined,
    properties: version === 5 ? { userProperties: { origin: 'bench' }, contentType: 'text/plain' } : undefined,
  };
}

/** Runs fn (which processes `per` packets) repeatedly for SECONDS and returns packets/s (best of 3 rounds). */
function measure(fn, per) {
  for (let i = 0; i < 50; i++) fn(); // warm up
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const limit = start + BigInt(Math.round((SECONDS / 3) * 1e9));
    let now = start;
    while (now < limit) {
      for (let i = 0; i < 10; i++) fn();
      n += 10 * per;
      now = process.hrtime.bigint();
    }
    best = Math.max(best, n / (Number(now - start) / 1e9));
  }
  return best;
}

const rows = [];
function row(name, ours, theirs) {
  rows.push({ case: name, 'nemq ops/s': Math.round(ours), 'mqtt-packet ops/s': Math.round(theirs), speedup: `${(ours / theirs).toFixed(2)}x` });
}

for (const version of [4, 5]) {
  for (const qos of [0, 1]) {
    const pkt = publish(qos, version);
    const one = encode(pkt, version);
    // sanity: both produce packets the other parses
    const check = mqttPacket.generate(pkt, { protocolVersion: version });
    if (check.length !== one.length) console.warn(`note: byte length differs for v${version} qos${qos}: ${one.length} vs ${check.length}`);

    // ---- parse: 1000 packets in one 100 KB-ish chunk (busy connection)
    const PER = 1000;
    const stream = Buffer.concat(Array.from({ length: PER }, () => one));
    const ours = new Parser({ protocolVersion: version });
    let sink = 0;
    ours.onPacket = (p) => { sink += p.payload.length; };
    ours.onError = (e) => { throw e; };
    const theirs = mqttPacket.parser({ protocolVersion: version });
    theirs.on('packet', (p) => { sink += p.payload.length; });
    theirs.on('error', (e) => { throw e; });
    row(`parse  v${version} qos${qos} (${one.length} B packets, 1000 per chunk)`,
      measure(() => ours.parse(stream), PER), measure(() => theirs.parse(stream), PER));

    // ---- parse: every packet in its own chunk (idle connection)
    row(`parse  v${version} qos${qos} (one packet per chunk)`,
      measure(() => { for (let i = 0; i < 100; i++) ours.parse(one); }, 100),
      measure(() => { for (let i = 0; i < 100; i++) theirs.parse(one); }, 100));

    // ---- encode one packet object -> Buffer
    row(`encode v${version} qos${qos}`,
      measure(() => { for (let i = 0; i < 100; i++) sink += encode(pkt, version).length; }, 100),
      measure(() => { for (let i = 0; i < 100; i++) sink += mqttPacket.generate(pkt, { protocolVersion: version }).length; }, 100));

    // ---- fan-out: one message to 100 subscribers
    row(`fan-out v${version} qos${qos}, 100 subscribers (PublishEncoder vs generate per subscriber)`,
      measure(() => {
        const enc = new PublishEncoder(TOPIC, PAYLOAD, pkt.properties);
        for (let i = 0; i < 100; i++) sink += enc.frame(version, qos, false, false, i + 1).length;
      }, 100),
      measure(() => {
        for (let i = 0; i < 100; i++) {
          sink += mqttPacket.generate({ ...pkt, messageId: qos ? i + 1 : undefined }, { protocolVersion: version }).length;
        }
      }, 100));
    if (sink === -1) console.log(sink);
  }
}

console.log(`node ${process.version}, ${SECONDS}s per case, payload ${PAYLOAD.length} B, topic ${TOPIC.length} chars`);
console.table(rows);
