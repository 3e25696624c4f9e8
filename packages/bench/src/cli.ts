#!/usr/bin/env node
/**
 * nemq-bench: emqx_bench-style load tools (conn / pub / sub), single
 * scenarios against a running broker, and `compare`, which starts nemq,
 * Mosquitto and Aedes itself and writes a Markdown report.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError, describe, list, parseArgs, shellQuote, type OptSpec, type Opts } from './args.js';
import { BROKERS, BrokerUnavailable, isBroker, killAllSync, logTail, startBroker, type BrokerName, type RunningBroker } from './brokers.js';
import { authBench, renderAuth, upsertAuth } from './auth.js';
import { AUTH_BACKENDS } from './auth-backends.js';
import { clusterBench, renderCluster, upsertCluster } from './cluster.js';
import { mgmtBench, renderMgmt, upsertMgmt } from './mgmt.js';
import { SINKS, sinksBench, renderSinks, upsertSinks, type SinkName } from './sinks.js';
import { flowSummary } from './flow.js';
import { LoadWorker, liveWorkers, split, sum } from './loadgen.js';
import type { QoS } from './mqtt.js';
import { machineInfo, selfFdLimits } from './proc.js';
import { S, type Role } from './protocol.js';
import { renderResults, upsertResults, type BrokerInfo, type RunRecord } from './report.js';
import { DEFAULT_PARAMS, SCENARIOS, isScenario, runScenario, sleep, type ScenarioName, type ScenarioParams } from './scenarios.js';

const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

const CONN_OPTS: OptSpec[] = [
  { name: 'host', short: 'h', type: 'string', default: '127.0.0.1', help: 'broker host' },
  { name: 'port', short: 'p', type: 'number', default: 1883, help: 'broker port' },
  { name: 'count', short: 'c', type: 'number', default: 200, help: 'number of clients' },
  { name: 'keepalive', short: 'k', type: 'number', default: 300, help: 'keepalive seconds (0 = off)' },
  { name: 'username', short: 'u', type: 'string', help: 'username' },
  { name: 'password', short: 'P', type: 'string', help: 'password' },
  { name: 'prefix', type: 'string', help: 'client id prefix (id = prefix + index)' },
  { name: 'startnumber', short: 'n', type: 'number', default: 0, help: 'first client index' },
  { name: 'concurrency', type: 'number', default: 100, help: 'connection attempts in flight' },
  { name: 'workers', type: 'number', default: 1, help: 'worker threads to spread the clients over' },
  { name: 'duration', type: 'number', default: 0, help: 'stop after this many seconds (0 = until Ctrl-C)' },
];

const PUB_OPTS: OptSpec[] = [
  ...CONN_OPTS,
  { name: 'topic', short: 't', type: 'string', default: 'bench/%i', help: 'topic, %i = client index' },
  { name: 'qos', short: 'q', type: 'number', default: 0, help: 'QoS 0 or 1' },
  { name: 'size', short: 's', type: 'number', default: 256, help: 'payload bytes' },
  { name: 'interval_of_msg', short: 'I', type: 'number', default: 10, help: 'ms between messages of each client; 0 = as fast as flow control allows' },
  { name: 'inflight', type: 'number', default: 100, help: 'QoS 1: PUBLISHes awaiting PUBACK per client' },
  { name: 'batch', type: 'number', default: 64, help: 'max messages per socket write' },
];

const SUB_OPTS: OptSpec[] = [
  ...CONN_OPTS,
  { name: 'topic', short: 't', type: 'string', default: 'bench/#', help: 'topic filter, %i = client index' },
  { name: 'qos', short: 'q', type: 'number', default: 0, help: 'QoS 0 or 1' },
];

const PARAM_OPTS: OptSpec[] = [
  { name: 'duration', type: 'number', default: DEFAULT_PARAMS.durationMs / 1000, help: 'measuring window, seconds (per QoS for latency)' },
  { name: 'warmup', type: 'number', default: DEFAULT_PARAMS.warmupMs / 1000, help: 'warm-up before each window, seconds' },
  { name: 'conn-count', type: 'number', default: DEFAULT_PARAMS.connCount, help: 'conn: idle connections' },
  { name: 'latency-rate', type: 'number', default: DEFAULT_PARAMS.latencyRate, help: 'latency: messages per second' },
  { name: 'payload', type: 'number', default: DEFAULT_PARAMS.payloadSize, help: 'payload bytes of the throughput scenarios' },
];

const SCENARIO_OPTS: OptSpec[] = [
  { name: 'host', short: 'h', type: 'string', default: '127.0.0.1', help: 'broker host' },
  { name: 'port', short: 'p', type: 'number', default: 1883, help: 'broker port' },
  { name: 'pid', type: 'number', help: 'broker pid (enables broker CPU % and RSS per connection)' },
  ...PARAM_OPTS,
];

const COMPARE_OPTS: OptSpec[] = [
  { name: 'rounds', type: 'number', default: 3, help: 'rounds (A B C A B C ...)' },
  { name: 'scenarios', type: 'string', default: SCENARIOS.join(','), help: 'comma-separated scenarios' },
  { name: 'brokers', type: 'string', default: BROKERS.join(','), help: 'comma-separated brokers' },
  { name: 'out', type: 'string', help: 'write/update this Markdown file (e.g. docs/benchmarks.md)' },
  { name: 'json', type: 'string', help: 'also write the raw results as JSON to this file' },
  { name: 'keep-logs', type: 'boolean', default: false, help: 'keep the temp dir with broker configs and logs' },
  { name: 'auth', type: 'string', default: 'all', help: 'then the auth bench (as `auth`) with these backends; none to skip' },
  { name: 'cluster', type: 'string', default: 'on', help: 'then the cluster bench (as `cluster`); off to skip' },
  { name: 'mgmt', type: 'string', default: 'on', help: 'then the management bench (as `mgmt`); off to skip' },
  { name: 'sinks', type: 'string', default: 'on', help: 'then the integrations bench (as `sinks`); off to skip' },
  ...PARAM_OPTS,
];

const SINKS_OPTS: OptSpec[] = [
  { name: 'out', type: 'string', help: 'write/update the integrations section of this Markdown file (e.g. docs/benchmarks.md)' },
  { name: 'rounds', type: 'number', default: 3, help: 'rounds; each row shows its median run' },
  { name: 'sinks', type: 'string', default: SINKS.join(','), help: 'comma-separated sinks' },
  { name: 'publishers', type: 'number', default: 10, help: 'QoS 0 publishers flooding t/<n>' },
  ...PARAM_OPTS,
];

const MGMT_OPTS: OptSpec[] = [
  { name: 'out', type: 'string', help: 'write/update the management section of this Markdown file (e.g. docs/benchmarks.md)' },
  { name: 'rounds', type: 'number', default: 3, help: 'rounds; each cell shows its median run' },
  { name: 'clients', type: 'number', default: 100_000, help: 'clients in the table for the API latency run (0 to skip)' },
  ...PARAM_OPTS,
];

const AUTH_OPTS: OptSpec[] = [
  { name: 'backends', type: 'string', default: AUTH_BACKENDS.map((b) => b.name).join(','), help: 'comma-separated auth backends' },
  { name: 'out', type: 'string', help: 'write/update the auth section of this Markdown file (e.g. docs/benchmarks.md)' },
  { name: 'rounds', type: 'number', default: 3, help: 'rounds; each row shows its median run' },
  ...PARAM_OPTS,
];

const CLUSTER_OPTS: OptSpec[] = [
  { name: 'out', type: 'string', help: 'write/update the cluster section of this Markdown file (e.g. docs/benchmarks.md)' },
  { name: 'rounds', type: 'number', default: 3, help: 'rounds; each cell shows its median run' },
  { name: 'takeover-clients', type: 'number', default: 200, help: 'persistent clients moved from node 1 to node 2' },
  { name: 'join-routes', type: 'number', default: 10_000, help: 'routes on the node a fresh node joins' },
  ...PARAM_OPTS,
];

const USAGE = `nemq-bench — MQTT load generator and broker comparison

Usage:
  node packages/bench/dist/cli.js conn -h HOST -p PORT -c COUNT [options]
  node packages/bench/dist/cli.js pub  -h HOST -p PORT -c COUNT -t TOPIC -q QOS -s SIZE -I INTERVAL_MS [options]
  node packages/bench/dist/cli.js sub  -h HOST -p PORT -c COUNT -t TOPIC -q QOS [options]
  node packages/bench/dist/cli.js scenario NAME -h HOST -p PORT [--pid PID] [options]
  node packages/bench/dist/cli.js compare [--rounds N] [--duration S] [--scenarios a,b] [--out docs/benchmarks.md]
  node packages/bench/dist/cli.js cluster [--rounds N] [--duration S] [--out docs/benchmarks.md]
  node packages/bench/dist/cli.js mgmt [--rounds N] [--clients N] [--out docs/benchmarks.md]
  node packages/bench/dist/cli.js sinks [--rounds N] [--duration S] [--out docs/benchmarks.md]

conn/pub/sub run until Ctrl-C or --duration and print rates every second.
Scenarios: ${SCENARIOS.join(', ')}.

conn options:
${describe(CONN_OPTS)}

pub options (plus conn options):
${describe(PUB_OPTS.slice(CONN_OPTS.length))}

sub options (plus conn options):
${describe(SUB_OPTS.slice(CONN_OPTS.length))}

scenario options:
${describe(SCENARIO_OPTS)}

compare options:
${describe(COMPARE_OPTS)}

cluster options:
${describe(CLUSTER_OPTS)}

mgmt options:
${describe(MGMT_OPTS)}

sinks options:
${describe(SINKS_OPTS)}
`;

/* ------------------------------------------------------------------ */
/* Cleanup                                                             */
/* ------------------------------------------------------------------ */

