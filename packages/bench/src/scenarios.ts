/** Benchmark scenarios, each bounded in connections, messages and time. */
import { loopbackSources } from './srcaddr.js';
import { flowOf, type Counts, type Flow } from './flow.js';
import { LoadWorker, closeAll, nowMs, split, sum } from './loadgen.js';
import { cpuSeconds, isAlive, machineBusySeconds, maxThreadCpuSeconds, processTree, rssKiB, selfFdLimits, threadTicks } from './proc.js';
import { S } from './protocol.js';
import { cpuPercent, latencySummary } from './stats.js';
import type { QoS } from './mqtt.js';

export const SCENARIOS = ['fan-in', 'fan-out', 'qos1', 'latency', 'conn'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export function isScenario(s: string): s is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(s);
}

export interface ScenarioParams {
  /** Warm-up before the measuring window. */
  warmupMs: number;
  /** Measuring window (per QoS for `latency`). */
  durationMs: number;
  payloadSize: number;
  /** Frames per socket write (publishers). */
  batch: number;
  fanInPublishers: number;
  /** End-to-end window of fan-in: messages published but not yet delivered. */
  fanInWindow: number;
  fanOutSubscribers: number;
  /** End-to-end window of fan-out, in deliveries (publishes x subscribers). */
  fanOutWindow: number;
  qos1Pairs: number;
  /** PUBLISHes awaiting PUBACK per QoS 1 publisher. */
  qos1Inflight: number;
  /** End-to-end window of qos1 (all pairs together). */
  qos1Window: number;
  latencyRate: number;
  connCount: number;
  /** Connection attempts in flight (all conn workers together). */
  connConcurrency: number;
  /** Read coalescing period of throughput workers (ms), 0 = off. */
  coalesceMs: number;
  /** Same for the 100 fan-out subscribers, which each get few messages per ms. */
  fanOutCoalesceMs: number;
  /** Wait after the last CONNACK before reading the broker's RSS. */
  connSettleMs: number;
}

export const DEFAULT_PARAMS: ScenarioParams = {
  warmupMs: 1_000,
  durationMs: 4_000,
  payloadSize: 64,
  batch: 64,
  fanInPublishers: 100,
  fanInWindow: 5_000,
  fanOutSubscribers: 100,
  fanOutWindow: 200_000,
  qos1Pairs: 10,
  qos1Inflight: 100,
  qos1Window: 2_000,
  latencyRate: 2_000,
  connCount: 10_000,
  connConcurrency: 100,
  connSettleMs: 1_000,
  coalesceMs: 1,
  fanOutCoalesceMs: 5,
};

export interface Target {
  host: string;
  port: number;
  /** Broker process id, for CPU and RSS; optional. */
  pid?: number;
  /** subscribers connect here instead (a second cluster node); publishers stay on `port` */
  subPort?: number;
  /** awaited once the subscribers are in, before publishing (a cluster's routes reaching the publishers' node) */
  subscribed?: () => Promise<void>;
  /** CONNECT credentials of the conn scenario; `%i` in the username is the connection index */
  username?: string;
  password?: string;
}

export interface Metric {
  key: string;
  label: string;
  unit: string;
  value: number;
  better: 'higher' | 'lower';
  /** Broker CPU over the window, % of one core (NaN without a pid). */
  brokerCpuPct: number;
  /** Whole bench process (all threads), % of one core. */
  loadgenCpuPct: number;
  /** Busiest thread of the bench process, % of one core. */
  loadgenMaxThreadPct: number;
  /** CPU used by everything else on the machine, % of one core. */
  otherCpuPct: number;
  /** Throughput scenarios: published / acknowledged / delivered / dropped. */
  flow?: Flow;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  metrics: Metric[];
  notes: string[];
  details: Record<string, number | string>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface CpuReading {
  wallS: number;
  brokerCpuPct: number;
  loadgenCpuPct: number;
  loadgenMaxThreadPct: number;
  otherCpuPct: number;
}

/** CPU accounting over a window: broker tree from /proc, bench from getrusage. */
export class CpuWindow {
  private readonly pids: number[];
  private readonly b0: number;
  private readonly c0 = process.cpuUsage();
  private readonly t0 = nowMs();
  private readonly th0 = threadTicks();
  private readonly m0 = machineBusySeconds();

