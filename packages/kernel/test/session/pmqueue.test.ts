import { PMQueue } from '../../src/session/pmqueue';
import { MQueue, Queued } from '../../src/session/mqueue';
import { Session } from '../../src/session/session';
import { Message } from '../../src/types';

let seq = 0;
const q = (topic: string): Queued =>
  new Queued(new Message(++seq, 1, 'pub', { retain: false, dup: false, sys: false }, topic, Buffer.from(topic), undefined, Date.now()), 1, false, undefined);

function drain(m: PMQueue): string[] {
  const out: string[] = [];
  for (let x = m.shift(); x !== undefined; x = m.shift()) out.push(x.msg.topic);
  return out;
}
/** ['a','a','b'] → 'a2 b1' */
function runs(topics: string[]): string {
  const r: string[] = [];
  let n = 0;
  topics.forEach((t, i) => {
    n++;
    if (topics[i + 1] !== t) r.push(`${t}${n}`), (n = 0);
  });
  return r.join(' ');
}
const pushN = (m: PMQueue, topic: string, n: number) => {
  for (let i = 0; i < n; i++) m.push(q(topic));
};

describe('PMQueue', () => {
  test('higher priority out first, FIFO within a priority, unknown topics at the default', () => {
    const m = new PMQueue(0, new Map([['hi', 10], ['mid', 8]]), 0);
    for (const t of ['x', 'mid', 'hi', 'x', 'mid', 'hi']) m.push(q(t));
    expect(m.length).toBe(6);
    const got = [];
    for (let x = m.shift(); x; x = m.shift()) got.push(`${x.msg.topic}${x.msg.id}`);
    expect(got.map((s) => s.replace(/\d+$/, ''))).toEqual(['hi', 'hi', 'mid', 'mid', 'x', 'x']);
    const ids = got.map((s) => Number(/\d+$/.exec(s)![0]));
    expect(ids[0]! < ids[1]!).toBe(true);
    expect(m.length).toBe(0);
    expect(m.shift()).toBeUndefined();
  });

  test('default highest puts unknown topics before every listed priority', () => {
    const m = new PMQueue(0, new Map([['hi', 255]]), Infinity);
    for (const t of ['hi', 'x', 'hi', 'x']) m.push(q(t));
    expect(drain(m)).toEqual(['x', 'x', 'hi', 'hi']);
  });

  test('EMQX shift: after one message at priority P, P*10 more from the first band, then the next band gets out', () => {
    const m = new PMQueue(0, new Map([['a', 2], ['b', 1]]), 0);
    pushN(m, 'a', 30);
    pushN(m, 'b', 30);
    pushN(m, 'c', 3);
    // a: 1 + 20, rotate; b: 1 + 10, rotate; c (priority 0): 1, rotate;
    // a: its last 9 (count 20 → 12), the count runs on into b: 12, rotate; c: 1, rotate;
    // b: its last 7, then c
    expect(runs(drain(m))).toBe('a21 b11 c1 a9 b12 c1 b7 c1');
  });

  test('priority 0 alone is plain FIFO', () => {
    const m = new PMQueue(0, new Map([['a', 3]]), 0);
    for (const t of ['x', 'y', 'x', 'y']) m.push(q(t));
    expect(drain(m)).toEqual(['x', 'y', 'x', 'y']);
  });

  test('max_mqueue_len bounds each priority: a full one drops its own oldest, the others are kept', () => {
    const m = new PMQueue(2, new Map([['hi', 5]]), 0);
    const lo1 = q('lo');
    m.push(lo1);
    m.push(q('lo'));
    const hi1 = q('hi');
    expect(m.push(hi1)).toBeUndefined();
    expect(m.push(q('hi'))).toBeUndefined();
    expect(m.push(q('hi'))).toBe(hi1);
    expect(m.length).toBe(4);
    expect(m.push(q('lo'))).toBe(lo1);
    expect(m.dropped).toBe(2);
    expect(m.length).toBe(4);
    expect(drain(m)).toEqual(['hi', 'hi', 'lo', 'lo']);
  });

  test('pushOver keeps a message above the limit; the next push drops the oldest of that priority', () => {
    const m = new PMQueue(1, new Map([['hi', 5]]), 0);
    const first = q('hi');
    m.push(first);
    m.pushOver(q('hi'));
    expect(m.length).toBe(2);
    expect(m.push(q('hi'))).toBe(first);
    expect(m.length).toBe(2);
    expect(m.dropped).toBe(1);
  });

  test('clear returns everything and empties the queue', () => {
    const m = new PMQueue(0, new Map([['hi', 5]]), 0);
    for (const t of ['lo', 'hi', 'lo']) m.push(q(t));
    expect(m.clear().map((x) => x.msg.topic)).toEqual(['hi', 'lo', 'lo']);
    expect(m.length).toBe(0);
    expect(m.shift()).toBeUndefined();
  });

  test('a session uses it only when mqueue_priorities is set', () => {
    const base = { maxInflight: 1, maxMqueueLen: 3, mqueueStoreQos0: true, retryInterval: 30000, maxAwaitingRel: 2, awaitRelTimeout: 1000, upgradeQos: false, ignoreLoopDeliver: false };
    const drop = () => {};
    expect(new Session('a', base, drop).mqueue).toBeInstanceOf(MQueue);
    expect(new Session('b', { ...base, mqueuePriorities: null }, drop).mqueue).toBeInstanceOf(MQueue);
    const s = new Session('c', { ...base, mqueuePriorities: new Map([['hi', 1]]), mqueueDefaultPriority: 0 }, drop);
    expect(s.mqueue).toBeInstanceOf(PMQueue);
    for (const t of ['lo', 'hi']) s.enqueueOrSend(q(t).msg, 1, false, undefined);
    const sent: string[] = [];
    s.outlet = { sendPublish: (m) => void sent.push(m.topic), sendPubrel: () => {} };
    s.drain();
    expect(sent).toEqual(['hi']);
  });
});