let tmpDir: string | null = null;
let keepTmp = false;

function cleanupSync(): void {
  killAllSync();
  if (tmpDir && !keepTmp) {
    try {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
    tmpDir = null;
  }
}

let interrupted = false;
const interruptHandlers: (() => void)[] = [];

function installSignalHandlers(): void {
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) {
      cleanupSync();
      process.exit(130);
    }
    interrupted = true;
    for (const h of interruptHandlers) h();
    if (interruptHandlers.length === 0) {
      log(`\n${sig}: stopping`);
      void Promise.all(liveWorkers().map((w) => w.terminate())).finally(() => {
        cleanupSync();
        process.exit(130);
      });
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', cleanupSync);
}

/**
 * 10k connections need 10k descriptors. Node cannot call setrlimit, so when
 * the soft limit is too low, re-run this command through /bin/sh with a
 * raised `ulimit -n` (works up to the hard limit, or beyond as root).
 */
async function ensureFdLimit(need: number, argv: readonly string[]): Promise<void> {
  const lim = selfFdLimits();
  if (!lim || lim.soft >= need || process.env.NEMQ_BENCH_FD_REEXEC) return;
  log(`open files limit ${lim.soft} < ${need}: re-running with ulimit -n ${need}`);
  const script = `ulimit -n ${need} 2>/dev/null || ulimit -n "$(ulimit -H -n)" 2>/dev/null; exec "$0" "$@"`;
  const child = spawn('/bin/sh', ['-c', script, process.execPath, ...process.execArgv, __filename, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, NEMQ_BENCH_FD_REEXEC: '1' },
  });
  // The child gets Ctrl-C from the terminal itself and cleans up.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 128 + (os.constants.signals[s] ?? 0) : 1))));
  process.exit(code);
}

