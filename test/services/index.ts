/**
 * Throwaway external services for jest suites, run by test/services/services.sh on free loopback ports.
 *
 *   const db = await startService('mariadb');          // in beforeAll (allow ~2 s; rabbitmq ~8 s)
 *   db.env.MYSQL_URL                                   // mysql://test:test@127.0.0.1:PORT/test
 *   await db.stop();                                   // in afterAll
 *
 * No broker code here: only processes, ports and directories.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export type ServiceName =
  | 'mariadb' | 'mosquitto' | 'kafka' | 'postgres' | 'redis' | 'redis-sentinel' | 'redis-cluster' | 'slapd' | 'rabbitmq' | 'mongo';

export const SERVICE_NAMES: readonly ServiceName[] = [
  'mariadb', 'mosquitto', 'kafka', 'postgres', 'redis', 'redis-sentinel', 'redis-cluster', 'slapd', 'rabbitmq', 'mongo',
];

/** how many consecutive ports from PORT an instance uses */
const SPANS: Partial<Record<ServiceName, number>> = { rabbitmq: 3, 'redis-sentinel': 5, 'redis-cluster': 6 };

/** The script behind this module. */
export const SERVICES_SH = path.join(__dirname, 'services.sh');

export interface StartOptions {
  /** A fixed port on 127.0.0.1. Default: a free one in 20000–29999 (rabbitmq also uses PORT+1, PORT+2; redis-sentinel PORT+1..4; redis-cluster PORT+1..5). */
  port?: number;
  /**
   * Extra environment for services.sh: SVC_USER, SVC_PASSWORD, SVC_DB (default test/test/test),
   * KAFKA_TOPICS (e.g. "t1:3,t2": topics the Kafka mock creates), START_TIMEOUT, STOP_TIMEOUT (seconds).
   */
  env?: Record<string, string>;
  /** Instance directory. Default: a new temp dir, removed by stop(). A given dir is kept. */
  dir?: string;
}

export interface Service {
  readonly name: ServiceName;
  readonly port: number;
  readonly dir: string;
  /** What services.sh printed: connection details, e.g. MYSQL_URL, MQTT_URL, KAFKA_BROKERS. */
  readonly env: Record<string, string>;
  /** PIDs of the service's processes while it runs (empty after down()/stop()). */
  pids(): number[];
  /** Stop the server processes but keep the dir and its data (to test a dependency going away). */
  down(): Promise<void>;
  /** Start it again after down(), same dir, port and credentials. */
  up(): Promise<void>;
  /** Stop the processes and remove the dir if startService made it. Safe to call twice. */
  stop(): Promise<void>;
}

const PORT_MIN = 20000;
const PORT_MAX = 29999;
const EX_PORT_TAKEN = 75;
const handedOut = new Set<number>();
const running = new Map<string, { name: ServiceName; dir: string; removeDir: boolean }>();

class ServiceScriptError extends Error {
  constructor(message: string, readonly code: number | null) {
    super(message);
  }
}

function run(args: string[], env: Record<string, string> | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [SERVICES_SH, ...args],
      { env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGTERM', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = typeof err.code === 'number' ? err.code : null;
        const why = err.killed ? `killed after ${timeoutMs} ms` : `exit ${code ?? err.signal}`;
        reject(new ServiceScriptError(`services.sh ${args.join(' ')}: ${why}\n${stderr.trim()}`, code));
      },
    );
  });
}

function parseEnv(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port in 20000–29999 that is free on 127.0.0.1 (with the next span-1 ports), not handed out before. */
export async function freePort(span = 1): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 2 - span));
    const ports = Array.from({ length: span }, (_, k) => port + k);
    if (ports.some((p) => handedOut.has(p))) continue;
    let ok = true;
    for (const p of ports) if (!(ok = await portFree(p))) break;
    if (!ok) continue;
    ports.forEach((p) => handedOut.add(p));
    return port;
  }
  throw new Error(`no free port in ${PORT_MIN}-${PORT_MAX}`);
}

