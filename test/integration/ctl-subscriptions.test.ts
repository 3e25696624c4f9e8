// `emqx_ctl subscriptions add|del` over the real control socket: the same path as
// SUBSCRIBE (mountpoint, session.subscribed with the routed filter, so retained messages arrive) and
// UNSUBSCRIBE (session.unsubscribed, no more deliveries).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultZone } from '@nemq/kernel';
import { startBroker, connect, closeAll, collect, waitFor, ROOT, type TestBroker } from './helpers';

const run = promisify(execFile);
let dir: string;
let b: TestBroker;
let plainUrl: string;
let mountedUrl: string;
const calls: Array<[string, string, string, unknown]> = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-ctl-subs-'));
  b = await startBroker({
    ctlSocket: join(dir, 'ctl.sock'),
    zones: { plain: defaultZone('plain'), mounted: defaultZone('mounted', { mountpoint: 'dev/%c/' }), default: defaultZone('default') },
    listeners: [
      { proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'plain', maxConnections: 1000 },
      { proto: 'tcp', name: 'mounted', host: '127.0.0.1', port: 0, zone: 'mounted', maxConnections: 1000 },
    ],
  });
  plainUrl = `mqtt://127.0.0.1:${b.node.listeners[0]!.port}`;
  mountedUrl = `mqtt://127.0.0.1:${b.node.listeners[1]!.port}`;
  calls.length = 0;
  b.node.tap('test', 'session.subscribed', (ci: { clientid: string }, topic: string, opts: { is_new?: boolean }) => {
    calls.push(['subscribed', ci.clientid, topic, opts.is_new]);
  });
  b.node.tap('test', 'session.unsubscribed', (ci: { clientid: string }, topic: string) => {
    calls.push(['unsubscribed', ci.clientid, topic, undefined]);
  });
});
afterEach(async () => {
  await closeAll();
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** bin/emqx_ctl against this node's control socket */
const ctl = async (...args: string[]): Promise<string> =>
  (await run(process.execPath, [join(ROOT, 'bin/emqx_ctl'), ...args], { env: { ...process.env, EMQX_NODE__DATA_DIR: dir } })).stdout;

test('subscriptions add delivers the retained message and later publishes; del stops delivery', async () => {
  const pub = await connect(plainUrl, { clientId: 'ctl-pub' });
  await pub.publishAsync('r/1', 'kept', { qos: 1, retain: true });
  const sub = await connect(plainUrl, { clientId: 'ctl-sub', protocolVersion: 5 });
  const got = collect(sub);
  await sub.subscribeAsync('sentinel', { qos: 1 });

  expect(await ctl('subscriptions', 'add', 'ctl-sub', 'r/#', '1')).toBe('ok\n');
  await waitFor(() => got.some((m) => m.topic === 'r/1'), 3000, 'the retained message');
  const retained = got.find((m) => m.topic === 'r/1')!;
  expect(retained.payload).toBe('kept');
  expect(retained.packet.retain).toBe(true);
  expect(calls).toContainEqual(['subscribed', 'ctl-sub', 'r/#', true]);
  expect(await ctl('subscriptions', 'show', 'ctl-sub')).toContain('ctl-sub -> r/#:1');

  await pub.publishAsync('r/2', 'live', { qos: 1 });
  await waitFor(() => got.some((m) => m.topic === 'r/2'), 3000, 'a later publish');
  expect(got.find((m) => m.topic === 'r/2')!.packet.qos).toBe(1);

  expect(await ctl('subscriptions', 'del', 'ctl-sub', 'r/#')).toBe('ok\n');
  expect(calls).toContainEqual(['unsubscribed', 'ctl-sub', 'r/#', undefined]);
  await pub.publishAsync('r/3', 'gone', { qos: 1 });
  await pub.publishAsync('sentinel', 'after', { qos: 1 });
  await waitFor(() => got.some((m) => m.topic === 'sentinel'), 3000, 'the sentinel');
  expect(got.map((m) => m.topic)).not.toContain('r/3');
  expect(await ctl('subscriptions', 'del', 'ctl-sub', 'r/#')).toBe('Not Found.\n');
});

test('subscriptions add puts the client mountpoint in front; the client sees its own topics and only its retained messages', async () => {
  const pub = await connect(plainUrl, { clientId: 'mp-pub' });
  await pub.publishAsync('t/r', 'not yours', { qos: 1, retain: true });
  await pub.publishAsync('dev/mp-sub/t/r', 'yours', { qos: 1, retain: true });
  const sub = await connect(mountedUrl, { clientId: 'mp-sub' });
  const got = collect(sub);

  expect(await ctl('subscriptions', 'add', 'mp-sub', 't/#', '1')).toBe('ok\n');
  expect(await ctl('routes', 'list')).toContain('dev/mp-sub/t/# -> ');
  // hooks see the filter as routed, as in EMQX
  expect(calls).toContainEqual(['subscribed', 'mp-sub', 'dev/mp-sub/t/#', true]);
  await waitFor(() => got.length > 0, 3000, 'the retained message under the mountpoint');
  await pub.publishAsync('t/outside', 'no', { qos: 1 });
  await pub.publishAsync('dev/mp-sub/t/1', 'yes', { qos: 1 });
  await waitFor(() => got.length > 1, 3000, 'a delivery under the mountpoint');
  expect(got.map((m) => [m.topic, m.payload, m.packet.retain])).toEqual([['t/r', 'yours', true], ['t/1', 'yes', false]]);

  expect(await ctl('subscriptions', 'del', 'mp-sub', 't/#')).toBe('ok\n');
  expect(calls).toContainEqual(['unsubscribed', 'mp-sub', 'dev/mp-sub/t/#', undefined]);
  expect(await ctl('routes', 'list')).not.toContain('dev/mp-sub/t/#');
  await sub.subscribeAsync('s', { qos: 1 });
  await pub.publishAsync('dev/mp-sub/t/2', 'gone', { qos: 1 });
  await pub.publishAsync('dev/mp-sub/s', 'after', { qos: 1 });
  await waitFor(() => got.some((m) => m.topic === 's'), 3000, 'the sentinel');
  expect(got.map((m) => m.topic)).toEqual(['t/r', 't/1', 's']);
});

test('a client under a mountpoint gets the retained messages of its own topics on SUBSCRIBE', async () => {
  const pub = await connect(plainUrl, { clientId: 'mp-pub2' });
  await pub.publishAsync('u/r', 'not yours', { qos: 1, retain: true });
  await pub.publishAsync('dev/mp-sub2/u/r', 'yours', { qos: 1, retain: true });
  const sub = await connect(mountedUrl, { clientId: 'mp-sub2', protocolVersion: 5 });
  const got = collect(sub);
  await sub.subscribeAsync('u/#', { qos: 1 });
  await sub.subscribeAsync('sentinel', { qos: 1 });
  await pub.publishAsync('dev/mp-sub2/sentinel', 'x', { qos: 1 });
  await waitFor(() => got.some((m) => m.topic === 'sentinel'), 3000, 'the sentinel');
  expect(got.map((m) => [m.topic, m.payload])).toEqual([['u/r', 'yours'], ['sentinel', 'x']]);
});
