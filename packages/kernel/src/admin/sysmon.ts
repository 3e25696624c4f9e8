// The node's own health checks, as EMQX 4.3's emqx_os_mon and emqx_vm_mon: every check
// interval a reading is compared with its watermarks and an alarm activated or deactivated
// (admin/alarms.ts publishes both to $SYS/brokers/<node>/alarms/...).
//
//   high_cpu_usage             system CPU busy % > cpu_high_watermark; cleared below cpu_low_watermark
//   high_system_memory_usage   used system memory % > sysmem_high_watermark; cleared at or below it
//   high_process_memory_usage  this process's RSS as % of system memory > procmem_high_watermark
//   too_many_processes         channels (one Erlang process per connection in EMQX) as % of
//                              node.process_limit > process_high_watermark; cleared below the low one
import * as os from 'node:os';
import { cpuBusy, systemMemory } from '@nemq/sdk';
import type { Alarms } from './alarms.js';

export interface SysmonOptions {
  /** ms; 0 = that check is off */
  cpuCheckInterval: number;
  /** fractions, as the config gives them (0.8 = 80%) */
  cpuHighWatermark: number;
  cpuLowWatermark: number;
  memCheckInterval: number;
  sysmemHighWatermark: number;
  procmemHighWatermark: number;
  vmCheckInterval: number;
  processHighWatermark: number;
  processLowWatermark: number;
  /** node.process_limit (EMQX's default 2097152) */
  processLimit: number;
}

/** the readings, in percent; replaceable for tests */
export interface SysmonProbe {
  cpu(): number;
  sysmem(): number;
  procmem(): number;
  processes(): number;
}

/** percent with two decimals, as EMQX rounds its readings */
const pct = (x: number): number => Math.round(x * 10000) / 100;

export function defaultProbe(channels: () => number): SysmonProbe {
  return {
    cpu: cpuBusy(),
    sysmem: () => {
      const m = systemMemory();
      return pct(m.used / m.total);
    },
    procmem: () => pct(process.memoryUsage.rss() / os.totalmem()),
    processes: channels,
  };
}

type Watermark = 'cpuHighWatermark' | 'cpuLowWatermark' | 'sysmemHighWatermark' | 'procmemHighWatermark' | 'processHighWatermark' | 'processLowWatermark';

export class Sysmon {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly opts: SysmonOptions;

  constructor(
    opts: SysmonOptions,
    private readonly alarms: Alarms,
    private readonly probe: SysmonProbe,
    private readonly log: (line: string) => void,
  ) {
    this.opts = { ...opts };
  }

  /** changes watermarks at run time (EMQX: emqx_os_mon:set_*_watermark); the next check uses them */
  set(marks: Partial<Pick<SysmonOptions, Watermark>>): void {
    Object.assign(this.opts, marks);
  }

  get options(): Readonly<SysmonOptions> {
    return this.opts;
  }

  start(): void {
    const every = (ms: number, fn: () => void): void => {
      if (ms <= 0) return;
      const t = setInterval(() => this.safely(fn), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.cpuCheckInterval, () => this.checkCpu());
    every(this.opts.memCheckInterval, () => this.checkMem());
    every(this.opts.vmCheckInterval, () => this.checkProcesses());
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  /** a reading that throws must not stop the others or the node */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(`sysmon: check failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  checkCpu(): void {
    const high = pct(this.opts.cpuHighWatermark);
    const low = pct(this.opts.cpuLowWatermark);
    const usage = this.probe.cpu();
    if (usage > high) this.alarms.activate('high_cpu_usage', { usage, high_watermark: high, low_watermark: low }, `${usage}% cpu usage`);
    else if (usage < low) this.alarms.deactivate('high_cpu_usage');
  }

  checkMem(): void {
    const sysHigh = pct(this.opts.sysmemHighWatermark);
    const sys = this.probe.sysmem();
    if (sys > sysHigh) this.alarms.activate('high_system_memory_usage', { usage: sys, high_watermark: sysHigh }, `System memory usage is higher than ${sysHigh}%`);
    else this.alarms.deactivate('high_system_memory_usage', { usage: sys, high_watermark: sysHigh });
    const procHigh = pct(this.opts.procmemHighWatermark);
    const proc = this.probe.procmem();
    if (proc > procHigh) this.alarms.activate('high_process_memory_usage', { usage: proc, high_watermark: procHigh }, `Process memory usage is higher than ${procHigh}%`);
    else this.alarms.deactivate('high_process_memory_usage', { usage: proc, high_watermark: procHigh });
  }

  checkProcesses(): void {
    const high = pct(this.opts.processHighWatermark);
    const low = pct(this.opts.processLowWatermark);
    const usage = pct(this.probe.processes() / this.opts.processLimit);
    if (usage > high) this.alarms.activate('too_many_processes', { usage, high_watermark: high, low_watermark: low }, `${usage}% process usage`);
    else if (usage < low) this.alarms.deactivate('too_many_processes');
  }
}
