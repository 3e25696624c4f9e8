/** Aggregation of compare runs and Markdown rendering (pure, unit tested). */
import { DROP_FLAG, MIN_DELIVERED_SHARE, dropsAcked, type Flow } from './flow.js';
import type { MachineInfo } from './proc.js';
import type { Metric, ScenarioResult } from './scenarios.js';
import { median, ratio, summarize } from './stats.js';

export const RESULTS_START = '<!-- bench:results:start -->';
export const RESULTS_END = '<!-- bench:results:end -->';

/** One scenario run against one broker in one round. */
export interface RunRecord {
  round: number;
  broker: string;
  scenario: string;
  result?: ScenarioResult;
  error?: string;
}

export interface BrokerInfo {
  name: string;
  version: string;
  /** Set when the broker was not benchmarked. */
  skipped?: string;
}

export interface ReportMeta {
  date: string;
  command: string;
  /** The package script it was started through, if any (e.g. `pnpm bench`). */
  via?: string;
  machine: MachineInfo;
  brokers: BrokerInfo[];
  rounds: number;
  warmupMs: number;
  durationMs: number;
  totalSeconds: number;
  /** How brokers were started (once per round / per run). */
  lifecycle: string;
  notes: string[];
}

/* ------------------------------------------------------------------ */
/* Formatting                                                          */
/* ------------------------------------------------------------------ */