function readPids(dir: string, name: ServiceName): number[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files
    .filter((f) => f === `${name}.pid` || (f.startsWith(`${name}-`) && f.endsWith('.pid')))
    .map((f) => Number(readFileSync(path.join(dir, f), 'utf8').trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

function timeouts(env: Record<string, string> | undefined): { start: number; stop: number } {
  const start = Number(env?.START_TIMEOUT ?? process.env.START_TIMEOUT ?? 90);
  const stop = Number(env?.STOP_TIMEOUT ?? process.env.STOP_TIMEOUT ?? 15);
  // services.sh enforces its own timeouts; these only catch a hung script.
  return { start: (start + 60) * 1000, stop: (stop * 3 + 30) * 1000 };
}

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a suite forgot stop() or the worker is going away: stop synchronously.
  process.on('exit', () => {
    for (const [key, s] of running) {
      running.delete(key);
      try {
        execFileSync('bash', [SERVICES_SH, 'stop', s.name, s.dir], { stdio: 'ignore', timeout: 60_000 });
      } catch {
        /* nothing more to do while exiting */
      }
      if (s.removeDir) rmSync(s.dir, { recursive: true, force: true });
    }
  });
}

/**
 * Start one instance of NAME on 127.0.0.1 and wait until it is ready (the client answers or the port
 * accepts). env keys per service:
 * - mariadb: MYSQL_URL, MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD, MYSQL_DATABASE, MYSQL_SOCKET
 * - mosquitto: MQTT_URL, MQTT_HOST, MQTT_PORT, MQTT_USER, MQTT_PASSWORD (anonymous also allowed)
 * - kafka (librdkafka's mock cluster, not a real Kafka): KAFKA_BROKERS, KAFKA_HOST, KAFKA_PORT,
 *   KAFKA_TOPICS, KAFKA_MOCK=librdkafka, KAFKA_MOCK_BROKERS
 * - postgres: POSTGRES_URL, POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB
 * - redis: REDIS_URL (no credentials: default user), REDIS_HOST, REDIS_PORT, REDIS_USER, REDIS_PASSWORD (ACL user)
 * - redis-sentinel: REDIS_SENTINELS (host:port,... of the three sentinels), REDIS_MASTER_NAME (mymaster), REDIS_HOST,
 *   REDIS_MASTER_PORT, REDIS_REPLICA_PORT (no credentials); pid files redis-sentinel.pid (the master),
 *   redis-sentinel-replica.pid, redis-sentinel-s1..3.pid
 * - redis-cluster: REDIS_CLUSTER_NODES (host:port,... of the three masters), REDIS_HOST, REDIS_PORT (the first)
 * - slapd: LDAP_URL, LDAP_HOST, LDAP_PORT, LDAP_BASE_DN, LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD, LDAP_USER_DN,
 *   LDAP_USER, LDAP_PASSWORD
 * - rabbitmq: AMQP_URL, AMQP_HOST, AMQP_PORT, AMQP_USER, AMQP_PASSWORD, RABBITMQ_NODENAME
 * - mongo (CongoDB, a wire-protocol stand-in, not a real mongod: no auth, no unique indexes): MONGO_URL
 *   (no credentials), MONGO_HOST, MONGO_PORT, MONGO_DB, MONGO_STANDIN=congodb
 */
export async function startService(name: ServiceName, opts: StartOptions = {}): Promise<Service> {
  if (!SERVICE_NAMES.includes(name)) throw new Error(`unknown service ${String(name)}`);
  const removeDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), `nemq-${name}-`));
  const span = SPANS[name] ?? 1;
  const limits = timeouts(opts.env);
  let port = opts.port ?? 0;
  let stdout = '';
  try {
    for (let attempt = 1; ; attempt++) {
      if (opts.port === undefined) port = await freePort(span);
      try {
        stdout = await run(['start', name, dir, String(port)], opts.env, limits.start);
        break;
      } catch (e) {
        // Another process took the port between our check and the server's bind: try another one.
        if (e instanceof ServiceScriptError && e.code === EX_PORT_TAKEN && opts.port === undefined && attempt < 5) continue;
        throw e;
      }
    }
  } catch (e) {
    if (removeDir) rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const key = `${name}\0${dir}`;
  running.set(key, { name, dir, removeDir });
  installExitHook();
  let state: 'up' | 'down' | 'stopped' = 'up';
  const halt = async (): Promise<void> => {
    await run(['stop', name, dir], opts.env, limits.stop);
  };
  return {
    name,
    port,
    dir,
    env: parseEnv(stdout),
    pids: () => (state === 'up' ? readPids(dir, name) : []),
    async down() {
      if (state !== 'up') throw new Error(`${name} is ${state}`);
      await halt();
      state = 'down';
    },
    async up() {
      if (state !== 'down') throw new Error(`${name} is ${state}`);
      await run(['start', name, dir, String(port)], opts.env, limits.start);
      state = 'up';
    },
    async stop() {
      if (state === 'stopped') return;
      try {
        if (state === 'up') await halt();
      } finally {
        state = 'stopped';
        running.delete(key);
        if (removeDir) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Suite-level check that the Debian packages for NAMEs are installed; throws with the apt-get line
 * otherwise (test/run.sh installs them when run as root). Call at the top of a suite or in beforeAll.
 */
export function requireServices(...names: ServiceName[]): void {
  for (const n of names) if (!SERVICE_NAMES.includes(n)) throw new Error(`unknown service ${String(n)}`);
  try {
    execFileSync('bash', [SERVICES_SH, 'check', ...names], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim() ?? String(e);
    throw new Error(`services needed by this suite are not installed (${names.join(', ')}):\n${stderr}`);
  }
}