  constructor(pid?: number) {
    this.pids = pid ? processTree(pid) : [];
    this.b0 = pid ? cpuSeconds(this.pids) : NaN;
  }

  stop(): CpuReading {
    const wallS = (nowMs() - this.t0) / 1000;
    const c = process.cpuUsage(this.c0);
    const th1 = threadTicks();
    const broker = this.pids.length ? cpuSeconds(this.pids) - this.b0 : 0;
    const lg = (c.user + c.system) / 1e6;
    const machine = machineBusySeconds() - this.m0;
    return {
      wallS,
      brokerCpuPct: this.pids.length ? cpuPercent(broker, wallS) : NaN,
      loadgenCpuPct: cpuPercent(lg, wallS),
      loadgenMaxThreadPct: cpuPercent(maxThreadCpuSeconds(this.th0, th1), wallS),
      // Without a broker pid the broker's share cannot be told apart.
      otherCpuPct: this.pids.length ? Math.max(0, cpuPercent(machine - broker - lg, wallS)) : NaN,
    };
  }
}

/** Waits (bounded) until the broker is idle again after a scenario. */
export async function settle(pid: number | undefined, maxMs = 5_000): Promise<void> {
  if (!pid) {
    await sleep(500);
    return;
  }
  const pids = processTree(pid);
  const deadline = Date.now() + maxMs;
  let last = cpuSeconds(pids);
  await sleep(200);
  while (Date.now() < deadline && isAlive(pid)) {
    const now = cpuSeconds(pids);
    if (now - last < 0.01) return; // < 5 % of a core over 200 ms
    last = now;
    await sleep(200);
  }
}

function metric(key: string, label: string, unit: string, value: number, better: Metric['better'], cpu: CpuReading): Metric {
  return {
    key,
    label,
    unit,
    value,
    better,
    brokerCpuPct: cpu.brokerCpuPct,
    loadgenCpuPct: cpu.loadgenCpuPct,
    loadgenMaxThreadPct: cpu.loadgenMaxThreadPct,
    otherCpuPct: cpu.otherCpuPct,
  };
}

function problems(workers: readonly LoadWorker[], notes: string[]): void {
  const dropped = sum(workers, S.DROPPED);
  const resyncs = sum(workers, S.RESYNCS);
  const errors = sum(workers, S.ERRORS);
  if (dropped) notes.push(`${dropped} connection(s) closed by the broker during the run`);
  if (resyncs) notes.push(`end-to-end window reset ${resyncs} time(s): messages were lost`);
  if (errors && !dropped) notes.push(`${errors} socket error(s)`);
  for (const w of workers) {
    notes.push(...w.notes);
    if (w.error) notes.push(`worker error: ${w.error.split('\n')[0]}`);
  }
}

async function started(workers: LoadWorker[], what: string): Promise<void> {
  const infos = await Promise.all(workers.map((w) => w.ready()));
  const want = workers.reduce((a, w) => a + w.config.count, 0);
  const got = infos.reduce((a, i) => a + i.connected, 0);
  if (got < want) {
    const err = infos.find((i) => i.error)?.error ?? 'unknown';
    throw new Error(`${what}: only ${got}/${want} connections established (${err})`);
  }
}

interface ThroughputSpec {
  name: ScenarioName;
  label: string;
  subs: { count: number; topic: string; qos: QoS; workers: number };
  pubs: { count: number; topic: string; qos: QoS; workers: number };
  /** End-to-end window in publishes. */
  window: number;
  /** Deliveries per publish. */
  fanout: number;
  coalesceMs: number;
}

/**
 * After the publishers stopped: waits (bounded) until the subscribers have
 * what was published (and, for QoS 1, the publishers their PUBACKs), so
 * that the whole-run counts are final and closing does not throw a full
 * pipeline at the broker (some brokers do a lot of work, or worse, when the
 * receivers of queued messages vanish).
 */
async function drain(subs: LoadWorker[], pubs: LoadWorker[], fanout: number, qos: QoS, maxMs = 3_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = -1;
  let lastChange = Date.now();
  await sleep(20); // let the 'stop' command land
  while (Date.now() < deadline) {
    const sent = sum(pubs, S.SENT);
    const got = sum(subs, S.RECEIVED);
    const acked = qos > 0 ? sum(pubs, S.ACKED) : sent;
    if (got >= sent * fanout && acked >= sent) return;
    if (got + acked !== last) {
      last = got + acked;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > 500) return; // lost messages: give up
    await sleep(20);
  }
}

const counts = (subs: LoadWorker[], pubs: LoadWorker[]): Counts => ({
  published: sum(pubs, S.SENT),
  acked: sum(pubs, S.ACKED),
  delivered: sum(subs, S.RECEIVED),
});

async function throughput(t: Target, p: ScenarioParams, spec: ThroughputSpec): Promise<ScenarioResult> {
  const notes: string[] = [];
  const subs: LoadWorker[] = [];
  const pubs: LoadWorker[] = [];
  try {
    let idx = 0;
    for (const n of split(spec.subs.count, spec.subs.workers)) {
      if (n === 0) continue;
      subs.push(
        new LoadWorker({ role: 'sub', host: t.host, port: t.subPort ?? t.port, count: n, startIndex: idx, topic: spec.subs.topic, qos: spec.subs.qos, coalesceMs: spec.coalesceMs }),
      );
      idx += n;
    }
    await started(subs, `${spec.name} subscribers`);
    await t.subscribed?.();
    idx = 0;
    for (const n of split(spec.pubs.count, spec.pubs.workers)) {
      if (n === 0) continue;
      pubs.push(
        new LoadWorker({
          role: 'pub',
          host: t.host,
          port: t.port,
          count: n,
          startIndex: idx,
          topic: spec.pubs.topic,
          qos: spec.pubs.qos,
          payloadSize: p.payloadSize,
          batch: p.batch,
          inflight: p.qos1Inflight,
          window: Math.max(1, Math.round(spec.window / spec.pubs.workers)),
          fanout: spec.fanout,
          peers: subs,
          coalesceMs: spec.coalesceMs,
        }),
      );
      idx += n;
    }
    await started(pubs, `${spec.name} publishers`);
    for (const w of pubs) w.send({ cmd: 'go' });
    await sleep(p.warmupMs);
    const c0 = counts(subs, pubs);
    const cpuW = new CpuWindow(t.pid);
    await sleep(p.durationMs);
    const c1 = counts(subs, pubs);
    const cpu = cpuW.stop();
    for (const w of pubs) w.send({ cmd: 'stop' });
    await drain(subs, pubs, spec.fanout, spec.pubs.qos);
    // Whole-run accounting: every publish must arrive `fanout` times.
    const total = counts(subs, pubs);
    const expected = total.published * spec.fanout;
    const got = total.delivered;
    if (got > expected) notes.push(`${got - expected} more deliveries than published × subscribers (duplicates?)`);
    else if (got < expected) notes.push(`${expected - got} of ${expected} deliveries missing after the run (dropped?)`);
    problems([...subs, ...pubs], notes);
    const flow = flowOf(spec.pubs.qos, spec.fanout, cpu.wallS, c0, c1, total);
    const m = metric(spec.name, spec.label, 'msg/s', flow.deliveredPerSec, 'higher', cpu);
    m.flow = flow;
    return {
      scenario: spec.name,
      metrics: [m],
      notes,
      details: {
        deliveredPerSec: Math.round(flow.deliveredPerSec),
        publishedPerSec: Math.round(flow.publishedPerSec),
        ackedPerSec: Math.round(flow.ackedPerSec),
        windowSeconds: cpu.wallS,
        brokerCpuPct: cpu.brokerCpuPct,
        loadgenCpuPct: cpu.loadgenCpuPct,
        loadgenMaxThreadPct: cpu.loadgenMaxThreadPct,
        otherCpuPct: cpu.otherCpuPct,
        subReadsPerSec: Math.round(sum(subs, S.READS) / cpu.wallS),
        subBytesPerRead: Math.round(sum(subs, S.BYTES_IN) / Math.max(1, sum(subs, S.READS))),
        subWritesPerSec: Math.round(sum(subs, S.WRITES) / cpu.wallS),
        pubReadsPerSec: Math.round(sum(pubs, S.READS) / cpu.wallS),
        pubBytesPerRead: Math.round(sum(pubs, S.BYTES_IN) / Math.max(1, sum(pubs, S.READS))),
        pubWritesPerSec: Math.round(sum(pubs, S.WRITES) / cpu.wallS),
      },
    };
  } finally {
    await closeAll(pubs);
    await closeAll(subs);
    await settle(t.pid);
  }
}

async function latency(t: Target, p: ScenarioParams): Promise<ScenarioResult> {
  const notes: string[] = [];
  const metrics: Metric[] = [];
  const details: Record<string, number | string> = {};
  for (const qos of [0, 1] as const) {
    const topic = `bench/lat/${qos}`;
    const workers: LoadWorker[] = [];
    try {
      const sub = new LoadWorker({
        role: 'sub',
        host: t.host,
        port: t.port,
        count: 1,
        topic,
        qos,
        stamp: true,
        latencyCapacity: Math.ceil((p.latencyRate * (p.durationMs + 2_000)) / 1000),
      });
      workers.push(sub);
      await started([sub], `latency QoS ${qos} subscriber`);
      const pub = new LoadWorker({ role: 'pub', host: t.host, port: t.port, count: 1, topic, qos, payloadSize: p.payloadSize, rate: p.latencyRate, stamp: true, inflight: p.qos1Inflight });
      workers.push(pub);
      await started([pub], `latency QoS ${qos} publisher`);
      pub.send({ cmd: 'go' });
      await sleep(p.warmupMs);
      const s0 = pub.get(S.SENT);
      const r0 = sub.get(S.RECEIVED);
      sub.send({ cmd: 'record', on: true });
      const cpuW = new CpuWindow(t.pid);
      await sleep(p.durationMs);
      sub.send({ cmd: 'record', on: false });
      const cpu = cpuW.stop();
      const s1 = pub.get(S.SENT);
      pub.send({ cmd: 'stop' });
      await sleep(200); // let in-flight messages arrive
      const r1 = sub.get(S.RECEIVED);
      const samples = await sub.collect();
      const l = latencySummary(samples);
      const q = `QoS ${qos}`;
      metrics.push(metric(`lat-q${qos}-p50`, `latency ${q} p50`, 'µs', l.p50, 'lower', cpu));
      metrics.push(metric(`lat-q${qos}-p90`, `latency ${q} p90`, 'µs', l.p90, 'lower', cpu));
      metrics.push(metric(`lat-q${qos}-p99`, `latency ${q} p99`, 'µs', l.p99, 'lower', cpu));
      Object.assign(details, {
        [`q${qos}Samples`]: l.count,
        [`q${qos}MeanUs`]: Math.round(l.mean),
        [`q${qos}MaxUs`]: Math.round(l.max),
        [`q${qos}SentPerSec`]: Math.round((s1 - s0) / cpu.wallS),
        [`q${qos}Missing`]: Math.max(0, s1 - s0 - (r1 - r0)),
        [`q${qos}BrokerCpuPct`]: cpu.brokerCpuPct,
        [`q${qos}LoadgenCpuPct`]: cpu.loadgenCpuPct,
      });
      if (l.count < ((p.latencyRate * p.durationMs) / 1000) * 0.9) notes.push(`latency ${q}: only ${l.count} samples`);
      problems(workers, notes);
    } finally {
      await closeAll(workers);
    }
  }
  await settle(t.pid);
  return { scenario: 'latency', metrics, notes, details };
}

async function conn(t: Target, p: ScenarioParams): Promise<ScenarioResult> {
  const notes: string[] = [];
  let count = p.connCount;
  const lim = selfFdLimits();
  if (lim && lim.soft < count + 200) {
    count = Math.max(0, lim.soft - 200);
    notes.push(`fd limit ${lim.soft} too low for ${p.connCount} connections: opened ${count} (raise with ulimit -n)`);
  }
  const pids = t.pid ? processTree(t.pid) : [];
  const rss0 = pids.length ? rssKiB(pids) : NaN;
  const workers: LoadWorker[] = [];
  try {
    const cpuW = new CpuWindow(t.pid);
    const nWorkers = count >= 1000 ? 2 : 1;
    let idx = 0;
    for (const n of split(count, nWorkers)) {
      workers.push(
        new LoadWorker({
          role: 'conn',
          host: t.host,
          port: t.port,
          count: n,
          startIndex: idx,
          keepalive: 0,
          username: t.username,
          password: t.password,
          localAddresses: loopbackSources(count),
          connectConcurrency: Math.max(1, Math.round(p.connConcurrency / nWorkers)),
          connectTimeoutMs: 60_000,
        }),
      );
      idx += n;
    }
    const infos = await Promise.all(workers.map((w) => w.ready()));
    const cpu = cpuW.stop();
    const connected = sum(workers, S.CONNECTED);
    const first = Math.min(...workers.map((w) => w.get(S.FIRST_CONNECT_MS)));
    const last = Math.max(...workers.filter((w) => w.get(S.CONNECTED) > 0).map((w) => w.get(S.LAST_CONNACK_MS)));
    const rate = connected > 0 ? connected / ((last - first) / 1000) : 0;
    if (connected < count) notes.push(`only ${connected}/${count} connections established: ${infos.find((i) => i.error)?.error ?? ''}`);
    await sleep(p.connSettleMs);
    // Read the tree again: a broker may have forked helpers meanwhile.
    const rss1 = t.pid ? rssKiB(processTree(t.pid)) : NaN;
    const perConn = connected > 0 ? (rss1 - rss0) / connected : NaN;
    problems(workers, notes);
    return {
      scenario: 'conn',
      metrics: [
        metric('conn-rate', `connect ${count} idle`, 'conn/s', rate, 'higher', cpu),
        metric('conn-rss', 'broker RSS per connection', 'KiB', perConn, 'lower', cpu),
      ],
      notes,
      details: { connected, connectSeconds: (last - first) / 1000, rssBeforeKiB: rss0, rssAfterKiB: rss1 },
    };
  } finally {
    await closeAll(workers);
    await settle(t.pid);
  }
}

export async function runScenario(name: ScenarioName, t: Target, p: ScenarioParams = DEFAULT_PARAMS): Promise<ScenarioResult> {
  switch (name) {
    case 'fan-in':
      return throughput(t, p, {
        name,
        label: `fan-in ${p.fanInPublishers} pub → 1 sub, QoS 0`,
        subs: { count: 1, topic: 'bench/#', qos: 0, workers: 1 },
        pubs: { count: p.fanInPublishers, topic: 'bench/%i', qos: 0, workers: 1 },
        window: p.fanInWindow,
        fanout: 1,
        coalesceMs: p.coalesceMs,
      });
    case 'fan-out':
      return throughput(t, p, {
        name,
        label: `fan-out 1 pub → ${p.fanOutSubscribers} sub, QoS 0`,
        subs: { count: p.fanOutSubscribers, topic: 'bench/fanout', qos: 0, workers: 1 },
        pubs: { count: 1, topic: 'bench/fanout', qos: 0, workers: 1 },
        window: Math.max(1, Math.round(p.fanOutWindow / p.fanOutSubscribers)),
        fanout: p.fanOutSubscribers,
        coalesceMs: p.fanOutCoalesceMs,
      });
    case 'qos1':
      return throughput(t, p, {
        name,
        label: `qos1 ${p.qos1Pairs} pub → ${p.qos1Pairs} sub, QoS 1`,
        subs: { count: p.qos1Pairs, topic: 'bench/q/%i', qos: 1, workers: 1 },
        pubs: { count: p.qos1Pairs, topic: 'bench/q/%i', qos: 1, workers: 1 },
        window: p.qos1Window,
        fanout: 1,
        coalesceMs: p.coalesceMs,
      });
    case 'latency':
      return latency(t, p);
    case 'conn':
      return conn(t, p);
  }
}
