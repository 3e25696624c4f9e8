// One scrape: every family's value, read from the node when asked (nothing is kept between
// scrapes but the CPU sample), and the two shapes EMQX answers with.
import { cpuBusy, systemMemory } from '@nemq/sdk';
import { FAMILIES, type Family, type Group } from './families.js';

export interface Sources {
  metrics(): Record<string, number>;
  stats(): Record<string, number>;
  nodes(): { running: string[]; stopped: string[] };
}

export type Sample = Array<[Family, number]>;

/** the Node.js process's own gauges, in the standard client names */
export interface ProcessSample {
  cpuSeconds: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  startTime: number;
}

export class Collector {
  private readonly cpu = cpuBusy();
  private readonly startTime = Math.round(Date.now() / 1000 - process.uptime());

  constructor(private readonly src: Sources) {}

  sample(): Sample {
    const metrics = this.src.metrics();
    const stats = this.src.stats();
    const use = this.cpu();
    const mem = systemMemory();
    const nodes = this.src.nodes();
    const vm: Record<string, number> = {
      cpu_use: use,
      cpu_idle: Math.round((100 - use) * 100) / 100,
      // no run queue or mailboxes in Node.js; EMQX 4.3 reports the mailbox total as 0 too
      run_queue: 0,
      process_messages_in_queues: 0,
      total_memory: mem.total,
      used_memory: mem.used,
    };
    const cluster: Record<string, number> = { nodes_running: nodes.running.length, nodes_stopped: nodes.stopped.length };
    const table = (g: Group): Record<string, number> => (g === 'stats' ? stats : g === 'metrics' ? vm : g === 'cluster' ? cluster : metrics);
    return FAMILIES.map((f) => {
      const t = table(f.group);
      const key = f.from.find((k) => typeof t[k] === 'number');
      return [f, key === undefined ? 0 : t[key]!];
    });
  }

  process(): ProcessSample {
    const cpu = process.cpuUsage();
    const m = process.memoryUsage();
    return { cpuSeconds: (cpu.user + cpu.system) / 1e6, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, startTime: this.startTime };
  }
}

/** `type=json`: groups of name → value, as EMQX (the cluster gauges are in the text format only) */
export function toJson(s: Sample): Record<Exclude<Group, 'cluster'>, Record<string, number>> {
  const out = { stats: {}, metrics: {}, packets: {}, messages: {}, delivery: {}, client: {}, session: {} } as Record<Exclude<Group, 'cluster'>, Record<string, number>>;
  for (const [f, v] of s) if (f.group !== 'cluster') out[f.group][f.name] = v;
  return out;
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** the Prometheus text exposition format (version 0.0.4): `# TYPE` then the sample, per family */
export function toText(s: Sample, p: ProcessSample): string {
  let out = '';
  const add = (name: string, type: string, v: number, help?: string): void => {
    if (help) out += `# HELP ${name} ${help}\n`;
    out += `# TYPE ${name} ${type}\n${name} ${num(v)}\n`;
  };
  for (const [f, v] of s) add(f.name, f.type, v);
  add('process_cpu_seconds_total', 'counter', p.cpuSeconds, 'Total user and system CPU time spent in seconds.');
  add('process_resident_memory_bytes', 'gauge', p.rss, 'Resident memory size in bytes.');
  add('process_start_time_seconds', 'gauge', p.startTime, 'Start time of the process since unix epoch in seconds.');
  add('nodejs_heap_size_used_bytes', 'gauge', p.heapUsed, 'Process heap size used from Node.js in bytes.');
  add('nodejs_heap_size_total_bytes', 'gauge', p.heapTotal, 'Process heap size from Node.js in bytes.');
  return out;
}
