/** Starting, probing and stopping the brokers under comparison. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { CONNACK, FrameReader, encodeConnect } from './mqtt.js';
import { descendants, isAlive } from './proc.js';

export const BROKERS = ['nemq', 'mosquitto', 'aedes'] as const;
export type BrokerName = (typeof BROKERS)[number];

export function isBroker(s: string): s is BrokerName {
  return (BROKERS as readonly string[]).includes(s);
}

export const HOST = '127.0.0.1';
export const PORT_MIN = 20_000;
export const PORT_MAX = 29_999;

/** Repository root (packages/bench/dist -> ../../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const AEDES_SERVER = path.resolve(__dirname, '..', 'brokers', 'aedes-server.js');
export const MOSQUITTO_APT = 'apt-get install -y --no-install-recommends mosquitto';

export interface RunningBroker {
  name: BrokerName;
  host: string;
  port: number;
  pid: number;
  version: string;
  logFile: string;
  alive(): boolean;
  stop(): Promise<void>;
  /** nemq: the management (8081) and dashboard (18083) listeners' ports */
  http?: { mgmt: number; dashboard: number };
}

export class BrokerUnavailable extends Error {
  constructor(
    readonly broker: BrokerName,
    readonly reason: string,
  ) {
    super(`${broker}: ${reason}`);
  }
}

/* ------------------------------------------------------------------ */
/* Ports and probing                                                   */
/* ------------------------------------------------------------------ */

const taken = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: HOST, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** `n` distinct loopback ports in 20000-29999 that are free right now. */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let attempt = 0; out.length < n && attempt < 500; attempt++) {
    const p = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
    if (taken.has(p) || out.includes(p)) continue;
    if (await canListen(p)) out.push(p);
  }
  if (out.length < n) throw new Error(`no ${n} free ports in ${PORT_MIN}-${PORT_MAX}`);
  for (const p of out) taken.add(p);
  return out;
}

let probeSeq = 0;

/** Connects with MQTT and resolves true on a CONNACK (any return code: a broker refusing anonymous clients is up too). */
export function mqttPing(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const reader = new FrameReader((type) => {
      if (type === CONNACK) finish(true);
    });
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('connect', () => sock.write(encodeConnect({ clientId: `bench-probe-${process.pid}-${probeSeq++}`, keepalive: 0 })));
    sock.on('data', (d: Buffer) => {
      try {
        reader.push(d);
      } catch {
        finish(false);
      }
    });
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the broker answers CONNECT with CONNACK; returns an error text or null. */
async function waitReady(host: string, port: number, child: ChildProcess, timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return `exited (${child.exitCode ?? child.signalCode}) before accepting connections`;
    if (await mqttPing(host, port, 500)) return null;
    await sleep(100);
  }
  return `no CONNACK on ${host}:${port} within ${timeoutMs / 1000} s`;
}

/* ------------------------------------------------------------------ */
/* Process handling                                                    */
/* ------------------------------------------------------------------ */

const running = new Set<RunningBroker>();

/** Kills every broker still running, synchronously (exit / signal handlers). */
export function killAllSync(): void {
  for (const b of running) {
    const pids = [b.pid, ...descendants(b.pid)];
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  running.clear();
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((b) => b.stop()));
}

/**
 * Spawns `cmd` through /bin/sh so that the open-files limit can be raised
 * first (10k connections need 10k descriptors); `exec` keeps the pid.
 */
function spawnWithFdLimit(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv, cwd: string): ChildProcess {
  const fd = fs.openSync(logFile, 'a');
  try {
    const script = 'ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -H -n)" 2>/dev/null; exec "$0" "$@"';
    return spawn('/bin/sh', ['-c', script, cmd, ...args], { stdio: ['ignore', fd, fd], env, cwd });
  } finally {
    fs.closeSync(fd);
  }
}

/** Last lines of a log file, joined with " | " (empty if unreadable). */
export function logTail(file: string, lines = 5): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

