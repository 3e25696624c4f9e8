import { backend, type Logger, type Message } from '../src/index';

const { BackendPool, StoreError, msgidOf, storedToMessage } = backend;
type WriteOp = backend.WriteOp;

const quiet: Logger = { debug: () => undefined, info: () => undefined, warning: () => undefined, error: () => undefined };
const op = (n: number): WriteOp => ({ kind: 'retain_delete', topic: `t/${n}` });
const topicOf = (o: WriteOp): string => (o as { topic: string }).topic;

/** a store whose writes are answered by the test */
class FakeStore implements backend.BackendStore {
  batches: WriteOp[][] = [];
  written: string[] = [];
  /** what the next write does: undefined = succeed */
  fail: ((batch: readonly WriteOp[]) => Error | undefined) | undefined;
  gate: Promise<void> | undefined;
  closed = false;
  async open(): Promise<void> {}
  async write(batch: readonly WriteOp[]): Promise<void> {
    this.batches.push([...batch]);
    if (this.gate) await this.gate;
    const e = this.fail?.(batch);
    if (e) throw e;
    this.written.push(...batch.map(topicOf));
  }
  async subscriptions(): Promise<Array<{ topic: string; qos: 0 | 1 | 2 }>> {
    throw new StoreError('down', true);
  }
  async fetch(): Promise<backend.StoredMessage[]> {
    return [];
  }
  async retained(): Promise<backend.StoredMessage[]> {
    return [];
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error('condition not met');
}

const opts = { batchSize: 100, maxBuffer: 1000, retryMin: 1, retryMax: 4 };

describe('backend pool: bounded buffer, batches, retry', () => {
  test('writes that gather while a batch is written go together in the next batch, in order', async () => {
    const s = new FakeStore();
    let open!: () => void;
    s.gate = new Promise((r) => (open = r));
    const p = new BackendPool('p', s, opts, quiet);
    p.start();
    p.enqueue(op(0));
    await until(() => s.batches.length === 1);
    for (let i = 1; i <= 250; i++) p.enqueue(op(i));
    s.gate = undefined;
    open();
    await until(() => s.written.length === 251);
    expect(s.batches.map((b) => b.length)).toEqual([1, 100, 100, 50]);
    expect(s.written).toEqual(Array.from({ length: 251 }, (_, i) => `t/${i}`));
    expect(p.stats).toMatchObject({ enqueued: 251, written: 251, batches: 4, dropped: 0 });
    await p.stop(100);
    expect(s.closed).toBe(true);
  });

  test('the database unreachable: the batch is kept and written again after a backoff; the oldest past max_buffer are dropped and counted', async () => {
    const s = new FakeStore();
    let down = true;
    s.fail = () => (down ? new StoreError('ECONNREFUSED', true) : undefined);
    const p = new BackendPool('p', s, { ...opts, maxBuffer: 5 }, quiet);
    p.start();
    for (let i = 0; i < 8; i++) p.enqueue(op(i));
    await until(() => p.stats.retries >= 2);
    expect(p.stats.status).toBe('disconnected');
    expect(p.stats.dropped).toBe(3);
    down = false;
    await until(() => s.written.length === 5);
    expect(s.written).toEqual(['t/3', 't/4', 't/5', 't/6', 't/7']);
    expect(p.stats).toMatchObject({ status: 'connected', dropped: 3, written: 5, failed: 0 });
    await p.stop(100);
  });

  test('a batch the database refuses is written one by one: only the bad write is lost, counted as failed', async () => {
    const s = new FakeStore();
    s.fail = (b) => (b.some((o) => topicOf(o) === 't/2') ? new StoreError('syntax error', false) : undefined);
    const p = new BackendPool('p', s, opts, quiet);
    p.start();
    let open!: () => void;
    s.gate = new Promise((r) => (open = r));
    p.enqueue(op(0));
    await until(() => s.batches.length === 1);
    for (let i = 1; i < 5; i++) p.enqueue(op(i));
    s.gate = undefined;
    open();
    await until(() => s.written.length === 4);
    expect(s.written).toEqual(['t/0', 't/1', 't/3', 't/4']);
    expect(p.stats).toMatchObject({ failed: 1, last_error: 'syntax error' });
    await p.stop(100);
  });

  test('stop flushes what is buffered; past the time limit the rest is dropped and counted', async () => {
    const s = new FakeStore();
    const p = new BackendPool('p', s, opts, quiet);
    p.start();
    for (let i = 0; i < 3; i++) p.enqueue(op(i));
    await p.stop(1000);
    expect(s.written).toEqual(['t/0', 't/1', 't/2']);
    p.enqueue(op(9));
    expect(p.stats.enqueued).toBe(3);

    const hung = new FakeStore();
    hung.gate = new Promise(() => undefined);
    const q = new BackendPool('q', hung, opts, quiet);
    q.start();
    q.enqueue(op(0));
    await until(() => hung.batches.length === 1);
    q.enqueue(op(1));
    q.enqueue(op(2));
    await q.stop(20);
    expect(q.stats).toMatchObject({ status: 'stopped', dropped: 2 });
    expect(hung.closed).toBe(true);
  });

  test('a failed lookup is counted and answers undefined', async () => {
    const s = new FakeStore();
    const warned: string[] = [];
    const p = new BackendPool('p', s, opts, { ...quiet, warning: (m) => void warned.push(m) });
    expect(await p.read('subscription lookup of c1', (st) => st.subscriptions('c1'))).toBeUndefined();
    expect(p.stats).toMatchObject({ lookups: 1, lookup_errors: 1 });
    expect(warned).toEqual(['p: subscription lookup of c1 failed: down']);
  });
});

describe('message ids', () => {
  const msg = (id: number, ts: number): Message => ({ id, qos: 1, from: 'c', flags: { retain: false, dup: false, sys: false }, topic: 't', payload: Buffer.from('x'), properties: undefined, timestamp: ts, headers: {} });

  test('32 hex digits that sort by time, distinct per message', () => {
    const a = msgidOf(msg(1, 1_700_000_000_000));
    const b = msgidOf(msg(2, 1_700_000_000_000));
    const c = msgidOf(msg(1, 1_700_000_000_001));
    expect(a).toMatch(/^[0-9A-F]{32}$/);
    expect(new Set([a, b, c]).size).toBe(3);
    expect([c, b, a].sort()).toEqual([a, b, c]);
    expect(msgidOf(msg(1, 1_700_000_000_000))).toBe(a);
  });

  test('a stored message delivered again keeps its msgid (its acknowledgement moves the right mark)', () => {
    const m = storedToMessage({ msgid: 'ABC', topic: 't', sender: 's', node: 'n', qos: 2, retain: true, payload: Buffer.from('p'), arrived: 5 }, true);
    expect(msgidOf(m)).toBe('ABC');
    expect(m).toMatchObject({ qos: 2, from: 's', topic: 't', timestamp: 5, flags: { retain: true }, headers: { retained: true } });
  });
});
