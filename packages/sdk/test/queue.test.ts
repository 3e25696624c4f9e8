// The bounded buffer: FIFO, a byte bound that drops the OLDEST records (as wolff's
// replayq does) and counts them, batches taken from the head, failed batches put back.
import { BoundedQueue } from '../src/queue';

const r = (id: number, size = 10) => ({ id, size });
const ids = (xs: Array<{ id: number }>) => xs.map((x) => x.id);

test('FIFO: take returns the oldest first, up to a count and about a byte budget', () => {
  const q = new BoundedQueue<{ id: number; size: number }>(1000);
  for (let i = 0; i < 10; i++) q.push(r(i));
  expect(q.length).toBe(10);
  expect(q.bytes).toBe(100);
  expect(ids(q.take(3, 1000))).toEqual([0, 1, 2]);
  expect(ids(q.take(100, 25))).toEqual([3, 4]);
  expect(q.bytes).toBe(50);
  expect(ids(q.take(100, 1000))).toEqual([5, 6, 7, 8, 9]);
  expect(q.length).toBe(0);
  expect(q.bytes).toBe(0);
});

test('a record bigger than the byte budget still goes out alone', () => {
  const q = new BoundedQueue<{ id: number; size: number }>(10_000);
  q.push(r(1, 5000));
  q.push(r(2, 10));
  expect(ids(q.take(10, 100))).toEqual([1]);
  expect(ids(q.take(10, 100))).toEqual([2]);
});

test('over the byte bound the oldest records are dropped and counted; the newest stay', () => {
  const q = new BoundedQueue<{ id: number; size: number }>(100);
  let dropped = 0;
  for (let i = 0; i < 25; i++) dropped += q.push(r(i));
  expect(dropped).toBe(15);
  expect(q.dropped).toBe(15);
  expect(q.bytes).toBe(100);
  expect(ids(q.take(100, 1e9))).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
});

test('a single record over the bound is kept (the bound never empties the buffer)', () => {
  const q = new BoundedQueue<{ id: number; size: number }>(100);
  q.push(r(1, 50));
  q.push(r(2, 500));
  expect(q.dropped).toBe(1);
  expect(ids(q.take(10, 1e9))).toEqual([2]);
});

test('unshift puts a batch back at the head in order, then applies the bound to the oldest', () => {
  const q = new BoundedQueue<{ id: number; size: number }>(60);
  for (let i = 0; i < 5; i++) q.push(r(i));
  const batch = q.take(3, 1e9);
  q.push(r(5));
  q.push(r(6));
  expect(q.unshift(batch)).toBe(1);
  expect(q.dropped).toBe(1);
  expect(ids(q.take(100, 1e9))).toEqual([1, 2, 3, 4, 5, 6]);
});

test('unshift after the array was compacted still keeps the order', () => {
  const q = new BoundedQueue<{ id: number; size: number }>(1e9);
  for (let i = 0; i < 5000; i++) q.push(r(i, 1));
  const a = q.take(3000, 1e9);
  expect(q.unshift(a)).toBe(0);
  const all = ids(q.take(1e9, 1e9));
  expect(all).toHaveLength(5000);
  expect(all.every((v, i) => v === i)).toBe(true);
});

test('a long run of push/take stays consistent (compaction)', () => {
  const q = new BoundedQueue<{ id: number; size: number }>(1e9);
  let next = 0;
  let expect0 = 0;
  let wrong = 0;
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 700; i++) q.push(r(next++, 1));
    for (const x of q.take(650, 1e9)) if (x.id !== expect0++) wrong++;
  }
  expect(wrong).toBe(0);
  expect(q.length).toBe(next - expect0);
  expect(q.bytes).toBe(next - expect0);
});

test('clear empties and reports how many records it threw away', () => {
  const q = new BoundedQueue<{ id: number; size: number }>(1000);
  q.push(r(1));
  q.push(r(2));
  expect(q.clear()).toBe(2);
  expect(q.length).toBe(0);
  expect(q.bytes).toBe(0);
});