/* ------------------------------------------------------------------ */
/* conn / pub / sub tools                                              */
/* ------------------------------------------------------------------ */

function qosOf(v: unknown): QoS {
  if (v === 0 || v === 1) return v;
  throw new UsageError('--qos must be 0 or 1 (QoS 2 is not supported by the load generator)');
}

function positive(v: unknown, name: string, allowZero = false): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || (!allowZero && n === 0)) throw new UsageError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
  return n;
}

async function tool(role: Role, o: Opts): Promise<void> {
  const count = positive(o.count, 'count');
  const nWorkers = Math.min(count, positive(o.workers, 'workers'));
  const host = String(o.host);
  const port = positive(o.port, 'port');
  const qos = role === 'conn' ? 0 : qosOf(o.qos);
  const interval = role === 'pub' ? positive(o.interval_of_msg, 'interval_of_msg', true) : 0;
  const totalRate = interval > 0 ? (count * 1000) / interval : 0;
  const prefix = typeof o.prefix === 'string' ? o.prefix : `bench-${role}-${process.pid}-`;
  const workers: LoadWorker[] = [];
  let idx = positive(o.startnumber, 'startnumber', true);
  for (const n of split(count, nWorkers)) {
    workers.push(
      new LoadWorker({
        role,
        host,
        port,
        count: n,
        startIndex: idx,
        clientIdPrefix: prefix,
        topic: typeof o.topic === 'string' ? o.topic : 'bench/%i',
        qos,
        payloadSize: role === 'pub' ? positive(o.size, 'size', true) : 0,
        keepalive: positive(o.keepalive, 'keepalive', true),
        username: typeof o.username === 'string' ? o.username : undefined,
        password: typeof o.password === 'string' ? o.password : undefined,
        connectConcurrency: Math.max(1, Math.round(positive(o.concurrency, 'concurrency') / nWorkers)),
        connectTimeoutMs: 600_000,
        rate: (totalRate * n) / count,
        batch: role === 'pub' ? positive(o.batch, 'batch') : 64,
        inflight: role === 'pub' ? positive(o.inflight, 'inflight') : 100,
      }),
    );
    idx += n;
  }
  log(
    `${role}: ${count} client(s) → ${host}:${port}` +
      (role === 'pub' ? `, topic ${String(o.topic)}, QoS ${qos}, ${String(o.size)} B, ${interval > 0 ? `${interval} ms interval (${Math.round(totalRate)} msg/s total)` : 'flood'}` : '') +
      (role === 'sub' ? `, filter ${String(o.topic)}, QoS ${qos}` : ''),
  );
  // Publishers start as soon as their worker's connections are up.
  if (role === 'pub') for (const w of workers) void w.ready(600_000).then(() => w.send({ cmd: 'go' }));
  let stop = false;
  interruptHandlers.push(() => {
    stop = true;
  });
  const durationMs = Number(o.duration) * 1000;
  const t0 = Date.now();
  let prev = { t: t0, conn: 0, sent: 0, recv: 0 };
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  while (!stop && (durationMs <= 0 || Date.now() - t0 < durationMs)) {
    const until = Math.min(prev.t + 1000, durationMs > 0 ? t0 + durationMs : Infinity);
    while (!stop && Date.now() < until) await sleep(Math.min(50, until - Date.now()));
    const now = Date.now();
    if (now - prev.t < 100) break; // stopped right after a report
    const cur = { t: now, conn: sum(workers, S.CONNECTED), sent: sum(workers, S.SENT), recv: sum(workers, S.RECEIVED) };
    const dt = (cur.t - prev.t) / 1000;
    const failed = sum(workers, S.FAILED);
    const dropped = sum(workers, S.DROPPED);
    const el = `${Math.round((now - t0) / 1000)}s`;
    const health = `${failed ? `, failed ${fmt(failed)}` : ''}${dropped ? `, dropped ${fmt(dropped)}` : ''}`;
    if (role === 'conn') log(`${el} connected ${fmt(cur.conn)}/${fmt(count)} (+${fmt((cur.conn - prev.conn) / dt)}/s)${health}`);
    if (role === 'pub') log(`${el} sent ${fmt((cur.sent - prev.sent) / dt)} msg/s, total ${fmt(cur.sent)}, conns ${fmt(cur.conn)}${health}`);
    if (role === 'sub') log(`${el} recv ${fmt((cur.recv - prev.recv) / dt)} msg/s, total ${fmt(cur.recv)}, conns ${fmt(cur.conn)}${health}`);
    prev = cur;
    for (const w of workers) if (w.error) throw new Error(w.error);
  }
  for (const w of workers) w.send({ cmd: 'stop' });
  await Promise.all(workers.map((w) => w.close()));
  const secs = (Date.now() - t0) / 1000;
  log(`done after ${secs.toFixed(1)} s: connected ${fmt(sum(workers, S.CONNECTED))}, sent ${fmt(sum(workers, S.SENT))}, received ${fmt(sum(workers, S.RECEIVED))}`);
}

