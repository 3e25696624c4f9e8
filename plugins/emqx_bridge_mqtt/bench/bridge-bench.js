#!/usr/bin/env node
// MQTT -> MQTT bridge throughput: a publisher (worker thread) sends N messages of --size
// bytes to a nemq node (main thread) whose emqx_bridge_mqtt forwards them to a Mosquitto
// (child process); a subscriber on Mosquitto (worker thread) counts them. msg/s = N over
// the time from the first publish to the last message at the remote subscriber.
//
//   npx tsc -b tsconfig.json
//   node plugins/emqx_bridge_mqtt/bench/bridge-bench.js [--n 200000] [--qos 0,1] [--size 64]
//        [--inflight 32] [--replayq] [--seg 10MB] [--direct]
//
// --direct: the publisher sends straight to Mosquitto (no bridge), a baseline for this box.
//
// Needs /usr/sbin/mosquitto (test/services/services.sh install mosquitto). Not a test.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const { spawn } = require('node:child_process');

const ROOT = path.join(__dirname, '../../..');
const PLUGIN = path.join(__dirname, '..');
const mqtt = require(require.resolve('mqtt', { paths: [PLUGIN] }));

if (!isMainThread) worker(workerData);
else main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// ---- worker threads: publisher and remote subscriber ----------------------------------------

function worker(w) {
  const c = mqtt.connect(w.url, { clientId: w.clientId, reconnectPeriod: 0, clean: true, protocolVersion: 4 });
  c.on('error', (e) => parentPort.postMessage({ error: e.message }));
  c.on('connect', () => {
    if (w.role === 'sub') {
      let n = 0;
      let first = 0;
      c.on('message', () => {
        if (n === 0) first = Date.now();
        n++;
        if (n === w.n) parentPort.postMessage({ done: true, n, first, last: Date.now() });
      });
      c.subscribe(w.topic, { qos: w.qos }, () => parentPort.postMessage({ ready: true }));
      setInterval(() => parentPort.postMessage({ progress: n }), 1000).unref();
      parentPort.on('message', (m) => m === 'stop' && c.end(true, {}, () => process.exit(0)));
      return;
    }
    // publisher
    parentPort.once('message', () => {
      const payload = Buffer.alloc(w.size, 0x61);
      const t0 = Date.now();
      let sent = 0;
      let acked = 0;
      const WINDOW = 1000;
      const onAck = () => {
        acked++;
        if (acked === w.n) parentPort.postMessage({ published: true, t0, t1: Date.now() });
        else if (sent - acked < WINDOW / 2) pump();
      };
      const pump = () => {
        const stream = c.stream;
        while (sent < w.n) {
          if (w.qos > 0 && sent - acked >= WINDOW) return;
          if (stream.writableNeedDrain) return void stream.once('drain', pump);
          sent++;
          if (w.qos > 0) c.publish(w.topic, payload, { qos: w.qos }, onAck);
          else c.publish(w.topic, payload, { qos: 0 });
          if (w.qos === 0 && sent % 1000 === 0) return void setImmediate(pump);
        }
        if (w.qos === 0) parentPort.postMessage({ published: true, t0, t1: Date.now() });
      };
      pump();
    });
    parentPort.postMessage({ ready: true });
  });
}

// ---- main thread ------------------------------------------------------------------------------

