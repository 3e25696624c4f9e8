#!/usr/bin/env node
// Hostile clients over real sockets: random bytes, mutated packets, every packet type in
// every state, oversized frames, slowloris CONNECTs and a connection flood, while one
// well-behaved client publishes QoS 1 to itself and must get every message back.
// Starts the built broker (bin/emqx foreground) unless -p is given; only 127.0.0.1.
// Run: node test/bench/socket-fuzz.js [--cases 20000] [--time 45] [--concurrency 100] [--seed 1] [--json]
//      node test/bench/socket-fuzz.js -p 1883 [--good-port 11883]   (an already running broker)
'use strict';
const net = require('node:net');
const { spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const mqtt = require('mqtt');
const root = join(__dirname, '../..');
const { Parser } = require(join(root, 'packages/codec/dist/index.js'));
const { Rng, cmdsFor, frame, mutate, header } = require('./fuzz-packets.js');

const HOST = '127.0.0.1';
const args = parseArgs(process.argv.slice(2));
const CASES = Number(args.cases ?? 20000);
const TIME_MS = Number(args.time ?? 45) * 1000;
const CONCURRENCY = Number(args.concurrency ?? 100);
const SEED = Number(args.seed ?? 1);
const MAX_CONN = Number(args['max-connections'] ?? 200); // for the broker we start
const MAX_PACKET = 64 * 1024; // zone.external.max_packet_size of the broker we start
const QUIET_MS = 120; // a case ends when the broker closes or stays silent this long

function parseArgs(a) {
  const o = {};
  for (let i = 0; i < a.length; i++) {
    const k = a[i].replace(/^--?/, '');
    if (k === 'json') o.json = true;
    else o[k === 'h' ? 'host' : k === 'p' ? 'port' : k] = a[++i];
  }
  if (o.host && o.host !== HOST) throw new Error('traffic goes to 127.0.0.1 only');
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, HOST, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

// ------------------------------------------------------------------ the broker

async function startBroker() {
  const [tcp, internal] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'nemq-fuzz-'));
  const env = {
    ...process.env,
    EMQX_NODE__DATA_DIR: dir, EMQX_LOG__LEVEL: 'error',
    EMQX_LISTENER__TCP__EXTERNAL: `${HOST}:${tcp}`, EMQX_LISTENER__TCP__INTERNAL: `${HOST}:${internal}`,
    EMQX_LISTENER__SSL__EXTERNAL: '', EMQX_LISTENER__WS__EXTERNAL: '', EMQX_LISTENER__WSS__EXTERNAL: '',
    EMQX_LISTENER__TCP__EXTERNAL__MAX_CONNECTIONS: String(MAX_CONN),
    EMQX_LISTENER__TCP__EXTERNAL__MAX_CONN_RATE: '100000',
    EMQX_ZONE__EXTERNAL__MAX_PACKET_SIZE: '64KB',
    EMQX_ZONE__EXTERNAL__IDLE_TIMEOUT: '2s',
    // no HTTP listeners: several fuzz runs may share the machine
    EMQX_MANAGEMENT__LISTENER__HTTP: '', EMQX_DASHBOARD__LISTENER__HTTP: '',
  };
  const child = spawn(process.execPath, [join(root, 'bin/emqx'), 'foreground'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const t0 = Date.now();
  while (!out.includes('is running now')) {
    if (child.exitCode !== null || Date.now() - t0 > 20000) throw new Error(`broker did not start:\n${out}`);
    await sleep(50);
  }
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { port: tcp, goodPort: internal, child, pid: child.pid, output: () => out, stop };
}

function procStatus(pid, key) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${key}:\\s+(\\d+) kB`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ the good client

function goodClient(port) {
  const st = { sent: 0, delivered: 0, missing: [], error: undefined, got: new Set() };
  const c = mqtt.connect(`mqtt://${HOST}:${port}`, { clientId: 'fuzz-good', reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4 });
  let timer;
  const ready = new Promise((resolve, reject) => {
    c.once('connect', () => c.subscribe('good/echo', { qos: 1 }, (e) => (e ? reject(e) : resolve())));
    c.once('error', reject);
  });
  c.on('message', (_t, p) => {
    const n = Number(p.toString());
    if (!st.got.has(n)) {
      st.got.add(n);
      st.delivered++;
    }
  });
  let ending = false;
  c.on('close', () => ending || (st.error ??= 'good client connection closed'));
  c.on('error', (e) => (st.error ??= String(e)));
  const start = () => {
    timer = setInterval(() => {
      const n = st.sent++;
      c.publish('good/echo', String(n), { qos: 1 });
    }, 20);
  };
  const finish = async () => {
    clearInterval(timer);
    const t0 = Date.now();
    while (st.delivered < st.sent && Date.now() - t0 < 5000) await sleep(20);
    for (let i = 0; i < st.sent && st.missing.length < 20; i++) if (!st.got.has(i)) st.missing.push(i);
    ending = true;
    await new Promise((r) => c.end(false, {}, r));
  };
  return { st, ready, start, finish };
}

// ------------------------------------------------------------------ cases

const tally = new Map(); // how connections ended
const count = (k) => tally.set(k, (tally.get(k) ?? 0) + 1);
const recent = []; // the last cases' bytes, for a crash report
let connections = 0;

/** opens a connection, writes the chunks (delay ms apart), reports how the broker ended it */
function exchange(port, v, chunks, delay = 0, quiet = QUIET_MS) {
  return new Promise((resolve) => {
    connections++;
    const s = net.connect(port, HOST);
    const parser = new Parser({ protocolVersion: v });
    let connack, disconnect, ended = false, idle, connected = false;
    // a hard bound: a connect that never completes, or a broker that keeps talking
    const hard = setTimeout(() => done(connected ? 'still receiving after 10 s (we closed)' : 'no TCP accept in 10 s'), 10000);
    parser.onPacket = (p) => {
      if (p.cmd === 'connack' && connack === undefined) connack = p.reasonCode;
      if (p.cmd === 'disconnect') disconnect = p.reasonCode ?? 0;
    };
    parser.onError = () => {};
    const done = (how) => {
      if (ended) return;
      ended = true;
      clearTimeout(idle);
      clearTimeout(hard);
      s.destroy();
      const rc = (x) => `0x${x.toString(16).padStart(2, '0')}`;
      resolve([connack !== undefined ? `connack ${rc(connack)}` : 'no connack', disconnect !== undefined ? `disconnect ${rc(disconnect)}` : '', how].filter(Boolean).join(', '));
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => done('left open (we closed)'), quiet);
    };
    s.on('data', (d) => {
      parser.parse(d);
      arm();
    });
    s.on('error', (e) => done(e.code === 'ECONNRESET' ? 'reset by broker' : `error ${e.code}`));
    s.on('close', () => done('closed by broker'));
    s.on('connect', async () => {
      connected = true;
      for (let i = 0; i < chunks.length && !ended; i++) {
        if (i && delay) await sleep(delay);
        if (!ended) s.write(chunks[i]);
        arm();
      }
    });
  });
}

