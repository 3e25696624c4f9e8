// The hook registry: taps run in EMQX's argument order, errors are isolated and counted per
// owner and point, and removing an owner takes its taps off the live hooks.
import { HOOK_POINTS, HOOK_TABLE, type ClientInfo, type TopicFilters } from '@nemq/sdk';
import { HookRegistry, orderRank } from '../../src/hooks/registry';
import { callNames } from '../../src/hooks/hookpoints';
import { Message } from '../../src/types';
import { createLogger } from '../../src/logger';

const ci = { clientid: 'c1', username: 'u1' } as ClientInfo;
const msg = (topic = 't'): Message => new Message(1, 0, 'c1', { retain: false, dup: false, sys: false }, topic, Buffer.from('x'), undefined, 0);

function registry(): { reg: HookRegistry; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger('debug', (l: string) => void lines.push(l));
  return { reg: new HookRegistry(logger), lines };
}

test('every SDK hook point is a live kernel hook of the declared kind, named in call order', () => {
  const { reg } = registry();
  for (const p of HOOK_POINTS) {
    const h = reg.hooks[p] as unknown as { call?: unknown; promise: unknown; isUsed(): boolean };
    expect(h.isUsed()).toBe(false);
    expect(typeof h.call === 'function').toBe(!HOOK_TABLE[p].async);
    expect(callNames(p)).toHaveLength(HOOK_TABLE[p].args.length);
  }
  expect(callNames('message.delivered')).toEqual(['message', 'clientinfo']);
  expect(callNames('client.subscribe')).toEqual(['filters', 'clientinfo', 'props']);
});

test('message.delivered and message.acked both hand the tap (clientinfo, message)', () => {
  const { reg } = registry();
  const seen: unknown[][] = [];
  reg.tap('p', 'message.delivered', (c, m) => {
    seen.push([c, m]);
    return m;
  });
  reg.tap('p', 'message.acked', (c, m) => void seen.push([c, m]));
  const m = msg();
  expect(reg.hooks['message.delivered'].call(m, ci)).toBe(m);
  reg.hooks['message.acked'].call(ci, m);
  expect(seen).toEqual([[ci, m], [ci, m]]);
});

test('a fold tap gets the accumulator last and its result is threaded to the next tap', () => {
  const { reg } = registry();
  const filters: TopicFilters = [['a/#', { qos: 1, nl: 0, rap: 0, rh: 0 }], ['secret/x', { qos: 0, nl: 0, rap: 0, rh: 0 }]];
  const got: unknown[] = [];
  reg.tap('p1', 'client.subscribe', (c, props, fs) => {
    got.push(c, props);
    return fs.filter(([t]) => !t.startsWith('secret/'));
  });
  reg.tap('p2', 'client.subscribe', (_c, _props, fs) => fs.map(([t, o]) => [t, { ...o, qos: 0 }] as [string, typeof o]));
  const out = reg.hooks['client.subscribe'].call(filters, ci, { subscriptionIdentifier: 3 });
  expect(got).toEqual([ci, { subscriptionIdentifier: 3 }]);
  expect(out).toEqual([['a/#', { qos: 0, nl: 0, rap: 0, rh: 0 }]]);
});

test('an async fold (client.connect) gets (conninfo, props) and may reject with an error code', async () => {
  const { reg } = registry();
  reg.tap('p', 'client.connect', async (conn, props) => (conn.clientid === 'bad' ? { error: 0x87 } : { ...props, seen: true }));
  const conn = { clientid: 'ok' } as never;
  await expect(reg.hooks['client.connect'].promise({ a: 1 }, conn)).resolves.toEqual({ a: 1, seen: true });
  await expect(reg.hooks['client.connect'].promise({}, { clientid: 'bad' } as never)).resolves.toEqual({ error: 0x87 });
});

test('a throwing tap is skipped, counted per owner and point, and logged once with its stack', () => {
  const { reg, lines } = registry();
  reg.tap('bad', 'message.publish', () => {
    throw new Error('boom');
  });
  reg.tap('good', 'message.publish', (m) => {
    m.headers.seen = true;
    return m;
  });
  for (let i = 0; i < 3; i++) expect(reg.hooks['message.publish'].call(msg()).headers.seen).toBe(true);
  expect(reg.errorCounts('bad')).toEqual(new Map([['message.publish', 3]]));
  expect(reg.errorCounts('good').size).toBe(0);
  const errors = lines.filter((l) => l.includes('[error]') && l.includes('tap of bad'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/boom[\s\S]*registry\.test/);
});

test('removing an owner takes its taps off the live hooks and keeps the others', () => {
  const { reg } = registry();
  const calls: string[] = [];
  reg.tap('a', 'client.connected', () => void calls.push('a'));
  reg.tap('b', 'client.connected', () => void calls.push('b'));
  reg.tap('a', 'session.created', () => void calls.push('a-created'));
  reg.removeOwner('a');
  reg.hooks['client.connected'].call(ci, {} as never);
  expect(calls).toEqual(['b']);
  expect(reg.hooks['session.created'].isUsed()).toBe(false);
  reg.removeOwner('b');
  expect(reg.hooks['client.connected'].isUsed()).toBe(false);
});

test('stages order taps across owners (lower first)', () => {
  const { reg } = registry();
  const order: string[] = [];
  reg.tap('late', 'message.publish', (m) => void order.push('late') ?? m, { stage: 10 });
  reg.tap('early', 'message.publish', (m) => void order.push('early') ?? m, { stage: -10 });
  reg.hooks['message.publish'].call(msg());
  expect(order).toEqual(['early', 'late']);
});

test('an unknown point is refused', () => {
  const { reg } = registry();
  expect(() => reg.tap('p', 'message.deliver' as never, () => undefined)).toThrow(/unknown hook point/);
});

test('auth_order puts the listed plugins first, in list order, the rest after in tap order', async () => {
  const { reg } = registry();
  reg.setOrder('client.authenticate', ['jwt', 'mysql']);
  const order: string[] = [];
  for (const owner of ['emqx_auth_redis', 'emqx_auth_mysql', 'emqx_auth_http', 'emqx_auth_jwt']) {
    reg.tap(owner, 'client.authenticate', () => void order.push(owner));
  }
  await reg.hooks['client.authenticate'].promise(ci, { auth_result: 'success', anonymous: true });
  expect(order).toEqual(['emqx_auth_jwt', 'emqx_auth_mysql', 'emqx_auth_redis', 'emqx_auth_http']);
  // the order survives an owner going away and coming back
  reg.removeOwner('emqx_auth_jwt');
  reg.tap('emqx_auth_jwt', 'client.authenticate', () => void order.push('emqx_auth_jwt'));
  order.length = 0;
  await reg.hooks['client.authenticate'].promise(ci, { auth_result: 'success', anonymous: true });
  expect(order).toEqual(['emqx_auth_jwt', 'emqx_auth_mysql', 'emqx_auth_redis', 'emqx_auth_http']);
});

test('acl_order names: short names, postgres/mongodb aliases, full names; unlisted rank last', () => {
  const names = ['postgres', 'mongodb', 'emqx_auth_http'];
  expect(orderRank(names, 'emqx_auth_pgsql')).toBe(0);
  expect(orderRank(names, 'emqx_auth_mongo')).toBe(1);
  expect(orderRank(names, 'emqx_auth_http')).toBe(2);
  expect(orderRank(names, 'emqx_auth_redis')).toBe(3);
});
