/** Linux /proc readers: CPU time, RSS, process trees, fd limits, machine info. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';

let clkTck: number | undefined;

/** Clock ticks per second used by /proc/<pid>/stat (usually 100). */
export function clockTicks(): number {
  if (clkTck === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number.parseInt(r.stdout ?? '', 10);
    clkTck = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clkTck;
}

/** Fields of a /proc/<pid>/stat line after the "(comm)" field; [0] is field 3 (state). */
export function parseStatFields(line: string): string[] {
  const close = line.lastIndexOf(')');
  if (close < 0) throw new Error('malformed stat line');
  return line.slice(close + 2).trim().split(/\s+/);
}

/** utime + stime in ticks from a /proc/<pid>/stat line. */
export function statCpuTicks(line: string): number {
  const f = parseStatFields(line);
  return Number(f[11]) + Number(f[12]);
}

function readFile(path: string): string | null {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Direct and indirect children of `pid` (by scanning /proc). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const line = readFile(`/proc/${e}/stat`);
    if (!line) continue;
    try {
      const ppid = Number(parseStatFields(line)[1]);
      const list = parentOf.get(ppid);
      if (list) list.push(Number(e));
      else parentOf.set(ppid, [Number(e)]);
    } catch {
      /* raced with exit */
    }
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop() as number;
    for (const c of parentOf.get(p) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

/** The process and its descendants. */
export function processTree(pid: number): number[] {
  return [pid, ...descendants(pid)];
}

/** CPU seconds (user+system) used so far by the given processes. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const p of pids) {
    const line = readFile(`/proc/${p}/stat`);
    if (line) ticks += statCpuTicks(line);
  }
  return ticks / clockTicks();
}

/** VmRSS in KiB from a /proc/<pid>/status text; NaN if absent. */
export function parseVmRssKiB(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) : NaN;
}

/** Sum of VmRSS (KiB) of the given processes. */
export function rssKiB(pids: readonly number[]): number {
  let sum = 0;
  let any = false;
  for (const p of pids) {
    const s = readFile(`/proc/${p}/status`);
    if (!s) continue;
    const v = parseVmRssKiB(s);
    if (Number.isFinite(v)) {
      sum += v;
      any = true;
    }
  }
  return any ? sum : NaN;
}

export function isAlive(pid: number): boolean {
  const line = readFile(`/proc/${pid}/stat`);
  if (!line) return false;
  try {
    return parseStatFields(line)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** CPU ticks per thread of this process (tid -> ticks). */
export function threadTicks(): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const t of tids) {
    const line = readFile(`/proc/self/task/${t}/stat`);
    if (line) out.set(Number(t), statCpuTicks(line));
  }
  return out;
}

/** Largest per-thread CPU seconds between two {@link threadTicks} snapshots. */
export function maxThreadCpuSeconds(before: Map<number, number>, after: Map<number, number>): number {
  let max = 0;
  for (const [tid, t1] of after) {
    const d = t1 - (before.get(tid) ?? 0);
    if (d > max) max = d;
  }
  return max / clockTicks();
}

/** Busy CPU seconds of the whole machine (all cores) from a /proc/stat text. */
export function parseProcStatBusySeconds(stat: string, ticks = clockTicks()): number {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return NaN;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const total = f.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return (total - idle) / ticks;
}

export function machineBusySeconds(): number {
  const s = readFile('/proc/stat');
  return s ? parseProcStatBusySeconds(s) : NaN;
}

export interface FdLimits {
  soft: number;
  hard: number;
}

/** Parses the "Max open files" line of /proc/<pid>/limits. */
export function parseFdLimits(limits: string): FdLimits | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  if (!m) return null;
  const num = (s: string | undefined): number => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: num(m[1]), hard: num(m[2]) };
}

export function selfFdLimits(): FdLimits | null {
  const s = readFile('/proc/self/limits');
  return s ? parseFdLimits(s) : null;
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memGiB: number;
  kernel: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readFile('/proc/cpuinfo') ?? '';
  const m = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
  return {
    nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    cpuModel: m?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}