const STATES = ['before CONNECT', 'after CONNECT', 'after DISCONNECT'];
const matrix = [];
for (const v of [3, 4, 5]) for (const state of STATES) for (const cmd of cmdsFor(v)) matrix.push({ v, state, cmd });

/** one case: [kind, version, chunks] */
function makeCase(r, i) {
  const v = r.pick([3, 4, 5]);
  const conn = () => frame(r, 'connect', v);
  switch (i % 10) {
    case 0: case 1: { // random bytes, sometimes behind a plausible first byte
      const b = r.bytes(1 + r.int(r.bool(0.1) ? 4096 : 64));
      if (r.bool(0.5)) b[0] = r.pick([0x10, 0x30, 0x82, 0xc0, 0xe0]);
      return ['random bytes', v, [b]];
    }
    case 2: case 3:
      return ['mutated CONNECT', v, [mutate(r, conn())]];
    case 4: case 5: case 6:
      return ['mutated packet after CONNECT', v, [conn(), mutate(r, frame(r, r.pick(cmdsFor(v)), v))]];
    case 7: case 8: { // every packet type in every state, in turn
      const m = matrix[Math.floor(i / 10) % matrix.length];
      const pre = m.state === 'before CONNECT' ? [] : [frame(r, 'connect', m.v)];
      if (m.state === 'after DISCONNECT') pre.push(frame(r, 'disconnect', m.v));
      return [`${m.cmd} ${m.state}`, m.v, [...pre, frame(r, m.cmd, m.v)]];
    }
    default: { // oversized: a header past max_packet_size, with part, all or none of the body
      const len = MAX_PACKET + 1 + r.int(r.bool() ? 16 : 2 * 1024 * 1024);
      const body = r.bytes(r.pick([0, 100, Math.min(len, 80 * 1024)]));
      const first = r.bool(0.3) ? [] : [conn()];
      return ['oversized frame', v, [...first, header(r.pick([0x10, 0x30, 0x32, 0x82]), len), body]];
    }
  }
}

/** valid CONNECT trickled a byte at a time; idle_timeout (2 s) should end it */
function slowloris(r, port) {
  const v = r.pick([3, 4, 5]);
  const b = frame(r, 'connect', v);
  const chunks = [...b].map((x) => Buffer.from([x]));
  return exchange(port, v, chunks, 250, 3000);
}

/** opens n connections at once and holds them 1 s: how many did the broker keep */
async function flood(port, n) {
  const socks = [];
  let closed = 0, refused = 0;
  await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    connections++;
    const s = net.connect(port, HOST);
    socks.push(s);
    s.once('connect', resolve);
    s.once('error', () => (refused++, resolve()));
    s.once('close', () => closed++);
  })));
  await sleep(1000);
  const kept = n - closed;
  for (const s of socks) s.destroy();
  return { opened: n, keptOpen: kept, closedByBroker: closed - refused, refused };
}

