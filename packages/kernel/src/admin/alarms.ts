// Alarms as EMQX 4.3 (emqx_alarm): a named alarm is activated once (again only after it is
// deactivated), published to $SYS/brokers/<node>/alarms/activate|deactivate, and kept in a
// bounded history of deactivated ones.
import type { AlarmRow } from '@nemq/sdk';

export interface AlarmSink {
  /** publishes a $SYS message (retain off, QoS 0) */
  sys(topic: string, payload: string): void;
  warning(line: string): void;
}

/** alarm.actions, alarm.size_limit, alarm.validity_period (ms) */
export interface AlarmOptions {
  actions?: readonly string[];
  sizeLimit?: number;
  validityPeriod?: number;
}

export class Alarms {
  private readonly active = new Map<string, AlarmRow>();
  private readonly history: AlarmRow[] = [];

  private readonly log: boolean;
  private readonly publish: boolean;
  private readonly sizeLimit: number;
  private readonly validity: number;

  /** EMQX's defaults: log,publish; 1000 kept; for 24h */
  constructor(private readonly node: string, private readonly sink: AlarmSink, opts: AlarmOptions = {}) {
    const actions = opts.actions ?? ['log', 'publish'];
    this.log = actions.includes('log');
    this.publish = actions.includes('publish');
    this.sizeLimit = opts.sizeLimit ?? 1000;
    this.validity = opts.validityPeriod ?? 24 * 3600 * 1000;
  }

  /** false when already active */
  activate(name: string, details: Record<string, unknown> = {}, message = name): boolean {
    if (this.active.has(name)) return false;
    const row: AlarmRow = { node: this.node, name, message, details, activate_at: Date.now(), activated: true };
    this.active.set(name, row);
    if (this.log) this.sink.warning(`alarm ${name} is activated: ${message}`);
    if (this.publish) this.sink.sys(`$SYS/brokers/${this.node}/alarms/activate`, JSON.stringify(wire(row)));
    return true;
  }

  /** false when not active */
  deactivate(name: string, details?: Record<string, unknown>): boolean {
    const row = this.active.get(name);
    if (!row) return false;
    this.active.delete(name);
    const done: AlarmRow = { ...row, details: details ?? row.details, activated: false, deactivate_at: Date.now() };
    this.history.push(done);
    if (this.history.length > this.sizeLimit) this.history.shift();
    if (this.log) this.sink.warning(`alarm ${name} is deactivated`);
    if (this.publish) this.sink.sys(`$SYS/brokers/${this.node}/alarms/deactivate`, JSON.stringify(wire(done)));
    return true;
  }

  isActive(name: string): boolean {
    return this.active.has(name);
  }

  list(activated?: boolean): AlarmRow[] {
    this.expire(Date.now());
    if (activated === true) return [...this.active.values()];
    if (activated === false) return [...this.history];
    return [...this.active.values(), ...this.history];
  }

  /** deactivated alarms older than alarm.validity_period are dropped */
  private expire(now: number): void {
    let n = 0;
    while (n < this.history.length && this.history[n]!.deactivate_at! < now - this.validity) n++;
    if (n > 0) this.history.splice(0, n);
  }

  /** clears the deactivated history; returns how many went */
  clearHistory(): number {
    const n = this.history.length;
    this.history.length = 0;
    return n;
  }
}

/** the $SYS payload: EMQX's fields, times in µs as emqx_alarm sends them */
function wire(a: AlarmRow): Record<string, unknown> {
  const out: Record<string, unknown> = { name: a.name, details: a.details, message: a.message, activate_at: a.activate_at * 1000 };
  if (a.deactivate_at !== undefined) out.deactivate_at = a.deactivate_at * 1000;
  return out;
}
