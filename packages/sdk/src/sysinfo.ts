// Readings of the machine the node runs on, for the health checks (kernel sysmon) and the
// metrics exporters (emqx_prometheus).
import * as os from 'node:os';

/** system CPU busy %, all cores together (0..100), since the previous call of the returned function */
export function cpuBusy(): () => number {
  const sample = (): { busy: number; total: number } => {
    let busy = 0;
    let total = 0;
    for (const c of os.cpus()) {
      const t = c.times;
      busy += t.user + t.nice + t.sys + t.irq;
      total += t.user + t.nice + t.sys + t.irq + t.idle;
    }
    return { busy, total };
  };
  let last = sample();
  return () => {
    const cur = sample();
    const total = cur.total - last.total;
    const busy = cur.busy - last.busy;
    last = cur;
    return total > 0 ? Math.round((busy / total) * 10000) / 100 : 0;
  };
}

/** system memory: total and used (total less what is available) in bytes */
export function systemMemory(): { total: number; used: number } {
  const total = os.totalmem();
  return { total, used: total - os.freemem() };
}
