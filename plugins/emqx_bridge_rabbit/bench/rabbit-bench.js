#!/usr/bin/env node
// MQTT -> RabbitMQ throughput of emqx_bridge_rabbit beside plain MQTT delivery (not a test).
//
//   node plugins/emqx_bridge_rabbit/bench/rabbit-bench.js [--messages N] [--clients C] [--payload B] [--runs R] [--batch-size N] [--pool P]
//
// Needs a build (npx tsc -b tsconfig.json). RabbitMQ: AMQP_URL=amqp://user:pass@host:port, or else a
// rabbitmq-server is started through test/services/services.sh.
//
// Each run measures, on fresh in-process nodes:
//   plain:  C publishers send N QoS 0 PUBLISH (topic bench/<c>, B bytes) and one subscriber on bench/#
//           receives them all (the clock stops at the last delivery)
//   bridge: the same publishers, no subscriber, emqx_bridge_rabbit loaded with one message.publish rule;
//           the clock stops when RabbitMQ has confirmed the last message (`emqx_ctl rabbit stats`: sent)
//           and the queue bound to the exchange is checked to hold all N
// and prints messages per second and broker CPU microseconds per message for both.
'use strict';
const { execFileSync, fork } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '../../..');

function args() {
  const o = { messages: 100000, clients: 4, payload: 64, runs: 3, batchSize: 500, pool: 4 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    const v = () => a[++i];
    if (k === '--messages') o.messages = Number(v());
    else if (k === '--clients') o.clients = Number(v());
    else if (k === '--payload') o.payload = Number(v());
    else if (k === '--runs') o.runs = Number(v());
    else if (k === '--batch-size') o.batchSize = Number(v());
    else if (k === '--pool') o.pool = Number(v());
    else if (k === '--child') o.child = true;
    else throw new Error(`unknown option ${k}`);
  }
  return o;
}

// ---- the publisher (child process): raw MQTT 3.1.1 frames as fast as the broker reads them ----

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
function str(s) {
  const b = Buffer.from(s);
  const l = Buffer.alloc(2);
  l.writeUInt16BE(b.length);
  return Buffer.concat([l, b]);
}
const connectFrame = (id) => frame(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 0]), str(id)]));

async function publisher({ port, clients, messages, payload }) {
  const per = Math.floor(messages / clients);
  await Promise.all(Array.from({ length: clients }, (_, c) => new Promise((resolve, reject) => {
    const n = c === clients - 1 ? messages - per * (clients - 1) : per;
    const sock = net.connect({ host: '127.0.0.1', port }, () => sock.write(connectFrame(`bench-pub-${process.pid}-${c}`)));
    sock.on('error', reject);
    let connacked = false;
    sock.on('data', () => {
      if (connacked) return;
      connacked = true;
      const one = frame(0x30, Buffer.concat([str(`bench/${c}`), Buffer.alloc(payload, 0x61)]));
      const chunk = Buffer.concat(Array.from({ length: 1000 }, () => one));
      let left = n;
      const pump = () => {
        while (left > 0) {
          const k = Math.min(left, 1000);
          left -= k;
          if (!sock.write(k === 1000 ? chunk : chunk.subarray(0, k * one.length))) return sock.once('drain', pump);
        }
        sock.end(Buffer.from([0xe0, 0]), resolve);
      };
      process.send({ type: 'started', at: Date.now() });
      pump();
    });
  })));
  process.send({ type: 'sent', at: Date.now() });
}

// ---- the coordinator ----

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function startRabbit() {
  const sh = path.join(ROOT, 'test/services/services.sh');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-rabbit-bench-'));
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 9997);
    try {
      const out = execFileSync('bash', [sh, 'start', 'rabbitmq', dir, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      const url = /^AMQP_URL=(.*)$/m.exec(out)[1];
      const pids = fs.readdirSync(dir).filter((f) => f.startsWith('rabbitmq') && f.endsWith('.pid')).map((f) => Number(fs.readFileSync(path.join(dir, f), 'utf8')));
      return { url, pids, stop: () => { execFileSync('bash', [sh, 'stop', 'rabbitmq', dir], { stdio: 'ignore' }); fs.rmSync(dir, { recursive: true, force: true }); } };
    } catch (e) {
      if (e.status !== 75) throw e;
    }
  }
  throw new Error('no free port for rabbitmq');
}

