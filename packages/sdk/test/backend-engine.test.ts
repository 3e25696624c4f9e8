import { backend, type ClientInfo, type Logger, type Message, type PluginContext, type SubOpts } from '../src/index';

type WriteOp = backend.WriteOp;
const quiet: Logger = { debug: () => undefined, info: () => undefined, warning: () => undefined, error: () => undefined };

/** the hooks of tapBackend with a pool whose store records what it is asked */
function setup(rules: Record<string, string>) {
  const taps: Record<string, (...a: unknown[]) => unknown> = {};
  const delivered: Array<[string, string, Message]> = [];
  const asked: string[] = [];
  const written: WriteOp[] = [];
  const stored: backend.StoredMessage = { msgid: 'M1', topic: 'a/b', sender: 's', node: 'n', qos: 1, retain: false, payload: Buffer.from('p'), arrived: 1 };
  const store: backend.BackendStore = {
    open: async () => undefined,
    write: async (b) => void written.push(...b),
    subscriptions: async (c) => (asked.push(`subs ${c}`), []),
    fetch: async (c, t) => (asked.push(`fetch ${c} ${t}`), [stored]),
    retained: async (t) => (asked.push(`retained ${t}`), [{ ...stored, retain: true }]),
    close: async () => undefined,
  };
  const ctx = {
    broker: { nodeName: 'emqx@127.0.0.1', deliverTo: (c: string, f: string, m: Message) => void delivered.push([c, f, m]) },
    hooks: { tap: (p: string, fn: (...a: unknown[]) => unknown) => void (taps[p] = fn) },
    admin: { call: async () => true },
    logger: quiet, signal: new AbortController().signal,
  } as unknown as PluginContext;
  const pool = new backend.BackendPool('p', store, { batchSize: 100, maxBuffer: 100, retryMin: 1, retryMax: 1 }, quiet);
  pool.start();
  backend.tapBackend(ctx, backend.parseBackendRules(rules, 'backend.x', { sql: true, pools: ['pool1'] }), new Map([['pool1', pool]]));
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  return { taps, delivered, asked, written, settle, pool };
}

const ci = { clientid: 'c1', username: 'u', peerhost: '127.0.0.1' } as ClientInfo;
const msg = (o: Partial<Message> = {}): Message => ({ id: 7, qos: 1, from: 'pub', flags: { retain: false, dup: false, sys: false }, topic: 't/1', payload: Buffer.from('x'), properties: undefined, timestamp: 1_700_000_000_000, headers: {}, ...o });
const opts = (o: Partial<SubOpts> = {}): SubOpts => ({ qos: 1, nl: 0, rap: 0, rh: 0, is_new: true, ...o });
const rule = (hook: string, fn: string, topic = '#'): Record<string, string> => ({ [`backend.x.hook.${hook}.1`]: JSON.stringify({ topic, action: { function: fn }, pool: 'pool1' }) });

describe('backend hooks', () => {
  test('on_message_publish: QoS 1/2 only; $SYS, dropped (allow_publish = false) and unmatched messages are not stored', async () => {
    const h = setup(rule('message.publish', 'on_message_publish', 't/#'));
    const pub = h.taps['message.publish']!;
    pub(msg({ qos: 0 }));
    pub(msg({ flags: { retain: false, dup: false, sys: true } }));
    pub(msg({ headers: { allow_publish: false } }));
    pub(msg({ topic: 'u/1' }));
    pub(msg({ qos: 2, payload: Buffer.from('kept') }));
    await h.settle();
    expect(h.written.map((o) => o.kind)).toEqual(['message']);
    expect((h.written[0] as { m: backend.StoredMessage }).m).toMatchObject({ topic: 't/1', sender: 'pub', node: 'emqx@127.0.0.1', qos: 2, payload: Buffer.from('kept') });
    await h.pool.stop(100);
  });

  test('on_message_store stores QoS 0 too; on_message_retain / on_retain_delete by payload', async () => {
    const h = setup({ ...rule('message.publish', 'on_message_store'), 'backend.x.hook.message.publish.2': '{"action": {"function": "on_message_retain"}}', 'backend.x.hook.message.publish.3': '{"action": {"function": "on_retain_delete"}}' });
    const pub = h.taps['message.publish']!;
    pub(msg({ qos: 0 }));
    pub(msg({ flags: { retain: true, dup: false, sys: false } }));
    pub(msg({ flags: { retain: true, dup: false, sys: false }, payload: Buffer.alloc(0) }));
    await h.settle();
    expect(h.written.map((o) => o.kind)).toEqual(['message', 'message', 'retain', 'message', 'retain_delete']);
    await h.pool.stop(100);
  });

  test('on_retain_lookup honours retain handling; wildcard and shared subscriptions are not looked up', async () => {
    const h = setup({ ...rule('session.subscribed', 'on_retain_lookup'), 'backend.x.hook.session.subscribed.2': '{"topic": "#", "action": {"function": "on_message_fetch"}}' });
    const sub = h.taps['session.subscribed']!;
    sub(ci, 'a/b', opts({ rh: 2 }));
    sub(ci, 'a/c', opts({ rh: 1, is_new: false }));
    sub(ci, 'a/+', opts());
    sub(ci, 'a/d', opts({ share: 'g' }));
    sub(ci, 'a/e', opts({ rh: 1, is_new: true }));
    await h.settle();
    expect(h.asked).toEqual(['fetch c1 a/b', 'fetch c1 a/c', 'retained a/e', 'fetch c1 a/e']);
    // the retained one with the retain flag, the fetched ones without; each keeps its stored msgid
    const retained = h.delivered.filter(([, , m]) => m.flags.retain);
    expect(retained.map(([c, f]) => `${c} ${f}`)).toEqual(['c1 a/e']);
    expect(h.delivered.every(([, , m]) => backend.msgidOf(m) === 'M1')).toBe(true);
    await h.pool.stop(100);
  });

  test('on_message_acked: the receiver, the message topic and its msgid; SQL actions get the hook values', async () => {
    const h = setup({ ...rule('message.acked', 'on_message_acked'), 'backend.x.hook.client.disconnected.1': '{"action": {"sql": ["insert into d values(${clientid}, ${reason})"]}}' });
    const m = msg();
    h.taps['message.acked']!(ci, m);
    h.taps['client.disconnected']!(ci, 'normal', {});
    await h.settle();
    expect(h.written[0]).toEqual({ kind: 'acked', clientid: 'c1', topic: 't/1', msgid: backend.msgidOf(m) });
    expect(h.written[1]).toMatchObject({ kind: 'sql', vars: { clientid: 'c1', reason: 'normal', username: 'u', node: 'emqx@127.0.0.1' } });
    await h.pool.stop(100);
  });
});