function args() {
  const a = process.argv.slice(2);
  const o = { n: 200_000, qos: [0, 1], size: 64, inflight: 32, replayq: false, seg: '10MB', direct: false };
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    const v = a[i + 1];
    if (k === '--n') o.n = Number(v), i++;
    else if (k === '--qos') o.qos = v.split(',').map(Number), i++;
    else if (k === '--size') o.size = Number(v), i++;
    else if (k === '--inflight') o.inflight = Number(v), i++;
    else if (k === '--seg') o.seg = v, i++;
    else if (k === '--replayq') o.replayq = true;
    else if (k === '--direct') o.direct = true;
    else throw new Error(`unknown argument ${k}`);
  }
  return o;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function startMosquitto(dir) {
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  // quiet (per-message logging costs Mosquitto a lot), no limits on queued/inflight messages
  fs.writeFileSync(conf, [`user ${os.userInfo().username}`, 'persistence false', 'log_dest stderr', 'log_type error', `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_queued_messages 0', 'max_inflight_messages 0', ''].join('\n'));
  const p = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return { port, proc: p, version: '' };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not start: ${err}`);
}

function spawnWorker(data) {
  const w = new Worker(__filename, { workerData: data });
  const events = [];
  let wake;
  w.on('message', (m) => {
    if (m.error) console.error(`${data.role}: ${m.error}`);
    events.push(m);
    if (wake) wake();
  });
  w.on('error', (e) => console.error(e));
  const next = (pred, ms = 120_000) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${data.role}: timed out`)), ms);
      const check = () => {
        const i = events.findIndex(pred);
        if (i >= 0) {
          clearTimeout(t);
          wake = undefined;
          resolve(events.splice(i, 1)[0]);
        } else wake = check;
      };
      check();
    });
  return { w, next };
}

async function main() {
  const o = args();
  const { createBroker, createLogger, defaultZone } = require(path.join(ROOT, 'packages/kernel'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-bridge-bench-'));
  const mosq = await startMosquitto(dir);
  const pluginsDir = path.join(dir, 'plugins');
  fs.mkdirSync(pluginsDir);
  fs.symlinkSync(PLUGIN, path.join(pluginsDir, 'emqx_bridge_mqtt'));
  fs.mkdirSync(path.join(dir, 'etc'));
  const conf = [
    `bridge.mqtt.bench.address = 127.0.0.1:${mosq.port}`,
    'bridge.mqtt.bench.proto_ver = mqttv4',
    'bridge.mqtt.bench.start_type = auto',
    'bridge.mqtt.bench.clientid = bridge_bench',
    'bridge.mqtt.bench.forwards = bench/#',
    'bridge.mqtt.bench.forward_mountpoint = fw/',
    'bridge.mqtt.bench.keepalive = 60s',
    `bridge.mqtt.bench.max_inflight_size = ${o.inflight}`,
    ...(o.replayq ? [`bridge.mqtt.bench.queue.replayq_dir = ${path.join(dir, 'replayq')}`, `bridge.mqtt.bench.queue.replayq_seg_bytes = ${o.seg}`] : []),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'etc/emqx_bridge_mqtt.conf'), conf);
  const zone = defaultZone('external');
  const node = await createBroker({
    nodeName: 'bench@127.0.0.1',
    sysInterval: 0,
    sysHeartbeat: 0,
    logger: createLogger('warning'),
    zones: { external: zone, default: zone },
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100 }],
    plugins: { dirs: [pluginsDir], etcDir: path.join(dir, 'etc'), loadedFile: path.join(dir, 'loaded_plugins'), dataDir: dir },
  });
  await node.plugins.load('emqx_bridge_mqtt');
  for (let i = 0; i < 100 && !(await node.ctl.run(['bridges', 'list'])).output.includes('Running'); i++) await new Promise((r) => setTimeout(r, 50));
  const localUrl = `mqtt://127.0.0.1:${node.listeners[0].port}`;
  const remoteUrl = `mqtt://127.0.0.1:${mosq.port}`;
  console.log(
    `bridge bench: node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), N=${o.n}, payload ${o.size} B, ` +
      (o.direct ? 'DIRECT to Mosquitto (no bridge)' : `max_inflight_size ${o.inflight}, queue ${o.replayq ? `disk (replayq, seg ${o.seg})` : 'memory'}`),
  );
  const rows = [];
  for (const qos of o.qos) {
    const topic = o.direct ? `fw/bench/q${qos}/x` : `bench/q${qos}/x`;
    const sub = spawnWorker({ role: 'sub', url: remoteUrl, clientId: `sink_${qos}`, topic: `fw/bench/q${qos}/#`, qos, n: o.n });
    await sub.next((m) => m.ready);
    const pub = spawnWorker({ role: 'pub', url: o.direct ? remoteUrl : localUrl, clientId: `src_${qos}`, topic, qos, n: o.n, size: o.size });
    await pub.next((m) => m.ready);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const mem = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
    pub.w.postMessage('go');
    const published = await pub.next((m) => m.published);
    let done;
    try {
      done = await sub.next((m) => m.done, 120_000);
    } catch (e) {
      const prog = sub.next((m) => m.progress !== undefined, 2000).catch(() => ({ progress: '?' }));
      console.error(`QoS ${qos}: remote got ${(await prog).progress} of ${o.n}`);
      throw e;
    }
    clearInterval(mem);
    const secs = (done.last - published.t0) / 1000;
    rows.push({
      qos,
      'msg/s end to end': Math.round(o.n / secs),
      'local publish msg/s': Math.round(o.n / ((published.t1 - published.t0) / 1000)),
      'seconds': secs.toFixed(2),
      'peak RSS MB (node)': Math.round(peak / 1048576),
    });
    sub.w.postMessage('stop');
    await pub.w.terminate();
    await new Promise((r) => setTimeout(r, 200));
    await sub.w.terminate();
  }
  console.table(rows);
  await node.stop();
  mosq.proc.kill();
  fs.rmSync(dir, { recursive: true, force: true });
}
