import { Session, type Outlet, type SessionOpts } from '../../src/session/session';
import { feeding, marks, type Feeder } from '../../src/session/pressure';
import { Subscription } from '../../src/router/router';
import { Message } from '../../src/types';

// window 1, queue 4, high-water 2, low-water 1
const opts: SessionOpts = { maxInflight: 1, maxMqueueLen: 4, mqueueStoreQos0: true, retryInterval: 30000, maxAwaitingRel: 2, awaitRelTimeout: 1000, upgradeQos: false, ignoreLoopDeliver: false, highWatermark: 2, lowWatermark: 1 };
let seq = 0;
const msg = (qos: 0 | 1 = 1): Message => new Message(++seq, qos, 'pub', { retain: false, dup: false, sys: false }, 't', Buffer.from('x'), undefined, Date.now());

function outlet(): Outlet & { pids: number[]; unheld: number } {
  const o = { pids: [] as number[], unheld: 0, sendPublish: (_m: Message, _q: number, _r: boolean, _d: boolean, pid: number) => void o.pids.push(pid), sendPubrel: () => undefined, unholdAll: () => void o.unheld++ };
  return o;
}
function feeder(session?: { pressing: boolean }): Feeder & { holds: number } {
  return { session: session ?? { pressing: false }, holds: 0, hold() { this.holds++; }, unhold() { this.holds--; }, wake() {} };
}
function setup(over: Partial<SessionOpts> = {}) {
  const drops: string[] = [];
  const s = new Session('sub', { ...opts, ...over }, (_s, _m, reason) => void drops.push(reason));
  const { sub } = s.subscribe('t', 't', { qos: 1, nl: 0, rap: 0, rh: 0 });
  const o = outlet();
  s.outlet = o;
  return { s, sub: sub as Subscription, drops, o };
}
/** delivers as if `f` were dispatching the PUBLISH */
function from(f: Feeder | undefined, s: Session, sub: Subscription, m = msg()): void {
  feeding.current = f;
  try {
    s.deliver(m, sub);
  } finally {
    feeding.current = undefined;
  }
}

describe('backpressure marks', () => {
  test('defaults: half of max_mqueue_len, low half of high; off gives 0', () => {
    expect(marks(true, 1000, 0, 0)).toEqual({ highWatermark: 500, lowWatermark: 250 });
    expect(marks(true, 0, 0, 0)).toEqual({ highWatermark: 1000, lowWatermark: 500 });
    expect(marks(true, 100, 500, 0)).toEqual({ highWatermark: 100, lowWatermark: 50 });
    expect(marks(true, 100, 10, 20)).toEqual({ highWatermark: 10, lowWatermark: 9 });
    expect(marks(false, 1000, 10, 5)).toEqual({ highWatermark: 0, lowWatermark: 0 });
  });

  test('reaching high-water holds the publisher once and keeps its message; low-water releases it', () => {
    const { s, sub, drops, o } = setup();
    const f = feeder();
    from(f, s, sub); // inflight
    from(f, s, sub); // queue 1
    expect(f.holds).toBe(0);
    from(f, s, sub); // queue 2 = high-water
    expect(s.pressing).toBe(true);
    expect(f.holds).toBe(1);
    expect(o.unheld).toBe(1);
    // bytes already read from other publishers: kept, each holds its own
    const g = feeder();
    const h = feeder();
    from(g, s, sub);
    from(h, s, sub);
    from(feeder(), s, sub);
    expect(s.mqueue.length).toBe(5); // above max_mqueue_len 4: one per held publisher
    expect(drops).toEqual([]);
    for (let i = 0; i < 4; i++) s.puback(o.pids[i]!);
    expect(s.mqueue.length).toBe(1);
    expect(s.pressing).toBe(false);
    expect([f.holds, g.holds, h.holds]).toEqual([0, 0, 0]);
  });

  test('never holds its own channel or a pressing one; those get EMQX drops at max_mqueue_len', () => {
    const { s, sub, drops } = setup();
    const self = feeder(s);
    for (let i = 0; i < 7; i++) from(self, s, sub);
    expect(self.holds).toBe(0);
    expect(s.mqueue.length).toBe(4);
    expect(drops).toEqual(['queue_full', 'queue_full']);
    const busy = feeder({ pressing: true });
    from(busy, s, sub);
    expect(busy.holds).toBe(0);
    // no publisher known (a will, a plugin): plain EMQX semantics
    from(undefined, s, sub);
    expect(drops.length).toBe(4);
  });

  test('offline, QoS 0 and backpressure off keep EMQX semantics', () => {
    const off = setup({ highWatermark: 0 });
    const f = feeder();
    for (let i = 0; i < 7; i++) from(f, off.s, off.sub);
    expect(f.holds).toBe(0);
    expect(off.drops).toEqual(['queue_full', 'queue_full']);
    const offline = setup();
    offline.s.outlet = undefined;
    for (let i = 0; i < 6; i++) from(f, offline.s, offline.sub);
    expect(f.holds).toBe(0);
    expect(offline.drops).toEqual(['queue_full', 'queue_full']);
    const q0 = setup();
    for (let i = 0; i < 6; i++) from(f, q0.s, q0.sub, msg(0));
    expect(f.holds).toBe(0);
    expect(q0.s.mqueue.length).toBe(0);
  });

  test('relax (going offline) releases every held publisher', () => {
    const { s, sub } = setup();
    const f = feeder();
    for (let i = 0; i < 3; i++) from(f, s, sub);
    expect(f.holds).toBe(1);
    s.outlet = undefined;
    s.relax();
    expect(f.holds).toBe(0);
    expect(s.pressing).toBe(false);
  });
});
