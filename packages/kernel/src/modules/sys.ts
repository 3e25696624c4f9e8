// $SYS topics (reference §7.1) and the presence module's connected/disconnected events.
import type { QoS } from '@nemq/codec';
import type { HookRegistry } from '../hooks/registry.js';
import { Message, type ClientInfo, type ConnInfo } from '../types.js';
import { datetime } from '@nemq/sdk';

export interface SysSource {
  readonly nodeName: string;
  readonly version: string;
  readonly startedAt: number;
  nextMessageId(): number;
  publish(msg: Message): void;
  stats(): Record<string, number>;
  metrics(): Record<string, number>;
  /** `$SYS/brokers`: the running nodes, comma separated */
  brokers?(): string;
}

export class SysPublisher {
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly src: SysSource, private readonly sysInterval: number, private readonly heartbeat: number, private readonly presenceQos: QoS = 1) {}

  start(reg: HookRegistry): void {
    const prefix = `$SYS/brokers/${this.src.nodeName}/`;
    const info = (): void => {
      this.pub('$SYS/brokers', this.src.brokers?.() ?? this.src.nodeName, true);
      this.pub(prefix + 'version', this.src.version, true);
      this.pub(prefix + 'sysdescr', 'nemq, an EMQX compatible MQTT broker', true);
    };
    const beat = (): void => {
      this.pub(prefix + 'uptime', uptime(Date.now() - this.src.startedAt));
      this.pub(prefix + 'datetime', datetime(new Date()));
    };
    const tick = (): void => {
      info();
      for (const [k, v] of Object.entries(this.src.stats())) this.pub(`${prefix}stats/${k}`, String(v));
      for (const [k, v] of Object.entries(this.src.metrics())) this.pub(`${prefix}metrics/${k.replace(/\./g, '/')}`, String(v));
    };
    info();
    beat();
    if (this.sysInterval > 0) this.timers.push(setInterval(tick, this.sysInterval).unref());
    if (this.heartbeat > 0) this.timers.push(setInterval(beat, this.heartbeat).unref());
    reg.tap('emqx_mod_presence', 'client.connected', (ci: ClientInfo, conn: ConnInfo) => {
      this.pub(`${prefix}clients/${ci.clientid}/connected`, JSON.stringify({
        clientid: ci.clientid, username: ci.username ?? null, ipaddress: ci.peerhost, sockport: ci.sockport,
        proto_name: conn.proto_name, proto_ver: conn.proto_ver, keepalive: conn.keepalive, clean_start: conn.clean_start,
        expiry_interval: conn.expiry_interval, connack: 0, connected_at: conn.connected_at, ts: Date.now(),
      }), false, this.presenceQos);
    });
    reg.tap('emqx_mod_presence', 'client.disconnected', (ci: ClientInfo, reason: string, conn: ConnInfo) => {
      this.pub(`${prefix}clients/${ci.clientid}/disconnected`, JSON.stringify({
        clientid: ci.clientid, username: ci.username ?? null, ipaddress: ci.peerhost, sockport: ci.sockport,
        proto_name: conn.proto_name, proto_ver: conn.proto_ver, reason, connected_at: conn.connected_at,
        disconnected_at: conn.disconnected_at ?? Date.now(), ts: Date.now(),
      }), false, this.presenceQos);
    });
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private pub(topic: string, payload: string, retain = false, qos: QoS = 0): void {
    this.src.publish(new Message(this.src.nextMessageId(), qos, this.src.nodeName, { retain, dup: false, sys: true }, topic, Buffer.from(payload), undefined, Date.now()));
  }
}

/** `1 days, 2 hours, 3 minutes, 4 seconds`, leading zero units dropped (emqx_sys) */
export function uptime(ms: number): string {
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  s %= 86400;
  const h = Math.floor(s / 3600);
  s %= 3600;
  const m = Math.floor(s / 60);
  s %= 60;
  const parts: string[] = [];
  if (d > 0) parts.push(`${d} days`);
  if (d > 0 || h > 0) parts.push(`${h} hours`);
  if (d > 0 || h > 0 || m > 0) parts.push(`${m} minutes`);
  parts.push(`${s} seconds`);
  return parts.join(', ');
}

export { datetime };
