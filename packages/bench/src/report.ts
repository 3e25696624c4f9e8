/** Aggregation of compare runs and Markdown rendering (pure, unit tested). */
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
        errors,
      });
    }
  }
  return rows;
}

/** The results table: one row per metric and broker. */
export function resultsTable(rows: readonly AggregateRow[]): string {
  const medianOf = (key: string, broker: string): number => rows.find((r) => r.metricKey === key && r.broker === broker)?.median ?? NaN;
  const header = ['Metric', 'Broker', 'Median', 'Min–max', '÷ mosquitto', '÷ aedes', 'Broker CPU %', 'Load-gen CPU % (busiest thread)', 'Other CPU %'];
  const body = rows.map((r) => {
    const unit = r.unit ? ` (${r.unit}, ${r.better} is better)` : '';
    const vsM = r.broker === 'mosquitto' ? '—' : formatRatio(ratio(r.median, medianOf(r.metricKey, 'mosquitto')));
    const vsA = r.broker === 'aedes' ? '—' : formatRatio(ratio(r.median, medianOf(r.metricKey, 'aedes')));
    const failed = r.errors.length ? ` ⚠ ${r.errors.length} failed` : '';
    return [
      `${r.label}${unit}`,
      r.broker,
      `${formatValue(r.median, r.unit)}${failed}`,
      r.values.length > 1 ? `${formatValue(r.min, r.unit)}–${formatValue(r.max, r.unit)}` : r.values.length === 1 ? 'single run' : '',
      vsM,
      vsA,
      formatPct(r.brokerCpuPct),
      `${formatPct(r.loadgenCpuPct)} (${formatPct(r.loadgenMaxThreadPct)})`,
      formatPct(r.otherCpuPct),
    ];
  });
  return markdownTable(header, body, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']);
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
  lines.push(`- Command: \`${meta.command}\``);
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
    'Median and min–max over the rounds. "÷ mosquitto" / "÷ aedes" divide this row\'s median by that broker\'s median (for nemq: ours/mosquitto, ours/aedes). CPU columns are medians in % of one core over the measuring window (connect phase for `conn`): the broker process tree, the whole bench process (all threads) with its busiest thread in parentheses, and everything else on the machine. A busiest thread near 100 % would mean the load generator, not the broker, is the limit; a large "other" means the numbers were disturbed by foreign load.',
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
\`\`\`

Everything between the \`bench:results\` markers is generated; the rest is kept.
`;

export const METHODOLOGY = `## Methodology

See the "Methodology" section of docs/benchmarks.md in the repository.
`;
