#!/usr/bin/env node
// MQTT -> web hook throughput of emqx_web_hook beside plain MQTT delivery, in one run (not a test).
//
//   node plugins/emqx_web_hook/bench/webhook-bench.js [--messages N] [--payload B] [--pool P] [--runs R] [--only plain|webhook]
//
// Needs a build (npx tsc -b tsconfig.json). The broker runs in this process; a child process
// writes QoS 0 PUBLISH frames to bench/t as fast as the broker reads them; another child is
// either an MQTT subscriber of bench/# (plain delivery) or the HTTP server the hook POSTs to
// (one request per message, as EMQX sends them). The clock runs from the first frame to the
// last message received. "broker CPU/msg" is this process's user+system CPU over the run.
'use strict';
const { fork } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '../../..');

function opts() {
  const o = { messages: 50000, payload: 64, pool: 32, runs: 3 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    const v = () => Number(a[++i]);
    if (k === '--messages') o.messages = v();
    else if (k === '--payload') o.payload = v();
    else if (k === '--pool') o.pool = v();
    else if (k === '--runs') o.runs = v();
    else if (k === '--role') o.role = a[++i];
    else if (k === '--port') o.port = v();
    else if (k === '--only') o.only = a[++i];
    else throw new Error(`unknown option ${k}`);
  }
  return o;
}

// ---- MQTT frames -------------------------------------------------------------------------

const varint = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
};
const utf8 = (s) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
const packet = (first, body) => Buffer.concat([Buffer.from([first]), varint(body.length), body]);
const connect = (id) => packet(0x10, Buffer.concat([utf8('MQTT'), Buffer.from([4, 0x02, 0, 0]), utf8(id)]));

// ---- children ------------------------------------------------------------------------------

function publisher(o) {
  const one = packet(0x30, Buffer.concat([utf8('bench/t'), Buffer.alloc(o.payload, 0x62)]));
  const batch = Buffer.concat(Array(500).fill(one));
  const s = net.connect(o.port, '127.0.0.1', () => s.write(connect(`bench-pub-${process.pid}`)));
  s.once('data', () => {
    process.send({ started: Date.now() });
    let left = o.messages;
    const pump = () => {
      while (left > 0) {
        const k = Math.min(500, left);
        left -= k;
        if (!s.write(k === 500 ? batch : batch.subarray(0, k * one.length))) return void s.once('drain', pump);
      }
      s.end(Buffer.from([0xe0, 0]));
    };
    pump();
  });
}

function subscriber(o) {
  const frameLen = packet(0x30, Buffer.concat([utf8('bench/t'), Buffer.alloc(o.payload)])).length;
  const s = net.connect(o.port, '127.0.0.1', () => s.write(connect(`bench-sub-${process.pid}`)));
  let state = 0;
  let bytes = 0;
  s.on('data', (d) => {
    if (state === 0) {
      state = 1; // CONNACK (4 bytes) came: subscribe to bench/# at QoS 0
      s.write(packet(0x82, Buffer.concat([Buffer.from([0, 1]), utf8('bench/#'), Buffer.from([0])])));
      return;
    }
    if (state === 1) {
      state = 2; // SUBACK (5 bytes)
      d = d.subarray(5);
      process.send({ ready: true });
    }
    bytes += d.length;
    if (bytes >= frameLen * o.messages) {
      process.send({ done: Date.now(), got: Math.floor(bytes / frameLen) });
      s.destroy();
    }
  });
}

function server(o) {
  let n = 0;
  let cpu0;
  const srv = http.createServer({ keepAliveTimeout: 60000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.end();
      if (n === 0) cpu0 = process.cpuUsage();
      if (++n === o.messages) {
        const c = process.cpuUsage(cpu0);
        process.send({ done: Date.now(), got: n, serverCpuUs: (c.user + c.system) / n });
      }
    });
  });
  srv.listen(0, '127.0.0.1', () => process.send({ port: srv.address().port }));
}

// ---- coordinator ----------------------------------------------------------------------------

