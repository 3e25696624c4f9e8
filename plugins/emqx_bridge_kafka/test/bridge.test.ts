// The drain loop against a fake Kafka client: batching, sync vs async in-flight limits,
// Kafka going away (bounded buffer, drops counted, order kept) and coming back, linger,
// and stop. Also the JSON values EMQX's Kafka bridge writes for each event.
import { Bridge, RecordsRejected, type Sender, type TopicBatch } from '../src/bridge';
import { refusal } from '../src/kafka';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { parseRules, parseSettings, type Rule, type Settings } from '../src/config';
import { encodeValue, Kind, payloadEncoder, Rec, recordKey, recSize } from '../src/records';
import { schema } from '../src/schema';
import { groupMessagesPerPartition } from '../src/kafkajs-patch';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';

function settings(lines: string[] = []): Settings {
  const { values, problems } = readPluginConf(['bridge.kafka.reconnect_interval = 20ms', ...lines].join('\n'), 'f', schema);
  expect(problems).toEqual([]);
  return parseSettings(values);
}

function rules(lines: string[]): Rule[] {
  return parseRules(readPluginConf(lines.join('\n'), 'f', schema).values);
}

const [PUB, OTHER] = rules([
  'bridge.kafka.hook.message.publish.1 = {"filter": "#", "topic": "message_publish", "key": "${clientid}"}',
  'bridge.kafka.hook.message.publish.2 = {"filter": "#", "topic": "other"}',
]) as [Rule, Rule];

function pub(i: number, rule: Rule = PUB, payload = `p${i}`): Rec {
  const c = `c${i % 3}`;
  return new Rec(rule, Kind.Publish, c, null, 't', payload, 0, '', Date.now(), recSize(c, null, 't', payload, ''));
}

const LOG = { info: () => undefined, warning: () => undefined, debug: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await sleep(2);
  }
}

class FakeKafka implements Sender {
  up = true;
  hold = false;
  calls: TopicBatch[][] = [];
  delivered: string[] = [];
  connects = 0;
  disconnects = 0;
  inflight = 0;
  maxInflight = 0;
  private held: Array<() => void> = [];
  async connect(): Promise<void> {
    this.connects++;
    if (!this.up) throw new Error('connect ECONNREFUSED');
  }
  /** payloads Kafka refuses (as MESSAGE_TOO_LARGE would) */
  refuse = new Set<string>();
  send(batch: TopicBatch[]): Promise<void> {
    this.calls.push(batch);
    if (!this.up) return Promise.reject(new Error('Connection error: ECONNRESET'));
    if (batch.some((t) => t.messages.some((m) => this.refuse.has(JSON.parse(m.value).payload as string)))) {
      return Promise.reject(new RecordsRejected('MESSAGE_TOO_LARGE: The request included a message larger than the max message size the server will accept'));
    }
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    const done = (): void => {
      this.inflight--;
      for (const t of batch) for (const m of t.messages) this.delivered.push(JSON.parse(m.value).payload as string);
    };
    if (!this.hold) {
      return Promise.resolve().then(done);
    }
    return new Promise((resolve) => this.held.push(() => {
      done();
      resolve();
    }));
  }
  release(): void {
    const h = this.held;
    this.held = [];
    for (const f of h) f();
  }
  async disconnect(): Promise<void> {
    this.disconnects++;
  }
  requests(): number {
    return this.calls.length;
  }
  unsent(): number {
    return 0;
  }
}

function bridge(s: Settings, k = new FakeKafka()): { b: Bridge; k: FakeKafka } {
  const b = new Bridge(k, s, 'emqx@127.0.0.1', LOG);
  b.start();
  return { b, k };
}

test('records enqueued in one turn leave as one produce call; batch_size splits bigger runs', async () => {
  const { b, k } = bridge(settings(['bridge.kafka.producer.batch_size = 100']));
  await until(() => b.stats().status === 'connected');
  for (let i = 0; i < 50; i++) b.enqueue(pub(i));
  await until(() => k.delivered.length === 50);
  expect(k.calls).toHaveLength(1);
  for (let i = 50; i < 450; i++) b.enqueue(pub(i));
  await until(() => k.delivered.length === 450);
  expect(k.calls).toHaveLength(5);
  expect(k.calls.slice(1).map((c) => c[0]!.messages.length)).toEqual([100, 100, 100, 100]);
  expect(k.delivered).toEqual(Array.from({ length: 450 }, (_, i) => `p${i}`));
  expect(b.stats()).toMatchObject({ enqueued: 450, sent: 450, batches: 5, requests: 5, dropped: 0, buffered: 0, inflight: 0 });
  await b.stop(0);
});

