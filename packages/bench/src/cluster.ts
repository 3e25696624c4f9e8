/**
 * `bench cluster`: the same throughput scenarios on one nemq node, on two nemq nodes joined
 * through a throwaway redis-server (publishers on one node, subscribers on the other: every
 * message crosses the link), and on two Aedes processes joined by mqemitter-redis; then
 * takeover across nodes and the join of a node with many routes.
 */
import { upsertMarked } from './report.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerUnavailable, HOST, REPO_ROOT, freePorts, startAedes, startNemq, type RunningBroker } from './brokers.js';
import { rssKiB } from './proc.js';
import { runScenario, type ScenarioParams, type ScenarioResult, type Target } from './scenarios.js';
import { latencySummary } from './stats.js';

const run = promisify(execFile);
export const CLUSTER_START = '<!-- bench:cluster:start -->';
export const CLUSTER_END = '<!-- bench:cluster:end -->';
export const CLUSTER_SCENARIOS = ['fan-in', 'fan-out', 'qos1'] as const;
type Setup = 'nemq, 1 node' | 'nemq, 2 nodes' | 'Aedes pair';
const SETUPS: readonly Setup[] = ['nemq, 1 node', 'nemq, 2 nodes', 'Aedes pair'];

export interface ClusterBenchOptions {
  dir: string;
  rounds: number;
  params: ScenarioParams;
  takeoverClients: number;
  joinRoutes: number;
  log: (s: string) => void;
}

export interface ClusterRow {
  scenario: string;
  /** median delivered msg/s per setup, with the run's acked and dropped */
  cells: Record<Setup, { value: number; acked: number; dropped: number; runs: number[] } | undefined>;
}

export interface ClusterReport {
  rows: ClusterRow[];
  takeover: { n: number; p50: number; p99: number; max: number; notPresent: number } | undefined;
  join: { routes: number; ctlMs: number; readyMs: number; rssKiBPer10k: number } | undefined;
  notes: string[];
}

// ---- Redis and nodes ----

interface RedisProc {
  port: number;
  stop(): Promise<void>;
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, HOST);
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => done(d.toString().startsWith('+PONG')));
    s.on('error', () => done(false));
    setTimeout(() => done(false), 500);
  });
}