function thousands(n: number): string {
  const s = Math.round(Math.abs(n)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${s}` : s;
}

/** A metric value for display: integers with separators, KiB with one decimal. */
/** replaces the part of a Markdown file between two markers with `section` (which holds them), or appends it */
export function upsertMarked(existing: string, start: string, end: string, section: string): string {
  const a = existing.indexOf(start);
  const b = existing.indexOf(end);
  if (a >= 0 && b > a) return existing.slice(0, a) + section + existing.slice(b + end.length);
  return `${existing.trimEnd()}\n\n${section}\n`;
}

export function formatValue(v: number, unit: string): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (unit === 'KiB') return v.toFixed(1);
  return thousands(v);
}

export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a';
}

export function formatPct(p: number): string {
  return Number.isFinite(p) ? `${Math.round(p)}` : 'n/a';
}

/** GitHub Markdown table with padded columns; `align` 'r' right-aligns. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[] = []): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const all = [header, ...rows].map((r) => header.map((_, i) => esc(r[i] ?? '')));
  const width = header.map((_, i) => Math.max(3, ...all.map((r) => [...(r[i] as string)].length)));
  const pad = (s: string, i: number): string => {
    const fill = ' '.repeat((width[i] as number) - [...s].length);
    return align[i] === 'r' ? fill + s : s + fill;
  };
  const line = (r: readonly string[]): string => `| ${r.map(pad).join(' | ')} |`;
  const sep = `|${width.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(all[0] as string[]), sep, ...all.slice(1).map(line)].join('\n');
}

/* ------------------------------------------------------------------ */
/* Aggregation                                                         */
/* ------------------------------------------------------------------ */

export interface AggregateRow {
  metricKey: string;
  label: string;
  unit: string;
  better: Metric['better'];
  broker: string;
  values: number[];
  median: number;
  min: number;
  max: number;
  brokerCpuPct: number;
  loadgenCpuPct: number;
  loadgenMaxThreadPct: number;
  otherCpuPct: number;
  /** Message accounting of each round (throughput scenarios only). */
  flows: Flow[];
  errors: string[];
}

/** Groups the runs by metric and broker (metric order as first seen, brokers in `brokers` order). */
export function aggregate(records: readonly RunRecord[], brokers: readonly string[]): AggregateRow[] {
  const metricOrder: { key: string; label: string; unit: string; better: Metric['better']; scenario: string }[] = [];
  const byKey = new Map<string, Map<string, Metric[]>>();
  const errorsByScenario = new Map<string, Map<string, string[]>>();
  for (const r of records) {
    if (r.error || !r.result) {
      let m = errorsByScenario.get(r.scenario);
      if (!m) errorsByScenario.set(r.scenario, (m = new Map()));
      const list = m.get(r.broker) ?? [];
      list.push(`round ${r.round}: ${r.error ?? 'no result'}`);
      m.set(r.broker, list);
      continue;
    }
    for (const m of r.result.metrics) {
      if (!byKey.has(m.key)) {
        byKey.set(m.key, new Map());
        metricOrder.push({ key: m.key, label: m.label, unit: m.unit, better: m.better, scenario: r.scenario });
      }
      const perBroker = byKey.get(m.key) as Map<string, Metric[]>;
      const list = perBroker.get(r.broker) ?? [];
      list.push(m);
      perBroker.set(r.broker, list);
    }
  }
  // Scenarios that only ever failed still get a row, so the failure shows.
  for (const [scenario] of errorsByScenario) {
    if (!metricOrder.some((m) => m.scenario === scenario)) {
      metricOrder.push({ key: scenario, label: scenario, unit: '', better: 'higher', scenario });
      byKey.set(scenario, new Map());
    }
  }
  const rows: AggregateRow[] = [];
  for (const mo of metricOrder) {
    const perBroker = byKey.get(mo.key) as Map<string, Metric[]>;
    for (const b of brokers) {
      const ms = perBroker.get(b) ?? [];
      const errors = errorsByScenario.get(mo.scenario)?.get(b) ?? [];
      if (ms.length === 0 && errors.length === 0) continue;
      const values = ms.map((m) => m.value);
      const s = summarize(values);
      rows.push({
        metricKey: mo.key,
        label: mo.label,
        unit: mo.unit,
        better: mo.better,
        broker: b,
        values,
        median: s.median,
        min: s.min,
        max: s.max,
        brokerCpuPct: median(ms.map((m) => m.brokerCpuPct)),
        loadgenCpuPct: median(ms.map((m) => m.loadgenCpuPct)),
        loadgenMaxThreadPct: median(ms.map((m) => m.loadgenMaxThreadPct)),
        otherCpuPct: median(ms.map((m) => m.otherCpuPct)),
        flows: ms.flatMap((m) => (m.flow ? [m.flow] : [])),
        errors,
      });
    }
  }
  return rows;
}

/** Cells of the accounting columns: published/s, acked/s, dropped, delivered ÷ acked, notes. */
export function flowCells(flows: readonly Flow[]): string[] {
  if (flows.length === 0) return ['', '', '', '', ''];
  const med = (f: (x: Flow) => number): number => median(flows.map(f));
  const qos1 = flows.some((f) => f.qos > 0);
  const dropped = formatValue(med((f) => f.dropped), 'msg');
  const pct = med((f) => (f.owed > 0 ? (100 * f.dropped) / f.owed : 0));
  const share = med((f) => f.deliveredShare);
  const flagged = flows.filter(dropsAcked).length;
  const note = flagged === 0 ? '' : flagged === flows.length ? DROP_FLAG : `${DROP_FLAG} in ${flagged} of ${flows.length} rounds`;
  return [
    formatValue(med((f) => f.publishedPerSec), 'msg/s'),
    qos1 ? formatValue(med((f) => f.ackedPerSec), 'msg/s') : 'n/a',
    `${dropped} (${pct.toFixed(1)}%)`,
    Number.isFinite(share) ? share.toFixed(3) : 'n/a',
    note,
  ];
}

/** The results table: one row per metric and broker. */
export function resultsTable(rows: readonly AggregateRow[]): string {
  const medianOf = (key: string, broker: string): number => rows.find((r) => r.metricKey === key && r.broker === broker)?.median ?? NaN;
  const header = [
    'Metric',
    'Broker',
    'Median',
    'Min–max',
    'Published/s',
    'Acked/s',
    'Dropped',
    'Delivered ÷ acked',
    '÷ mosquitto',
    '÷ aedes',
    'Broker CPU %',
    'Load-gen CPU % (busiest thread)',
    'Other CPU %',
    'Notes',
  ];
  const body = rows.map((r) => {
    const what = r.flows.length ? `delivered ${r.unit}` : r.unit;
    const unit = r.unit ? ` (${what}, ${r.better} is better)` : '';
    const vsM = r.broker === 'mosquitto' ? '—' : formatRatio(ratio(r.median, medianOf(r.metricKey, 'mosquitto')));
    const vsA = r.broker === 'aedes' ? '—' : formatRatio(ratio(r.median, medianOf(r.metricKey, 'aedes')));
    const failed = r.errors.length ? ` ⚠ ${r.errors.length} failed` : '';
    const [published, acked, dropped, share, note] = flowCells(r.flows) as [string, string, string, string, string];
    return [
      `${r.label}${unit}`,
      r.broker,
      `${formatValue(r.median, r.unit)}${failed}`,
      r.values.length > 1 ? `${formatValue(r.min, r.unit)}–${formatValue(r.max, r.unit)}` : r.values.length === 1 ? 'single run' : '',
      published,
      acked,
      dropped,
      share,
      vsM,
      vsA,
      formatPct(r.brokerCpuPct),
      `${formatPct(r.loadgenCpuPct)} (${formatPct(r.loadgenMaxThreadPct)})`,
      formatPct(r.otherCpuPct),
      note,
    ];
  });
  return markdownTable(header, body, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']);
}

/** Notes gathered from the runs, de-duplicated, with broker and round. */
export function runNotes(records: readonly RunRecord[]): string[] {
  const out: string[] = [];
  for (const r of records) {
    if (r.error) out.push(`${r.broker}, ${r.scenario}, round ${r.round}: FAILED: ${r.error}`);
    for (const n of r.result?.notes ?? []) out.push(`${r.broker}, ${r.scenario}, round ${r.round}: ${n}`);
  }
  return [...new Set(out)];
}

/** The generated part of docs/benchmarks.md (between the markers). */
export function renderResults(meta: ReportMeta, records: readonly RunRecord[]): string {
  const measured = meta.brokers.filter((b) => !b.skipped).map((b) => b.name);
  const rows = aggregate(records, measured);
  const m = meta.machine;
  const lines: string[] = [];
  lines.push(RESULTS_START);
  lines.push('## Results');
  lines.push('');
  lines.push(`- Date: ${meta.date}`);
  const via = meta.via ? ` (run as \`${meta.via}\`)` : '';
  lines.push(`- Command: \`${meta.command}\`${via}`);
  lines.push(`- Machine: ${m.nproc} CPU(s), ${m.cpuModel}, ${m.memGiB} GiB RAM, ${m.kernel}, Node.js ${m.node}`);
  lines.push(`- Brokers: ${meta.brokers.map((b) => `${b.name} ${b.version}${b.skipped ? ' (skipped)' : ''}`).join(', ')}`);
  lines.push(
    `- ${meta.rounds} round(s), each scenario ${meta.warmupMs / 1000} s warm-up + ${meta.durationMs / 1000} s measured; brokers run alternately (${measured.join(', ')}) per scenario; ${meta.lifecycle}; total ${Math.round(meta.totalSeconds)} s`,
  );
  lines.push('');
  for (const b of meta.brokers) if (b.skipped) lines.push(`> **${b.name} skipped:** ${b.skipped}`);
  if (meta.brokers.some((b) => b.skipped)) lines.push('');
  lines.push(resultsTable(rows));
  lines.push('');
  lines.push(
    `Median and min–max over the rounds. For fan-in, fan-out and qos1 the median is messages **delivered** to the subscribers per second of the measuring window (fan-out: deliveries, summed over the subscribers); "Published/s" is what the publishers sent (fan-out: publishes, each owed to every subscriber) and "Acked/s" the PUBACKs they got (QoS 1 only) over the same window. "Dropped" is acknowledged (QoS 0: published) × subscribers − delivered over the whole run, counted after the publishers stopped and the bench waited for the stragglers, with its share in parentheses; "Delivered ÷ acked" is delivered ÷ that owed number (QoS 0: ÷ published). A QoS 1 row below ${MIN_DELIVERED_SHARE} is marked "${DROP_FLAG}": the broker acknowledged messages that its subscribers, all online, never got. "÷ mosquitto" / "÷ aedes" divide this row's median (delivered, for the throughput rows) by that broker's median (for nemq: ours/mosquitto, ours/aedes). CPU columns are medians in % of one core over the measuring window (connect phase for \`conn\`): the broker process tree, the whole bench process (all threads) with its busiest thread in parentheses, and everything else on the machine. A busiest thread near 100 % would mean the load generator, not the broker, is the limit; a large "other" means the numbers were disturbed by foreign load.`,
  );
  const notes = [...meta.notes, ...runNotes(records)];
  if (notes.length) {
    lines.push('');
    lines.push('Notes from this run:');
    lines.push('');
    for (const n of notes) lines.push(`- ${n}`);
  }
  lines.push(RESULTS_END);
  return lines.join('\n');
}

/** Replaces the generated section of `existing`, or builds a whole new document. */
export function upsertResults(existing: string | null, results: string): string {
  if (existing !== null) {
    const a = existing.indexOf(RESULTS_START);
    const b = existing.indexOf(RESULTS_END);
    if (a >= 0 && b > a) return existing.slice(0, a) + results + existing.slice(b + RESULTS_END.length);
  }
  return `${DOC_HEAD}\n${results}\n\n${METHODOLOGY}`;
}

export const DOC_HEAD = `# Benchmarks

nemq compared with [Mosquitto](https://mosquitto.org/) (C, single-threaded) and
[Aedes](https://github.com/moscajs/aedes) (Node.js), on the same machine, with
the load generator of \`packages/bench\`. Regenerate the results section with:

\`\`\`sh
npx tsc -b packages/bench && node packages/bench/dist/cli.js compare --out docs/benchmarks.md
# or: npx tsc -b packages/bench && pnpm bench --out docs/benchmarks.md
\`\`\`

Single scenarios and emqx_bench-style tools work against any broker:

\`\`\`sh
node packages/bench/dist/cli.js scenario fan-in -h 127.0.0.1 -p 1883 [--pid <broker pid>]
node packages/bench/dist/cli.js conn -h 127.0.0.1 -p 1883 -c 10000
node packages/bench/dist/cli.js sub  -h 127.0.0.1 -p 1883 -c 10 -t 'bench/#' -q 1
node packages/bench/dist/cli.js pub  -h 127.0.0.1 -p 1883 -c 100 -t 'bench/%i' -q 0 -s 64 -I 10
\`\`\`

Everything between the \`bench:results\` markers is generated; the rest is kept.
`;

export const METHODOLOGY = `## Methodology

### Load generator

- Own minimal MQTT 3.1.1 codec (\`packages/bench/src/mqtt.ts\`) on raw \`net\`
  sockets; no MQTT client library.
- Connections live in \`worker_threads\`: publishers in one worker,
  subscribers in another (\`conn\`: two workers of 5,000). The main thread
  only coordinates, reads the workers' counters from shared memory and
  measures CPU.
- All sockets of a worker read into one shared 64 KiB buffer (\`onread\`);
  frames are scanned in place and a PUBLISH is counted without allocating.
  Only a frame split across two reads is copied.
- Publishers write pre-encoded batches (up to 64 PUBLISH frames per write,
  one write per socket per event-loop turn); QoS 1 batches get their packet
  ids patched in place.
- Flow control, so that brokers are saturated but no queue grows without
  bound: (1) TCP back-pressure: a socket whose \`write()\` returns false waits
  for \`drain\`; (2) QoS 1: at most 100 PUBLISHes awaiting PUBACK per
  publisher; (3) an end-to-end window: publishers never have more than W
  messages published but not yet delivered (fan-in 5,000 messages, fan-out
  200,000 deliveries = 2,000 publishes, qos1 2,000). Each window is about the
  smallest that keeps the fastest broker busy (nemq needs the large fan-out
  window); it keeps a broker that queues (or drops) from being fed faster
  than it delivers. This matters: with a 100,000-message fan-in window Aedes
  delivered ~7k msg/s (and its mqemitter eventually overflowed the stack)
  instead of ~70k msg/s with 5,000, while nemq and Mosquitto changed by less
  than the run-to-run noise. If nothing is delivered for 1 s while the window
  is full, the window is reset and the run is flagged ("messages were
  lost").
- Read coalescing in the throughput scenarios: after a read that did not fill
  the buffer, a socket stops reading until the next tick of a 1 ms timer
  (5 ms for the 100 fan-out subscribers). A broker that writes every message
  separately would otherwise make the generator pay one read per message, and
  on a 2-core machine that CPU is taken from the broker. It delays deliveries
  by at most one tick, which the windows absorb. The latency scenario does not
  coalesce.
- Headline of the throughput scenarios (fan-in, fan-out, qos1): messages
  **delivered** to the subscribers during the measuring window divided by its
  length (fan-out: deliveries, summed over the 100 subscribers). Not messages
  sent, and not messages acknowledged: a broker may PUBACK a QoS 1 message and
  then drop it from a full session queue, and that message was never
  delivered. Beside it, per round (the table shows medians):
  - Published/s: PUBLISHes written by the publishers in the same window
    (fan-out: publishes, each owed to all 100 subscribers).
  - Acked/s: PUBACKs the QoS 1 publishers received in the same window (n/a
    for QoS 0).
  - Dropped: deliveries owed minus deliveries received over the whole run,
    counted after the drain described below. Owed = acknowledged (QoS 1) or
    published (QoS 0) × subscribers per topic. In parentheses its share of
    what was owed.
  - Delivered ÷ acked: deliveries received ÷ owed over the whole run (QoS 0:
    ÷ published). A QoS 1 round below 0.99 is flagged in the live log line
    and in the Notes column as "⚠ dropped acknowledged messages" (with "in k
    of n rounds" when not every round was): every subscriber was online, so
    the broker threw away messages it had accepted.
  - "÷ mosquitto" / "÷ aedes" divide delivered medians.

  The end-to-end window (above) keeps publishers from running far ahead of
  the subscribers, so in these scenarios a dropping broker shows mostly as a
  low delivered rate plus a window reset; publishers without such a window
  (e.g. 10 QoS 1 publishers with 64 PUBACKs in flight each, nothing else)
  can have a broker acknowledge twice what it delivers. The ratio catches
  both.

### Scenarios

| Scenario | Clients | What is measured |
|----------|---------|------------------|
| \`conn\` | 10,000 connections, keepalive 0, clean session, 100 connection attempts in flight | connect rate = established / (last CONNACK − first attempt); broker RSS growth per connection = (VmRSS 1 s after the last CONNACK − VmRSS before) / connections, in KiB |
| \`fan-in\` | 100 publishers, QoS 0, 64 B payload to \`bench/<i>\`; 1 subscriber on \`bench/#\` | delivered msg/s |
| \`fan-out\` | 1 publisher, QoS 0, 64 B to \`bench/fanout\`; 100 subscribers of it | delivered msg/s, summed over the subscribers |
| \`qos1\` | 10 pairs: publisher i publishes QoS 1, 64 B to \`bench/q/<i>\`, subscriber i is subscribed to it with QoS 1 and PUBACKs every message | delivered msg/s |
| \`latency\` | 1 publisher → 1 subscriber at 2,000 msg/s, 64 B; QoS 0, then QoS 1 (publish and subscription) | p50 / p90 / p99 of the one-way delay in µs |

- \`qos1\` uses 1:1 pairs so that every broker does exactly the same protocol
  work per message (one inbound PUBLISH + PUBACK, one outbound PUBLISH +
  PUBACK), with no fan-out amplification and no shared subscriptions; the
  publisher window of 100 is the same for everyone. Subscribers acknowledge
  all messages of one read with one write.
- \`latency\`: the first 8 bytes of the payload carry the send time from
  \`process.hrtime\` (a monotonic clock shared by all threads of the bench
  process; publisher and subscriber are two worker threads of it), taken when
  the message is written. Every message delivered in the window is recorded;
  percentiles are nearest-rank. The publisher is paced by a 1 ms timer (about
  2 messages per tick).
- \`conn\`: on loopback the kernel runs most of the TCP handshake in the
  context of the process calling \`connect()\`, so here the load generator's
  CPU is expected to exceed the broker's. At most 100 attempts are in flight
  because Mosquitto listens with a backlog of 100; with 200 or 400 its
  connect rate halved, as expected when that accept queue overflows.
- After a throughput scenario the bench checks that every publish arrived
  once per subscriber over the whole run and notes missing or duplicate
  deliveries.
- \`conn\` runs first in every round, on freshly started, idle brokers, so that
  its RSS figure is not blurred by what the throughput scenarios left in the
  heap. All connections are closed with RST, so 10,000 sockets per run do not
  pile up in TIME_WAIT.

### Windows, rounds, broker lifecycle

- Every scenario: 1 s warm-up (not counted), then a 4 s measuring window
  (\`--warmup\`, \`--duration\`; for \`latency\` per QoS level).
- After a scenario: publishers stop, the bench waits (at most 3 s, or 0.5 s
  without progress) until the subscribers have received what was published
  and, for QoS 1, the publishers have their PUBACKs, closes all connections and
  waits (at most 5 s) until the broker is idle again.
- \`compare\` starts every broker fresh at the beginning of each round (all of
  them side by side on their own free loopback ports in 20000–29999; an idle
  broker uses no CPU) and kills them by pid at the end of the round, also on
  errors and Ctrl-C. Inside a round, each scenario runs on each broker in
  turn (nemq, mosquitto, aedes, then the next scenario). Default 3 rounds; the
  table shows the median and min–max over the rounds.

### CPU accounting

- Broker CPU %: utime + stime from \`/proc/<pid>/stat\` of the broker process
  and its descendants over the measuring window, in % of one core.
- Load-gen CPU %: \`process.cpuUsage()\` of the bench process (getrusage of the
  whole process: all worker threads included) over the window; in
  parentheses the busiest single thread, from \`/proc/self/task/*/stat\`. A
  busiest thread near 100 % would mean the generator is the limit.
- Other CPU %: busy time of the whole machine from \`/proc/stat\` minus the
  two above, i.e. anything else that ran at the same time.
- On loopback the kernel's TCP work is mostly charged to the writing process:
  broker CPU includes pushing deliveries into the subscribers' sockets,
  load-gen CPU includes pushing the publishers' data into the broker's.

### Broker configuration

- **Mosquitto** (Debian's \`/usr/sbin/mosquitto\`; installed with
  \`apt-get install -y --no-install-recommends mosquitto\` when missing and
  running as root), generated config:

  \`\`\`
  listener <port> 127.0.0.1
  allow_anonymous true
  persistence false
  user root                       # only when running as root
  max_queued_messages 1000000
  max_inflight_messages 65535
  set_tcp_nodelay true
  log_dest stderr                 # redirected to a file in the temp dir
  log_type error
  log_type warning
  \`\`\`

  The queue and in-flight limits are raised so that mosquitto neither drops
  QoS 0 messages for a busy subscriber nor throttles QoS 1 deliveries before
  the bench's own windows do (Aedes has no such limits).
- **Aedes** 1.x: \`packages/bench/brokers/aedes-server.js\`,
  \`Aedes.createBroker()\` with its defaults (in-memory persistence and
  mqemitter) behind \`net.createServer({ noDelay: true }, aedes.handle)\`,
  started as a child process.
- **nemq**: \`node bin/emqx foreground\` with \`EMQX_LISTENER__TCP__EXTERNAL\`,
  \`…__TCP__INTERNAL\`, \`…__SSL__EXTERNAL\`, \`…__WS__EXTERNAL\`,
  \`…__WSS__EXTERNAL\`, \`EMQX_MANAGEMENT__LISTENER__HTTP\`,
  \`EMQX_DASHBOARD__LISTENER__HTTP\` on free loopback ports,
  \`EMQX_NODE__DATA_DIR=<temp dir>\`, \`EMQX_LOG__LEVEL=error\`,
  \`EMQX_ALLOW_ANONYMOUS=true\`, \`EMQX_LISTENER__TCP__EXTERNAL__NODELAY=true\`,
  \`EMQX_ZONE__EXTERNAL__MAX_MQUEUE_LEN=1000000\` and
  \`EMQX_ZONE__EXTERNAL__MAX_INFLIGHT=65535\` (the same room as mosquitto).
  It is skipped, with a note in the table, when \`bin/emqx\` or
  \`packages/kernel/dist/main.js\` is missing or it does not answer an MQTT
  CONNECT within 10 s.
- Readiness of every broker = an MQTT CONNECT answered by a CONNACK.
- File descriptors: brokers are started through \`/bin/sh -c 'ulimit -n 65536
  || ulimit -n <hard limit>; exec …'\`; when the bench's own soft limit is
  below \`--conn-count\` + 1000 it re-runs itself the same way. If that is not
  enough, \`conn\` opens fewer connections and says so.

### Caveats

- One machine: the broker, the load generator and anything else running share
  its cores (2 here). All three brokers currently handle MQTT on one thread, so each
  can use one core while the generator uses the rest; check the CPU columns.
- Loopback only, so no network latency or bandwidth limits.
- Numbers from different machines, or from runs with a large "Other CPU %",
  are not comparable.
`;
