/**
 * Management bench: publish throughput with emqx_management, emqx_dashboard and emqx_prometheus
 * loaded and polled as an open dashboard page polls them, against a node with no plugins; then the
 * latency of `GET /api/v4/clients?_limit=100` with a large client table.
 */
import { upsertMarked } from './report.js';
import * as net from 'node:net';
import { HOST, loadedPlugins, startNemq, type RunningBroker } from './brokers.js';
import { CpuWindow, runScenario, sleep, type ScenarioParams, type ScenarioResult } from './scenarios.js';

export const MGMT_START = '<!-- mgmt:start -->';
export const MGMT_END = '<!-- mgmt:end -->';
const SCENARIOS = (process.env.NEMQ_BENCH_SCENARIOS?.split(',') ?? ['fan-in', 'fan-out', 'qos1']) as Array<'fan-in' | 'fan-out' | 'qos1'>;
const SETUPS = ['no plugins', 'plugins loaded, dashboard open'] as const;
// NEMQ_BENCH_SCENARIOS, NEMQ_BENCH_PLUGINS and NEMQ_BENCH_NO_POLL narrow a run down when looking for a cost
type Setup = (typeof SETUPS)[number];
const BASIC = 'Basic ' + Buffer.from('admin:public').toString('base64');

export interface MgmtBenchOptions {
  dir: string;
  rounds: number;
  params: ScenarioParams;
  /** clients in the table for the API latency run (connected up to the fd limit, the rest offline sessions) */
  clients: number;
  /** most sockets this process may hold */
  maxSockets: number;
  log: (s: string) => void;
}

interface Cell {
  value: number;
  acked: number;
  dropped: number;
  /** (max − min) ÷ median of the rounds */
  spread: number;
}

export interface ApiLatency {
  label: string;
  p50: number;
  p99: number;
  max: number;
  calls: number;
}

export interface MgmtReport {
  /** `paired`: the median over rounds of each round's own loss (its two runs are next to each other) */
  rows: Array<{ scenario: string; cells: Partial<Record<Setup, Cell>>; paired: number }>;
  /** broker CPU, % of one core, of an idle node with the plugins loaded: without and with the poller */
  idleCpu?: { quiet: number; polled: number; seconds: number };
  polls: number;
  pollErrors: number;
  api?: { connected: number; offline: number; listed: number; latencies: ApiLatency[] };
  notes: string[];
}

async function getJson(port: number, p: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`http://${HOST}:${port}${p}`, { headers: { authorization: BASIC } });
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: r.status, body };
}

/** what an open Overview page asks every 2 s, plus a Prometheus scrape every 5 s */
function startPolling(b: RunningBroker, counts: { polls: number; errors: number }): () => void {
  const dash = b.http!.dashboard;
  const mgmt = b.http!.mgmt;
  const once = async (port: number, p: string): Promise<void> => {
    try {
      const r = await getJson(port, p);
      counts.polls++;
      if (r.status !== 200) counts.errors++;
    } catch {
      counts.errors++;
    }
  };
  const overview = setInterval(() => {
    for (const p of ['/api/v4/stats', '/api/v4/metrics', '/api/v4/nodes', '/api/v4/clients?_limit=10']) void once(dash, p);
  }, 2_000);
  const scrape = setInterval(() => void once(mgmt, '/api/v4/emqx_prometheus?type=prometheus'), 5_000);
  return () => {
    clearInterval(overview);
    clearInterval(scrape);
  };
}

/** an idle node with the plugins loaded: its CPU without, then with, the dashboard's polling */
async function idleCost(o: MgmtBenchOptions, seconds: number): Promise<MgmtReport['idleCpu']> {
  const b = await startNemq(o.dir, {
    setup: loadedPlugins({ emqx_management: true, emqx_dashboard: true, emqx_prometheus: true, emqx_retainer: false }),
    env: { EMQX_PROMETHEUS__PUSH__GATEWAY__SERVER: '' },
  });
  try {
    await sleep(1_000);
    const q = new CpuWindow(b.pid);
    await sleep(seconds * 1000);
    const quiet = q.stop().brokerCpuPct;
    const stop = startPolling(b, { polls: 0, errors: 0 });
    const w = new CpuWindow(b.pid);
    await sleep(seconds * 1000);
    const polled = w.stop().brokerCpuPct;
    stop();
    return { quiet, polled, seconds };
  } finally {
    await b.stop();
  }
}