/* ------------------------------------------------------------------ */
/* scenario / compare                                                  */
/* ------------------------------------------------------------------ */

function paramsFrom(o: Opts): ScenarioParams {
  const secs = (v: unknown, name: string): number => {
    const n = Number(v);
    if (!(n > 0) || n > 600) throw new UsageError(`--${name} must be in (0, 600] seconds`);
    return Math.round(n * 1000);
  };
  const warm = Number(o.warmup);
  if (!(warm >= 0) || warm > 60) throw new UsageError('--warmup must be in [0, 60] seconds');
  return {
    ...DEFAULT_PARAMS,
    durationMs: secs(o.duration, 'duration'),
    warmupMs: Math.round(warm * 1000),
    connCount: positive(o['conn-count'], 'conn-count'),
    latencyRate: positive(o['latency-rate'], 'latency-rate'),
    payloadSize: positive(o.payload, 'payload', true),
  };
}

async function scenarioCmd(name: string | undefined, o: Opts, argv: readonly string[]): Promise<void> {
  if (!name || !isScenario(name)) throw new UsageError(`scenario NAME: one of ${SCENARIOS.join(', ')}`);
  const p = paramsFrom(o);
  if (name === 'conn') await ensureFdLimit(p.connCount + 1_000, argv);
  const pid = typeof o.pid === 'number' ? o.pid : undefined;
  const r = await runScenario(name, { host: String(o.host), port: positive(o.port, 'port'), pid }, p);
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}

