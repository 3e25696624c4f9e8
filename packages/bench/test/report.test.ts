import {
  RESULTS_END,
  RESULTS_START,
  aggregate,
  formatPct,
  formatRatio,
  formatValue,
  markdownTable,
  renderResults,
  resultsTable,
  runNotes,
  upsertResults,
  type ReportMeta,
  type RunRecord,
} from '../src/report.js';
import { DROP_FLAG, flowOf, type Flow } from '../src/flow.js';
import type { Metric, ScenarioResult } from '../src/scenarios.js';

function metric(key: string, value: number, extra: Partial<Metric> = {}): Metric {
  return {
    key,
    label: key === 'fan-in' ? 'fan-in 100 pub → 1 sub, QoS 0' : key,
    unit: key.startsWith('lat') ? 'µs' : key === 'conn-rss' ? 'KiB' : 'msg/s',
    value,
    better: key.startsWith('lat') || key === 'conn-rss' ? 'lower' : 'higher',
    brokerCpuPct: 99,
    loadgenCpuPct: 20,
    loadgenMaxThreadPct: 12,
    otherCpuPct: 1,
    ...extra,
  };
}

function rec(round: number, broker: string, scenario: string, metrics: Metric[], notes: string[] = []): RunRecord {
  const result: ScenarioResult = { scenario: scenario as ScenarioResult['scenario'], metrics, notes, details: {} };
  return { round, broker, scenario, result };
}

describe('formatting', () => {
  it('values', () => {
    expect(formatValue(163_245.4, 'msg/s')).toBe('163,245');
    expect(formatValue(999.5, 'µs')).toBe('1,000');
    expect(formatValue(0.734, 'KiB')).toBe('0.7');
    expect(formatValue(-20.24, 'KiB')).toBe('-20.2');
    expect(formatValue(-1234, 'msg/s')).toBe('-1,234');
    expect(formatValue(NaN, 'msg/s')).toBe('n/a');
  });
  it('ratios and percentages', () => {
    expect(formatRatio(0.2934)).toBe('0.29x');
    expect(formatRatio(NaN)).toBe('n/a');
    expect(formatPct(99.6)).toBe('100');
    expect(formatPct(NaN)).toBe('n/a');
  });
});

describe('markdownTable', () => {
  it('pads columns and aligns right where asked', () => {
    expect(markdownTable(['a', 'bb'], [['x', '1'], ['long', '22']], ['l', 'r'])).toBe(
      ['| a    |  bb |', '|------|----:|', '| x    |   1 |', '| long |  22 |'].join('\n'),
    );
  });
  it('escapes pipes and counts unicode characters, not bytes', () => {
    const t = markdownTable(['k'], [['a|b'], ['µ–x']]);
    expect(t.split('\n')).toEqual(['| k    |', '|------|', '| a\\|b |', '| µ–x  |']);
  });
});

