// emqx_mod_topic_metrics: counters for registered topic names (no wildcards), EMQX's metric names:
// messages.in / .out / .dropped and messages.qos<N>.in / .out, each with a `.count` and a
// `.rate` (messages per second over the last second).
import type { QoS } from '@nemq/sdk';

export const METRICS = [
  'messages.in', 'messages.out', 'messages.qos0.in', 'messages.qos0.out', 'messages.qos1.in', 'messages.qos1.out',
  'messages.qos2.in', 'messages.qos2.out', 'messages.dropped',
] as const;

const IN_OF = [2, 4, 6] as const;
const OUT_OF = [3, 5, 7] as const;

export class TopicCounters {
  readonly counts = new Float64Array(METRICS.length);
  readonly rates = new Float64Array(METRICS.length);
  private last = new Float64Array(METRICS.length);
  constructor(readonly topic: string, readonly createdAt: number) {}

  in(qos: QoS): void {
    this.counts[0]!++;
    this.counts[IN_OF[qos]]!++;
  }
  out(qos: QoS): void {
    this.counts[1]!++;
    this.counts[OUT_OF[qos]]!++;
  }
  dropped(): void {
    this.counts[8]!++;
  }
  /** once a second */
  tick(seconds: number): void {
    for (let i = 0; i < METRICS.length; i++) {
      this.rates[i] = Math.round(((this.counts[i]! - this.last[i]!) / seconds) * 100) / 100;
      this.last[i] = this.counts[i]!;
    }
  }
  json(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < METRICS.length; i++) {
      out[`${METRICS[i]}.count`] = this.counts[i]!;
      out[`${METRICS[i]}.rate`] = this.rates[i]!;
    }
    return out;
  }
}

export type RegisterError = 'bad_topic' | 'quota_exceeded' | 'already_existed';

export class TopicMetrics {
  readonly topics = new Map<string, TopicCounters>();
  active = false;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = Date.now();

  constructor(readonly maxTopics: number) {}

  register(topic: string): RegisterError | undefined {
    if (topic === '' || topic.includes('+') || topic.includes('#')) return 'bad_topic';
    if (this.topics.has(topic)) return 'already_existed';
    if (this.topics.size >= this.maxTopics) return 'quota_exceeded';
    this.topics.set(topic, new TopicCounters(topic, Date.now()));
    return undefined;
  }

  unregister(topic: string): boolean {
    return this.topics.delete(topic);
  }

  start(): void {
    this.active = true;
    this.lastTick = Date.now();
    this.timer = setInterval(() => {
      const now = Date.now();
      const s = Math.max(0.001, (now - this.lastTick) / 1000);
      this.lastTick = now;
      for (const c of this.topics.values()) c.tick(s);
    }, 1000);
    this.timer.unref();
  }

  /** EMQX drops the registrations when the module is unloaded */
  stop(): void {
    this.active = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.topics.clear();
  }
}

export { datetime } from '@nemq/sdk';
