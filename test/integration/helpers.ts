// Shared helpers for integration tests: an in-process broker on free ports and
// mqtt.js clients that are always cleaned up.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createBroker, defaultZone, type BrokerNode, type BrokerOptions, type Zone } from '@nemq/kernel';
import { createLogger } from '@nemq/kernel';
import { join } from 'node:path';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

export const ROOT = join(__dirname, '../..');
const runFile = promisify(execFile);
export const CERTS = join(ROOT, 'etc/certs');

export interface TestBroker {
  node: BrokerNode;
  port: number;
  url: string;
  ports: Record<string, number>;
  stop(): Promise<void>;
}

/**
 * A broker on free ports. The retainer plugin (plugins/emqx_retainer) is loaded
 * unless `retainer: false` or the caller brings its own plugin options.
 */
export async function startBroker(opts: BrokerOptions & { zone?: Partial<Zone>; tls?: boolean; ws?: boolean; retainer?: boolean } = {}): Promise<TestBroker> {
  const zone = defaultZone('external', opts.zone ?? {});
  const listeners: NonNullable<BrokerOptions['listeners']> = opts.listeners ?? [
    { proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100000 },
  ];
  if (!opts.listeners && opts.tls) listeners.push({ proto: 'ssl', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000, keyfile: join(CERTS, 'key.pem'), certfile: join(CERTS, 'cert.pem'), cacertfile: join(CERTS, 'cacert.pem') });
  if (!opts.listeners && opts.ws) {
    listeners.push({ proto: 'ws', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000, mqttPath: '/mqtt' });
    listeners.push({ proto: 'wss', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000, mqttPath: '/mqtt', keyfile: join(CERTS, 'key.pem'), certfile: join(CERTS, 'cert.pem') });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'nemq-test-'));
  const node = await createBroker({
    sysInterval: 0,
    sysHeartbeat: 0,
    logger: createLogger('none'),
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: join(ROOT, 'etc/plugins'), loadedFile: join(tmp, 'loaded_plugins'), dataDir: tmp, defaults: {} },
    ...opts,
    zones: opts.zones ?? { external: zone, default: zone },
    listeners,
  });
  if (opts.retainer !== false && !opts.plugins) await node.plugins!.load('emqx_retainer', { persist: false });
  const ports: Record<string, number> = {};
  for (const l of node.listeners) ports[l.spec.proto] = l.port;
  const port = ports.tcp ?? 0;
  const stop = async (): Promise<void> => {
    await node.stop();
    rmSync(tmp, { recursive: true, force: true });
  };
  return { node, port, ports, url: `mqtt://127.0.0.1:${port}`, stop };
}

const open: MqttClient[] = [];

/** connects and waits for CONNACK; rejects on error */
export function connect(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    open.push(c);
    // messages can arrive in the same read as CONNACK: collect from the start
    collect(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

/** connect() from another loopback source address (e.g. 127.0.0.2: not the 127.0.0.1 of acl.conf) */
export function connectFrom(localAddress: string, port: number, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = new mqtt.MqttClient(() => net.createConnection({ host: '127.0.0.1', port, localAddress }), { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...opts });
    open.push(c);
    collect(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
}

type Got = Array<{ topic: string; payload: string; packet: any }>;
const collected = new WeakMap<MqttClient, Got>();

/** every message the client received since it was created */
export function collect(c: MqttClient): Got {
  let got = collected.get(c);
  if (!got) {
    const list: Got = (got = []);
    collected.set(c, list);
    c.on('message', (topic, payload, packet) => list.push({ topic, payload: payload.toString(), packet }));
  }
  return got;
}

/** until `cond` (sync or async, e.g. a ctl or HTTP call) holds; polls every 10 ms */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 3000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface NodeProcess {
  /** listener ports by name */
  ports: { tcp: number; internal: number; ssl: number; ws: number; wss: number; mgmt: number; dashboard: number };
  env: NodeJS.ProcessEnv;
  child: ChildProcess;
  output(): string;
  /** runs bin/emqx_ctl against this node; resolves with stdout */
  ctl(...args: string[]): Promise<string>;
  /** SIGTERM, resolves with the exit code */
  stop(): Promise<number | null>;
}

/** `bin/emqx foreground` with the shipped etc/, its listeners moved to free ports by EMQX_* overrides */
export async function spawnNode(extraEnv: Record<string, string>, args: string[] = [], wait = true): Promise<NodeProcess> {
  const [tcp, internal, ssl, ws, wss, mgmt, dashboard] = await Promise.all([0, 1, 2, 3, 4, 5, 6].map(() => freePort())) as [number, number, number, number, number, number, number];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EMQX_LISTENER__TCP__EXTERNAL: `127.0.0.1:${tcp}`, EMQX_LISTENER__TCP__INTERNAL: `127.0.0.1:${internal}`,
    EMQX_LISTENER__SSL__EXTERNAL: `127.0.0.1:${ssl}`, EMQX_LISTENER__WS__EXTERNAL: `127.0.0.1:${ws}`, EMQX_LISTENER__WSS__EXTERNAL: `127.0.0.1:${wss}`,
    EMQX_MANAGEMENT__LISTENER__HTTP: `127.0.0.1:${mgmt}`, EMQX_DASHBOARD__LISTENER__HTTP: `127.0.0.1:${dashboard}`,
    ...extraEnv,
  };
  const child = spawn(process.execPath, [join(ROOT, 'bin/emqx'), 'foreground', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const node: NodeProcess = {
    ports: { tcp, internal, ssl, ws, wss, mgmt, dashboard },
    env,
    child,
    output: () => out,
    ctl: async (...a) => (await runFile(process.execPath, [join(ROOT, 'bin/emqx_ctl'), ...a], { env })).stdout,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  if (wait) await waitFor(() => out.includes('is running now'), 15000, `node start (output: ${out})`);
  return node;
}
