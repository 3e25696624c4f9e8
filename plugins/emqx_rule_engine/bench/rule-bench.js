#!/usr/bin/env node
// The rule engine's cost per message (not a test), for the rule
//   SELECT payload.x AS x FROM "t/#" WHERE payload.x > 10
// with a republish action, measured on what the message.publish tap does for each message:
// build the event's columns, match FROM, decode the payload once, run SELECT/WHERE, render the
// republish templates and hand the result to publish (a counter here: routing is the broker's
// cost, measured by `pnpm bench`). Half of the messages pass WHERE.
//
//   node plugins/emqx_rule_engine/bench/rule-bench.js [--messages N] [--rules R] [--runs K]
//
// Needs a build (npx tsc -b tsconfig.json).
'use strict';
const path = require('node:path');

const dist = path.join(__dirname, '../dist');
const { Engine } = require(path.join(dist, 'engine.js'));
const { BUILTIN_ACTIONS, BUILTIN_TYPES } = require(path.join(dist, 'actions.js'));
const { publishRow } = require(path.join(dist, 'events.js'));

function args() {
  const o = { messages: 1000000, rules: 1, runs: 5 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    const v = Number(a[++i]);
    if (k === '--messages') o.messages = v;
    else if (k === '--rules') o.rules = v;
    else if (k === '--runs') o.runs = v;
    else throw new Error(`unknown option ${k}`);
  }
  return o;
}

async function main() {
  const o = args();
  let published = 0;
  const e = new Engine({
    node: 'emqx@127.0.0.1',
    logger: { info() {}, warning() {}, error() {} },
    publish() { published++; },
    actions: () => BUILTIN_ACTIONS,
    resourceTypes: () => BUILTIN_TYPES,
    saved() {},
  });
  for (let i = 0; i < o.rules; i++) {
    // the other rules read other topics: FROM is checked for each, only one runs
    const from = i === 0 ? 't/#' : `other${i}/#`;
    await e.createRule({ rawsql: `SELECT payload.x AS x FROM "${from}" WHERE payload.x > 10`, actions: [{ name: 'republish', params: { target_topic: 'out/${x}', payload_tmpl: '${x}' } }] });
  }
  const msgs = [];
  for (let i = 0; i < 1000; i++) {
    msgs.push({
      id: i, qos: 0, from: `c${i % 10}`, flags: { retain: false, dup: false, sys: false }, topic: `t/${i % 10}`,
      payload: Buffer.from(JSON.stringify({ x: i % 2 === 0 ? 20 : 5, name: 'sensor', ts: 1700000000000 + i })),
      properties: undefined, timestamp: Date.now(), headers: { username: 'u', peerhost: '127.0.0.1', proto_ver: 4 },
    });
  }
  const tap = (m) => e.applyTopic(m.topic, () => publishRow(m, 'emqx@127.0.0.1'));
  // the same loop with no rule: what the tap costs around the engine
  const empty = (m) => { if (e.publishRules.length === -1) tap(m); };
  const time = (fn) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < o.messages; i++) fn(msgs[i % 1000]);
    return Number(process.hrtime.bigint() - t0) / o.messages;
  };
  time(tap);
  time(empty);
  const res = [];
  for (let r = 0; r < o.runs; r++) res.push(time(tap) - time(empty));
  res.sort((a, b) => a - b);
  const med = res[Math.floor(res.length / 2)];
  const rule = e.list()[0];
  console.log(JSON.stringify({
    rule: rule.def.rawsql, rules: o.rules, messages: o.messages, runs: o.runs,
    ns_per_message_median: Math.round(med), ns_per_message_min: Math.round(res[0]),
    passed: rule.metrics.passed, matched: rule.metrics.matched, republished: published,
  }));
}

main().catch((err) => { console.error(err); process.exit(1); });