async function launch(
  name: BrokerName,
  version: string,
  cmd: string,
  args: string[],
  port: number,
  logFile: string,
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; readyTimeoutMs: number },
): Promise<RunningBroker> {
  const child = spawnWithFdLimit(cmd, args, logFile, opts.env ?? process.env, opts.cwd ?? REPO_ROOT);
  const pid = child.pid;
  if (pid === undefined) throw new BrokerUnavailable(name, `could not spawn ${cmd}`);
  let exited = false;
  const exitP = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  const b: RunningBroker = {
    name,
    host: HOST,
    port,
    pid,
    version,
    logFile,
    alive: () => !exited && isAlive(pid),
    stop: async () => {
      running.delete(b);
      const kids = descendants(pid);
      if (!exited) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
        await Promise.race([exitP, sleep(3_000)]);
      }
      for (const p of exited ? kids : [pid, ...kids]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await Promise.race([exitP, sleep(1_000)]);
    },
  };
  running.add(b);
  const err = await waitReady(HOST, port, child, opts.readyTimeoutMs);
  if (err) {
    await b.stop();
    const t = logTail(logFile);
    throw new BrokerUnavailable(name, `${err}${t ? ` (log: ${t})` : ''}`);
  }
  return b;
}

/* ------------------------------------------------------------------ */
/* Mosquitto                                                           */
/* ------------------------------------------------------------------ */

export function findMosquitto(): string | null {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto']) {
    if (fs.existsSync(p)) return p;
  }
  return null;
}

