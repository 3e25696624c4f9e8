/**
 * Message accounting of the throughput scenarios (pure, unit tested):
 * what the publishers sent, what the broker acknowledged, what the
 * subscribers received, and what went missing in between.
 */
import type { QoS } from './mqtt.js';

/** A QoS 1 run is flagged when fewer than this share of the acknowledged messages arrived. */
export const MIN_DELIVERED_SHARE = 0.99;

export const DROP_FLAG = '⚠ dropped acknowledged messages';

/** Counter readings (summed over the workers). */
export interface Counts {
  /** PUBLISHes written by the publishers. */
  published: number;
  /** PUBACKs received by the publishers (QoS 1). */
  acked: number;
  /** PUBLISHes received by the subscribers. */
  delivered: number;
}

export interface Flow {
  qos: QoS;
  /** Deliveries owed per publish (subscribers of its topic). */
  fanout: number;
  /** Measuring window: deliveries per second (the headline). */
  deliveredPerSec: number;
  /** Measuring window: publishes per second. */
  publishedPerSec: number;
  /** Measuring window: PUBACKs per second; NaN for QoS 0. */
  ackedPerSec: number;
  /** Whole run, after the drain: publishes. */
  published: number;
  /** Whole run: PUBACKs; NaN for QoS 0. */
  acked: number;
  /** Whole run: deliveries. */
  delivered: number;
  /** Deliveries owed: (acked for QoS 1, published for QoS 0) × fanout. */
  owed: number;
  /** owed − delivered, at least 0 (a surplus is reported as duplicates elsewhere). */
  dropped: number;
  /** delivered ÷ owed; 1 when nothing was owed. */
  deliveredShare: number;
}

/**
 * One round's numbers: rates from the counters at the start and end of the
 * measuring window, drops from the totals after the drain.
 */
export function flowOf(qos: QoS, fanout: number, wallS: number, start: Counts, end: Counts, total: Counts): Flow {
  const rate = (k: keyof Counts): number => (end[k] - start[k]) / wallS;
  const owed = (qos > 0 ? total.acked : total.published) * fanout;
  return {
    qos,
    fanout,
    deliveredPerSec: rate('delivered'),
    publishedPerSec: rate('published'),
    ackedPerSec: qos > 0 ? rate('acked') : NaN,
    published: total.published,
    acked: qos > 0 ? total.acked : NaN,
    delivered: total.delivered,
    owed,
    dropped: Math.max(0, owed - total.delivered),
    deliveredShare: owed > 0 ? total.delivered / owed : 1,
  };
}

/** True when a QoS 1 run lost more than 1 % of what the broker had acknowledged. */
export function dropsAcked(f: Flow): boolean {
  return f.qos > 0 && f.deliveredShare < MIN_DELIVERED_SHARE;
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

/** The live log line of one run. */
export function flowSummary(f: Flow): string {
  const acked = f.qos > 0 ? `, acked ${int(f.ackedPerSec)}/s` : '';
  const base = f.qos > 0 ? 'acked' : 'published';
  const pct = f.owed > 0 ? ` (${((100 * f.dropped) / f.owed).toFixed(1)}%)` : '';
  const flag = dropsAcked(f) ? ` ${DROP_FLAG}` : '';
  return (
    `delivered ${int(f.deliveredPerSec)} msg/s (published ${int(f.publishedPerSec)}/s${acked}); ` +
    `whole run: dropped ${int(f.dropped)}${pct}, delivered ÷ ${base} ${f.deliveredShare.toFixed(3)}${flag}`
  );
}
