import { Session, type Outlet, type SessionOpts } from '../../src/session/session';
import { Inflight } from '../../src/session/inflight';
import { Subscription } from '../../src/router/router';
import { Message, type SubOpts } from '../../src/types';

const baseOpts: SessionOpts = { maxInflight: 2, maxMqueueLen: 3, mqueueStoreQos0: true, retryInterval: 30000, maxAwaitingRel: 2, awaitRelTimeout: 1000, upgradeQos: false, ignoreLoopDeliver: false };
let seq = 0;
const msg = (topic: string, qos: 0 | 1 | 2, from = 'pub', retain = false): Message =>
  new Message(++seq, qos, from, { retain, dup: false, sys: false }, topic, Buffer.from(topic), undefined, Date.now());

interface Sent { topic: string; qos: number; retain: boolean; dup: boolean; pid: number }
function outlet(): Outlet & { sent: Sent[]; rels: number[] } {
  const sent: Sent[] = [];
  const rels: number[] = [];
  return { sent, rels, sendPublish: (m, qos, retain, dup, pid) => void sent.push({ topic: m.topic, qos, retain, dup, pid }), sendPubrel: (pid) => void rels.push(pid) };
}
function setup(over: Partial<SessionOpts> = {}, sub: Partial<SubOpts> = {}) {
  const drops: string[] = [];
  const s = new Session('c1', { ...baseOpts, ...over }, (_s, m, reason) => void drops.push(`${m.topic}:${reason}`));
  const { sub: subscription } = s.subscribe('t/#', 't/#', { qos: 2, nl: 0, rap: 0, rh: 0, ...sub });
  return { s, sub: subscription as Subscription, drops };
}

describe('Session delivery', () => {
  test('delivers at the lower of message and subscription QoS [MQTT-3.8.4-6]', () => {
    const { s, sub } = setup({}, { qos: 1 });
    const o = outlet();
    s.outlet = o;
    s.deliver(msg('t/a', 2), sub);
    s.deliver(msg('t/b', 0), sub);
    expect(o.sent.map((x) => x.qos)).toEqual([1, 0]);
  });

  test('no local drops messages from the same client [MQTT-3.8.3-3]', () => {
    const { s, sub, drops } = setup({}, { nl: 1 });
    s.outlet = outlet();
    s.deliver(msg('t/a', 1, 'c1'), sub);
    expect(drops).toEqual(['t/a:no_local']);
  });

  test('retain as published keeps the flag, otherwise it is cleared [MQTT-3.3.1-12]', () => {
    const a = setup({}, { rap: 1 });
    const o = outlet();
    a.s.outlet = o;
    a.s.deliver(msg('t/a', 0, 'x', true), a.sub);
    const b = setup({}, { rap: 0 });
    const o2 = outlet();
    b.s.outlet = o2;
    b.s.deliver(msg('t/a', 0, 'x', true), b.sub);
    expect(o.sent[0]!.retain).toBe(true);
    expect(o2.sent[0]!.retain).toBe(false);
  });

  test('the inflight window holds max_inflight; the rest waits in the queue and drains on PUBACK', () => {
    const { s, sub } = setup();
    const o = outlet();
    s.outlet = o;
    for (const t of ['t/1', 't/2', 't/3', 't/4']) s.deliver(msg(t, 1), sub);
    expect(o.sent.map((x) => x.topic)).toEqual(['t/1', 't/2']);
    expect(s.mqueue.length).toBe(2);
    expect(s.puback(o.sent[0]!.pid)?.topic).toBe('t/1');
    expect(o.sent.map((x) => x.topic)).toEqual(['t/1', 't/2', 't/3']);
    expect(s.puback(999)).toBeUndefined();
  });

  test('a full queue drops the oldest and reports queue_full', () => {
    const { s, sub, drops } = setup();
    for (const t of ['t/1', 't/2', 't/3', 't/4']) s.deliver(msg(t, 1), sub);
    expect(drops).toEqual(['t/1:queue_full']);
    expect(s.mqueue.length).toBe(3);
  });

  test('offline QoS 0 is queued only with mqueue_store_qos0', () => {
    const a = setup({ mqueueStoreQos0: false });
    a.s.deliver(msg('t/a', 0), a.sub);
    expect(a.drops).toEqual(['t/a:qos0_msg']);
    const b = setup({ mqueueStoreQos0: true });
    b.s.deliver(msg('t/a', 0), b.sub);
    expect(b.s.mqueue.length).toBe(1);
  });

  test('[MQTT-4.4.0-1] on resume unacked PUBLISH goes again with DUP, PUBREL for PUBREC-ed ids, then the queue in order', () => {
    const { s, sub } = setup({ maxInflight: 2 });
    const o = outlet();
    s.outlet = o;
    s.deliver(msg('t/1', 1), sub);
    s.deliver(msg('t/2', 2), sub);
    s.deliver(msg('t/3', 1), sub);
    expect(s.pubrec(o.sent[1]!.pid)?.topic).toBe('t/2');
    s.outlet = undefined;
    s.deliver(msg('t/4', 1), sub);
    const o2 = outlet();
    s.outlet = o2;
    s.resend();
    expect(o2.sent.map((x) => [x.topic, x.dup])).toEqual([['t/1', true]]);
    expect(o2.rels).toEqual([o.sent[1]!.pid]);
    expect(s.pubcomp(o.sent[1]!.pid)).toBe(true);
    expect(o2.sent.map((x) => x.topic)).toEqual(['t/1', 't/3']);
    s.puback(o2.sent[0]!.pid);
    expect(o2.sent.map((x) => x.topic)).toEqual(['t/1', 't/3', 't/4']);
  });

  test('incoming QoS 2 ids: duplicate and max_awaiting_rel', () => {
    const { s } = setup();
    expect(s.awaitRel(1)).toBe('new');
    expect(s.awaitRel(1)).toBe('dup');
    expect(s.awaitRel(2)).toBe('new');
    expect(s.awaitRel(3)).toBe('full');
    expect(s.release(1)).toBe(true);
    expect(s.release(1)).toBe(false);
    expect(s.expireAwaitingRel(Date.now() + 5000)).toBe(1);
  });

  test('packet ids skip ids still in the window [MQTT-2.2.1-3]', () => {
    const { s, sub } = setup({ maxInflight: 0 });
    const o = outlet();
    s.outlet = o;
    for (let i = 0; i < 70000; i++) {
      s.deliver(msg('t/x', 1), sub);
      if (i > 0) s.puback(o.sent[i]!.pid);
    }
    const pids = o.sent.map((x) => x.pid);
    expect(pids.every((p) => p >= 1 && p <= 65535)).toBe(true);
    expect(pids.slice(1).includes(pids[0]!)).toBe(false);
  });
});

describe('Inflight', () => {
  test('out-of-order acks leave holes the head skips; grows past its start size', () => {
    const f = new Inflight(0, 2);
    for (let i = 1; i <= 5; i++) f.add(i, msg('t', 1), 1, false, undefined, i);
    expect(f.size).toBe(5);
    f.removeAt(f.find(3));
    f.removeAt(f.find(1));
    expect(f.find(1)).toBe(-1);
    const ids: number[] = [];
    f.forEach((id) => void ids.push(id));
    expect(ids).toEqual([2, 4, 5]);
    expect(f.oldest()).toBe(2);
  });
});
