// emqx_mod_delayed: a PUBLISH to `$delayed/<Interval>/<Topic>` is held and published to <Topic>
// after Interval seconds. As EMQX, an Interval of 4294967 or more is read as the Unix time (in
// seconds) to publish at. Held messages are kept in <data_dir>/delayed_messages.json, so they
// survive a restart; one due while the node was down is published when the module loads.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger, Message, MessageProperties, QoS } from '@nemq/sdk';

/** EMQX's ?MAX_INTERVAL: larger "intervals" are absolute times */
export const MAX_INTERVAL = 4294967;
const PREFIX = '$delayed/';

export interface Held {
  /** ms since the epoch */
  at: number;
  seq: number;
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  from: string;
  properties: MessageProperties | undefined;
}

/** `$delayed/10/a/b` at `now` (ms) → {at, topic}; undefined for other topics; a string for a bad one */
export function parseDelayed(topic: string, now: number): { at: number; topic: string } | string | undefined {
  if (!topic.startsWith(PREFIX)) return undefined;
  const rest = topic.slice(PREFIX.length);
  const i = rest.indexOf('/');
  const n = i < 0 ? '' : rest.slice(0, i);
  const target = i < 0 ? '' : rest.slice(i + 1);
  if (!/^\d+$/.test(n)) return `bad delay "${n}" in ${topic}: expected $delayed/<seconds>/<topic>`;
  if (target === '' || target.includes('+') || target.includes('#')) return `no topic to publish to in ${topic}`;
  const v = Number(n);
  return { at: v < MAX_INTERVAL ? now + v * 1000 : v * 1000, topic: target };
}

export class DelayedStore {
  private held: Held[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  active = false;
  readonly file: string;

  constructor(dataDir: string, private readonly publish: (h: Held) => void, private readonly logger: Logger) {
    this.file = join(dataDir, 'delayed_messages.json');
    this.read();
  }

  get size(): number {
    return this.held.length;
  }

  list(): readonly Held[] {
    return this.held;
  }

  /** message.publish: holds a `$delayed/...` message; returns true when it was taken */
  take(m: Message): boolean {
    const p = parseDelayed(m.topic, m.timestamp);
    if (p === undefined) return false;
    if (typeof p === 'string') {
      this.logger.warning(`emqx_mod_delayed: ${p}; published as it is`);
      return false;
    }
    this.add({ at: p.at, seq: this.seq++, topic: p.topic, payload: m.payload, qos: m.qos, retain: m.flags.retain, from: m.from, properties: keepProps(m.properties) });
    return true;
  }

  private add(h: Held): void {
    // sorted by (at, seq): binary search for the place
    let lo = 0;
    let hi = this.held.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const x = this.held[mid]!;
      if (x.at < h.at || (x.at === h.at && x.seq < h.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.held.splice(lo, 0, h);
    this.save();
    if (lo === 0) this.arm();
  }

  start(): void {
    this.active = true;
    this.arm();
  }

  stop(): void {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private arm(): void {
    if (!this.active) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const first = this.held[0];
    if (!first) return;
    const wait = Math.max(0, Math.min(first.at - Date.now(), 2 ** 31 - 1));
    this.timer = setTimeout(() => this.fire(), wait);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = Date.now();
    let n = 0;
    while (this.held.length > 0 && this.held[0]!.at <= now) {
      const h = this.held.shift()!;
      n++;
      try {
        this.publish(h);
      } catch (err) {
        this.logger.error(`emqx_mod_delayed: publishing to ${h.topic} failed: ${(err as Error).message}`);
      }
    }
    if (n > 0) this.save();
    this.arm();
  }

  /** writes the file once per turn of the event loop, however many changes there were */
  private save(): void {
    if (this.dirty) return;
    this.dirty = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const rows = this.held.map((h) => ({ ...h, payload: h.payload.toString('base64'), properties: h.properties === undefined ? undefined : encodeProps(h.properties) }));
    try {
      writeFileSync(`${this.file}.tmp`, JSON.stringify(rows));
      renameSync(`${this.file}.tmp`, this.file);
    } catch (err) {
      this.logger.error(`emqx_mod_delayed: cannot write ${this.file}: ${(err as Error).message}`);
    }
  }

  private read(): void {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    try {
      const rows = JSON.parse(text) as Array<Record<string, unknown>>;
      for (const r of rows) {
        this.held.push({
          at: Number(r.at), seq: this.seq++, topic: String(r.topic), payload: Buffer.from(String(r.payload), 'base64'),
          qos: Number(r.qos) as QoS, retain: r.retain === true, from: String(r.from),
          properties: r.properties === undefined ? undefined : decodeProps(r.properties as Record<string, unknown>),
        });
      }
      this.held.sort((a, b) => a.at - b.at || a.seq - b.seq);
    } catch (err) {
      this.logger.error(`emqx_mod_delayed: ${this.file} is not readable JSON (${(err as Error).message}); starting empty`);
      this.held = [];
    }
  }
}

function encodeProps(p: MessageProperties): Record<string, unknown> {
  return { ...p, correlationData: p.correlationData?.toString('base64') };
}

function decodeProps(p: Record<string, unknown>): MessageProperties {
  const out = { ...p } as MessageProperties & { correlationData?: unknown };
  out.correlationData = typeof p.correlationData === 'string' ? Buffer.from(p.correlationData, 'base64') : undefined;
  if (out.correlationData === undefined) delete out.correlationData;
  return out as MessageProperties;
}

/** the properties a held message keeps: a topic alias and subscription ids belong to one connection */
function keepProps(p: MessageProperties | undefined): MessageProperties | undefined {
  if (p === undefined) return undefined;
  const { topicAlias: _a, subscriptionIdentifier: _s, ...rest } = p;
  return Object.keys(rest).length === 0 ? undefined : rest;
}