async function oneRun(setup: Setup, scenario: (typeof SCENARIOS)[number], o: MgmtBenchOptions, counts: { polls: number; errors: number }): Promise<ScenarioResult> {
  const loaded = setup !== 'no plugins';
  const b = await startNemq(o.dir, {
    setup: loadedPlugins(process.env.NEMQ_BENCH_PLUGINS && loaded
      ? Object.fromEntries(process.env.NEMQ_BENCH_PLUGINS.split(',').map((n) => [n, true]))
      : { emqx_management: loaded, emqx_dashboard: loaded, emqx_prometheus: loaded, emqx_retainer: false }),
    env: { EMQX_PROMETHEUS__PUSH__GATEWAY__SERVER: '' },
  });
  const stop = loaded && !process.env.NEMQ_BENCH_NO_POLL ? startPolling(b, counts) : () => undefined;
  try {
    return await runScenario(scenario, { host: b.host, port: b.port, pid: b.pid }, o.params);
  } finally {
    stop();
    await b.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const pct = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;

/** an MQTT 3.1.1 CONNECT with keepalive 0; clean=false keeps the session when the socket goes */
function connectFrame(clientId: string, clean: boolean): Buffer {
  const id = Buffer.from(clientId);
  const body = Buffer.concat([Buffer.from([0, 4]), Buffer.from('MQTT'), Buffer.from([4, clean ? 0x02 : 0x00, 0, 0, id.length >> 8, id.length & 0xff]), id]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

function mqttConnect(port: number, clientId: string, clean: boolean, localAddress: string | undefined): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: HOST, port, localAddress });
    s.setNoDelay(true);
    s.once('connect', () => s.write(connectFrame(clientId, clean)));
    s.once('data', (d) => (d[0] === 0x20 && d[3] === 0 ? resolve(s) : reject(new Error(`CONNACK ${d.toString('hex')}`))));
    s.once('error', reject);
  });
}

async function fill(port: number, n: number, prefix: string, keep: boolean, sockets: net.Socket[]): Promise<void> {
  let next = 0;
  const sources = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) {
      const s = await mqttConnect(port, `${prefix}${i}`, keep, sources[i % sources.length]);
      if (keep) sockets.push(s);
      else s.destroy();
    }
  };
  await Promise.all(Array.from({ length: 100 }, worker));
}

async function timeCalls(port: number, p: string, calls: number): Promise<ApiLatency & { ok: boolean }> {
  const ms: number[] = [];
  let ok = true;
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    const r = await getJson(port, p);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 200 || r.body.code !== 0) ok = false;
  }
  return { label: p, p50: pct(ms, 0.5), p99: pct(ms, 0.99), max: Math.max(...ms), calls, ok };
}

async function apiRun(o: MgmtBenchOptions): Promise<MgmtReport['api']> {
  const b = await startNemq(o.dir, { setup: loadedPlugins({ emqx_management: true, emqx_retainer: false }) });
  const sockets: net.Socket[] = [];
  try {
    const connected = Math.min(o.clients, o.maxSockets);
    const offline = o.clients - connected;
    o.log(`mgmt: ${offline} offline sessions, then ${connected} connected clients`);
    await fill(b.port, offline, 'api-off-', false, sockets);
    await fill(b.port, connected, 'api-on-', true, sockets);
    const port = b.http!.mgmt;
    const count = (await getJson(port, '/api/v4/clients?_limit=1')).body.meta.count as number;
    const latencies: ApiLatency[] = [];
    for (const p of ['/api/v4/clients?_limit=100', `/api/v4/clients?_limit=100&_page=${Math.max(1, Math.floor(count / 200))}`, '/api/v4/clients?_limit=100&_like_clientid=on-1', '/api/v4/clients/api-on-7']) {
      const r = await timeCalls(port, p, 100);
      if (!r.ok) throw new Error(`${p} did not answer code 0`);
      latencies.push(r);
    }
    return { connected, offline, listed: count, latencies };
  } finally {
    for (const s of sockets) s.destroy();
    await b.stop();
  }
}

