// A node in this process with emqx_dashboard loaded on a free port (found in its log line).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';

export const ROOT = join(__dirname, '../../..');

export interface DashNode {
  node: BrokerNode;
  dir: string;
  /** http://127.0.0.1:<port> */
  base: string;
  log: string[];
  /** finds the dashboard's port again (after a reload) */
  port(): number;
  stop(): Promise<void>;
}

export async function startDash(conf = 'dashboard.listener.http = 127.0.0.1:0\n', dir = mkdtempSync(join(tmpdir(), 'nemq-dash-'))): Promise<DashNode> {
  writeFileSync(join(dir, 'emqx_dashboard.conf'), conf);
  const log: string[] = [];
  const node = await createBroker({
    logger: createLogger('info', (l) => void log.push(l)), sysInterval: 0, sysHeartbeat: 0,
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100 }],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  try {
    if (!node.plugins!.isLoaded('emqx_dashboard')) await node.plugins!.load('emqx_dashboard', { persist: false });
  } catch (err) {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const port = (): number => {
    for (let i = log.length - 1; i >= 0; i--) {
      const m = /Start http:dashboard listener on [^\s]*:(\d+) successfully/.exec(log[i]!);
      if (m) return Number(m[1]);
    }
    throw new Error(`no dashboard listener line in the log:\n${log.join('')}`);
  };
  return {
    node, dir, log, port,
    base: `http://127.0.0.1:${port()}`,
    stop: async () => {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** a request with JSON in and out (body parsed when it is JSON) */
export async function call(base: string, method: string, path: string, opts: { auth?: string; body?: unknown } = {}): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (opts.auth) headers.authorization = opts.auth;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}
