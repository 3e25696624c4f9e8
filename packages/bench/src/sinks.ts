/**
 * Integration sinks: QoS 0 publishers flood `t/<i>` with `{"x":42}` and we count what reaches
 * each sink per second, with the broker's CPU per published message: plain MQTT delivery to one
 * subscriber of `t/#`, a rule republishing `SELECT payload.x AS x FROM "t/#" WHERE payload.x > 10`
 * to a subscriber of `r/#`, emqx_web_hook posting message.publish to an HTTP server, and
 * emqx_bridge_rabbit publishing to a real RabbitMQ with a consumer.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { HOST, REPO_ROOT, BrokerUnavailable, freePorts, loadedPlugins, startNemq, type RunningBroker } from './brokers.js';
import { upsertMarked } from './report.js';
import { CpuWindow, sleep } from './scenarios.js';

const run = promisify(execFile);
export const SINKS_START = '<!-- sinks:start -->';
export const SINKS_END = '<!-- sinks:end -->';
export const SINKS = ['plain MQTT', 'rule engine → republish', 'web hook', 'RabbitMQ bridge'] as const;
export type SinkName = (typeof SINKS)[number];
const PAYLOAD = Buffer.from('{"x":42}');
const RULE = 'SELECT payload.x AS x FROM "t/#" WHERE payload.x > 10';

export interface SinkOptions {
  dir: string;
  rounds: number;
  warmupMs: number;
  durationMs: number;
  publishers: number;
  log: (s: string) => void;
}

export interface SinkRow {
  name: SinkName;
  /** publishes per second the broker took in */
  publishedPerSec: number;
  /** what the sink got per second */
  deliveredPerSec: number;
  /** broker CPU per published message, µs */
  cpuUsPerMsg: number;
  /** whole run: published, and what never reached the sink */
  published: number;
  dropped: number;
}

export interface SinkReport {
  rows: SinkRow[];
  notes: string[];
}

// ---- raw MQTT: a flood of prebuilt PUBLISH frames, and a counting subscriber ----

function frame(first: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from([first, ...len]), body]);
}

function str(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

const connectFrame = (id: string): Buffer => frame(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 60]), str(id)]));

/** counts the PUBLISH packets in a byte stream (fixed header, remaining length, skip) */
class PublishCounter {
  count = 0;
  private pending = Buffer.alloc(0);
  feed(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let i = 0;
    for (;;) {
      if (i + 2 > buf.length) break;
      let len = 0;
      let mul = 1;
      let j = i + 1;
      let done = false;
      while (j < buf.length && j < i + 5) {
        const b = buf[j++]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          done = true;
          break;
        }
      }
      if (!done || j + len > buf.length) break;
      if (buf[i]! >> 4 === 3) this.count++;
      i = j + len;
    }
    buf = buf.subarray(i);
    this.pending = Buffer.from(buf);
  }
}

function mqttSocket(port: number, id: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: HOST, port });
    s.setNoDelay(true);
    s.once('connect', () => s.write(connectFrame(id)));
    s.once('data', (d) => (d[0] === 0x20 ? resolve(s) : reject(new Error('no CONNACK'))));
    s.once('error', reject);
  });
}

async function subscriber(port: number, filter: string): Promise<{ counter: PublishCounter; close(): void }> {
  const s = await mqttSocket(port, `sink-sub-${filter.replace(/\W/g, '')}`);
  const counter = new PublishCounter();
  const acked = new Promise<void>((resolve) => s.once('data', () => resolve()));
  s.write(frame(0x82, Buffer.concat([Buffer.from([0, 1]), str(filter), Buffer.from([0])])));
  await acked;
  s.on('data', (d: Buffer) => counter.feed(d));
  return { counter, close: () => s.destroy() };
}

/**
 * Publishers writing batches of frames while their sockets take them, and while fewer than
 * `window` messages are on their way to the sink (the end-to-end window of the other benches).
 * A window that does not move for 20 ms lets the next batch go: the sink lost messages.
 */
async function flood(port: number, n: number, received: () => number, window = 20_000): Promise<{ sent(): number; stop(): void }> {
  const socks = await Promise.all(Array.from({ length: n }, (_, i) => mqttSocket(port, `sink-pub-${i}`)));
  let sent = 0;
  let stopped = false;
  let stalledSince = 0;
  for (const [i, s] of socks.entries()) {
    const one = frame(0x30, Buffer.concat([str(`t/${i}`), PAYLOAD]));
    const batch = Buffer.concat(Array.from({ length: 64 }, () => one));
    const pump = (): void => {
      while (!stopped) {
        if (sent - received() > window) {
          const now = Date.now();
          if (stalledSince === 0) stalledSince = now;
          if (now - stalledSince < 20) {
            setTimeout(pump, 1);
            return;
          }
        }
        stalledSince = 0;
        sent += 64;
        if (!s.write(batch)) {
          s.once('drain', pump);
          return;
        }
      }
    };
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    setImmediate(pump);
  }
  return {
    sent: () => sent,
    stop: () => {
      stopped = true;
      for (const s of socks) s.end();
    },
  };
}

