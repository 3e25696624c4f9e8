// Compile-time tests of the plugin contract: `tsc -p packages/sdk/test/types` must pass, and every
// expect-error line must really be an error (tsc fails on an unused one).
import { definePlugin, HOOK_TABLE, type StopReason, type ClientInfo, type HookArgs, type Hooks, type Message } from '@nemq/sdk';

declare const hooks: Hooks;
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const yes = <T extends true>(): T => true as T;

// ---- arguments are typed from the point, in EMQX's order
hooks.tap('message.acked', (ci, msg) => {
  yes<Equal<typeof ci, ClientInfo>>();
  yes<Equal<typeof msg, Message>>();
});
hooks.tap('message.delivered', (ci, msg) => {
  const who: string = ci.clientid;
  return who ? msg : undefined;
});
// @ts-expect-error a swapped message.acked (message first) does not compile
hooks.tap('message.acked', (msg: Message, ci: ClientInfo) => void [msg, ci]);
// @ts-expect-error a swapped message.delivered does not compile
hooks.tap('message.delivered', (msg: Message, ci: ClientInfo) => (ci ? msg : msg));
// @ts-expect-error client.disconnected is (clientinfo, reason, conninfo)
hooks.tap('client.disconnected', (ci: ClientInfo, conn: { peername: string }, reason: string) => void [ci, conn, reason]);
// @ts-expect-error unknown hook point
hooks.tap('message.deliver', () => undefined);

// ---- results
hooks.tap('client.check_acl', async (_ci, pubsub, topic) => (pubsub === 'publish' && topic.startsWith('x/') ? 'deny' : undefined));
// @ts-expect-error check_acl decides with 'allow' | 'deny', not a boolean
hooks.tap('client.check_acl', () => true);
hooks.tap('client.authenticate', async (ci, acc) => (ci.username === 'admin' ? { ...acc, auth_result: 'success', is_superuser: true } : undefined));
// @ts-expect-error message.publish is synchronous: no promise on the hot path
hooks.tap('message.publish', async (msg) => msg);
hooks.tap('client.subscribe', (_ci, _props, filters) => filters.filter(([t]) => !t.startsWith('secret/')));
// @ts-expect-error the filters come last (EMQX's fold order)
hooks.tap('client.subscribe', (filters: Array<[string, object]>, ci: ClientInfo) => (ci ? filters : filters));

// ---- the runtime table names one argument per typed argument
yes<Equal<(typeof HOOK_TABLE)['client.connack']['args']['length'], HookArgs<'client.connack'>['length']>>();

// ---- ctx.config is typed from the schema
definePlugin({
  schema: {
    'x.server': { type: 'ipport', default: '127.0.0.1:3306' },
    'x.pool': { type: 'integer', default: '8' },
    'x.ssl': { type: 'boolean', default: 'off' },
    'x.hash': { type: 'enum', values: ['plain', 'md5'], default: 'plain' },
    'x.topics': { type: 'list', default: '' },
    'x.query': { type: 'string' },
    'x.timeout': { type: 'duration', required: true },
    'x.rule.$n.topic': { type: 'string' },
  },
  start(ctx) {
    yes<Equal<typeof ctx.config['x.server'], string>>();
    yes<Equal<typeof ctx.config['x.pool'], number>>();
    yes<Equal<typeof ctx.config['x.ssl'], boolean>>();
    yes<Equal<typeof ctx.config['x.hash'], 'plain' | 'md5'>>();
    yes<Equal<typeof ctx.config['x.topics'], readonly string[]>>();
    yes<Equal<typeof ctx.config['x.query'], string | undefined>>();
    yes<Equal<typeof ctx.config['x.timeout'], number>>();
    const pool: number = ctx.config['x.pool'];
    // @ts-expect-error a number is not a string
    const server: number = ctx.config['x.server'];
    // @ts-expect-error an optional key may be undefined
    const query: string = ctx.config['x.query'];
    const rule = ctx.config['x.rule.1.topic'];
    void [pool, server, query, rule];
  },
});

// ---- the handover state is typed from stop()
definePlugin({
  schema: {},
  start(ctx) {
    const count: number = ctx.handover?.state.count ?? 0;
    // @ts-expect-error the state has no field `pool`
    void ctx.handover?.state.pool;
    void count;
  },
  stop: () => ({ count: 1 }),
});

// ---- a stop with a typed parameter types the handover too
definePlugin({
  schema: {},
  start(ctx) {
    const n: number = ctx.handover?.state?.n ?? 0;
    void n;
  },
  stop: (reason: StopReason) => (reason === 'upgrade' ? { n: 1 } : undefined),
});
