// emqx_bridge_mqtt end to end: a real Mosquitto as the remote broker, nemq nodes with the
// plugin loaded from plugins/emqx_bridge_mqtt/dist (build first), real mqtt.js clients on
// both sides.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createBroker, createLogger, defaultZone, type BrokerNode } from '@nemq/kernel';
import { requireServices, startService, type Service } from '../../../test/services/index';

jest.setTimeout(60_000);
requireServices('mosquitto');

const ROOT = join(__dirname, '../../..');
const NAME = 'emqx_bridge_mqtt';
const NODE = 'emqx@127.0.0.1';

let mosq: Service;
let remoteUrl: string;
let remoteAddr: string;
let work: string;
let pluginsDir: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'plugins', NAME, 'dist/index.js'))) throw new Error('build first: npx tsc -b tsconfig.json');
  mosq = await startService('mosquitto');
  remoteUrl = mosq.env.MQTT_URL!;
  remoteAddr = `${mosq.env.MQTT_HOST}:${mosq.env.MQTT_PORT}`;
  work = mkdtempSync(join(tmpdir(), 'nemq-bridge-e2e-'));
  // only this plugin is discoverable by the test nodes
  pluginsDir = join(work, 'plugins');
  mkdirSync(pluginsDir);
  symlinkSync(join(ROOT, 'plugins', NAME), join(pluginsDir, NAME));
});

afterAll(async () => {
  await mosq?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

// ---- helpers ------------------------------------------------------------------------------

interface TestNode {
  node: BrokerNode;
  url: string;
  dir: string;
  ctl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}
const nodes: TestNode[] = [];
const clients: MqttClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
  for (const n of nodes.splice(0)) await n.stop();
});

let seq = 0;
async function startNode(conf: string, dir = mkdtempSync(join(work, 'node-'))): Promise<TestNode> {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc', `${NAME}.conf`), conf);
  const zone = defaultZone('external');
  const node = await createBroker({
    nodeName: NODE,
    sysInterval: 0,
    sysHeartbeat: 0,
    logger: createLogger('none'),
    zones: { external: zone, default: zone },
    listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000 }],
    plugins: { dirs: [pluginsDir], etcDir: join(dir, 'etc'), loadedFile: join(dir, 'data/loaded_plugins'), dataDir: join(dir, 'data') },
  });
  await node.plugins!.load(NAME);
  let stopped = false;
  const t: TestNode = {
    node,
    dir,
    url: `mqtt://127.0.0.1:${node.listeners[0]!.port}`,
    ctl: async (...args) => (await node.ctl.run(args)).output,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      nodes.splice(nodes.indexOf(t), 1);
      await node.stop();
    },
  };
  nodes.push(t);
  return t;
}

/** conf lines for bridge NAME (defaults suited to tests), plus extra `key = value` lines */
function bridgeConf(name: string, extra: Record<string, string | number> = {}): string {
  const base: Record<string, string | number> = {
    address: remoteAddr,
    proto_ver: 'mqttv4',
    start_type: 'auto',
    clientid: `bridge_${name}_${++seq}`,
    clean_start: 'true',
    username: 'test',
    password: 'test',
    keepalive: '60s',
    reconnect_interval: '1s',
    max_inflight_size: 32,
    ...extra,
  };
  return Object.entries(base)
    .map(([k, v]) => `bridge.mqtt.${name}.${k} = ${v}\n`)
    .join('');
}