/** CPU seconds (user + system) of a process and its descendants, from /proc */
function treeCpu(pid) {
  let total = 0;
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    total += (Number(f[11]) + Number(f[12])) / 100;
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) total += treeCpu(Number(c));
    }
  } catch {
    /* gone */
  }
  return total;
}
const rabbitCpu = (pids) => (pids ? pids.reduce((a, p) => a + treeCpu(p), 0) : undefined);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function stats(node) {
  const s = {};
  for (const line of (await node.ctl.run(['rabbit', 'stats'])).output.split('\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) s[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return s;
}

async function runOnce(o, kernel, amqp, url, mode, run, rabbitPids) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-rabbit-bench-node-'));
  const u = new URL(url);
  const exchange = `bench.${run}`;
  fs.writeFileSync(path.join(dir, 'emqx_bridge_rabbit.conf'), [
    `bridge.rabbit.1.server = ${u.hostname}:${u.port}`,
    `bridge.rabbit.1.username = ${decodeURIComponent(u.username)}`,
    `bridge.rabbit.1.password = ${decodeURIComponent(u.password)}`,
    `bridge.rabbit.1.pool_size = ${o.pool}`,
    `bridge.rabbit.batch_size = ${o.batchSize}`,
    'bridge.rabbit.max_buffer_bytes = 1GB',
    `bridge.rabbit.hook.message.publish.1 = {"topic": "bench/#", "rabbit": 1, "exchange": "topic:${exchange}"}`,
  ].join('\n') + '\n');
  const node = await kernel.createBroker({
    logger: kernel.createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: await freePort(), zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [path.join(ROOT, 'plugins')], etcDir: dir, loadedFile: path.join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  let conn;
  try {
    let done;
    let queue;
    if (mode === 'bridge') {
      conn = await amqp.connect(url);
      const ch = await conn.createChannel();
      await ch.assertExchange(exchange, 'topic', { durable: true });
      queue = (await ch.assertQueue('', { exclusive: true })).queue;
      await ch.bindQueue(queue, exchange, '#');
      await node.plugins.load('emqx_bridge_rabbit');
      for (let i = 0; i < 400 && (await stats(node)).connections !== String(o.pool); i++) await sleep(25);
      done = async () => Number((await stats(node)).sent) >= o.messages;
      done.ch = ch;
    } else {
      // one subscriber receiving everything: a raw MQTT client counting PUBLISH frames by bytes
      const per = 2 + 2 + 'bench/0'.length + o.payload;
      let bytes = 0;
      await new Promise((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port: node.listeners[0].port }, () => s.write(connectFrame(`bench-sub-${run}`)));
        s.on('error', reject);
        let state = 0;
        s.on('data', (d) => {
          if (state === 0) {
            state = 1;
            s.write(frame(0x82, Buffer.concat([Buffer.from([0, 1]), str('bench/#'), Buffer.from([0])])));
            return;
          }
          if (state === 1) {
            state = 2;
            return resolve();
          }
          bytes += d.length;
        });
        done = async () => bytes >= o.messages * per;
        done.sock = s;
      });
    }
    const child = fork(__filename, ['--child'], { stdio: 'inherit' });
    let started = 0;
    const sent = new Promise((resolve, reject) => {
      child.on('message', (m) => {
        if (m.type === 'started' && !started) started = m.at;
        if (m.type === 'sent') resolve(m.at);
      });
      child.on('exit', (code) => code && reject(new Error(`publisher exited ${code}`)));
    });
    const cpu0 = process.cpuUsage();
    const rcpu0 = rabbitCpu(rabbitPids);
    child.send({ port: node.listeners[0].port, clients: o.clients, messages: o.messages, payload: o.payload });
    await sent;
    const deadline = Date.now() + 300000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await sleep(5);
    }
    const secs = (Date.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSecs = (cpu.user + cpu.system) / 1e6;
    const res = { mode, run, rate: Math.round(o.messages / secs), cpuUsPerMsg: Number(((cpuSecs * 1e6) / o.messages).toFixed(2)), secs, brokerCpu: `${Math.round((cpuSecs / secs) * 100)}%` };
    if (mode === 'bridge') {
      if (rcpu0 !== undefined) res.rabbitCpu = `${Math.round(((rabbitCpu(rabbitPids) - rcpu0) / secs) * 100)}%`;
      const s = await stats(node);
      res.dropped = Number(s.dropped);
      res.batches = Number(s.batches);
      let inQueue = 0;
      for (let i = 0; i < 200; i++) {
        inQueue = (await done.ch.checkQueue(queue)).messageCount;
        if (inQueue >= o.messages) break;
        await sleep(25);
      }
      res.inQueue = inQueue;
    } else done.sock.destroy();
    return res;
  } finally {
    await conn?.close().catch(() => undefined);
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const o = args();
  if (o.child) {
    process.once('message', (m) => publisher(m).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); }));
    return;
  }
  const kernel = require('@nemq/kernel');
  const amqp = require(require.resolve('amqplib', { paths: [path.join(ROOT, 'plugins/emqx_bridge_rabbit')] }));
  const rabbit = process.env.AMQP_URL ? undefined : startRabbit();
  const url = process.env.AMQP_URL || rabbit.url;
  console.log(`emqx_bridge_rabbit bench: ${o.messages} QoS 0 PUBLISH of ${o.payload} B over ${o.clients} connections; pool_size=${o.pool}, batch_size=${o.batchSize}, publisher confirms; node ${process.version}, ${os.cpus().length} cpus`);
  try {
    const all = { plain: [], bridge: [] };
    for (let run = 0; run < o.runs; run++) {
      for (const mode of ['plain', 'bridge']) {
        const r = await runOnce(o, kernel, amqp, url, mode, run, rabbit?.pids);
        all[mode].push(r);
        console.log(JSON.stringify(r));
      }
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const p = med(all.plain.map((r) => r.rate));
    const b = med(all.bridge.map((r) => r.rate));
    console.log(`median plain MQTT delivery ${p} msg/s (${med(all.plain.map((r) => r.cpuUsPerMsg))} µs broker CPU/msg); ` +
      `MQTT -> RabbitMQ ${b} msg/s (${med(all.bridge.map((r) => r.cpuUsPerMsg))} µs broker CPU/msg) = ${Math.round((b / p) * 100)}% of plain`);
  } finally {
    rabbit?.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
