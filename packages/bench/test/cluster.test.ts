import { CLUSTER_END, CLUSTER_START, renderCluster, upsertCluster, type ClusterReport } from '../src/cluster';

const report: ClusterReport = {
  rows: [{
    scenario: 'fan-in 100 pub → 1 sub, QoS 0',
    cells: {
      'nemq, 1 node': { value: 300_000, acked: NaN, dropped: 0, runs: [300_000] },
      'nemq, 2 nodes': { value: 210_000, acked: NaN, dropped: 0, runs: [210_000] },
      'Aedes pair': { value: 20_000, acked: NaN, dropped: 12, runs: [20_000] },
    },
  }, {
    scenario: 'qos1 10 pub → 10 sub, QoS 1',
    cells: { 'nemq, 1 node': { value: 100, acked: 100, dropped: 0, runs: [100] }, 'nemq, 2 nodes': undefined, 'Aedes pair': undefined },
  }],
  takeover: { n: 200, p50: 5, p99: 20.25, max: 31, notPresent: 0 },
  join: { routes: 10_000, ctlMs: 300, readyMs: 320, rssKiBPer10k: 4096 },
  notes: ['qos1, Aedes pair, round 1: no CONNACK'],
};

describe('cluster bench report', () => {
  test('one row per scenario: two nodes as a share of one, and as a multiple of the Aedes pair', () => {
    const md = renderCluster(report, '2026-12-03, test', 3);
    expect(md.startsWith(CLUSTER_START)).toBe(true);
    expect(md.endsWith(CLUSTER_END)).toBe(true);
    expect(md).toContain('| fan-in 100 pub → 1 sub, QoS 0 | 300,000 | 210,000 | 70 % | 20,000 | 10.5x | 0 / 0 / 12 |');
    expect(md).toContain('| qos1 10 pub → 10 sub, QoS 1 | 100 | n/a | n/a | n/a | n/a | 0 / n/a / n/a |');
    expect(md).toContain('p99 20.3 ms');
    expect(md).toContain('returns in 300 ms');
    expect(md).toContain('- qos1, Aedes pair, round 1: no CONNACK');
  });

  test('the section replaces its old self and leaves the rest of the file alone', () => {
    const md = renderCluster(report, 'x', 1);
    const once = upsertCluster('# Benchmarks\n\nother\n', md);
    expect(once).toBe(`# Benchmarks\n\nother\n\n${md}\n`);
    const twice = upsertCluster(once, md.replace('300,000', '1'));
    expect(twice.split(CLUSTER_START)).toHaveLength(2);
    expect(twice).toContain('| 1 |');
    expect(twice.startsWith('# Benchmarks\n\nother\n')).toBe(true);
  });
});