function connect(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

type Got = Array<{ topic: string; payload: string; qos: number; retain: boolean }>;
function collect(c: MqttClient): Got {
  const got: Got = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
  return got;
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const running = (n: TestNode, name: string) => waitFor(async () => (await n.ctl('bridges', 'list')).includes(`name: ${name}     status: Running`), 8000, `${name} Running`);
/** mosquitto_sub on the remote: resolves with N lines "topic qos payload" */
async function remoteSubscriber(filter: string, n: number, ms = 30_000): Promise<{ done: Promise<string[]> }> {
  const p = spawn('mosquitto_sub', ['-h', mosq.env.MQTT_HOST!, '-p', mosq.env.MQTT_PORT!, '-q', '1', '-t', filter, '-C', String(n), '-F', '%t %q %p', '-i', `sub_${++seq}`]);
  let out = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<string[]>((resolve, reject) => {
    const t = setTimeout(() => {
      p.kill();
      reject(new Error(`mosquitto_sub got ${out.split('\n').length - 1} of ${n}`));
    }, ms);
    p.on('exit', () => {
      clearTimeout(t);
      resolve(out.split('\n').filter((l) => l.length > 0));
    });
  });
  // subscribed once Mosquitto logs the SUBSCRIBE of that client
  const id = `sub_${seq}`;
  await waitFor(() => mosqLog().includes(`${id} 1 ${filter}`) || mosqLog().includes(`Received SUBSCRIBE from ${id}`), 5000, 'mosquitto_sub to subscribe');
  await sleep(50);
  return { done };
}
const mosqLog = () => readFileSync(join(mosq.dir, 'mosquitto.log'), 'utf8');

// ---- tests ------------------------------------------------------------------------------------

test('local -> remote: forwards topics arrive on Mosquitto under forward_mountpoint with ${node} expanded, keeping QoS and retain', async () => {
  const n = await startNode(bridgeConf('aws', { forwards: 'sensor/#,alarm/+', forward_mountpoint: 'bridge/aws/${node}/' }));
  await running(n, 'aws');
  const remote = await connect(remoteUrl);
  const got = collect(remote);
  await remote.subscribeAsync('bridge/#', { qos: 2 });
  const local = await connect(n.url);
  await local.publishAsync('sensor/1/temp', '21.5', { qos: 1 });
  await local.publishAsync('alarm/door', 'open', { qos: 0 });
  await local.publishAsync('other/x', 'not forwarded', { qos: 1 });
  await local.publishAsync('sensor/2/retained', 'kept', { qos: 1, retain: true });
  await waitFor(() => got.length >= 3, 5000, 'forwarded messages');
  await sleep(200);
  const mp = `bridge/aws/${NODE}/`;
  expect(got.map(({ topic, payload, qos }) => ({ topic, payload, qos }))).toEqual([
    { topic: `${mp}sensor/1/temp`, payload: '21.5', qos: 1 },
    { topic: `${mp}alarm/door`, payload: 'open', qos: 0 },
    { topic: `${mp}sensor/2/retained`, payload: 'kept', qos: 1 },
  ]);
  // the retain flag went along: Mosquitto keeps it and gives it to a later subscriber
  const late = await connect(remoteUrl);
  const lateGot = collect(late);
  await late.subscribeAsync(`${mp}sensor/#`, { qos: 1 });
  await waitFor(() => lateGot.length === 1, 3000, 'retained on the remote');
  expect(lateGot[0]).toMatchObject({ topic: `${mp}sensor/2/retained`, payload: 'kept', retain: true });
  await late.publishAsync(`${mp}sensor/2/retained`, '', { qos: 1, retain: true }); // clean up
});

test('remote -> local: subscription.N topics are subscribed on Mosquitto and published locally under receive_mountpoint; not bridged back', async () => {
  const n = await startNode(
    bridgeConf('aws', {
      'subscription.1.topic': 'cmd/#',
      'subscription.1.qos': 1,
      'subscription.2.topic': 'cfg/+',
      receive_mountpoint: 'receive/aws/',
      // the imported topics match forwards too: EMQX relies on mountpoints against loops,
      // nemq also never re-exports what the same bridge imported
      forwards: 'receive/#',
    }),
  );
  await running(n, 'aws');
  const local = await connect(n.url, { protocolVersion: 5 });
  const got = collect(local);
  await local.subscribeAsync('receive/#', { qos: 2 });
  const remoteWatch = await connect(remoteUrl);
  const echoed = collect(remoteWatch);
  await remoteWatch.subscribeAsync('receive/#', { qos: 1 });
  const remote = await connect(remoteUrl);
  await remote.publishAsync('cmd/light/on', 'ON', { qos: 1 });
  await remote.publishAsync('cfg/rate', '5', { qos: 1 });
  await remote.publishAsync('ignored/x', 'no', { qos: 1 });
  await waitFor(() => got.length >= 2, 5000, 'imported messages');
  await sleep(200);
  expect(got.map(({ topic, payload, qos }) => ({ topic, payload, qos }))).toEqual([
    { topic: 'receive/aws/cmd/light/on', payload: 'ON', qos: 1 },
    // subscription.2 has no qos: EMQX subscribes with QoS 0
    { topic: 'receive/aws/cfg/rate', payload: '5', qos: 0 },
  ]);
  expect(echoed).toEqual([]);
  expect(await n.ctl('bridges', 'subscriptions', 'aws')).toBe('topic: cfg/+, qos: 0\ntopic: cmd/#, qos: 1\n');
});

test('QoS 1 order: 5000 messages published locally reach Mosquitto in order, each once (max_inflight_size 32)', async () => {
  const n = await startNode(bridgeConf('aws', { forwards: 'seq/#', forward_mountpoint: 'fw/' }));
  await running(n, 'aws');
  // the remote subscriber in its own process (mosquitto_sub): a subscriber sharing this
  // process's event loop falls behind and Mosquitto drops past max_queued_messages (1000)
  const N = 5000;
  const sub = await remoteSubscriber('fw/seq/#', N);
  const pub = await connect(n.url);
  for (let i = 0; i < N; i++) pub.publish('seq/a', String(i), { qos: 1 });
  const lines = await sub.done;
  expect(lines.length).toBe(N);
  expect(lines.every((l, i) => l === `fw/seq/a 1 ${i}`)).toBe(true);
});

test.each(['mqttv3', 'mqttv5'])('proto_ver = %s: forwarding and remote subscriptions work with Mosquitto', async (ver) => {
  const t = `pv${++seq}`;
  const n = await startNode(bridgeConf('aws', { proto_ver: ver, forwards: `${t}/out/#`, 'subscription.1.topic': `${t}/in/#`, 'subscription.1.qos': 1 }));
  await running(n, 'aws');
  const remote = await connect(remoteUrl);
  const atRemote = collect(remote);
  await remote.subscribeAsync(`${t}/out/#`, { qos: 1 });
  const local = await connect(n.url);
  const atLocal = collect(local);
  await local.subscribeAsync(`${t}/in/#`, { qos: 1 });
  await local.publishAsync(`${t}/out/1`, 'up', { qos: 1 });
  await remote.publishAsync(`${t}/in/1`, 'down', { qos: 1 });
  await waitFor(() => atRemote.length === 1 && atLocal.length === 1, 5000, 'both directions');
  expect(atRemote[0]).toMatchObject({ topic: `${t}/out/1`, payload: 'up', qos: 1 });
  expect(atLocal[0]).toMatchObject({ topic: `${t}/in/1`, payload: 'down', qos: 1 });
});

test('ssl = on: TLS to the remote with EMQX\'s shipped ciphers and tls_versions, the peer checked against cacertfile (verify = true)', async () => {
  // the remote here is a second nemq node with a TLS listener (etc/certs: localhost / 127.0.0.1)
  const zone = defaultZone('external');
  const certs = join(ROOT, 'etc/certs');
  const tlsRemote = await createBroker({
    nodeName: 'remote@127.0.0.1',
    sysInterval: 0,
    sysHeartbeat: 0,
    logger: createLogger('none'),
    zones: { external: zone, default: zone },
    listeners: [{ proto: 'ssl', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100, keyfile: join(certs, 'key.pem'), certfile: join(certs, 'cert.pem') }],
  });
  try {
    const shipped = readFileSync(join(ROOT, 'plugins', NAME, 'etc', `${NAME}.conf`), 'utf8');
    const ciphers = /^bridge\.mqtt\.aws\.ciphers = (.*)$/m.exec(shipped)![1]!;
    const conf = (ca: string) =>
      bridgeConf('aws', { address: `127.0.0.1:${tlsRemote.listeners[0]!.port}`, ssl: 'on', cacertfile: ca, verify: 'true', ciphers, tls_versions: 'tlsv1.3,tlsv1.2,tlsv1.1,tlsv1', forwards: 'tls/#', start_type: 'manual' });
    const n = await startNode(conf(join(certs, 'cacert.pem')));
    expect(await n.ctl('bridges', 'start', 'aws')).toBe('Start bridge successfully.\n');
    const got: string[] = [];
    const c = await new Promise<MqttClient>((resolve, reject) => {
      const x = mqtt.connect(`mqtts://127.0.0.1:${tlsRemote.listeners[0]!.port}`, { ca: readFileSync(join(certs, 'cacert.pem')), reconnectPeriod: 0 });
      clients.push(x);
      x.once('connect', () => resolve(x));
      x.once('error', reject);
    });
    c.on('message', (topic, payload) => got.push(`${topic} ${payload}`));
    await c.subscribeAsync('tls/#', { qos: 1 });
    const local = await connect(n.url);
    await local.publishAsync('tls/1', 'secret', { qos: 1 });
    await waitFor(() => got.length === 1, 5000, 'message over TLS');
    expect(got).toEqual(['tls/1 secret']);
    await n.stop();
    // a CA that did not sign the remote's certificate: the handshake is refused
    const bad = await startNode(conf(join(certs, 'cert.pem')));
    expect(await bad.ctl('bridges', 'start', 'aws')).toBe('Start bridge failed.\n');
    expect(await bad.ctl('bridges', 'list')).toBe('name: aws     status: Stopped\n');
  } finally {
    await tlsRemote.stop();
  }
});

test('two named bridges at once: each its own client id, forwards and mountpoint', async () => {
  const conf = bridgeConf('aws', { forwards: 'a/#', forward_mountpoint: 'from-aws/' }) + bridgeConf('azure', { forwards: 'b/#,shared/#', forward_mountpoint: 'from-azure/' });
  const n = await startNode(conf);
  await running(n, 'aws');
  await running(n, 'azure');
  expect(await n.ctl('bridges', 'list')).toBe('name: aws     status: Running\nname: azure     status: Running\n');
  const remote = await connect(remoteUrl);
  const got = collect(remote);
  await remote.subscribeAsync(['from-aws/#', 'from-azure/#'], { qos: 1 });
  const pub = await connect(n.url);
  await pub.publishAsync('a/1', 'x', { qos: 1 });
  await pub.publishAsync('b/1', 'y', { qos: 1 });
  await pub.publishAsync('shared/1', 'z', { qos: 1 });
  await waitFor(() => got.length >= 3, 5000, 'messages of both bridges');
  await sleep(200);
  expect(got.map((m) => m.topic).sort()).toEqual(['from-aws/a/1', 'from-azure/b/1', 'from-azure/shared/1']);
  expect(await n.ctl('bridges', 'forwards', 'azure')).toBe('topic:   b/#\ntopic:   shared/#\n');
});

test('bridges ctl against the live remote: EMQX output of list/start/stop/forwards/add-forward/del-forward/subscriptions/add-subscription/del-subscription', async () => {
  const n = await startNode(bridgeConf('aws', { start_type: 'manual', forwards: 'f1/#', 'subscription.1.topic': 'r1/#', 'subscription.1.qos': 1 }));
  expect(await n.ctl('bridges')).toContain(`${'bridges list'.padEnd('bridges add-subscription <Name> <Topic> <Qos>'.length)} # List bridges\n`);
  // manual: idle until started, nothing subscribed locally
  expect(await n.ctl('bridges', 'list')).toBe('name: aws     status: Stopped\n');
  expect(n.node.broker.router.filters()).not.toContain('f1/#');
  expect(await n.ctl('bridges', 'start', 'aws')).toBe('Start bridge successfully.\n');
  expect(await n.ctl('bridges', 'list')).toBe('name: aws     status: Running\n');
  expect(await n.ctl('bridges', 'start', 'aws')).toBe('Bridge already started.\n');
  expect(await n.ctl('bridges', 'start', 'nosuch')).toBe('Start bridge failed.\n');

  const remote = await connect(remoteUrl);
  const atRemote = collect(remote);
  await remote.subscribeAsync('#', { qos: 1 });
  const local = await connect(n.url);
  const atLocal = collect(local);
  await local.subscribeAsync(['r1/#', 'r2/#'], { qos: 1 });

  // forwards
  expect(await n.ctl('bridges', 'add-forward', 'aws', 'f2/+')).toBe('Add-forward topic successfully.\n');
  expect(await n.ctl('bridges', 'forwards', 'aws')).toBe('topic:   f1/#\ntopic:   f2/+\n');
  await local.publishAsync('f2/x', 'via added forward', { qos: 1 });
  await waitFor(() => atRemote.some((m) => m.topic === 'f2/x'), 5000, 'f2/x on the remote');
  expect(await n.ctl('bridges', 'del-forward', 'aws', 'f1/#')).toBe('Del-forward topic successfully.\n');
  expect(await n.ctl('bridges', 'forwards', 'aws')).toBe('topic:   f2/+\n');
  await local.publishAsync('f1/x', 'not any more', { qos: 1 });

  // subscriptions
  expect(await n.ctl('bridges', 'add-subscription', 'aws', 'r2/#', '1')).toBe('Add-subscription topic successfully.\n');
  expect(await n.ctl('bridges', 'subscriptions', 'aws')).toBe('topic: r1/#, qos: 1\ntopic: r2/#, qos: 1\n');
  await remote.publishAsync('r2/a', 'imported', { qos: 1 });
  await waitFor(() => atLocal.some((m) => m.topic === 'r2/a'), 5000, 'r2/a locally');
  expect(await n.ctl('bridges', 'del-subscription', 'aws', 'r1/#')).toBe('Del-subscription topic successfully.\n');
  expect(await n.ctl('bridges', 'subscriptions', 'aws')).toBe('topic: r2/#, qos: 1\n');
  await remote.publishAsync('r1/a', 'no longer subscribed', { qos: 1 });
  await sleep(300);
  expect(atLocal.map((m) => m.topic)).toEqual(['r2/a']);
  expect(atRemote.filter((m) => m.topic.startsWith('f1/'))).toEqual([]);

  // stop: Stopped, the remote connection is closed, local forwards are unsubscribed
  expect(await n.ctl('bridges', 'stop', 'aws')).toBe('Stop bridge successfully.\n');
  expect(await n.ctl('bridges', 'list')).toBe('name: aws     status: Stopped\n');
  expect(n.node.broker.router.filters()).not.toContain('f2/+');
  // not connected: EMQX keeps the topic and answers with the reason
  expect(await n.ctl('bridges', 'add-subscription', 'aws', 'r3/#', '0')).toBe('Add-subscription failed reason: no_connection.\n');
  // start again: subscriptions changed at run time are made on the new connection
  expect(await n.ctl('bridges', 'start', 'aws')).toBe('Start bridge successfully.\n');
  await local.subscribeAsync('r3/#', { qos: 1 });
  await remote.publishAsync('r3/a', 'after restart', { qos: 1 });
  await waitFor(() => atLocal.some((m) => m.topic === 'r3/a'), 5000, 'r3/a locally');
});

test.each([
  [true, 1],
  [false, 2],
])('bridge_mode=%s: with the 0x80 protocol bit Mosquitto treats the connection as a bridge and does not echo its own messages back (%i local copies)', async (mode, copies) => {
  // forwards and subscription on the same topic, no mountpoints: what Mosquitto sends back
  // to the bridge comes in again (and is not re-exported: the bridge skips its own imports)
  const t = `echo${++seq}`;
  const n = await startNode(bridgeConf('aws', { bridge_mode: String(mode), forwards: `${t}/#`, 'subscription.1.topic': `${t}/#`, 'subscription.1.qos': 1 }));
  await running(n, 'aws');
  const local = await connect(n.url);
  const got = collect(local);
  await local.subscribeAsync(`${t}/#`, { qos: 1 });
  const pub = await connect(n.url);
  await pub.publishAsync(`${t}/x`, 'hello', { qos: 1 });
  await sleep(500);
  expect(got.map((m) => m.payload)).toEqual(Array(copies).fill('hello'));
});

test('replayq: QoS 1 messages published while the remote is down survive a restart of our node and all arrive in order, once, when it is back', async () => {
  const qdir = join(work, `replayq-${++seq}`);
  const conf = bridgeConf('aws', { forwards: 'q/#', forward_mountpoint: 'rq/', reconnect_interval: '4s', 'queue.replayq_dir': qdir, 'queue.replayq_seg_bytes': '1KB' });
  await mosq.down();
  try {
    const n1 = await startNode(conf);
    expect(await n1.ctl('bridges', 'list')).toBe('name: aws     status: Stopped\n');
    const pub = await connect(n1.url);
    const N = 400;
    for (let i = 0; i < N; i++) await pub.publishAsync('q/a', `m${i}`, { qos: 1 });
    await n1.stop();
    // segment files of 1KB under <replayq_dir>/<bridge name>/
    const segs = readdirSync(join(qdir, 'aws')).filter((f) => f.endsWith('.seg'));
    expect(segs.length).toBeGreaterThan(2);

    // a new node on the same directory, the remote still down; more messages queue behind
    const n2 = await startNode(conf);
    const pub2 = await connect(n2.url);
    for (let i = N; i < N + 50; i++) await pub2.publishAsync('q/b', `m${i}`, { qos: 1 });
    const t0 = Date.now();
    await mosq.up();
    const remote = await connect(remoteUrl);
    const got = collect(remote);
    await remote.subscribeAsync('rq/#', { qos: 1 });
    // the bridge retries every 4 s: the subscriber must be there before it reconnects
    expect(Date.now() - t0).toBeLessThan(3500);
    await waitFor(() => got.length >= N + 50, 15_000, `${N + 50} replayed messages`);
    await running(n2, 'aws');
    await sleep(300);
    expect(got.length).toBe(N + 50);
    expect(got.every((m, i) => m.payload === `m${i}` && m.qos === 1)).toBe(true);
    expect(got[0]!.topic).toBe('rq/q/a');
    expect(got[N]!.topic).toBe('rq/q/b');
    // all acked: the segments before the commit point are gone
    await sleep(300);
    expect(readdirSync(join(qdir, 'aws')).filter((f) => f.endsWith('.seg')).length).toBeLessThanOrEqual(2);
  } finally {
    if (mosq.pids().length === 0) await mosq.up().catch(() => undefined);
  }
});

test('unload at run time: local forward subscriptions are removed and the remote connection is closed', async () => {
  const clientid = `bridge_unload_${++seq}`;
  const n = await startNode(bridgeConf('aws', { clientid, forwards: 'u1/#,u2/+', 'subscription.1.topic': 'down/#', 'subscription.1.qos': 1 }));
  await running(n, 'aws');
  expect(n.node.broker.router.filters()).toEqual(expect.arrayContaining(['u1/#', 'u2/+']));
  const local = await connect(n.url);
  const atLocal = collect(local);
  await local.subscribeAsync('down/#', { qos: 1 });
  const before = mosqLog().split('\n').length;
  expect(await n.ctl('plugins', 'unload', NAME)).toBe(`Plugin ${NAME} unloaded successfully.\n`);
  expect(n.node.broker.router.filters()).not.toContain('u1/#');
  expect(n.node.broker.router.filters()).not.toContain('u2/+');
  expect((await n.node.ctl.run(['bridges', 'list'])).code).toBe(1);
  await waitFor(() => mosqLog().split('\n').slice(before - 1).some((l) => l.includes(clientid) && /disconnected|closed its connection/.test(l)), 3000, 'mosquitto to see the bridge go');
  const remote = await connect(remoteUrl);
  await remote.publishAsync('down/x', 'nobody bridges this', { qos: 1 });
  await sleep(300);
  expect(atLocal).toEqual([]);
  expect(local.connected).toBe(true);
});

test('the remote going away: the bridge reconnects after reconnect_interval and sends what was queued meanwhile (memory queue), in order', async () => {
  const n = await startNode(bridgeConf('aws', { forwards: 'rc/#', reconnect_interval: '5s' }));
  await running(n, 'aws');
  await mosq.down();
  let t0: number;
  try {
    await waitFor(async () => (await n.ctl('bridges', 'list')).includes('Stopped'), 5000, 'bridge to notice');
    t0 = Date.now();
    const pub = await connect(n.url);
    for (let i = 0; i < 20; i++) await pub.publishAsync('rc/x', `r${i}`, { qos: 1 });
  } finally {
    await mosq.up();
  }
  const remote = await connect(remoteUrl);
  const got = collect(remote);
  await remote.subscribeAsync('rc/#', { qos: 1 });
  // the first retry comes 5 s after the loss: our subscriber is there before it
  expect(Date.now() - t0).toBeLessThan(4500);
  expect(await n.ctl('bridges', 'list')).toBe('name: aws     status: Stopped\n');
  await waitFor(() => got.length >= 20, 10_000, 'queued messages after the reconnect');
  expect(await n.ctl('bridges', 'list')).toBe('name: aws     status: Running\n');
  expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
});
