#!/usr/bin/env node
// MQTT -> Kafka throughput of emqx_bridge_kafka (not a test).
//
//   node plugins/emqx_bridge_kafka/bench/kafka-bench.js [--messages N] [--clients C] [--payload B]
//        [--acks none|leader_only|all_isr] [--partitions P] [--batch-size N] [--runs R] [--no-bridge]
//
// Needs a build (npx tsc -b tsconfig.json). Kafka: KAFKA_BROKERS=host:port, or else librdkafka's
// mock cluster is started through test/services/services.sh (NOT a real Kafka: no disk, no
// replication; numbers against it say what the bridge can push, not what a Kafka cluster takes).
//
// A child process writes QoS 0 PUBLISH frames (topic bench/<client>, B-byte payload) over C raw
// TCP connections as fast as the broker reads them. The clock runs from the first frame until the
// bridge has handed the last record to Kafka (`emqx_ctl kafka stats`: sent), and the Kafka topic's
// offsets are read back at the end to check every record is there.
'use strict';
const { execFileSync, fork } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '../../..');

function args() {
  const o = { messages: 200000, clients: 4, payload: 64, acks: 'none', partitions: 1, batchSize: 1000, runs: 3, bridge: true };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    const v = () => a[++i];
    if (k === '--messages') o.messages = Number(v());
    else if (k === '--clients') o.clients = Number(v());
    else if (k === '--payload') o.payload = Number(v());
    else if (k === '--acks') o.acks = v();
    else if (k === '--partitions') o.partitions = Number(v());
    else if (k === '--batch-size') o.batchSize = Number(v());
    else if (k === '--runs') o.runs = Number(v());
    else if (k === '--no-bridge') o.bridge = false;
    else if (k === '--child') o.child = true;
    else throw new Error(`unknown option ${k}`);
  }
  return o;
}

// ---- the publisher (child process) ---------------------------------------------------------

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

function frame(type, body) {
  return Buffer.concat([Buffer.from([type]), remLen(body.length), body]);
}

function str(s) {
  const b = Buffer.from(s);
  const l = Buffer.alloc(2);
  l.writeUInt16BE(b.length);
  return Buffer.concat([l, b]);
}

function connectFrame(clientId) {
  // MQTT 3.1.1, clean session, keepalive 0
  return frame(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 0]), str(clientId)]));
}

function publishFrame(topic, payload) {
  return frame(0x30, Buffer.concat([str(topic), payload]));
}

async function publisher({ port, clients, messages, payload }) {
  const per = Math.floor(messages / clients);
  const done = [];
  for (let c = 0; c < clients; c++) {
    const n = c === clients - 1 ? messages - per * (clients - 1) : per;
    done.push(new Promise((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port }, () => sock.write(connectFrame(`bench-pub-${process.pid}-${c}`)));
      sock.setNoDelay(true);
      sock.on('error', reject);
      let connacked = false;
      sock.on('data', () => {
        if (connacked) return;
        connacked = true;
        const one = publishFrame(`bench/${c}`, Buffer.alloc(payload, 0x61));
        const chunk = Buffer.concat(Array.from({ length: 1000 }, () => one));
        let left = n;
        const pump = () => {
          while (left > 0) {
            const k = Math.min(left, 1000);
            left -= k;
            const ok = sock.write(k === 1000 ? chunk : chunk.subarray(0, k * one.length));
            if (!ok) return sock.once('drain', pump);
          }
          sock.end(Buffer.from([0xe0, 0]), resolve);
        };
        process.send({ type: 'started', at: Date.now() });
        pump();
      });
    }));
  }
  await Promise.all(done);
  process.send({ type: 'sent', at: Date.now() });
}