function summaryLine(r: RunRecord): string {
  if (r.error) return `FAILED: ${r.error}`;
  const m = r.result?.metrics ?? [];
  const vals = m
    .map((x) => (x.flow ? flowSummary(x.flow) : `${x.unit === 'KiB' ? x.value.toFixed(1) : Math.round(x.value).toLocaleString('en-US')} ${x.unit}`))
    .join(', ');
  const c = m[0];
  const cpu = c ? ` [broker ${Math.round(c.brokerCpuPct)}%, load-gen ${Math.round(c.loadgenCpuPct)}% (max thread ${Math.round(c.loadgenMaxThreadPct)}%), other ${Math.round(c.otherCpuPct)}%]` : '';
  return `${vals}${cpu}${r.result?.notes.length ? ` — ${r.result.notes.join('; ')}` : ''}`;
}

async function compare(o: Opts, argv: readonly string[]): Promise<void> {
  const started = Date.now();
  const rounds = positive(o.rounds, 'rounds');
  if (rounds > 20) throw new UsageError('--rounds must be <= 20');
  const scenarios = list(o.scenarios);
  for (const s of scenarios) if (!isScenario(s)) throw new UsageError(`unknown scenario ${s} (known: ${SCENARIOS.join(', ')})`);
  const brokers = list(o.brokers);
  for (const b of brokers) if (!isBroker(b)) throw new UsageError(`unknown broker ${b} (known: ${BROKERS.join(', ')})`);
  if (scenarios.length === 0 || brokers.length === 0) throw new UsageError('need at least one scenario and one broker');
  const p = paramsFrom(o);
  if (scenarios.includes('conn')) await ensureFdLimit(p.connCount + 1_000, argv);

  keepTmp = o['keep-logs'] === true;
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-bench-'));
  const args = argv.slice(1).map(shellQuote).join(' ');
  const command = `node ${path.relative(process.cwd(), __filename) || __filename} ${argv.map(shellQuote).join(' ')}`.trim();
  const via = process.env.npm_lifecycle_event === 'bench' ? `pnpm bench${args ? ` ${args}` : ''}` : undefined;
  log(`compare: ${rounds} round(s) × [${scenarios.join(', ')}] × [${brokers.join(', ')}]; temp dir ${tmpDir}`);

  const info = new Map<BrokerName, BrokerInfo>();
  const order = brokers as BrokerName[];
  const records: RunRecord[] = [];
  const notes: string[] = [];
  interruptHandlers.push(() => log('\ninterrupted: finishing the current step, then stopping the brokers (Ctrl-C again to force)'));

  for (let round = 1; round <= rounds && !interrupted; round++) {
    const live = new Map<BrokerName, RunningBroker>();
    try {
      for (const name of order) {
        if (info.get(name)?.skipped || interrupted) continue;
        try {
          const b = await startBroker(name, tmpDir, log);
          live.set(name, b);
          if (!info.has(name)) info.set(name, { name, version: b.version });
          log(`[round ${round}/${rounds}] started ${name} ${b.version} on ${b.host}:${b.port} (pid ${b.pid})`);
        } catch (e) {
          const reason = e instanceof BrokerUnavailable ? e.reason : (e as Error).message;
          info.set(name, { name, version: info.get(name)?.version ?? 'n/a', skipped: reason });
          log(`[round ${round}/${rounds}] ${name} skipped: ${reason}`);
        }
      }
      if (live.size === 0) throw new Error('no broker could be started');
      // `conn` goes first so that it meets freshly started, idle brokers:
      // its RSS-per-connection figure is then not blurred by the heap growth
      // or garbage collection left behind by the throughput scenarios.
      const ordered = [...scenarios].sort((a, b) => Number(b === 'conn') - Number(a === 'conn')) as ScenarioName[];
      for (const scenario of ordered) {
        for (const name of order) {
          if (interrupted) break;
          let b = live.get(name);
          if (!b) continue;
          if (!b.alive()) {
            notes.push(`${name} was found dead before ${scenario} in round ${round} and was restarted (log: ${b.logFile})`);
            await b.stop();
            try {
              b = await startBroker(name, tmpDir, log);
              live.set(name, b);
            } catch (e) {
              live.delete(name);
              records.push({ round, broker: name, scenario, error: `broker could not be restarted: ${(e as Error).message}` });
              continue;
            }
          }
          const rec: RunRecord = { round, broker: name, scenario };
          try {
            rec.result = await runScenario(scenario, { host: b.host, port: b.port, pid: b.pid }, p);
            if (!b.alive()) rec.result.notes.push(`broker process died during or right after the run; log: ${logTail(b.logFile, 3)}`);
            else if (rec.result.notes.some((n) => n.includes('closed'))) rec.result.notes.push(`broker log: ${logTail(b.logFile, 3)}`);
          } catch (e) {
            rec.error = (e as Error).message;
            if (!b.alive()) rec.error += ` (broker process died; log: ${logTail(b.logFile, 3)})`;
          }
          records.push(rec);
          log(`[round ${round}/${rounds}] ${scenario.padEnd(8)} ${name.padEnd(10)} ${summaryLine(rec)}`);
        }
      }
    } finally {
      await Promise.all([...live.values()].map((b) => b.stop()));
    }
  }

  const m = machineInfo();
  const brokerInfos = order.map((n) => info.get(n) ?? { name: n, version: 'n/a', skipped: 'not started' });
  const results = renderResults(
    {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      command,
      via,
      machine: m,
      brokers: brokerInfos,
      rounds,
      warmupMs: p.warmupMs,
      durationMs: p.durationMs,
      totalSeconds: (Date.now() - started) / 1000,
      lifecycle: 'every broker is started fresh at the start of each round and killed at its end',
      notes: [...(interrupted ? ['interrupted: incomplete run'] : []), ...notes],
    },
    records,
  );
  process.stdout.write(`\n${results}\n`);
  if (typeof o.out === 'string') {
    const existing = fs.existsSync(o.out) ? fs.readFileSync(o.out, 'utf8') : null;
    fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
    fs.writeFileSync(o.out, upsertResults(existing, results));
    log(`wrote ${o.out}`);
  }
  if (typeof o.json === 'string') {
    fs.writeFileSync(o.json, `${JSON.stringify({ command, machine: m, brokers: brokerInfos, params: p, records }, null, 2)}\n`);
    log(`wrote ${o.json}`);
  }
  if (keepTmp && tmpDir) log(`broker configs and logs kept in ${tmpDir}`);
  if (o.auth !== 'none' && !interrupted) {
    await authCmd({ ...o, backends: o.auth === 'all' ? AUTH_BACKENDS.map((b) => b.name).join(',') : o.auth }, argv);
  }
  if (o.mgmt !== 'off' && !interrupted) await mgmtCmd({ ...o, clients: 100_000 }, undefined);
  if (o.sinks !== 'off' && !interrupted) await sinksCmd({ ...o, sinks: SINKS.join(','), publishers: 10 });
  if (o.cluster !== 'off' && !interrupted) {
    await clusterCmd({ ...o, 'takeover-clients': 200, 'join-routes': 10_000 }).catch((e: Error) => {
      // no redis-server here: the rest of the report stands
      if (!(e instanceof BrokerUnavailable)) throw e;
      log(`cluster bench skipped: ${e.message}`);
    });
  }
}