test('max_batch_bytes caps one produce call', async () => {
  const { b, k } = bridge(settings(['bridge.kafka.producer.max_batch_bytes = 1KB']));
  await until(() => b.stats().status === 'connected');
  for (let i = 0; i < 40; i++) b.enqueue(pub(i, PUB, 'x'.repeat(100)));
  await until(() => k.delivered.length === 40);
  // each record is charged 100 + its strings: floor(1024 / that) fit in 1 KB
  const fit = Math.floor(1024 / pub(0, PUB, 'x'.repeat(100)).size);
  expect(fit).toBe(5);
  expect(Math.max(...k.calls.map((c) => c[0]!.messages.length))).toBe(fit);
  await b.stop(0);
});

test('one batch groups records by Kafka topic, with EMQX JSON values and the rule key', async () => {
  const { b, k } = bridge(settings());
  await until(() => b.stats().status === 'connected');
  b.enqueue(pub(1));
  b.enqueue(pub(2, OTHER));
  b.enqueue(pub(3));
  await until(() => k.delivered.length === 3);
  expect(k.calls).toHaveLength(1);
  const [a, o] = k.calls[0]!;
  expect(a!.topic).toBe('message_publish');
  expect(a!.messages.map((m) => m.key)).toEqual(['c1', 'c0']);
  expect(JSON.parse(a!.messages[0]!.value)).toEqual({ client_id: 'c1', username: null, topic: 't', payload: 'p1', qos: 0, node: 'emqx@127.0.0.1', ts: expect.any(Number) });
  expect(o).toMatchObject({ topic: 'other', messages: [{ key: null, s: 'random' }] });
  await b.stop(0);
});

test('produce = sync: one produce call at a time; async: max_send_ahead + 1', async () => {
  for (const [lines, want] of [[['bridge.kafka.produce = sync', 'bridge.kafka.producer.max_send_ahead = 3'], 1], [['bridge.kafka.produce = async', 'bridge.kafka.producer.max_send_ahead = 2'], 3]] as const) {
    const k = new FakeKafka();
    k.hold = true;
    const { b } = bridge(settings([...lines, 'bridge.kafka.producer.batch_size = 10']), k);
    await until(() => b.stats().status === 'connected');
    for (let i = 0; i < 100; i++) b.enqueue(pub(i));
    await sleep(20);
    expect(k.inflight).toBe(want);
    expect(b.stats().inflight).toBe(want);
    while (k.delivered.length < 100) {
      k.release();
      await sleep(1);
    }
    expect(k.maxInflight).toBe(want);
    expect(k.delivered).toEqual(Array.from({ length: 100 }, (_, i) => `p${i}`));
    await b.stop(0);
  }
});

