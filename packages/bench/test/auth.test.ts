import { AUTH_END, AUTH_START, medianRow, renderAuth, upsertAuth, type AuthRow } from '../src/auth.js';
import { DEFAULT_PARAMS, type Metric, type ScenarioResult } from '../src/scenarios.js';

const metric = (key: string, value: number): Metric => ({
  key, label: key, unit: key === 'conn-rate' ? 'conn/s' : 'msg/s', value, better: 'higher',
  brokerCpuPct: 80, loadgenCpuPct: 20, loadgenMaxThreadPct: 10, otherCpuPct: 1,
});
const row = (what: string, scenario: 'conn' | 'fan-in', value: number, notes: string[] = []): AuthRow => {
  const result: ScenarioResult = { scenario, metrics: [metric(scenario === 'conn' ? 'conn-rate' : 'fan-in', value)], notes, details: { connected: 10_000 } };
  return { what, result };
};

describe('bench auth report', () => {
  const rows = [
    row('connect, anonymous (no plugin)', 'conn', 4000),
    row('connect, emqx_auth_mysql (pool 8)', 'conn', 2100),
    row('connect, emqx_auth_mongo (pool 8)', 'conn', 300, ['stand-in server']),
    row('publish, no ACL plugin', 'fan-in', 200_000),
    row('publish, emqx_auth_mysql ACL, cache on', 'fan-in', 195_000),
  ];
  const out = renderAuth(rows, '2026-12-03, test cpu', DEFAULT_PARAMS);

  test('connect rates are shown as a share of the anonymous rate of the same run, with notes', () => {
    expect(out).toMatch(/\| connect, emqx_auth_mysql \(pool 8\) \|\s+2,100 \|\s+53 % \|\s+10000 \|/);
    expect(out).toMatch(/\| connect, emqx_auth_mongo \(pool 8\) \|\s+300 \|\s+8 % \|.*stand-in server/);
  });

  test('publish rates are shown as a share of the no-ACL rate', () => {
    expect(out).toMatch(/\| publish, emqx_auth_mysql ACL, cache on\s+\|\s+195,000 \|\s+98 % \|/);
  });

  test('the section replaces the one between its markers and leaves the rest', () => {
    const doc = `# Benchmarks\n\nintro\n\n${AUTH_START}\nold\n${AUTH_END}\n\ntail\n`;
    const next = upsertAuth(doc, out);
    expect(next).toContain('intro');
    expect(next).toContain('tail');
    expect(next).not.toContain('\nold\n');
    expect(next.split(AUTH_START).length).toBe(2);
    expect(upsertAuth('# Benchmarks\n', out)).toBe(`# Benchmarks\n\n${out}\n`);
  });
});

describe('rounds', () => {
  test('a row is its median run, with the spread in its notes', () => {
    const runs = [3000, 1000, 2000].map((v) => row('connect, x', 'conn', v, ['n']).result);
    const r = medianRow('connect, x', runs);
    expect(r.result.metrics[0]!.value).toBe(2000);
    expect(r.result.notes).toEqual(['median of 3 (1,000–3,000)', 'n']);
    expect(medianRow('connect, x', runs.slice(0, 1)).result.notes).toEqual(['n']);
  });

  test('skipped runs (no metrics) stay a skipped row', () => {
    const skipped = { scenario: 'conn' as const, metrics: [], notes: ['skipped: no server'], details: {} };
    expect(medianRow('connect, y', [skipped]).result.notes).toEqual(['skipped: no server']);
  });
});