describe('aggregate / resultsTable', () => {
  const records: RunRecord[] = [];
  const values: Record<string, number[]> = { nemq: [300, 100, 200], mosquitto: [100, 110, 90], aedes: [40, 50, 60] };
  for (let round = 1; round <= 3; round++) {
    for (const b of ['nemq', 'mosquitto', 'aedes']) {
      records.push(rec(round, b, 'fan-in', [metric('fan-in', (values[b] as number[])[round - 1] as number, { brokerCpuPct: 90 + round })]));
    }
  }
  records.push({ round: 1, broker: 'aedes', scenario: 'conn', error: 'only 10/100 connections established' });
  records.push(rec(1, 'nemq', 'conn', [metric('conn-rate', 5000), metric('conn-rss', 1.5)], ['fd limit low']));

  it('medians, min and max per metric and broker', () => {
    const rows = aggregate(records, ['nemq', 'mosquitto', 'aedes']);
    const fanIn = rows.filter((r) => r.metricKey === 'fan-in');
    expect(fanIn.map((r) => [r.broker, r.median, r.min, r.max])).toEqual([
      ['nemq', 200, 100, 300],
      ['mosquitto', 100, 90, 110],
      ['aedes', 50, 40, 60],
    ]);
    expect(fanIn[0]?.brokerCpuPct).toBe(92);
    const connRows = rows.filter((r) => r.metricKey.startsWith('conn'));
    expect(connRows.map((r) => [r.metricKey, r.broker, r.errors.length])).toEqual([
      ['conn-rate', 'nemq', 0],
      ['conn-rate', 'aedes', 1],
      ['conn-rss', 'nemq', 0],
      ['conn-rss', 'aedes', 1],
    ]);
  });

  it('ratios divide by the other broker medians', () => {
    const table = resultsTable(aggregate(records, ['nemq', 'mosquitto', 'aedes']));
    const lines = table.split('\n');
    const nemq = lines.find((l) => l.includes('| nemq') && l.includes('fan-in')) as string;
    const cells = nemq.split('|').map((c) => c.trim());
    expect(cells).toEqual(['', 'fan-in 100 pub → 1 sub, QoS 0 (msg/s, higher is better)', 'nemq', '200', '100–300', '', '', '', '', '2.00x', '4.00x', '92', '20 (12)', '1', '', '']);
    const mosq = lines.find((l) => l.includes('| mosquitto') && l.includes('fan-in')) as string;
    expect(mosq).toContain('—');
    expect(mosq).toContain('2.00x'); // 100 / 50
    expect(table).toContain('⚠ 1 failed');
    expect(table).toContain('single run');
  });

  it('skips brokers that are not listed (e.g. nemq skipped)', () => {
    const rows = aggregate(records, ['mosquitto', 'aedes']);
    expect(rows.some((r) => r.broker === 'nemq')).toBe(false);
    const t = resultsTable(rows);
    expect(t).not.toContain('| nemq');
  });

  it('collects notes and failures', () => {
    expect(runNotes(records)).toEqual(['aedes, conn, round 1: FAILED: only 10/100 connections established', 'nemq, conn, round 1: fd limit low']);
  });
});