/** Finds mosquitto, installing Debian's package when running as root. */
export function ensureMosquitto(log: (s: string) => void = () => {}): string {
  const found = findMosquitto();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new BrokerUnavailable('mosquitto', `not installed; install it with: sudo ${MOSQUITTO_APT}`);
  }
  log(`mosquitto not found, running: ${MOSQUITTO_APT}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): boolean => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'mosquitto'], { stdio: 'inherit', env }).status === 0;
  if (!install()) {
    log('apt-get install failed, running apt-get update first');
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    install();
  }
  const p = findMosquitto();
  if (!p) throw new BrokerUnavailable('mosquitto', `installation failed; try: ${MOSQUITTO_APT}`);
  return p;
}

export function mosquittoVersion(bin: string): string {
  const r = spawnSync(bin, ['-h'], { encoding: 'utf8', timeout: 5_000 });
  const m = /mosquitto version (\S+)/.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  return m?.[1] ?? 'unknown';
}

/** Mosquitto settings that matter for a fair comparison (documented in docs/benchmarks.md). */
export function mosquittoConfig(port: number, root: boolean): string {
  return [
    `listener ${port} ${HOST}`,
    'allow_anonymous true',
    'persistence false',
    ...(root ? ['user root'] : []),
    // Queue instead of dropping QoS 0/1 for a busy subscriber (the bench
    // keeps at most ~20k messages in flight, far below this).
    'max_queued_messages 1000000',
    // Outgoing QoS 1 window: as large as a packet id space; the bench's own
    // windows keep the real number in flight far lower.
    'max_inflight_messages 65535',
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n');
}

export async function startMosquitto(dir: string, opts: { readyTimeoutMs?: number; log?: (s: string) => void } = {}): Promise<RunningBroker> {
  const bin = ensureMosquitto(opts.log);
  const [port] = await freePorts(1);
  const conf = path.join(dir, `mosquitto-${port}.conf`);
  fs.writeFileSync(conf, mosquittoConfig(port as number, process.getuid?.() === 0));
  return launch('mosquitto', mosquittoVersion(bin), bin, ['-c', conf], port as number, path.join(dir, `mosquitto-${port}.log`), {
    readyTimeoutMs: opts.readyTimeoutMs ?? 10_000,
  });
}

/* ------------------------------------------------------------------ */
/* Aedes                                                               */
/* ------------------------------------------------------------------ */

export function aedesVersion(): string {
  try {
    const dir = path.dirname(require.resolve('aedes', { paths: [path.dirname(AEDES_SERVER)] }));
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function startAedes(dir: string, opts: { readyTimeoutMs?: number; redis?: string } = {}): Promise<RunningBroker> {
  if (!fs.existsSync(AEDES_SERVER)) throw new BrokerUnavailable('aedes', `${AEDES_SERVER} is missing`);
  const [port] = await freePorts(1);
  return launch(
    'aedes',
    aedesVersion(),
    process.execPath,
    [AEDES_SERVER, '--host', HOST, '--port', String(port), ...(opts.redis ? ['--redis', opts.redis] : []), '--exit-with-parent'],
    port as number,
    path.join(dir, `aedes-${port}.log`),
    { readyTimeoutMs: opts.readyTimeoutMs ?? 10_000 },
  );
}

/* ------------------------------------------------------------------ */
/* nemq (ours)                                                         */
/* ------------------------------------------------------------------ */

export function nemqPaths(root = REPO_ROOT): { bin: string; main: string } {
  return { bin: path.join(root, 'bin', 'emqx'), main: path.join(root, 'packages', 'kernel', 'dist', 'main.js') };
}

export function nemqVersion(root = REPO_ROOT): string {
  for (const f of [path.join(root, 'packages', 'kernel', 'package.json'), path.join(root, 'package.json')]) {
    try {
      const v = (JSON.parse(fs.readFileSync(f, 'utf8')) as { version?: string }).version;
      if (v) return v;
    } catch {
      /* next */
    }
  }
  return 'unknown';
}

/** a startNemq `setup` writing data/loaded_plugins: exactly these plugins on or off, EMQX's defaults not applied */
export function loadedPlugins(names: Record<string, boolean>): (dataDir: string) => void {
  return (dataDir) => fs.writeFileSync(path.join(dataDir, 'loaded_plugins'), Object.entries(names).map(([n, on]) => `{${n}, ${on}}.\n`).join(''));
}

/** Environment overrides (EMQX 4.x style) used to start nemq for the benchmark. */
export function nemqEnv(ports: readonly number[], dataDir: string): Record<string, string> {
  const [tcp, internal, ssl, ws, wss, mgmt, dash] = ports;
  return {
    EMQX_LISTENER__TCP__EXTERNAL: `${HOST}:${tcp}`,
    EMQX_LISTENER__TCP__INTERNAL: `${HOST}:${internal}`,
    EMQX_LISTENER__SSL__EXTERNAL: `${HOST}:${ssl}`,
    EMQX_LISTENER__WS__EXTERNAL: `${HOST}:${ws}`,
    EMQX_LISTENER__WSS__EXTERNAL: `${HOST}:${wss}`,
    EMQX_MANAGEMENT__LISTENER__HTTP: `${HOST}:${mgmt}`,
    EMQX_DASHBOARD__LISTENER__HTTP: `${HOST}:${dash}`,
    EMQX_NODE__DATA_DIR: dataDir,
    EMQX_LOG__LEVEL: 'error',
    EMQX_ALLOW_ANONYMOUS: 'true',
    EMQX_LISTENER__TCP__EXTERNAL__NODELAY: 'true',
    EMQX_LISTENER__TCP__EXTERNAL__MAX_CONNECTIONS: '1024000',
    // the shipped conf caps accepts at 1000/s (EMQX's max_conn_rate); mosquitto has no such cap
    EMQX_LISTENER__TCP__EXTERNAL__MAX_CONN_RATE: '1000000',
    // Same queueing / in-flight room as given to mosquitto.
    EMQX_ZONE__EXTERNAL__MAX_MQUEUE_LEN: '1000000',
    EMQX_ZONE__EXTERNAL__MAX_INFLIGHT: '65535',
  };
}

export async function startNemq(dir: string, opts: { readyTimeoutMs?: number; root?: string; env?: Record<string, string>; setup?: (dataDir: string) => void } = {}): Promise<RunningBroker> {
  const root = opts.root ?? REPO_ROOT;
  const { bin, main } = nemqPaths(root);
  if (!fs.existsSync(bin)) throw new BrokerUnavailable('nemq', `${path.relative(root, bin)} does not exist yet`);
  if (!fs.existsSync(main)) throw new BrokerUnavailable('nemq', `${path.relative(root, main)} does not exist (not built?)`);
  const ports = await freePorts(7);
  const dataDir = path.join(dir, `nemq-data-${ports[0]}`);
  fs.mkdirSync(dataDir, { recursive: true });
  opts.setup?.(dataDir);
  const b = await launch('nemq', nemqVersion(root), process.execPath, [bin, 'foreground'], ports[0] as number, path.join(dir, `nemq-${ports[0]}.log`), {
    env: { ...process.env, ...nemqEnv(ports, dataDir), ...opts.env },
    cwd: root,
    readyTimeoutMs: opts.readyTimeoutMs ?? 10_000,
  });
  b.http = { mgmt: ports[5] as number, dashboard: ports[6] as number };
  return b;
}

export function startBroker(name: BrokerName, dir: string, log?: (s: string) => void): Promise<RunningBroker> {
  switch (name) {
    case 'nemq':
      return startNemq(dir);
    case 'mosquitto':
      return startMosquitto(dir, { log });
    case 'aedes':
      return startAedes(dir);
  }
}
