// `emqx_ctl trace`: a client trace holds exactly that client's packets in and out, a topic
// trace every PUBLISH on matching topics; stop ends the writes; bad input gets EMQX's answers.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@nemq/kernel';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startBroker, connect, closeAll, collect, waitFor, ROOT, type TestBroker } from './helpers';

let dir: string;
let b: TestBroker;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-trace-'));
  // EMQX's default primary level; the lines themselves go nowhere
  b = await startBroker({ retainer: false, logger: createLogger('warning', () => {}), traceRoot: dir, ctlSocket: join(dir, 'ctl.sock') });
});
afterEach(async () => {
  await closeAll();
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ctl = async (...args: string[]): Promise<string> => (await b.node.ctl.run(args)).output;
const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[debug\] [\w-]+@127\.0\.0\.1:\d+ (RECV|SEND) [A-Z]+\(Q\d, R\d, D\d.*\)$/;

test('a client trace holds exactly its packets, in and out; stop ends the writes', async () => {
  const file = join(dir, 'sub/dir/c1.log');
  expect(b.node.traces).toBeUndefined();
  // as EMQX 4.3: no trace below the primary log level
  expect(await ctl('trace', 'start', 'client', 'c1', file)).toBe('[error] trace clientid c1: Cannot trace at a log level (debug) lower than the primary log level (warning)\n');
  expect(await ctl('log', 'primary-level', 'debug')).toBe('debug\n');
  expect(await ctl('trace', 'start', 'client', 'c1', file)).toBe('trace clientid c1 successfully\n');
  expect(await ctl('trace', 'list')).toBe(`Trace(clientid=c1, level=debug, destination="${file}")\n`);
  expect(b.node.traces).toBeDefined();

  const c1 = await connect(b.url, { clientId: 'c1', keepalive: 1 });
  const c2 = await connect(b.url, { clientId: 'c2' });
  await c1.subscribeAsync('t/#', { qos: 1 });
  await c2.subscribeAsync('t/#', { qos: 1 });
  const got1 = collect(c1);
  await c1.publishAsync('t/1', 'hello', { qos: 1 });
  await c2.publishAsync('t/2', 'from-c2', { qos: 0 });
  await waitFor(() => got1.length === 2, 3000, 'both messages at c1');
  // keepalive 1: mqtt.js pings after a second of silence
  await new Promise<void>((r) => c1.once('packetreceive', (p) => p.cmd === 'pingresp' && r()));
  await waitFor(() => read(file).includes('SEND PINGRESP'), 3000, 'PINGRESP in the trace');

  const lines = read(file).trimEnd().split('\n');
  for (const l of lines) expect(l).toMatch(LINE);
  expect(lines.every((l) => l.includes(' c1@127.0.0.1:'))).toBe(true);
  const text = lines.map((l) => l.replace(/^.*? (RECV|SEND) /, '$1 ')).join('\n');
  expect(text).toContain('RECV CONNECT(Q0, R0, D0, ClientId=c1, ProtoName=MQTT, ProtoVsn=4, CleanStart=true, KeepAlive=1, Username=undefined, Password=undefined)');
  expect(text).toContain('SEND CONNACK(Q0, R0, D0, AckFlags=0, ReasonCode=0)');
  expect(text).toMatch(/RECV SUBSCRIBE\(Q1, R0, D0, PacketId=\d+, TopicFilters=\[t\/#\(Q1\)\]\)/);
  expect(text).toMatch(/SEND SUBACK\(Q0, R0, D0, PacketId=\d+, ReasonCodes=\[1\]\)/);
  expect(text).toMatch(/RECV PUBLISH\(Q1, R0, D0, Topic=t\/1, PacketId=\d+, Payload=hello\)/);
  expect(text).toMatch(/SEND PUBACK\(Q0, R0, D0, PacketId=\d+\)/);
  expect(text).toMatch(/SEND PUBLISH\(Q1, R0, D0, Topic=t\/1, PacketId=\d+, Payload=hello\)/);
  expect(text).toMatch(/RECV PUBACK\(Q0, R0, D0, PacketId=\d+\)/);
  // c2's message as delivered to c1, QoS 0
  expect(text).toContain('SEND PUBLISH(Q0, R0, D0, Topic=t/2, PacketId=undefined, Payload=from-c2)');
  expect(text).toContain('RECV PINGREQ(Q0, R0, D0)');
  expect(text).not.toContain('c2@');
  expect(text).not.toContain('ClientId=c2');

  expect(await ctl('trace', 'stop', 'client', 'c1')).toBe('stop tracing clientid c1 successfully\n');
  expect(b.node.traces).toBeUndefined();
  const size = statSync(file).size;
  await c1.publishAsync('t/3', 'after', { qos: 1 });
  await waitFor(() => got1.some((m) => m.topic === 't/3'), 3000, 't/3 at c1');
  expect(statSync(file).size).toBe(size);
  expect(await ctl('trace', 'list')).toBe('');
  expect(await ctl('trace', 'stop', 'client', 'c1')).toBe('[error] stop tracing clientid c1: {not_found,trace_clientid_c1}\n');
});

test('a topic trace holds every PUBLISH on matching topics, from and to any client, and nothing else', async () => {
  await ctl('log', 'primary-level', 'debug');
  const file = join(dir, 'sensor.log');
  expect(await ctl('trace', 'start', 'topic', 'sensor/+', file, 'info')).toBe('trace topic sensor/+ successfully\n');
  expect(await ctl('trace', 'list')).toBe(`Trace(topic=sensor/+, level=info, destination="${file}")\n`);
  const sub = await connect(b.url, { clientId: 'watcher', protocolVersion: 5 });
  await sub.subscribeAsync(['sensor/#', 'other/#'], { qos: 1 });
  const pub = await connect(b.url, { clientId: 'pub' });
  const got = collect(sub);
  await pub.publishAsync('sensor/1', Buffer.from([0, 1, 2]), { qos: 1 });
  await pub.publishAsync('other/x', 'no', { qos: 1 });
  await pub.publishAsync('sensor/1/deep', 'no', { qos: 1 });
  await waitFor(() => got.length === 3, 3000, 'three messages');
  await waitFor(() => read(file).split('\n').length >= 3, 3000, 'two lines');
  const lines = read(file).trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/\[debug\] pub@127\.0\.0\.1:\d+ RECV PUBLISH\(Q1, R0, D0, Topic=sensor\/1, PacketId=\d+, Payload=0x000102\)$/);
  expect(lines[1]).toMatch(/\[debug\] watcher@127\.0\.0\.1:\d+ SEND PUBLISH\(Q1, R0, D0, Topic=sensor\/1, PacketId=\d+, Payload=0x000102\)$/);
  expect(await ctl('trace', 'stop', 'topic', 'sensor/+')).toBe('stop tracing topic sensor/+ successfully\n');
  // $SYS is not topic-traced
  const sys = join(dir, 'sys.log');
  expect(await ctl('trace', 'start', 'topic', '$SYS/#', sys)).toBe('trace topic $SYS/# successfully\n');
  await sub.subscribeAsync('$SYS/#', { qos: 0 });
  b.node.alarms.activate('test_alarm');
  await waitFor(() => got.some((m) => m.topic.endsWith('/alarms/activate')), 3000, 'the $SYS message');
  await pub.publishAsync('sensor/2', 'x', { qos: 1 });
  await waitFor(() => got.some((m) => m.topic === 'sensor/2'), 3000, 'sensor/2');
  // stop waits for every line to be written
  expect(await ctl('trace', 'stop', 'topic', '$SYS/#')).toBe('stop tracing topic $SYS/# successfully\n');
  expect(read(sys)).toBe('');
});

test('bad arguments print the usage; a bad level, a duplicate and a bad file are refused without harm', async () => {
  await ctl('log', 'primary-level', 'debug');
  const usage = await ctl('trace');
  expect(usage).toContain('trace start client <ClientId> <File> [<Level>]');
  expect(usage).toContain('trace stop  topic  <Topic> ');
  for (const args of [['start', 'client', 'c1'], ['start', 'nope', 'x', 'f'], ['stop', 'client'], ['list', 'x'], ['start', 'client', 'c1', 'f', 'debug', 'extra']]) {
    expect(await ctl('trace', ...args)).toBe(usage);
  }
  expect(await ctl('trace', 'start', 'client', 'c1', join(dir, 'x.log'), 'loud')).toBe('[error] trace clientid c1: {invalid_log_level,loud}\n');
  const plain = join(dir, 'plain');
  writeFileSync(plain, '');
  const under = join(plain, 'x.log');
  expect(await ctl('trace', 'start', 'client', 'c1', under)).toMatch(/^\[error\] trace clientid c1: \{handler_not_added,\{open_failed,".*plain\/x\.log",(enotdir|eexist)\}\}\n$/);
  expect(await ctl('trace', 'start', 'client', 'c1', dir)).toBe(`[error] trace clientid c1: {handler_not_added,{open_failed,"${dir}",eisdir}}\n`);
  expect(b.node.traces).toBeUndefined();
  const file = join(dir, 'ok.log');
  expect(await ctl('trace', 'start', 'client', 'c1', file, 'all')).toBe('trace clientid c1 successfully\n');
  expect(await ctl('trace', 'start', 'client', 'c1', file)).toBe('[error] trace clientid c1: {already_exist,trace_clientid_c1}\n');
  expect(await ctl('trace', 'list')).toBe(`Trace(clientid=c1, level=debug, destination="${file}")\n`);
  // the broker goes on
  const c = await connect(b.url, { clientId: 'c1' });
  await c.publishAsync('a', 'b', { qos: 1 });
  await waitFor(() => read(file).includes('SEND PUBACK'), 3000, 'PUBACK in the trace');
  // a relative file is under the install root, shown as given
  expect(await ctl('trace', 'start', 'client', 'rel', 'log/rel.log')).toBe('trace clientid rel successfully\n');
  expect(await ctl('trace', 'list')).toContain('Trace(clientid=rel, level=debug, destination="log/rel.log")\n');
  await connect(b.url, { clientId: 'rel' });
  await waitFor(() => read(join(dir, 'log/rel.log')).includes('SEND CONNACK'), 3000, 'CONNACK in the relative trace');
});

test('admin ops traces, trace_start and trace_stop', async () => {
  await ctl('log', 'primary-level', 'debug');
  const node = b.node.nodeName;
  const file = join(dir, 'api.log');
  expect(await b.node.admin.call(node, 'trace_start', { type: 'client', name: 'a1', file })).toBe(true);
  expect(await b.node.admin.call(node, 'trace_start', { type: 'topic', name: 'x/#', file, level: 'notice' })).toBe(true);
  expect(await b.node.admin.call(node, 'trace_start', { type: 'topic', name: 'x/#', file })).toEqual({ error: '{already_exist,trace_topic_x/#}' });
  expect(await b.node.admin.call(node, 'traces', {})).toEqual([
    { type: 'client', name: 'a1', level: 'debug', file },
    { type: 'topic', name: 'x/#', level: 'notice', file },
  ]);
  // a client trace and a topic trace into one file: each line once
  const c = await connect(b.url, { clientId: 'a1' });
  await c.publishAsync('x/1', 'p', { qos: 1 });
  await waitFor(() => read(file).includes('SEND PUBACK'), 3000, 'PUBACK in the trace');
  expect(read(file).split('\n').filter((l) => l.includes('RECV PUBLISH'))).toHaveLength(1);
  expect(await b.node.admin.call(node, 'trace_stop', { type: 'client', name: 'a1' })).toBe(true);
  expect(await b.node.admin.call(node, 'trace_stop', { type: 'client', name: 'a1' })).toEqual({ error: '{not_found,trace_clientid_a1}' });
  expect(await b.node.admin.call(node, 'trace_stop', { type: 'topic', name: 'x/#' })).toBe(true);
  expect(await b.node.admin.call(node, 'trace_start', { type: 'client', name: 3 as unknown as string, file })).toEqual({ error: 'bad_arguments' });
  expect(await b.node.admin.call(node, 'trace_stop', { type: 'ip' as 'client', name: 'x' })).toEqual({ error: 'bad_arguments' });
  expect(await b.node.admin.call(node, 'traces', {})).toEqual([]);
});

test('bin/emqx_ctl trace over the control socket', async () => {
  const run = promisify(execFile);
  const emqxCtl = async (...args: string[]): Promise<string> =>
    (await run(process.execPath, [join(ROOT, 'bin/emqx_ctl'), ...args], { env: { ...process.env, EMQX_NODE__DATA_DIR: dir } })).stdout;
  expect(await emqxCtl('log', 'primary-level', 'info')).toBe('info\n');
  expect(await emqxCtl('trace', 'start', 'topic', 'x/#', join(dir, 'x.log'), 'info')).toBe('trace topic x/# successfully\n');
  expect(await emqxCtl('trace', 'list')).toBe(`Trace(topic=x/#, level=info, destination="${join(dir, 'x.log')}")\n`);
  expect(await emqxCtl('trace', 'stop', 'topic', 'x/#')).toBe('stop tracing topic x/# successfully\n');
  expect(await emqxCtl('trace', 'start', 'client', 'c', join(dir, 'c.log'), 'debug')).toBe('[error] trace clientid c: Cannot trace at a log level (debug) lower than the primary log level (info)\n');
});