describe('renderResults / upsertResults', () => {
  const meta: ReportMeta = {
    date: '2025-01-01T00:00:00Z',
    command: 'node packages/bench/dist/cli.js compare',
    machine: { nproc: 2, cpuModel: 'AMD EPYC', memGiB: 23.5, kernel: 'Linux 6.1', node: 'v20.0.0' },
    brokers: [
      { name: 'nemq', version: 'n/a', skipped: 'bin/emqx does not exist yet' },
      { name: 'mosquitto', version: '2.0.11' },
      { name: 'aedes', version: '1.2.0' },
    ],
    rounds: 3,
    warmupMs: 1000,
    durationMs: 4000,
    totalSeconds: 200,
    lifecycle: 'fresh brokers every round',
    notes: ['a note'],
  };
  const records = [rec(1, 'mosquitto', 'fan-in', [metric('fan-in', 100)]), rec(1, 'aedes', 'fan-in', [metric('fan-in', 30)])];
  const out = renderResults(meta, records);

  it('has markers, metadata, the skip note and the table', () => {
    expect(out.startsWith(RESULTS_START)).toBe(true);
    expect(out.endsWith(RESULTS_END)).toBe(true);
    expect(out).toContain('- Date: 2025-01-01T00:00:00Z');
    expect(out).toContain('`node packages/bench/dist/cli.js compare`');
    expect(out).toContain('2 CPU(s), AMD EPYC');
    expect(out).toContain('mosquitto 2.0.11');
    expect(out).toContain('> **nemq skipped:** bin/emqx does not exist yet');
    expect(out).toContain('| aedes ');
    expect(out).toContain('0.30x');
    expect(out).toContain('- a note');
  });

  it('replaces only the generated section of an existing document', () => {
    const doc = `# Title\n\nintro\n\n${RESULTS_START}\nold\n${RESULTS_END}\n\n## Methodology\n\nkept\n`;
    const next = upsertResults(doc, out);
    expect(next.startsWith('# Title\n\nintro\n\n')).toBe(true);
    expect(next).not.toContain('\nold\n');
    expect(next.endsWith('\n\n## Methodology\n\nkept\n')).toBe(true);
    expect(upsertResults(next, out)).toBe(next);
  });

  it('builds a whole document when there is none (or no markers)', () => {
    for (const existing of [null, '# something else\n']) {
      const doc = upsertResults(existing, out);
      expect(doc).toMatch(/^# Benchmarks/);
      expect(doc).toContain(out);
      expect(doc).toContain('## Methodology');
    }
  });
});

describe('accounting columns', () => {
  const zero = { published: 0, acked: 0, delivered: 0 };
  // Window of 1 s: `delivered` msg/s delivered out of 2 × that published and acked; totals alike.
  const qos1 = (delivered: number, acked = 2 * delivered): Flow =>
    flowOf(1, 1, 1, zero, { published: acked, acked, delivered }, { published: acked, acked, delivered });
  const withFlow = (round: number, broker: string, f: Flow): RunRecord =>
    rec(round, broker, 'qos1', [metric('qos1', f.deliveredPerSec, { label: 'qos1 10 pub → 10 sub, QoS 1', flow: f })]);
  const cellsOf = (table: string, broker: string): string[] =>
    (table.split('\n').find((l) => l.includes(`| ${broker} `)) as string).split('|').map((c) => c.trim());

  it('headline is delivered; published, acked, dropped, ratio and the flag beside it; ratios compare delivered', () => {
    const records = [
      withFlow(1, 'nemq', qos1(184_000, 369_000)),
      withFlow(2, 'nemq', qos1(180_000, 360_000)),
      withFlow(3, 'nemq', qos1(190_000, 190_000)),
      withFlow(1, 'mosquitto', qos1(46_000, 46_000)),
    ];
    const table = resultsTable(aggregate(records, ['nemq', 'mosquitto']));
    expect(cellsOf(table, 'Metric').slice(5, 10)).toEqual(['Published/s', 'Acked/s', 'Dropped', 'Delivered ÷ acked', '÷ mosquitto']);
    expect(cellsOf(table, 'nemq')).toEqual([
      '',
      'qos1 10 pub → 10 sub, QoS 1 (delivered msg/s, higher is better)',
      'nemq',
      '184,000',
      '180,000–190,000',
      '360,000',
      '360,000',
      '180,000 (50.0%)',
      '0.500',
      '4.00x',
      'n/a',
      '99',
      '20 (12)',
      '1',
      `${DROP_FLAG} in 2 of 3 rounds`,
      '',
    ]);
    const mosq = cellsOf(table, 'mosquitto');
    expect(mosq.slice(3, 9)).toEqual(['46,000', 'single run', '46,000', '46,000', '0 (0.0%)', '1.000']);
    expect(mosq[14]).toBe('');
  });

  it('flags every round plainly, QoS 0 rows get n/a for acked and no flag', () => {
    const f0 = flowOf(0, 1, 1, zero, { published: 100, acked: 0, delivered: 50 }, { published: 100, acked: 0, delivered: 50 });
    const records = [withFlow(1, 'nemq', qos1(100)), rec(1, 'aedes', 'fan-in', [metric('fan-in', 50, { flow: f0 })])];
    const rows = aggregate(records, ['nemq', 'aedes']);
    const table = resultsTable(rows);
    expect(cellsOf(table, 'nemq')[14]).toBe(DROP_FLAG);
    const aedes = cellsOf(table, 'aedes');
    expect(aedes.slice(5, 9)).toEqual(['100', 'n/a', '50 (50.0%)', '0.500']);
    expect(aedes[14]).toBe('');
  });

  it('the rendered document explains the numbers and upsert still works', () => {
    const meta: ReportMeta = {
      date: 'd',
      command: 'c',
      machine: { nproc: 2, cpuModel: 'x', memGiB: 1, kernel: 'k', node: 'n' },
      brokers: [{ name: 'nemq', version: '0' }],
      rounds: 1,
      warmupMs: 1000,
      durationMs: 4000,
      totalSeconds: 10,
      lifecycle: 'l',
      notes: [],
    };
    const out = renderResults(meta, [withFlow(1, 'nemq', qos1(100))]);
    expect(out).toContain('messages **delivered**');
    expect(out).toContain(`marked "${DROP_FLAG}"`);
    const doc = `intro\n${RESULTS_START}\nold\n${RESULTS_END}\nrest\n`;
    expect(upsertResults(doc, out)).toBe(`intro\n${out}\nrest\n`);
  });
});
