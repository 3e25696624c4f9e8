/** Coordinator side of the load workers. */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { S, STATS_SLOTS, type Command, type WorkerConfig, type WorkerMessage } from './protocol.js';

/** Shared time base: workers timestamp relative to it (same monotonic clock). */
export const TIME_BASE = process.hrtime.bigint();

export function nowMs(): number {
  return Number(process.hrtime.bigint() - TIME_BASE) / 1e6;
}

export type WorkerOptions = Partial<Omit<WorkerConfig, 'stats' | 'timeBase' | 'peers'>> &
  Pick<WorkerConfig, 'role' | 'host' | 'port' | 'count'> & { peers?: LoadWorker[] };

const live = new Set<LoadWorker>();

/** Workers still running (used by the cleanup handlers). */
export function liveWorkers(): LoadWorker[] {
  return [...live];
}

export interface ReadyInfo {
  connected: number;
  failed: number;
  error?: string;
}

export class LoadWorker {
  readonly stats: Float64Array;
  readonly buffer: SharedArrayBuffer;
  readonly config: WorkerConfig;
  private readonly worker: Worker;
  private readonly waiters = new Map<string, (m: WorkerMessage) => void>();
  private fatal: string | null = null;
  /** Diagnostics sent by the worker (e.g. why a connection was dropped). */
  readonly notes: string[] = [];
  private exited = false;
  private readonly exitPromise: Promise<void>;

  constructor(o: WorkerOptions) {
    this.buffer = new SharedArrayBuffer(STATS_SLOTS * 8);
    this.stats = new Float64Array(this.buffer);
    const { peers, ...rest } = o;
    this.config = {
      startIndex: 0,
      clientIdPrefix: `bench-${o.role}-${process.pid}-`,
      topic: 'bench/%i',
      qos: 0,
      payloadSize: 64,
      keepalive: 0,
      connectConcurrency: 100,
      connectTimeoutMs: 30_000,
      rate: 0,
      batch: 64,
      inflight: 100,
      window: 0,
      fanout: 1,
      stamp: false,
      latencyCapacity: 0,
      coalesceMs: 0,
      ...rest,
      peers: (peers ?? []).map((p) => p.buffer),
      timeBase: TIME_BASE.toString(),
      stats: this.buffer,
    };
    this.worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: this.config });
    live.add(this);
    this.worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'fatal') this.fatal = m.error;
      if (m.type === 'note') this.notes.push(m.text);
      const w = this.waiters.get(m.type);
      if (w) {
        this.waiters.delete(m.type);
        w(m);
      }
    });
    this.worker.on('error', (e) => {
      this.fatal = e.stack ?? String(e);
    });
    this.exitPromise = new Promise((resolve) => {
      this.worker.on('exit', () => {
        this.exited = true;
        live.delete(this);
        for (const w of this.waiters.values()) w({ type: 'fatal', error: this.fatal ?? 'worker exited' });
        this.waiters.clear();
        resolve();
      });
    });
  }

  get(slot: number): number {
    return this.stats[slot] as number;
  }

  get error(): string | null {
    return this.fatal;
  }

  private waitFor(type: WorkerMessage['type'], timeoutMs: number): Promise<WorkerMessage> {
    if (this.exited) return Promise.resolve({ type: 'fatal', error: this.fatal ?? 'worker exited' });
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters.delete(type);
        resolve({ type: 'fatal', error: `timeout waiting for ${type} after ${timeoutMs} ms` });
      }, timeoutMs);
      this.waiters.set(type, (m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }

  send(c: Command): void {
    if (!this.exited) this.worker.postMessage(c);
  }

  /** Resolves once every connection is established or has failed. */
  async ready(timeoutMs = this.config.connectTimeoutMs + 5_000): Promise<ReadyInfo> {
    const m = await this.waitFor('ready', timeoutMs);
    if (m.type === 'ready') return m.error ? { connected: m.connected, failed: m.failed, error: m.error } : m;
    return { connected: this.get(S.CONNECTED), failed: this.config.count - this.get(S.CONNECTED), error: m.type === 'fatal' ? m.error : 'unexpected' };
  }

  async collect(timeoutMs = 5_000): Promise<Float64Array> {
    const p = this.waitFor('samples', timeoutMs);
    this.send({ cmd: 'collect' });
    const m = await p;
    return m.type === 'samples' ? m.samples : new Float64Array(0);
  }

  /** Closes all connections (RST) and ends the worker; bounded in time. */
  async close(timeoutMs = 3_000): Promise<void> {
    if (this.exited) return;
    this.send({ cmd: 'close' });
    const t = setTimeout(() => void this.worker.terminate(), timeoutMs);
    await this.exitPromise;
    clearTimeout(t);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Splits `total` into `parts` near-equal non-negative integers. */
export function split(total: number, parts: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < parts; i++) out.push(Math.floor(total / parts) + (i < total % parts ? 1 : 0));
  return out;
}

/** Sum of a stats slot over several workers. */
export function sum(workers: readonly LoadWorker[], slot: number): number {
  let s = 0;
  for (const w of workers) s += w.get(slot);
  return s;
}

export async function closeAll(workers: readonly LoadWorker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.close()));
}