/** a fresh client on port gets CONNACK 0 */
async function answers(port) {
  const how = await exchange(port, 4, [frame(new Rng(7), 'connect', 4, 'fuzz-check')], 0, 1000);
  connections--;
  return how.startsWith('connack 0x00');
}

// ------------------------------------------------------------------ run

(async () => {
  const broker = args.port ? undefined : await startBroker();
  const port = broker ? broker.port : Number(args.port);
  const goodPort = broker ? broker.goodPort : Number(args['good-port'] ?? port);
  const pid = broker ? broker.pid : args.pid ? Number(args.pid) : undefined;
  let peakRss = 0;
  const sampler = pid && setInterval(() => (peakRss = Math.max(peakRss, procStatus(pid, 'VmRSS') ?? 0)), 200);
  const rssStart = pid ? procStatus(pid, 'VmRSS') : undefined;

  const good = goodClient(goodPort);
  await good.ready;
  good.start();
  const t0 = Date.now();
  const floodResult = await flood(port, Number(args.flood ?? MAX_CONN + 50));

  const r = new Rng(SEED);
  const kinds = new Map();
  let sent = 0, slow = 0;
  const slowRuns = [];
  const worker = async () => {
    while (sent < CASES && Date.now() - t0 < TIME_MS && (!broker || broker.child.exitCode === null)) {
      const i = sent++;
      if (i % 500 === 0 && slow - slowRuns.length < 20) {
        slow++;
        slowRuns.push(slowloris(r, port).then((how) => count(`slowloris: ${how}`)));
      }
      const [kind, v, chunks] = makeCase(r, i);
      const k = kind.startsWith('oversized') || kind.startsWith('random') || kind.startsWith('mutated') ? kind : 'packet type x state';
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
      recent.push(Buffer.concat(chunks).subarray(0, 512).toString('hex'));
      if (recent.length > 100) recent.shift();
      count(await exchange(port, v, chunks));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await Promise.all(slowRuns);
  const fuzzSeconds = (Date.now() - t0) / 1000;
  if (process.env.FUZZ_DEBUG) console.error('fuzzing done');

  await good.finish();
  const alive = broker ? broker.child.exitCode === null : true;
  const answering = alive && (await answers(port)) && (await answers(goodPort));
  if (sampler) clearInterval(sampler);
  const vmHWM = pid ? procStatus(pid, 'VmHWM') : undefined;
  const rssEnd = pid ? procStatus(pid, 'VmRSS') : undefined;
  const logErrors = broker ? broker.output().split('\n').filter((l) => /error|uncaught|exception/i.test(l)) : [];
  if (broker) await broker.stop();

  const result = {
    seed: SEED, cases: sent, slowloris: slow, connections, seconds: +fuzzSeconds.toFixed(1),
    casesPerSecond: Math.round(sent / fuzzSeconds), kinds: Object.fromEntries(kinds), flood: floodResult,
    outcomes: Object.fromEntries([...tally].sort((a, b) => b[1] - a[1])),
    broker: { alive, answering, rssStartKiB: rssStart, peakRssKiB: Math.max(peakRss, rssEnd ?? 0), vmHWMKiB: vmHWM, rssEndKiB: rssEnd, logErrors: logErrors.slice(0, 10) },
    good: { sent: good.st.sent, delivered: good.st.delivered, missing: good.st.missing, error: good.st.error },
  };
  if (!alive) result.lastCases = recent;
  const ok = alive && answering && good.st.sent > 0 && good.st.delivered === good.st.sent;
  if (args.json) console.log(JSON.stringify(result));
  else print(result, ok);
  process.exit(ok ? 0 : 1);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});

function print(x, ok) {
  console.log(`cases ${x.cases} (+${x.slowloris} slowloris) in ${x.seconds} s (${x.casesPerSecond}/s), ${x.connections} connections, seed ${x.seed}`);
  for (const [k, n] of Object.entries(x.kinds)) console.log(`  ${k}: ${n}`);
  console.log(`flood: ${x.flood.opened} opened at once, ${x.flood.keptOpen} kept open, ${x.flood.closedByBroker} closed by the broker, ${x.flood.refused} refused`);
  console.log('how connections ended:');
  for (const [k, n] of Object.entries(x.outcomes)) console.log(`  ${String(n).padStart(7)}  ${k}`);
  const b = x.broker;
  console.log(`broker: alive ${b.alive}, answering ${b.answering}, RSS ${b.rssStartKiB} KiB at start, peak ${b.peakRssKiB} KiB (VmHWM ${b.vmHWMKiB}), ${b.rssEndKiB} at end`);
  if (b.logErrors.length) console.log(`broker log errors:\n  ${b.logErrors.join('\n  ')}`);
  console.log(`good client: ${x.good.delivered}/${x.good.sent} delivered${x.good.error ? ` (${x.good.error})` : ''}${x.good.missing.length ? `, missing ${x.good.missing}` : ''}`);
  if (x.lastCases) console.log(`broker died; last cases (hex):\n${x.lastCases.join('\n')}`);
  console.log(ok ? 'OK' : 'FAILED');
}
