// zone mqueue_priorities: an offline session's queue lets higher priorities out first,
// and max_mqueue_len bounds each priority on its own (EMQX 4.3 emqx_mqueue).
import { startBroker, connect, closeAll, collect, waitFor, type TestBroker } from './helpers';

let b: TestBroker;
beforeAll(async () => {
  b = await startBroker({ zone: { mqueuePriorities: { 'pr/hi': 10, 'pr/mid': 8 }, mqueueDefaultPriority: 'lowest', maxMqueueLen: 2 } });
});
afterEach(closeAll);
afterAll(() => b.stop());

async function offline(clientId: string, v: 4 | 5) {
  const opts = v === 5 ? { protocolVersion: v, clientId, clean: false, properties: { sessionExpiryInterval: 60 } } : { protocolVersion: v, clientId, clean: false };
  const c = await connect(b.url, opts);
  await c.subscribeAsync('pr/#', { qos: 1 });
  await c.endAsync();
  await waitFor(() => b.node.cm.sessions.get(clientId)?.outlet === undefined, 3000, 'offline');
  return opts;
}

async function publish(list: string[]) {
  const p = await connect(b.url);
  for (const t of list) await p.publishAsync(`pr/${t.replace(/\d+$/, '')}`, t, { qos: 1 });
}

test('on reconnect the queued messages come out higher priority first (v5 expiry)', async () => {
  const opts = await offline('pr-order', 5);
  await publish(['lo1', 'mid1', 'hi1', 'lo2', 'mid2', 'hi2']);
  await waitFor(() => b.node.cm.sessions.get('pr-order')!.mqueue.length === 6, 3000, 'queued');
  const back = await connect(b.url, opts);
  const got = collect(back);
  await waitFor(() => got.length === 6, 3000, 'delivery');
  expect(got.map((m) => m.payload)).toEqual(['hi1', 'hi2', 'mid1', 'mid2', 'lo1', 'lo2']);
});

test('a full priority drops its own oldest; the other priorities keep theirs (v3.1.1 clean=false)', async () => {
  const opts = await offline('pr-full', 4);
  await publish(['lo1', 'lo2', 'lo3', 'hi1', 'hi2', 'hi3', 'hi4']);
  const s = b.node.cm.sessions.get('pr-full')!;
  await waitFor(() => s.mqueue.dropped === 3, 3000, 'drops');
  expect(s.mqueue.length).toBe(4);
  const back = await connect(b.url, opts);
  const got = collect(back);
  await waitFor(() => got.length === 4, 3000, 'delivery');
  expect(got.map((m) => m.payload)).toEqual(['hi3', 'hi4', 'lo2', 'lo3']);
});
