import { DROP_FLAG, MIN_DELIVERED_SHARE, dropsAcked, flowOf, flowSummary } from '../src/flow.js';

describe('flowOf: one round', () => {
  // 10 pairs, QoS 1: the broker acknowledged everything but delivered half.
  const start = { published: 1_000, acked: 900, delivered: 500 };
  const end = { published: 401_000, acked: 400_900, delivered: 200_500 };
  const total = { published: 420_000, acked: 420_000, delivered: 210_000 };
  const f = flowOf(1, 1, 2, start, end, total);

  it('rates come from the measuring window', () => {
    expect(f.deliveredPerSec).toBe(100_000);
    expect(f.publishedPerSec).toBe(200_000);
    expect(f.ackedPerSec).toBe(200_000);
  });

  it('drops come from the whole-run totals, against what was acknowledged', () => {
    expect(f.owed).toBe(420_000);
    expect(f.dropped).toBe(210_000);
    expect(f.deliveredShare).toBe(0.5);
    expect(dropsAcked(f)).toBe(true);
  });

  it('QoS 1 owes only acknowledged messages', () => {
    const g = flowOf(1, 1, 1, start, end, { published: 1_000, acked: 900, delivered: 900 });
    expect(g.owed).toBe(900);
    expect(g.dropped).toBe(0);
    expect(dropsAcked(g)).toBe(false);
  });

  it('QoS 0 owes published × subscribers, has no acked numbers and is never flagged', () => {
    const g = flowOf(0, 100, 1, { published: 0, acked: 0, delivered: 0 }, { published: 10, acked: 0, delivered: 900 }, { published: 20, acked: 0, delivered: 1_500 });
    expect(g.publishedPerSec).toBe(10);
    expect(g.deliveredPerSec).toBe(900);
    expect(g.ackedPerSec).toBeNaN();
    expect(g.acked).toBeNaN();
    expect(g.owed).toBe(2_000);
    expect(g.dropped).toBe(500);
    expect(g.deliveredShare).toBe(0.75);
    expect(dropsAcked(g)).toBe(false);
  });

  it('a surplus (duplicates) is not a negative drop; nothing owed is a share of 1', () => {
    expect(flowOf(1, 1, 1, start, end, { published: 10, acked: 10, delivered: 12 }).dropped).toBe(0);
    expect(flowOf(1, 1, 1, start, end, { published: 0, acked: 0, delivered: 0 }).deliveredShare).toBe(1);
  });
});

describe('flag threshold', () => {
  const qos1 = (delivered: number) => flowOf(1, 1, 1, { published: 0, acked: 0, delivered: 0 }, { published: 0, acked: 0, delivered: 0 }, { published: 10_000, acked: 10_000, delivered });
  it(`flags below ${MIN_DELIVERED_SHARE}, not at it`, () => {
    expect(dropsAcked(qos1(9_900))).toBe(false);
    expect(dropsAcked(qos1(9_899))).toBe(true);
    expect(dropsAcked(qos1(10_000))).toBe(false);
  });
});

describe('flowSummary', () => {
  it('QoS 1 with drops', () => {
    const f = flowOf(1, 1, 1, { published: 0, acked: 0, delivered: 0 }, { published: 369_000, acked: 368_500, delivered: 184_000 }, { published: 400_000, acked: 400_000, delivered: 200_000 });
    expect(flowSummary(f)).toBe(
      `delivered 184,000 msg/s (published 369,000/s, acked 368,500/s); whole run: dropped 200,000 (50.0%), delivered ÷ acked 0.500 ${DROP_FLAG}`,
    );
  });
  it('QoS 0 without drops', () => {
    const f = flowOf(0, 1, 1, { published: 0, acked: 0, delivered: 0 }, { published: 5, acked: 0, delivered: 5 }, { published: 5, acked: 0, delivered: 5 });
    expect(flowSummary(f)).toBe('delivered 5 msg/s (published 5/s); whole run: dropped 0 (0.0%), delivered ÷ published 1.000');
  });
});