export async function startRedis(dir: string): Promise<RedisProc> {
  const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((f) => fs.existsSync(f));
  if (!bin) throw new BrokerUnavailable('nemq', 'redis-server is missing (apt-get install -y redis-server)');
  const [port] = (await freePorts(1)) as [number];
  const child: ChildProcess = spawn(bin, ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const t0 = Date.now();
  while (!(await redisPing(port))) {
    if (Date.now() - t0 > 10_000) throw new BrokerUnavailable('nemq', 'redis-server did not answer PING');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    stop: async () => {
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    },
  };
}

interface Node {
  broker: RunningBroker;
  name: string;
  dataDir: string;
  ctl(...args: string[]): Promise<string>;
}

let clusterSeq = 0;

async function startNode(dir: string, name: string, redisPort: number, cluster: string): Promise<Node> {
  const [rpc] = (await freePorts(1)) as [number];
  const broker = await startNemq(dir, {
    env: {
      EMQX_NODE__NAME: name,
      EMQX_CLUSTER__NAME: cluster,
      EMQX_CLUSTER__REDIS__SERVER: `${HOST}:${redisPort}`,
      EMQX_RPC__PORT_DISCOVERY: 'manual',
      EMQX_RPC__TCP_SERVER_PORT: String(rpc),
    },
  });
  const dataDir = path.join(dir, `nemq-data-${broker.port}`);
  const ctl = async (...args: string[]): Promise<string> =>
    (await run(process.execPath, [path.join(REPO_ROOT, 'bin', 'emqx_ctl'), ...args], { env: { ...process.env, EMQX_NODE__DATA_DIR: dataDir } })).stdout;
  return { broker, name, dataDir, ctl };
}

async function join(node: Node, target: string): Promise<void> {
  const out = await node.ctl('cluster', 'join', target);
  if (!out.includes('successfully')) throw new Error(`cluster join: ${out.trim()}`);
}

/** until `node`'s route table holds rows of `owner` and their number stops changing */
async function routesSettled(node: Node, owner: string): Promise<void> {
  let last = -1;
  const t0 = Date.now();
  for (;;) {
    const n = (await node.ctl('routes', 'list')).split('\n').filter((l) => l.endsWith(`-> ${owner}`)).length;
    if (n > 0 && n === last) return;
    if (Date.now() - t0 > 10_000) throw new Error(`routes of ${owner} did not reach ${node.name}`);
    last = n;
  }
}

// ---- the rounds ----

async function oneSetup(setup: Setup, scenario: (typeof CLUSTER_SCENARIOS)[number], o: ClusterBenchOptions, redisPort: number): Promise<ScenarioResult> {
  const stops: Array<() => Promise<void>> = [];
  try {
    if (setup === 'nemq, 1 node') {
      const b = await startNemq(o.dir);
      stops.push(b.stop);
      return await runScenario(scenario, { host: b.host, port: b.port, pid: b.pid }, o.params);
    }
    if (setup === 'nemq, 2 nodes') {
      const cluster = `bench${process.pid}x${clusterSeq++}`;
      const a = await startNode(o.dir, 'emqx1@127.0.0.1', redisPort, cluster);
      stops.push(a.broker.stop);
      const b = await startNode(o.dir, 'emqx2@127.0.0.1', redisPort, cluster);
      stops.push(b.broker.stop);
      await join(b, a.name);
      const t: Target = { host: HOST, port: a.broker.port, subPort: b.broker.port, pid: a.broker.pid, subscribed: () => routesSettled(a, b.name) };
      return await runScenario(scenario, t, o.params);
    }
    const a = await startAedes(o.dir, { redis: `${HOST}:${redisPort}` });
    stops.push(a.stop);
    const b = await startAedes(o.dir, { redis: `${HOST}:${redisPort}` });
    stops.push(b.stop);
    // mqemitter-redis subscribes to Redis as the SUBSCRIBEs arrive; give it a moment to settle
    const t: Target = { host: HOST, port: a.port, subPort: b.port, pid: a.pid, subscribed: () => new Promise((r) => setTimeout(r, 500)) };
    return await runScenario(scenario, t, o.params);
  } finally {
    for (const s of stops.reverse()) await s();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

function connect(url: string, opts: mqtt.IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

const end = (c: MqttClient): Promise<void> => new Promise((r) => c.end(true, {}, () => r()));

/** persistent clients on node A reconnect to node B: CONNECT → CONNACK times */
async function takeover(o: ClusterBenchOptions, redisPort: number): Promise<ClusterReport['takeover']> {
  const cluster = `bench${process.pid}x${clusterSeq++}`;
  const a = await startNode(o.dir, 'emqx1@127.0.0.1', redisPort, cluster);
  const b = await startNode(o.dir, 'emqx2@127.0.0.1', redisPort, cluster);
  try {
    await join(b, a.name);
    const props = { sessionExpiryInterval: 300 };
    const firsts: MqttClient[] = [];
    for (let i = 0; i < o.takeoverClients; i++) {
      const c = await connect(`mqtt://${HOST}:${a.broker.port}`, { clientId: `to-${i}`, protocolVersion: 5, clean: false, properties: props });
      await c.subscribeAsync(`to/${i}`, { qos: 1 });
      firsts.push(c);
    }
    const times: number[] = [];
    let notPresent = 0;
    for (let i = 0; i < o.takeoverClients; i++) {
      const t0 = performance.now();
      const c = await connect(`mqtt://${HOST}:${b.broker.port}`, { clientId: `to-${i}`, protocolVersion: 5, clean: false, properties: props });
      times.push(performance.now() - t0);
      if (!(c as unknown as { connackPacket?: { sessionPresent?: boolean } }).connackPacket?.sessionPresent) notPresent++;
      await end(c);
    }
    await Promise.all(firsts.map(end));
    const s = latencySummary(times);
    return { n: times.length, p50: s.p50, p99: s.p99, max: s.max, notPresent };
  } finally {
    await b.broker.stop();
    await a.broker.stop();
  }
}

/** a fresh node joins a node holding `joinRoutes` filters: the ctl's time, and until a message from it arrives */
async function joinWithRoutes(o: ClusterBenchOptions, redisPort: number): Promise<ClusterReport['join']> {
  const cluster = `bench${process.pid}x${clusterSeq++}`;
  const a = await startNode(o.dir, 'emqx1@127.0.0.1', redisPort, cluster);
  const c = await startNode(o.dir, 'emqx3@127.0.0.1', redisPort, cluster);
  try {
    const sub = await connect(`mqtt://${HOST}:${a.broker.port}`, { clientId: 'join-sub' });
    for (let k = 0; k < o.joinRoutes; k += 100) {
      await sub.subscribeAsync(Array.from({ length: Math.min(100, o.joinRoutes - k) }, (_, j) => `j/${k + j}/+`), { qos: 0 });
    }
    const last = `j/${o.joinRoutes - 1}/x`;
    let got = 0;
    sub.on('message', (t) => {
      if (t === last) got = performance.now();
    });
    const pub = await connect(`mqtt://${HOST}:${c.broker.port}`, { clientId: 'join-pub' });
    const rss0 = rssKiB([c.broker.pid]);
    const t0 = performance.now();
    await join(c, a.name);
    const ctlMs = performance.now() - t0;
    while (got === 0) {
      pub.publish(last, 'x', { qos: 0 });
      if (performance.now() - t0 > 30_000) throw new Error('no delivery after the join');
      await new Promise((r) => setTimeout(r, 2));
    }
    const rss1 = rssKiB([c.broker.pid]);
    await end(sub);
    await end(pub);
    return { routes: o.joinRoutes, ctlMs, readyMs: got - t0, rssKiBPer10k: ((rss1 - rss0) / o.joinRoutes) * 10_000 };
  } finally {
    await c.broker.stop();
    await a.broker.stop();
  }
}

export async function clusterBench(o: ClusterBenchOptions): Promise<ClusterReport> {
  const redis = await startRedis(o.dir);
  const notes: string[] = [];
  try {
    const results = new Map<string, ScenarioResult[]>();
    for (let round = 1; round <= o.rounds; round++) {
      for (const scenario of CLUSTER_SCENARIOS) {
        for (const setup of SETUPS) {
          o.log(`cluster round ${round}/${o.rounds}: ${scenario} on ${setup}`);
          try {
            const r = await oneSetup(setup, scenario, o, redis.port);
            const k = `${scenario}|${setup}`;
            results.set(k, [...(results.get(k) ?? []), r]);
            for (const n of r.notes ?? []) notes.push(`${scenario}, ${setup}, round ${round}: ${n}`);
          } catch (err) {
            notes.push(`${scenario}, ${setup}, round ${round}: ${(err as Error).message}`);
          }
        }
      }
    }
    const rows: ClusterRow[] = CLUSTER_SCENARIOS.map((scenario) => {
      const cells = {} as ClusterRow['cells'];
      for (const setup of SETUPS) {
        const rs = results.get(`${scenario}|${setup}`) ?? [];
        if (rs.length === 0) {
          cells[setup] = undefined;
          continue;
        }
        const values = rs.map((r) => r.metrics[0]!.value);
        const mid = rs.find((r) => r.metrics[0]!.value === median(values))!.metrics[0]!;
        cells[setup] = { value: mid.value, acked: mid.flow?.acked ?? NaN, dropped: mid.flow?.dropped ?? 0, runs: values };
      }
      return { scenario: results.get(`${scenario}|nemq, 1 node`)?.[0]?.metrics[0]?.label ?? scenario, cells };
    });
    o.log('cluster: takeover across nodes');
    const to = await takeover(o, redis.port).catch((e: Error) => (notes.push(`takeover: ${e.message}`), undefined));
    o.log(`cluster: join with ${o.joinRoutes} routes`);
    const jn = await joinWithRoutes(o, redis.port).catch((e: Error) => (notes.push(`join: ${e.message}`), undefined));
    return { rows, takeover: to, join: jn, notes };
  } finally {
    await redis.stop();
  }
}

// ---- the report ----

const num = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');

export function renderCluster(r: ClusterReport, when: string, rounds: number): string {
  const out: string[] = [CLUSTER_START, '## Cluster', ''];
  out.push(`${when}; median of ${rounds} round(s), every setup in each round. Two nemq nodes share a throwaway`);
  out.push('redis-server; publishers connect to node 1, subscribers to node 2, so every message crosses the link.');
  out.push('The Aedes pair is two Aedes processes with `mqemitter-redis` as their `mq` (Aedes\'s way to cluster),');
  out.push('publishers on one and subscribers on the other. Delivered msg/s, with the run\'s acknowledged (QoS 1)');
  out.push('and dropped messages beside it. Goals: two nodes ≥ 50 % of one node, ≥ 5x the Aedes pair.');
  out.push('');
  out.push('| scenario | nemq, 1 node | nemq, 2 nodes | of 1 node | Aedes pair | nemq 2 nodes ÷ Aedes pair | dropped (1 node / 2 nodes / Aedes) |');
  out.push('|---|---|---|---|---|---|---|');
  for (const row of r.rows) {
    const one = row.cells['nemq, 1 node'];
    const two = row.cells['nemq, 2 nodes'];
    const ae = row.cells['Aedes pair'];
    const pct = one && two ? `${Math.round((two.value / one.value) * 100)} %` : 'n/a';
    const x = two && ae && ae.value > 0 ? `${(two.value / ae.value).toFixed(1)}x` : 'n/a';
    const dropped = [one, two, ae].map((c) => (c ? num(c.dropped) : 'n/a')).join(' / ');
    out.push(`| ${row.scenario} | ${one ? num(one.value) : 'n/a'} | ${two ? num(two.value) : 'n/a'} | ${pct} | ${ae ? num(ae.value) : 'n/a'} | ${x} | ${dropped} |`);
  }
  out.push('');
  if (r.takeover) {
    const t = r.takeover;
    out.push(`Takeover across nodes: ${t.n} persistent MQTT 5 clients with one QoS 1 subscription each, connected to node 1,`);
    out.push(`reconnect one by one to node 2: CONNECT to CONNACK p50 ${t.p50.toFixed(1)} ms, p99 ${t.p99.toFixed(1)} ms, max ${t.max.toFixed(1)} ms;`);
    out.push(`${t.notPresent} without session present. Goal: p99 < 50 ms.`);
    out.push('');
  }
  if (r.join) {
    const j = r.join;
    out.push(`Join: a fresh node joins a node with ${num(j.routes)} routes: \`emqx_ctl cluster join\` returns in ${Math.round(j.ctlMs)} ms;`);
    out.push(`a message published on the new node reaches the subscriber of the last route ${Math.round(j.readyMs)} ms after the join`);
    out.push(`started. Goal: < 1 s. The replica costs about ${num(j.rssKiBPer10k)} KiB of RSS per 10,000 routes on the joining node.`);
    out.push('');
    const perRoute = j.rssKiBPer10k / 10_000;
    out.push(`On paper, 10 nodes × 100,000 connections: with one filter per client, every node holds 1,000,000 route rows,`);
    out.push(`about ${num((perRoute * 1_000_000) / 1024)} MiB of replica per node at the measured cost; a message is forwarded once per`);
    out.push('remote node with a matching route, so cross-node delivery costs what the two-node row shows per forward.');
    out.push('');
  }
  if (r.notes.length) {
    out.push('Notes:');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  out.push(CLUSTER_END);
  return out.join('\n');
}

export function upsertCluster(existing: string, section: string): string {
  return upsertMarked(existing, CLUSTER_START, CLUSTER_END, section);
}
