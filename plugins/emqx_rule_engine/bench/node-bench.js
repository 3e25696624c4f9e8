#!/usr/bin/env node
// Broker throughput and CPU per message with the rule
//   SELECT payload.x AS x FROM "t/#" WHERE payload.x > 10   → republish to out/<client>
// beside plain MQTT delivery, in one run (not a test):
//   plain      no rule engine; the subscriber reads t/#
//   loaded     the rule engine loaded with no rule; the subscriber reads t/#
//   rule       the rule above; the subscriber reads out/# (each message is republished once)
// Each delivers every message once to one subscriber, so the CPU difference is the rule's.
//
//   node plugins/emqx_rule_engine/bench/node-bench.js [--messages N] [--clients C] [--runs R]
//
// Needs a build (npx tsc -b tsconfig.json). The broker runs in this process; a child process
// writes QoS 0 PUBLISH frames over C raw TCP connections and counts what the subscriber gets.
'use strict';
const { fork } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '../../..');

function args() {
  const o = { messages: 200000, clients: 4, runs: 3 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    if (k === '--child') { o.child = true; continue; }
    const v = Number(a[++i]);
    if (k === '--messages') o.messages = v;
    else if (k === '--clients') o.clients = v;
    else if (k === '--runs') o.runs = v;
    else throw new Error(`unknown option ${k}`);
  }
  return o;
}

// ---- load generator (child) ----------------------------------------------------------------

function remLen(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}
const frame = (type, body) => Buffer.concat([Buffer.from([type]), remLen(body.length), body]);
const str = (s) => { const b = Buffer.from(s); return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]); };
const connectFrame = (id) => frame(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 60]), str(id)]));

function open(port, id) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(connectFrame(id)));
    s.once('data', (d) => (d[0] === 0x20 && d[3] === 0 ? resolve(s) : reject(new Error('connack refused'))));
    s.once('error', reject);
  });
}

/** counts PUBLISH packets arriving on `s` */
function counter(s, onCount) {
  let buf = Buffer.alloc(0);
  let n = 0;
  s.on('data', (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    let i = 0;
    for (;;) {
      if (buf.length - i < 2) break;
      let len = 0, mul = 1, j = i + 1;
      for (;;) {
        if (j >= buf.length) { len = -1; break; }
        const b = buf[j++];
        len += (b & 127) * mul;
        mul *= 128;
        if ((b & 128) === 0) break;
      }
      if (len < 0 || j + len > buf.length) break;
      if ((buf[i] & 0xf0) === 0x30) n++;
      i = j + len;
    }
    buf = buf.subarray(i);
    onCount(n);
  });
}

async function child() {
  process.on('message', async (m) => {
    const sub = await open(m.port, 'bench-sub');
    await new Promise((r) => {
      sub.once('data', r);
      sub.write(frame(0x82, Buffer.concat([Buffer.from([0, 1]), str(m.filter), Buffer.from([0])])));
    });
    const pubs = await Promise.all(Array.from({ length: m.clients }, (_, c) => open(m.port, `bench-pub-${c}`)));
    const done = new Promise((resolve) => counter(sub, (n) => { if (n >= m.messages) resolve(); }));
    const t0 = process.hrtime.bigint();
    process.send({ type: 'started' });
    await Promise.all(pubs.map(async (s, c) => {
      const per = Math.floor(m.messages / m.clients) + (c < m.messages % m.clients ? 1 : 0);
      const pkt = frame(0x30, Buffer.concat([str(`t/${c}`), Buffer.from(JSON.stringify({ x: 42, name: 'sensor', ts: 1700000000000 }))]));
      const batch = Buffer.concat(Array(100).fill(pkt));
      let left = per;
      while (left > 0) {
        const k = Math.min(100, left);
        const ok = s.write(k === 100 ? batch : batch.subarray(0, k * pkt.length));
        left -= k;
        if (!ok) await new Promise((r) => s.once('drain', r));
      }
    }));
    await done;
    const ns = Number(process.hrtime.bigint() - t0);
    process.send({ type: 'done', ns });
    for (const s of [sub, ...pubs]) s.destroy();
    process.exit(0);
  });
}

// ---- the broker (parent) -------------------------------------------------------------------

async function scenario(kernel, o, mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-rule-bench-'));
  const node = await kernel.createBroker({
    logger: kernel.createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [path.join(ROOT, 'plugins')], etcDir: path.join(ROOT, 'etc/plugins'), loadedFile: path.join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  try {
    if (mode !== 'plain') await node.plugins.load('emqx_rule_engine');
    if (mode === 'rule') {
      const out = (await node.ctl.run(['rules', 'create', 'SELECT payload.x AS x FROM "t/#" WHERE payload.x > 10',
        '[{"name":"republish","params":{"target_topic":"out/${x}","payload_tmpl":"${x}"}}]'])).output;
      if (!out.startsWith('Rule ')) throw new Error(out);
    }
    const c = fork(__filename, ['--child'], { stdio: 'inherit' });
    let cpu0;
    const res = await new Promise((resolve, reject) => {
      c.on('message', (m) => {
        if (m.type === 'started') cpu0 = process.cpuUsage();
        if (m.type === 'done') resolve(m);
      });
      c.on('exit', (code) => code && reject(new Error(`load generator exited ${code}`)));
      c.send({ port: node.listeners[0].port, clients: o.clients, messages: o.messages, filter: mode === 'rule' ? 'out/#' : 't/#' });
    });
    const cpu = process.cpuUsage(cpu0);
    return { rate: o.messages / (res.ns / 1e9), cpuUs: (cpu.user + cpu.system) / o.messages };
  } finally {
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const o = args();
  if (o.child) return child();
  const kernel = require(path.join(ROOT, 'packages/kernel/dist/index.js'));
  const modes = ['plain', 'loaded', 'rule'];
  const runs = Object.fromEntries(modes.map((m) => [m, []]));
  for (let r = 0; r < o.runs; r++) for (const m of modes) runs[m].push(await scenario(kernel, o, m));
  const med = (l, k) => l.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(l.length / 2)];
  const out = {};
  for (const m of modes) out[m] = { msgs_per_s: Math.round(med(runs[m], 'rate')), cpu_us_per_msg: Number(med(runs[m], 'cpuUs').toFixed(2)) };
  out.rule_vs_plain_rate = Number((out.rule.msgs_per_s / out.plain.msgs_per_s).toFixed(2));
  out.rule_cost_us_per_msg = Number((out.rule.cpu_us_per_msg - out.plain.cpu_us_per_msg).toFixed(2));
  out.messages = o.messages;
  out.clients = o.clients;
  out.runs = o.runs;
  console.log(JSON.stringify(out));
}

main().catch((err) => { console.error(err); process.exit(1); });
