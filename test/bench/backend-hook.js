// Cost of the backend plugins on the message path: the message.publish tap of the shared layer
// (packages/sdk/src/backend) with the shipped rules (store, retain, retain delete), a pool whose
// store answers at once. Build first (npx tsc -b tsconfig.json), then: node test/bench/backend-hook.js
const { backend } = require('../../packages/sdk/dist/index.js');
const taps = {};
const ctx = { broker: { nodeName: 'emqx@127.0.0.1', deliverTo() {} }, hooks: { tap: (p, fn) => (taps[p] = fn) }, admin: { call: async () => true }, logger: { debug() {}, info() {}, warning() {}, error() {} }, signal: new AbortController().signal, ctl() {}, onDispose() {} };
const store = { open: async () => {}, write: async () => {}, subscriptions: async () => [], fetch: async () => [], retained: async () => [], close: async () => {} };
const pool = new backend.BackendPool('p', store, { batchSize: 1000, maxBuffer: 1e7, retryMin: 1, retryMax: 1 }, ctx.logger);
pool.start();
const rules = backend.parseBackendRules({
  'backend.x.hook.message.publish.1': '{"topic": "t/#", "action": {"function": "on_message_publish"}, "pool": "pool1"}',
  'backend.x.hook.message.publish.2': '{"topic": "#", "action": {"function": "on_message_retain"}, "pool": "pool1"}',
  'backend.x.hook.message.publish.3': '{"topic": "#", "action": {"function": "on_retain_delete"}, "pool": "pool1"}',
}, 'backend.x', { sql: true, pools: ['pool1'] });
backend.tapBackend(ctx, rules, new Map([['pool1', pool]]));
const tap = taps['message.publish'];
const mk = (i) => ({ id: i, qos: 1, from: 'c', flags: { retain: false, dup: false, sys: false }, topic: 't/a/b', payload: Buffer.from('hello'), properties: undefined, timestamp: Date.now(), headers: {} });
const msgs = Array.from({ length: 1000 }, (_, i) => mk(i));
(async () => {
  for (let round = 0; round < 5; round++) {
    const N = 200000;
    const t0 = process.hrtime.bigint();
    let spent = 0n;
    for (let c = 0; c < N / 1000; c++) { const t = process.hrtime.bigint(); for (let i = 0; i < 1000; i++) tap(msgs[i]); spent += process.hrtime.bigint() - t; await new Promise((r) => setImmediate(r)); }
    const ns = Number(spent) / N;
    await new Promise((r) => setTimeout(r, 50));
    console.log(`round ${round}: ${ns.toFixed(0)} ns per message (3 rules, 1 stored write)`);
  }
  await pool.stop(1000);
})();
