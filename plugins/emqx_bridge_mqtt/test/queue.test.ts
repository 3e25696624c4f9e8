// The outgoing queue: in memory, and on disk (replayq_dir) with segments, a commit point,
// reading back after a restart or a crash, torn tails and the size limit.
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecords, DiskQueue, encodeRecord, MemQueue, segName, type BridgeQueue, type QueuedMsg } from '../src/queue';

let dir: string;
const opened: DiskQueue[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-replayq-'));
});
afterEach(async () => {
  for (const q of opened.splice(0)) await q.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function open(o: Partial<{ segBytes: number; maxTotalSize: number; errors: string[] }> = {}): Promise<DiskQueue> {
  const q = await DiskQueue.open({ dir, segBytes: o.segBytes ?? 1 << 20, maxTotalSize: o.maxTotalSize ?? 2 ** 31, onError: (e) => o.errors?.push(e.message) });
  opened.push(q);
  return q;
}

/** pops n messages, waiting for the disk where needed */
async function take(q: BridgeQueue, n: number, ms = 5000): Promise<QueuedMsg[]> {
  const got: QueuedMsg[] = [];
  const t0 = Date.now();
  while (got.length < n) {
    const m = q.pop();
    if (m) {
      got.push(m);
      continue;
    }
    if (Date.now() - t0 > ms) throw new Error(`only ${got.length} of ${n} messages came out`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return got;
}

const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));
const fill = (q: BridgeQueue, n: number, from = 0, qos: 0 | 1 | 2 = 1) => {
  for (let i = from; i < from + n; i++) q.append(qos, i % 7 === 0, `t/${i}`, Buffer.from(`m${i}`));
};
const names = (ms: QueuedMsg[]) => ms.map((m) => m.payload.toString());
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => `m${a + i}`);

describe('MemQueue (no queue.replayq_dir)', () => {
  test('FIFO; an ack out of order frees only the acked prefix; unacked ones come back for a resend', async () => {
    const q = new MemQueue(1 << 30);
    fill(q, 5);
    const [a, b, c] = await take(q, 3);
    q.ack(b!);
    expect(q.unacked().map((m) => m.topic)).toEqual(['t/0', 't/2']);
    q.ack(a!);
    q.ack(c!);
    expect(q.unacked()).toEqual([]);
    expect(names(await take(q, 2))).toEqual(['m3', 'm4']);
  });

  test('over queue.max_total_size the oldest waiting messages are dropped', () => {
    const q = new MemQueue(100);
    for (let i = 0; i < 20; i++) q.append(0, false, 'topic/x', Buffer.alloc(10, i)); // 17 bytes each
    expect(q.dropped).toBe(15);
    expect(q.readyCount).toBe(5);
    expect(q.pop()!.payload[0]).toBe(15);
  });
});

describe('DiskQueue (queue.replayq_dir)', () => {
  test('records round-trip QoS, retain, UTF-8 topic and payload; a flipped bit is damage', () => {
    const rec = Buffer.concat([encodeRecord(2, true, 'ä/ü/€', Buffer.from([0, 1, 2])), encodeRecord(0, false, 't', Buffer.alloc(0))]);
    const { msgs, used, damaged } = decodeRecords(rec, 3, 100);
    expect(damaged).toBe(false);
    expect(used).toBe(rec.length);
    expect(msgs.map((m) => [m.qos, m.retain, m.topic, [...m.payload], m.seq])).toEqual([
      [2, true, 'ä/ü/€', [0, 1, 2], 3],
      [0, false, 't', [], 3],
    ]);
    expect(msgs[1]!.end).toBe(100 + rec.length);
    rec[12] = rec[12]! ^ 1;
    expect(decodeRecords(rec, 3, 0)).toMatchObject({ msgs: [], used: 0, damaged: true });
  });

  test('messages become sendable only once written; order kept; acked ones are not read back after close/open', async () => {
    let q = await open();
    fill(q, 100);
    expect(q.pop()).toBeUndefined(); // not on disk yet
    const got = await take(q, 100);
    expect(names(got)).toEqual(range(0, 100));
    expect(got[0]!.retain).toBe(true);
    expect(got[1]!.retain).toBe(false);
    for (const m of got.slice(0, 60)) q.ack(m);
    await q.close();
    q = await open();
    // the 40 not acked come back first, then new ones
    fill(q, 5, 100);
    expect(names(await take(q, 45))).toEqual(range(60, 105));
  });

  test('a crash (no close) after the write loses nothing: a new queue on the same dir sends everything not acked', async () => {
    const q = await open();
    fill(q, 1000);
    const got = await take(q, 1000);
    for (const m of got.slice(0, 300)) q.ack(m);
    await settle(250); // the commit point is written within ~100 ms
    // "crash": the first queue is abandoned without close
    opened.splice(opened.indexOf(q), 1);
    const q2 = await open();
    expect(names(await take(q2, 700))).toEqual(range(300, 1000));
    expect(q2.pop()).toBeUndefined();
    expect(q2.loadedFromDisk).toBe(700);
  });

  test('a crash before the commit point is saved sends acked messages again (at-least-once), never skips', async () => {
    const q = await open();
    fill(q, 50);
    const got = await take(q, 50);
    for (const m of got) q.ack(m);
    opened.splice(opened.indexOf(q), 1); // crash within the commit delay
    const q2 = await open();
    const again = await take(q2, 50);
    expect(names(again)).toEqual(range(0, 50));
  });

  test('appends go to new segments of replayq_seg_bytes; segments wholly acked are deleted', async () => {
    const q = await open({ segBytes: 400 });
    fill(q, 200); // ~20 bytes a record
    const got = await take(q, 200);
    const segs = readdirSync(dir).filter((f) => f.endsWith('.seg'));
    expect(segs.length).toBeGreaterThanOrEqual(9);
    for (const f of segs) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(400);
    for (const m of got.slice(0, 150)) q.ack(m);
    await settle(250);
    const left = readdirSync(dir).filter((f) => f.endsWith('.seg'));
    expect(left.length).toBeLessThan(segs.length);
    await q.close();
    const q2 = await open({ segBytes: 400 });
    expect(names(await take(q2, 50))).toEqual(range(150, 200));
  });

  test('appends pending at close are written by close and read back', async () => {
    const q = await open();
    fill(q, 10);
    await q.close(); // before the first flush ran
    const q2 = await open();
    expect(names(await take(q2, 10))).toEqual(range(0, 10));
  });

  test('a torn record at the end of a segment (crash while writing) is skipped with an error; the rest is read', async () => {
    const q = await open();
    fill(q, 20);
    await take(q, 0);
    await settle();
    opened.splice(opened.indexOf(q), 1);
    const seg = readdirSync(dir).find((f) => f.endsWith('.seg'))!;
    appendFileSync(join(dir, seg), encodeRecord(1, false, 'torn/topic', Buffer.alloc(100)).subarray(0, 50));
    const errors: string[] = [];
    const q2 = await open({ errors });
    expect(names(await take(q2, 20))).toEqual(range(0, 20));
    await settle();
    expect(q2.pop()).toBeUndefined();
    expect(errors.join('\n')).toMatch(/incomplete record/);
    fill(q2, 3, 20);
    expect(names(await take(q2, 3))).toEqual(range(20, 23));
  });

  test('a garbled COMMIT file falls back to the first segment (duplicates, not loss)', async () => {
    const q = await open();
    fill(q, 5);
    for (const m of await take(q, 5)) q.ack(m);
    await q.close();
    writeFileSync(join(dir, 'COMMIT'), 'garbage');
    const q2 = await open();
    expect(names(await take(q2, 5))).toEqual(range(0, 5));
  });

  test('a backlog larger than what is kept in memory is read back from disk in order', async () => {
    const q = await open({ segBytes: 256 * 1024 });
    const N = 60_000;
    fill(q, N, 0, 0);
    // nothing taken while the writes land: the memory window fills, the rest stays on disk
    for (let i = 0; i < 100 && q.readyCount === 0; i++) await settle(10);
    await settle(300);
    expect(q.readyCount).toBeLessThan(N);
    const got = await take(q, N, 20_000);
    expect(got.length).toBe(N);
    let ok = true;
    for (let i = 0; i < N; i++) if (got[i]!.topic !== `t/${i}`) ok = false;
    expect(ok).toBe(true);
    expect(q.loadedFromDisk).toBeGreaterThan(0);
    for (const m of got) q.ack(m);
    await settle(250);
    expect(q.isEmpty()).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).length).toBe(1);
  });

  test('over queue.max_total_size the oldest unsent messages are dropped', async () => {
    const q = await open({ maxTotalSize: 2000 });
    fill(q, 200); // ~5 KB
    await settle(50);
    expect(q.dropped).toBeGreaterThan(0);
    expect(q.bytes).toBeLessThanOrEqual(2000);
    const rest = names(await take(q, q.readyCount));
    expect(rest[rest.length - 1]).toBe('m199');
  });

  test('segment names sort by number; COMMIT names the segment and offset', async () => {
    expect(segName(12)).toBe('000000000012.seg');
    const q = await open();
    fill(q, 3);
    const got = await take(q, 3);
    q.ack(got[0]!);
    await settle(250);
    expect(readFileSync(join(dir, 'COMMIT'), 'utf8')).toBe(`${got[0]!.seq} ${got[0]!.end}\n`);
    expect(existsSync(join(dir, segName(got[0]!.seq)))).toBe(true);
  });
});

test('restarts that queue nothing leave no empty segment files behind', async () => {
  for (let i = 0; i < 5; i++) await (await open()).close();
  expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).length).toBe(1);
  const q = await open();
  fill(q, 3);
  expect(names(await take(q, 3))).toEqual(range(0, 3));
});