export async function mgmtBench(o: MgmtBenchOptions): Promise<MgmtReport> {
  const results = new Map<string, Cell[]>();
  const counts = { polls: 0, errors: 0 };
  for (let round = 1; round <= o.rounds; round++) {
    for (const scenario of SCENARIOS) {
      // odd rounds start without plugins, even ones with them: no setup always runs second
      for (const setup of round % 2 === 1 ? SETUPS : [...SETUPS].reverse()) {
        o.log(`mgmt round ${round}: ${scenario}, ${setup}`);
        const r = await oneRun(setup, scenario, o, counts);
        const m = r.metrics[0]!;
        const key = `${scenario}|${setup}`;
        const list = results.get(key) ?? [];
        list.push({ value: m.value, acked: m.flow?.acked ?? NaN, dropped: m.flow?.dropped ?? 0, spread: 0 });
        results.set(key, list);
      }
    }
  }
  const rows = SCENARIOS.map((scenario) => {
    const cells: Partial<Record<Setup, Cell>> = {};
    for (const setup of SETUPS) {
      const list = results.get(`${scenario}|${setup}`);
      if (!list?.length) continue;
      const values = list.map((c) => c.value);
      const mid = median(values);
      cells[setup] = { value: mid, acked: median(list.map((c) => c.acked)), dropped: Math.max(...list.map((c) => c.dropped)), spread: (Math.max(...values) - Math.min(...values)) / mid };
    }
    const none = results.get(`${scenario}|no plugins`) ?? [];
    const loaded = results.get(`${scenario}|plugins loaded, dashboard open`) ?? [];
    const losses = none.map((a, i) => (loaded[i] ? 1 - loaded[i]!.value / a.value : NaN)).filter((x) => Number.isFinite(x));
    return { scenario, cells, paired: losses.length ? median(losses) : NaN };
  });
  const report: MgmtReport = { rows, polls: counts.polls, pollErrors: counts.errors, notes: [], idleCpu: await idleCost(o, 20) };
  if (o.clients > 0) report.api = await apiRun(o);
  return report;
}

const num = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

export function renderMgmt(r: MgmtReport, when: string, rounds: number): string {
  const out: string[] = [MGMT_START, '## Management plugins', ''];
  out.push(`${when}; median of ${rounds} round(s), the order of the two setups alternating. "plugins loaded, dashboard open": emqx_management, emqx_dashboard`);
  out.push('and emqx_prometheus loaded, and a poller doing what an open Overview page does (`/stats`, `/metrics`, `/nodes`,');
  out.push('`/clients?_limit=10` on 18083 every 2 s) plus a Prometheus scrape every 5 s. "no plugins": none loaded.');
  out.push('Delivered msg/s, with acknowledged (QoS 1) and dropped beside it. Goal: ≤ 3 % loss.');
  out.push('');
  out.push('| scenario | no plugins | plugins loaded, dashboard open | loss of the medians | loss, paired by round | acked (loaded) | dropped (none / loaded) | run-to-run spread (none / loaded) |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const row of r.rows) {
    const a = row.cells['no plugins'];
    const b = row.cells['plugins loaded, dashboard open'];
    const loss = a && b ? `${(((a.value - b.value) / a.value) * 100).toFixed(1)} %` : 'n/a';
    const spread = (c: Cell | undefined): string => (c ? `${Math.round(c.spread * 100)} %` : 'n/a');
    const paired = Number.isFinite(row.paired) ? `${(row.paired * 100).toFixed(1)} %` : 'n/a';
    out.push(`| ${row.scenario} | ${a ? num(a.value) : 'n/a'} | ${b ? num(b.value) : 'n/a'} | ${loss} | ${paired} | ${b ? num(b.acked) : 'n/a'} | ${a ? num(a.dropped) : 'n/a'} / ${b ? num(b.dropped) : 'n/a'} | ${spread(a)} / ${spread(b)} |`);
  }
  out.push('');
  out.push(`The poller made ${num(r.polls)} calls; ${num(r.pollErrors)} failed. A loss inside the run-to-run spread is noise: the plugins`);
  out.push('tap no message hook, so what they cost is the polling itself.');
  if (r.idleCpu) {
    const c = r.idleCpu;
    out.push(`That cost, measured alone on an idle node with the three plugins loaded: ${c.quiet.toFixed(2)} % of one core without the`);
    const d = c.polled - c.quiet;
    out.push(`poller, ${c.polled.toFixed(2)} % with it (${c.seconds} s each): the polling takes ${d < 0.5 ? 'less than 0.5 %' : `${d.toFixed(2)} %`} of a core away from delivery.`);
  }
  out.push('');
  if (r.api) {
    const a = r.api;
    out.push(`API latency with ${num(a.listed)} clients in the table (${num(a.connected)} connected, ${num(a.offline)} offline persistent`);
    out.push('sessions: the open-files limit here caps the sockets one process can hold), 100 calls each, one at a time.');
    out.push('Goal: `GET /api/v4/clients?_limit=100` p99 < 100 ms.');
    out.push('');
    out.push('| call | p50 ms | p99 ms | max ms |');
    out.push('|---|---|---|---|');
    for (const l of a.latencies) out.push(`| \`${l.label.replace('/api/v4', '')}\` | ${l.p50.toFixed(1)} | ${l.p99.toFixed(1)} | ${l.max.toFixed(1)} |`);
    out.push('');
  }
  for (const n of r.notes) out.push(`- ${n}`);
  out.push(MGMT_END);
  return out.join('\n');
}

export function upsertMgmt(existing: string, section: string): string {
  return upsertMarked(existing, MGMT_START, MGMT_END, section);
}