function child(role, extra) {
  const o = opts();
  const c = fork(__filename, ['--role', role, '--messages', String(o.messages), '--payload', String(o.payload), ...extra], { stdio: 'inherit' });
  const waitFor = (key) => new Promise((resolve, reject) => {
    const on = (m) => { if (m[key] !== undefined) { c.off('message', on); resolve(m); } };
    c.on('message', on);
    c.once('exit', (code) => reject(new Error(`${role} exited (${code}) before "${key}"`)));
  });
  return { c, waitFor };
}

async function run(kernel, o, mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-webhook-bench-'));
  let sink;
  let port;
  if (mode === 'webhook') {
    sink = child('server', []);
    port = (await sink.waitFor('port')).port;
    fs.writeFileSync(path.join(dir, 'emqx_web_hook.conf'), [
      `web.hook.url = http://127.0.0.1:${port}/`,
      `web.hook.pool_size = ${o.pool}`,
      `web.hook.backlog.max_events = ${o.messages + 1000}`,
      'web.hook.backlog.max_bytes = 1GB',
      'web.hook.rule.message.publish.1 = {"action": "on_message_publish", "topic": "bench/#"}',
    ].join('\n') + '\n');
  }
  const node = await kernel.createBroker({
    logger: kernel.createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100 }],
    plugins: { dirs: [path.join(ROOT, 'plugins')], etcDir: dir, loadedFile: path.join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  const mqttPort = node.listeners[0].port;
  try {
    if (mode === 'webhook') await node.plugins.load('emqx_web_hook');
    else {
      sink = child('subscriber', ['--port', String(mqttPort)]);
      await sink.waitFor('ready');
    }
    const done = sink.waitFor('done');
    const cpu0 = process.cpuUsage();
    const pub = child('publisher', ['--port', String(mqttPort)]);
    const { started } = await pub.waitFor('started');
    const end = await done;
    const cpu = process.cpuUsage(cpu0);
    const secs = (end.done - started) / 1000;
    let dropped = 0;
    if (mode === 'webhook') dropped = Number(/dropped\s*:\s*(\d+)/.exec((await node.ctl.run(['webhook', 'stats'])).output)[1]);
    pub.c.kill();
    return { rate: end.got / secs, cpuUs: (cpu.user + cpu.system) / end.got, dropped, serverCpuUs: end.serverCpuUs ?? 0, secs };
  } finally {
    sink?.c.kill();
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const o = opts();
  if (o.role === 'publisher') return publisher(o);
  if (o.role === 'subscriber') return subscriber(o);
  if (o.role === 'server') return server(o);
  const kernel = require(path.join(ROOT, 'packages/kernel/dist/index.js'));
  const res = { plain: [], webhook: [] };
  for (let r = 0; r < o.runs; r++) {
    for (const mode of ['plain', 'webhook']) if (!o.only || o.only === mode) res[mode].push(await run(kernel, o, mode));
  }
  const row = (mode) => {
    const rs = res[mode];
    return `${mode.padEnd(8)} ${Math.round(median(rs.map((x) => x.rate))).toString().padStart(8)} msg/s  ${median(rs.map((x) => x.cpuUs)).toFixed(2).padStart(6)} µs broker CPU/msg  dropped ${Math.max(...rs.map((x) => x.dropped))}${mode === 'webhook' ? `  (HTTP server CPU/msg ${median(rs.map((x) => x.serverCpuUs)).toFixed(2)} µs)` : ''}`;
  };
  console.log(`${o.messages} QoS 0 messages of ${o.payload} B, median of ${o.runs} runs; web hook pool_size ${o.pool}`);
  for (const mode of ['plain', 'webhook']) if (res[mode].length > 0) console.log(row(mode));
  if (res.plain.length > 0 && res.webhook.length > 0) console.log(`web hook at ${Math.round((100 * median(res.webhook.map((x) => x.rate))) / median(res.plain.map((x) => x.rate)))} % of plain delivery`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