// ---- the sinks ----

interface Sink {
  plugins: Record<string, boolean>;
  env: Record<string, string>;
  /** after the node is up: subscribers, rules */
  ready(b: RunningBroker, ctl: (...a: string[]) => Promise<string>): Promise<void>;
  received(): number;
  stop(): Promise<void>;
}

async function webSink(): Promise<Sink> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      n++;
      res.writeHead(200, { 'content-length': 0 });
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const port = (server.address() as AddressInfo).port;
  return {
    plugins: { emqx_web_hook: true },
    env: { EMQX_WEB__HOOK__URL: `http://${HOST}:${port}/hook`, EMQX_WEB__HOOK__RULE__MESSAGE__PUBLISH__1: '{"action": "on_message_publish", "topic": "t/#"}' },
    ready: async () => undefined,
    received: () => n,
    stop: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

async function rabbitSink(dir: string): Promise<Sink> {
  const script = path.join(REPO_ROOT, 'test', 'services', 'services.sh');
  const [port] = (await freePorts(1)) as [number];
  const sdir = path.join(dir, `rabbit-${port}`);
  fs.mkdirSync(sdir, { recursive: true });
  let out: string;
  try {
    out = (await run('bash', [script, 'start', 'rabbitmq', sdir, String(port)], { timeout: 120_000 })).stdout;
  } catch (e) {
    throw new BrokerUnavailable('nemq', `rabbitmq-server did not start: ${(e as Error).message.split('\n')[0]}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const amqp = require('amqplib') as typeof import('amqplib');
  const env = Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const stopService = (): Promise<unknown> => run('bash', [script, 'stop', 'rabbitmq', sdir]).catch(() => undefined);
  const conn = await amqp.connect(env.AMQP_URL!).catch(async (e: Error) => {
    await stopService();
    throw e;
  });
  const ch = await conn.createChannel();
  await ch.assertExchange('emq.pub', 'topic', { durable: true });
  const q = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(q.queue, 'emq.pub', '#');
  let n = 0;
  await ch.consume(q.queue, () => void n++, { noAck: true });
  return {
    plugins: { emqx_bridge_rabbit: true },
    env: { EMQX_BRIDGE__RABBIT__1__SERVER: `${HOST}:${port}`, EMQX_BRIDGE__RABBIT__1__USERNAME: env.AMQP_USER!, EMQX_BRIDGE__RABBIT__1__PASSWORD: env.AMQP_PASSWORD! },
    ready: async () => undefined,
    received: () => n,
    stop: async () => {
      await conn.close().catch(() => undefined);
      await stopService();
    },
  };
}

function mqttSink(filter: string, rule: boolean): Sink {
  let sub: Awaited<ReturnType<typeof subscriber>> | undefined;
  return {
    plugins: rule ? { emqx_rule_engine: true } : {},
    env: {},
    ready: async (b, ctl) => {
      if (rule) {
        const out = await ctl('rules', 'create', RULE, '[{"name":"republish","params":{"target_topic":"r/${x}","target_qos":0,"payload_tmpl":"${x}"}}]');
        if (!/created|rule:/i.test(out)) throw new Error(`rules create: ${out.trim()}`);
      }
      sub = await subscriber(b.port, filter);
    },
    received: () => sub?.counter.count ?? 0,
    stop: async () => sub?.close(),
  };
}

async function oneRun(name: SinkName, o: SinkOptions): Promise<SinkRow> {
  const sink = name === 'web hook' ? await webSink() : name === 'RabbitMQ bridge' ? await rabbitSink(o.dir) : mqttSink(name === 'plain MQTT' ? 't/#' : 'r/#', name !== 'plain MQTT');
  let b: RunningBroker | undefined;
  try {
    const plugins = { emqx_management: false, emqx_dashboard: false, emqx_retainer: false, ...sink.plugins };
    b = await startNemq(o.dir, {
      env: sink.env,
      setup: loadedPlugins(plugins),
    });
    const dataDir = path.join(o.dir, `nemq-data-${b.port}`);
    const ctl = async (...a: string[]): Promise<string> =>
      (await run(process.execPath, [path.join(REPO_ROOT, 'bin', 'emqx_ctl'), ...a], { env: { ...process.env, EMQX_NODE__DATA_DIR: dataDir } })).stdout;
    const listed = await ctl('plugins', 'list');
    for (const p of Object.keys(sink.plugins)) {
      if (!new RegExp(`Plugin\\(${p}, [^)]*active=true`).test(listed)) throw new Error(`${p} is not running: ${fs.readFileSync(b.logFile, 'utf8').slice(-500)}`);
    }
    await sink.ready(b, ctl);
    const pubs = await flood(b.port, o.publishers, () => sink.received());
    await sleep(o.warmupMs);
    const p0 = pubs.sent();
    const r0 = sink.received();
    const cpu = new CpuWindow(b.pid);
    await sleep(o.durationMs);
    const p1 = pubs.sent();
    const r1 = sink.received();
    const c = cpu.stop();
    pubs.stop();
    // what is still on its way
    let last = -1;
    for (let i = 0; i < 100 && sink.received() !== last; i++) {
      last = sink.received();
      await sleep(100);
    }
    const published = pubs.sent();
    const cpuUs = (c.brokerCpuPct / 100) * c.wallS * 1e6;
    return {
      name,
      publishedPerSec: (p1 - p0) / c.wallS,
      deliveredPerSec: (r1 - r0) / c.wallS,
      cpuUsPerMsg: cpuUs / Math.max(1, p1 - p0),
      published,
      dropped: Math.max(0, published - sink.received()),
    };
  } finally {
    await b?.stop();
    await sink.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export async function sinksBench(o: SinkOptions, names: readonly SinkName[] = SINKS): Promise<SinkReport> {
  const all = new Map<SinkName, SinkRow[]>();
  const notes: string[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    for (const name of names) {
      o.log(`sinks round ${round}: ${name}`);
      try {
        const r = await oneRun(name, o);
        all.set(name, [...(all.get(name) ?? []), r]);
      } catch (e) {
        if (!(e instanceof BrokerUnavailable)) throw e;
        if (round === 1) notes.push(`${name} skipped: ${e.message}`);
      }
    }
  }
  const rows = [...all.entries()].map(([name, rs]) => {
    const mid = [...rs].sort((a, b) => a.deliveredPerSec - b.deliveredPerSec)[Math.floor((rs.length - 1) / 2)]!;
    return { ...mid, cpuUsPerMsg: median(rs.map((r) => r.cpuUsPerMsg)) };
  });
  return { rows, notes };
}

const num = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

export function renderSinks(r: SinkReport, when: string, o: Pick<SinkOptions, 'rounds' | 'publishers' | 'durationMs'>): string {
  const out = [SINKS_START, '## Integrations', ''];
  out.push(`${when}; median of ${o.rounds} round(s). ${o.publishers} QoS 0 publishers send \`t/<n>\` with \`{"x":42}\` as fast as the sink`);
  out.push('takes them (at most 20,000 messages on their way, as the fan-in scenario) for');
  out.push(`${o.durationMs / 1000} s; each row counts what reaches its sink per second: one MQTT subscriber of \`t/#\` (plain),`);
  out.push(`a subscriber of \`r/#\` fed by the rule \`${RULE}\` republishing \`r/\${x}\`,`);
  out.push('an HTTP server answering emqx_web_hook\'s message.publish posts, and an amqplib consumer of the exchange');
  out.push('emqx_bridge_rabbit publishes to on a real rabbitmq-server. Broker CPU is per published message. "dropped" is');
  out.push('what was published and never reached the sink (QoS 0: shed by design when the sink is slower; the bridges count');
  out.push('theirs). Goals: each sink ≥ 50 % of plain delivery; the rule engine ≤ 2 µs per message.');
  out.push('');
  out.push('| sink | delivered msg/s | of plain | published msg/s | broker CPU µs/msg | published | dropped |');
  out.push('|---|---|---|---|---|---|---|');
  const plain = r.rows.find((x) => x.name === 'plain MQTT');
  for (const x of r.rows) {
    const share = plain && plain.deliveredPerSec > 0 ? `${Math.round((x.deliveredPerSec / plain.deliveredPerSec) * 100)} %` : 'n/a';
    out.push(`| ${x.name} | ${num(x.deliveredPerSec)} | ${share} | ${num(x.publishedPerSec)} | ${x.cpuUsPerMsg.toFixed(2)} | ${num(x.published)} | ${num(x.dropped)} |`);
  }
  const rule = r.rows.find((x) => x.name === 'rule engine → republish');
  if (plain && rule) {
    out.push('');
    out.push(`The rule row costs ${(rule.cpuUsPerMsg - plain.cpuUsPerMsg).toFixed(2)} µs more broker CPU per message than plain delivery; that`);
    out.push('includes routing the republished copy, so the rule itself costs less: "Rule engine" in this file measures the engine');
    out.push('alone (`node plugins/emqx_rule_engine/bench/rule-bench.js`).');
  }
  for (const n of r.notes) out.push('', `- ${n}`);
  out.push(SINKS_END);
  return out.join('\n');
}

export function upsertSinks(existing: string, section: string): string {
  return upsertMarked(existing, SINKS_START, SINKS_END, section);
}