// ---- the coordinator -----------------------------------------------------------------------

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function startMock(topics) {
  const sh = path.join(ROOT, 'test/services/services.sh');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-kafka-bench-'));
  const env = { ...process.env, KAFKA_TOPICS: topics };
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 9999);
    try {
      const out = execFileSync('bash', [sh, 'start', 'kafka', dir, String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      const brokers = /^KAFKA_BROKERS=(.*)$/m.exec(out)[1];
      return { brokers, pid: Number(fs.readFileSync(path.join(dir, 'kafka.pid'), 'utf8')), stop: () => { execFileSync('bash', [sh, 'stop', 'kafka', dir], { stdio: 'ignore' }); fs.rmSync(dir, { recursive: true, force: true }); } };
    } catch (e) {
      if (e.status !== 75) throw e;
    }
  }
  throw new Error('no free port for the kafka mock');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function stats(node) {
  const out = (await node.ctl.run(['kafka', 'stats'])).output;
  const s = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) s[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return s;
}

async function topicTotal(brokers, topic) {
  // required only now, after the plugin loaded kafkajs itself (it patches a kafkajs module on first load)
  const kafkajs = require('kafkajs');
  const admin = new kafkajs.Kafka({ brokers: [brokers], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offs = await admin.fetchTopicOffsets(topic);
    // the high watermark: records ever appended (the mock trims old ones from its in-memory log, so low moves)
    return offs.reduce((a, p) => a + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** CPU seconds (user + system) a process has used, from /proc; undefined when unknown */
function cpuOf(pid) {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

async function runOnce(o, brokers, kernel, run, mockPid) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-kafka-bench-node-'));
  const topic = `bench_${run}`;
  fs.writeFileSync(path.join(dir, 'emqx_bridge_kafka.conf'), [
    `bridge.kafka.servers = ${brokers}`,
    `bridge.kafka.producer.required_acks = ${o.acks}`,
    `bridge.kafka.producer.batch_size = ${o.batchSize}`,
    'bridge.kafka.producer.replayq_max_total_bytes = 1GB',
    `bridge.kafka.hook.message.publish.1 = {"filter": "bench/#", "topic": "${topic}"}`,
  ].join('\n') + '\n');
  const node = await kernel.createBroker({
    logger: kernel.createLogger('none'), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: await freePort(), zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [path.join(ROOT, 'plugins')], etcDir: dir, loadedFile: path.join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  try {
    let received = () => 0;
    if (o.bridge) {
      await node.plugins.load('emqx_bridge_kafka');
      for (let i = 0; i < 200 && (await stats(node)).status !== 'connected'; i++) await sleep(25);
    } else {
      let n = 0;
      node.registry.tap('bench', 'message.publish', (m) => { n++; return m; });
      received = () => n;
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
    const mockCpu0 = mockPid && cpuOf(mockPid);
    child.send({ port: node.listeners[0].port, clients: o.clients, messages: o.messages, payload: o.payload });
    const publishedAt = await sent;
    let end;
    let s;
    const deadline = Date.now() + 300000;
    for (;;) {
      if (o.bridge) {
        s = await stats(node);
        if (Number(s.sent) + Number(s.dropped) >= o.messages) break;
      } else if (received() >= o.messages) break;
      if (Date.now() > deadline) throw new Error('timed out');
      await sleep(5);
    }
    end = Date.now();
    const secs = (end - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSecs = (cpu.user + cpu.system) / 1e6;
    // perCpuSecond: records per CPU second the broker process used (steadier than the wall-clock rate on a shared machine)
    const res = { run, rate: Math.round(o.messages / secs), perCpuSecond: Math.round(o.messages / cpuSecs), secs, mqttSecs: (publishedAt - started) / 1000, brokerCpu: `${Math.round((cpuSecs / secs) * 100)}%` };
    if (mockPid) res.mockCpu = `${Math.round(((cpuOf(mockPid) - mockCpu0) / secs) * 100)}%`;
    if (o.bridge) {
      res.requests = Number(s.requests);
      res.batches = Number(s.batches);
      res.dropped = Number(s.dropped);
      res.inKafka = await topicTotal(brokers, topic);
    }
    return res;
  } finally {
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
  const topics = Array.from({ length: o.runs }, (_, i) => `bench_${i}:${o.partitions}`).join(',');
  const mock = process.env.KAFKA_BROKERS ? undefined : startMock(topics);
  const brokers = process.env.KAFKA_BROKERS || mock.brokers;
  console.log(`emqx_bridge_kafka bench: ${o.messages} QoS 0 PUBLISH of ${o.payload} B over ${o.clients} connections, acks=${o.acks}, batch_size=${o.batchSize}, ${o.partitions} partition(s), ` +
    `${o.bridge ? `Kafka ${brokers}${mock ? " (librdkafka's mock cluster, not a real Kafka)" : ''}` : 'NO bridge (MQTT ingest baseline)'}; node ${process.version}, ${os.cpus().length} cpus`);
  try {
    const results = [];
    for (let run = 0; run < o.runs; run++) {
      const r = await runOnce(o, brokers, kernel, run, mock?.pid);
      results.push(r);
      console.log(JSON.stringify(r));
    }
    const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const rates = results.map((r) => r.rate);
    const perCpu = results.map((r) => r.perCpuSecond);
    console.log(`median ${med(rates)} msg/s wall clock (runs: ${rates.join(', ')}); median ${med(perCpu)} msg per broker CPU second`);
  } finally {
    mock?.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