/** prints a report section and, with --out, writes it into that Markdown file */
function printSection(o: Opts, section: string, upsert: (existing: string, section: string) => string): void {
  process.stdout.write(`${section}\n`);
  if (typeof o.out !== 'string') return;
  const existing = fs.existsSync(o.out) ? fs.readFileSync(o.out, 'utf8') : '# Benchmarks\n';
  fs.writeFileSync(o.out, upsert(existing, section));
  log(`wrote ${o.out}`);
}

/** `argv` given: re-run with a higher open-files limit first when needed (not from compare, mid-run) */
async function mgmtCmd(o: Opts, argv: readonly string[] | undefined): Promise<void> {
  const p = paramsFrom(o);
  const clients = positive(o.clients, 'clients', true);
  if (argv) await ensureFdLimit(clients + 1_000, argv);
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-bench-mgmt-'));
  const rounds = positive(o.rounds, 'rounds');
  const soft = selfFdLimits()?.soft ?? 1024;
  const r = await mgmtBench({ dir: tmpDir, rounds, params: p, clients, maxSockets: Math.max(0, soft - 1_000), log });
  const section = renderMgmt(r, `${new Date().toISOString().slice(0, 10)}, ${machineInfo().cpuModel}`, rounds);
  printSection(o, section, upsertMgmt);
}