test('Kafka unreachable at start: records wait in the buffer, then go out in order once it answers', async () => {
  const k = new FakeKafka();
  k.up = false;
  const { b } = bridge(settings(), k);
  for (let i = 0; i < 20; i++) b.enqueue(pub(i));
  await until(() => k.connects >= 3);
  expect(b.stats()).toMatchObject({ status: 'disconnected', buffered: 20, sent: 0, dropped: 0, last_error: 'connect ECONNREFUSED' });
  k.up = true;
  await until(() => k.delivered.length === 20);
  expect(k.delivered).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`));
  expect(b.stats().status).toBe('connected');
  await b.stop(0);
});

test('Kafka goes away mid-stream: the failed batch goes back to the head, the buffer keeps the newest within its bound, drops are counted, order resumes', async () => {
  const max = 30 * recSize('c0', null, 't', 'p00', '');
  const { b, k } = bridge(settings([`bridge.kafka.producer.replayq_max_total_bytes = ${max}`, 'bridge.kafka.producer.batch_size = 5']));
  await until(() => b.stats().status === 'connected');
  for (let i = 0; i < 10; i++) b.enqueue(pub(i, PUB, `p${String(i).padStart(2, '0')}`));
  await until(() => k.delivered.length === 10);
  k.up = false;
  for (let i = 10; i < 60; i++) b.enqueue(pub(i, PUB, `p${String(i).padStart(2, '0')}`));
  await until(() => b.stats().status !== 'connected');
  await sleep(50);
  const st = b.stats();
  expect(st.buffered_bytes).toBeLessThanOrEqual(max);
  expect(st.buffered).toBe(30);
  expect(st.dropped).toBe(20);
  expect(st.failed_batches).toBeGreaterThanOrEqual(1);
  expect(k.disconnects).toBeGreaterThanOrEqual(1);
  k.up = true;
  await until(() => b.stats().buffered === 0 && b.stats().inflight === 0);
  // the first 10 went before the outage; of the 50 after it the newest 30 survived
  expect(k.delivered).toEqual([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 30 }, (_, i) => 30 + i)].map((i) => `p${String(i).padStart(2, '0')}`));
  expect(b.stats()).toMatchObject({ status: 'connected', enqueued: 60, sent: 40, dropped: 20 });
  await b.stop(0);
});

test('max_linger_time: a small batch waits for min_batch_bytes or the linger time; a full one goes at once', async () => {
  const { b, k } = bridge(settings(['bridge.kafka.producer.max_linger_time = 80ms', 'bridge.kafka.producer.min_batch_bytes = 1KB']));
  await until(() => b.stats().status === 'connected');
  const t0 = Date.now();
  b.enqueue(pub(1));
  await sleep(30);
  expect(k.calls).toHaveLength(0);
  await until(() => k.delivered.length === 1);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(70);
  for (let i = 0; i < 20; i++) b.enqueue(pub(i, PUB, 'y'.repeat(60)));
  await until(() => k.delivered.length === 21, 60);
  await b.stop(0);
});

test('stop flushes what is buffered when Kafka answers, then disconnects; later records are ignored', async () => {
  const { b, k } = bridge(settings());
  await until(() => b.stats().status === 'connected');
  for (let i = 0; i < 10; i++) b.enqueue(pub(i));
  expect(await b.stop(1000)).toBe(0);
  expect(k.delivered).toHaveLength(10);
  expect(k.disconnects).toBe(1);
  b.enqueue(pub(99));
  expect(b.stats()).toMatchObject({ status: 'stopped', enqueued: 10, buffered: 0 });
});

test('stop while Kafka is away gives up after the flush time and counts the rest as dropped', async () => {
  const k = new FakeKafka();
  k.up = false;
  const { b } = bridge(settings(), k);
  for (let i = 0; i < 7; i++) b.enqueue(pub(i));
  await until(() => k.connects >= 1);
  expect(await b.stop(50)).toBe(7);
  expect(b.stats()).toMatchObject({ status: 'stopped', dropped: 7, buffered: 0 });
  const connects = k.connects;
  await sleep(60);
  expect(k.connects).toBe(connects);
});

test('records Kafka refuses (MESSAGE_TOO_LARGE) are isolated by halving the batch and dropped; the rest goes through in order', async () => {
  const { b, k } = bridge(settings());
  await until(() => b.stats().status === 'connected');
  k.refuse = new Set(['p13', 'p14', 'p77']);
  for (let i = 0; i < 100; i++) b.enqueue(pub(i));
  await until(() => b.stats().buffered === 0 && b.stats().inflight === 0);
  expect(k.delivered).toEqual(Array.from({ length: 100 }, (_, i) => `p${i}`).filter((p) => !k.refuse.has(p)));
  expect(b.stats()).toMatchObject({ status: 'connected', sent: 97, rejected: 3, dropped: 0, failed_batches: 0 });
  expect(b.stats().last_error).toMatch(/MESSAGE_TOO_LARGE/);
  expect(k.disconnects).toBe(0);
  await b.stop(0);
});

test("refusal() finds Kafka's record-level refusals inside kafkajs' wrapped errors, and nothing else", () => {
  const tooLarge = new KafkaJSProtocolError({ message: 'The request included a message larger than the max message size the server will accept', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false } as unknown as string);
  expect(refusal(tooLarge)).toMatch(/^MESSAGE_TOO_LARGE: /);
  // what kafkajs' retrier rejects with when it bails out (runtime signature: (error, { cause }))
  const wrap = (e: Error): Error => new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(e, { cause: e });
  expect(refusal(wrap(tooLarge))).toMatch(/^MESSAGE_TOO_LARGE/);
  const auth = new KafkaJSProtocolError({ message: 'Not authorized to access topics', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false } as unknown as string);
  expect(refusal(wrap(auth))).toMatch(/^TOPIC_AUTHORIZATION_FAILED/);
  const conn = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
  expect(refusal(conn)).toBeUndefined();
  expect(refusal(new KafkaJSNumberOfRetriesExceeded(conn, { retryCount: 1, retryTime: 100 } as never))).toBeUndefined();
  const leader = new KafkaJSProtocolError({ message: 'There is no leader for this topic-partition', type: 'LEADER_NOT_AVAILABLE', code: 5, retriable: true } as unknown as string);
  expect(refusal(leader)).toBeUndefined();
});

describe("the Kafka record value: EMQX's JSON per event", () => {
  const [conn, disc, sub, unsub, , del, ack] = rules([
    'bridge.kafka.hook.client.connected.1 = {"topic": "client_connected"}',
    'bridge.kafka.hook.client.disconnected.1 = {"topic": "client_disconnected", "key": "${username}"}',
    'bridge.kafka.hook.session.subscribed.1 = {"filter": "#", "topic": "session_subscribed"}',
    'bridge.kafka.hook.session.unsubscribed.1 = {"filter": "#", "topic": "session_unsubscribed"}',
    'bridge.kafka.hook.message.publish.1 = {"filter": "#", "topic": "message_publish"}',
    'bridge.kafka.hook.message.delivered.1 = {"filter": "#", "topic": "message_delivered"}',
    'bridge.kafka.hook.message.acked.1 = {"filter": "#", "topic": "message_acked"}',
  ]) as Rule[];
  const N = 'emqx@127.0.0.1';
  const rec = (rule: Rule, kind: Kind, topic: string, payload: string, from: string) => new Rec(rule, kind, 'c1', 'u1', topic, payload, 1, from, 1700000000123, 0);

  test('client_connected: client_id, username, node, ts', () => {
    expect(JSON.parse(encodeValue(rec(conn!, Kind.Connected, '', '', ''), N))).toEqual({ client_id: 'c1', username: 'u1', node: N, ts: 1700000000123 });
  });
  test('client_disconnected: client_id, username, reason, node, ts; key ${username}', () => {
    const r = rec(disc!, Kind.Disconnected, 'keepalive_timeout', '', '');
    expect(JSON.parse(encodeValue(r, N))).toEqual({ client_id: 'c1', username: 'u1', reason: 'keepalive_timeout', node: N, ts: 1700000000123 });
    expect(recordKey(r)).toBe('u1');
  });
  test('session_subscribed / session_unsubscribed: client_id, topic, qos, node, ts', () => {
    for (const [r, k] of [[sub!, Kind.Subscribed], [unsub!, Kind.Unsubscribed]] as const) {
      expect(JSON.parse(encodeValue(rec(r, k, 'a/+', '', ''), N))).toEqual({ client_id: 'c1', topic: 'a/+', qos: 1, node: N, ts: 1700000000123 });
    }
  });
  test('message_delivered / message_acked: client_id, username, from, topic, payload, qos, node, ts', () => {
    for (const [r, k] of [[del!, Kind.Delivered], [ack!, Kind.Acked]] as const) {
      expect(JSON.parse(encodeValue(rec(r, k, 'a/b', 'aGk=', 'pub1'), N))).toEqual({ client_id: 'c1', username: 'u1', from: 'pub1', topic: 'a/b', payload: 'aGk=', qos: 1, node: N, ts: 1700000000123 });
    }
  });
  test('the payload is base64 by default, text with encode_payload_type = plain', () => {
    expect(payloadEncoder('base64')(Buffer.from('héllo'))).toBe(Buffer.from('héllo').toString('base64'));
    expect(payloadEncoder('plain')(Buffer.from('héllo'))).toBe('héllo');
  });
  test('an unknown username is JSON null, no key without a key option', () => {
    const r = new Rec(conn!, Kind.Connected, 'c1', null, '', '', 0, '', 1, 0);
    expect(JSON.parse(encodeValue(r, N)).username).toBeNull();
    expect(recordKey(r)).toBeNull();
  });
});

describe('JSON escaping and the kafkajs grouping patch', () => {
  const [rule] = rules(['bridge.kafka.hook.message.publish.1 = {"filter": "#", "topic": "t"}']) as Rule[];

  test('client ids, usernames, topics and plain payloads with quotes, backslashes, newlines and unicode stay valid JSON', () => {
    const nasty = 'a"b\\c\nd\u0000é😀';
    const r = new Rec(rule!, Kind.Publish, nasty, nasty, `t/${nasty}`, nasty, 2, '', 5, 0);
    expect(JSON.parse(encodeValue(r, `n"${nasty}`))).toEqual({ client_id: nasty, username: nasty, topic: `t/${nasty}`, payload: nasty, qos: 2, node: `n"${nasty}`, ts: 5 });
  });

  test('the linear grouping gives exactly what kafkajs 2.2 gives (partition -> records in order)', () => {
    const original = jest.requireActual('kafkajs/src/producer/groupMessagesPerPartition') as typeof groupMessagesPerPartition;
    const partitionMetadata = [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }];
    const messages = Array.from({ length: 500 }, (_, i) => ({ value: `v${i}`, p: (i * 7919) % 3 }));
    const partitioner = ({ message }: { message: unknown }) => (message as { p: number }).p;
    const a = groupMessagesPerPartition({ topic: 't', partitionMetadata, messages, partitioner });
    expect(a).toEqual(original({ topic: 't', partitionMetadata, messages, partitioner }));
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner })).toEqual({});
  });
});