async function sinksCmd(o: Opts): Promise<void> {
  const p = paramsFrom(o);
  const names = list(o.sinks);
  for (const n of names) if (!(SINKS as readonly string[]).includes(n)) throw new UsageError(`unknown sink ${n} (${SINKS.join(', ')})`);
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-bench-sinks-'));
  const opts = { dir: tmpDir, rounds: positive(o.rounds, 'rounds'), warmupMs: p.warmupMs, durationMs: p.durationMs, publishers: positive(o.publishers, 'publishers'), log };
  const r = await sinksBench(opts, names as SinkName[]);
  printSection(o, renderSinks(r, `${new Date().toISOString().slice(0, 10)}, ${machineInfo().cpuModel}`, opts), upsertSinks);
}

async function clusterCmd(o: Opts): Promise<void> {
  const p = paramsFrom(o);
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-bench-cluster-'));
  const rounds = positive(o.rounds, 'rounds');
  const r = await clusterBench({ dir: tmpDir, rounds, params: p, takeoverClients: positive(o['takeover-clients'], 'takeover-clients'), joinRoutes: positive(o['join-routes'], 'join-routes'), log });
  const section = renderCluster(r, `${new Date().toISOString().slice(0, 10)}, ${machineInfo().cpuModel}`, rounds);
  printSection(o, section, upsertCluster);
}

/* ------------------------------------------------------------------ */

async function authCmd(o: Opts, argv: readonly string[]): Promise<void> {
  const p = paramsFrom(o);
  await ensureFdLimit(p.connCount + 1_000, argv);
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nemq-bench-auth-'));
  const rows = await authBench({ backends: list(o.backends), params: p, rounds: positive(o.rounds, 'rounds'), dir: tmpDir, log });
  const section = renderAuth(rows, `${new Date().toISOString().slice(0, 10)}, ${machineInfo().cpuModel}`, p);
  printSection(o, section, upsertAuth);
}

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (rest.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    switch (cmd) {
      case 'conn':
      case 'pub':
      case 'sub': {
        const specs = cmd === 'conn' ? CONN_OPTS : cmd === 'pub' ? PUB_OPTS : SUB_OPTS;
        const { opts, positional } = parseArgs(rest, specs);
        if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
        if (cmd === 'conn') await ensureFdLimit(Number(opts.count) + 1_000, argv);
        installSignalHandlers();
        await tool(cmd, opts);
        return 0;
      }
      case 'scenario': {
        const { opts, positional } = parseArgs(rest, SCENARIO_OPTS);
        installSignalHandlers();
        await scenarioCmd(positional[0], opts, argv);
        return 0;
      }
      case 'auth': {
        const { opts, positional } = parseArgs(rest, AUTH_OPTS);
        if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
        installSignalHandlers();
        await authCmd(opts, argv);
        return 0;
      }
      case 'cluster': {
        const { opts, positional } = parseArgs(rest, CLUSTER_OPTS);
        if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
        installSignalHandlers();
        await clusterCmd(opts);
        return 0;
      }
      case 'mgmt': {
        const { opts, positional } = parseArgs(rest, MGMT_OPTS);
        if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
        installSignalHandlers();
        await mgmtCmd(opts, argv);
        return 0;
      }
      case 'sinks': {
        const { opts, positional } = parseArgs(rest, SINKS_OPTS);
        if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
        installSignalHandlers();
        await sinksCmd(opts);
        return 0;
      }
      case 'compare': {
        const { opts, positional } = parseArgs(rest, COMPARE_OPTS);
        if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
        installSignalHandlers();
        await compare(opts, argv);
        return interrupted ? 130 : 0;
      }
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE);
        return cmd === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command ${cmd}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      log(`error: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    log(`error: ${(e as Error).stack ?? String(e)}`);
    return 1;
  } finally {
    await Promise.all(liveWorkers().map((w) => w.terminate()));
    cleanupSync();
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
