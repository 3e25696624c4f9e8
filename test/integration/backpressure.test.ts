// Backpressure (docs/backpressure.md): a publisher runs at the speed of its
// slowest online QoS 1 subscriber instead of having acknowledged messages dropped.
// Raw MQTT 3.1.1 clients, so the test decides when PUBACKs go out and how many
// PUBLISHes are in flight.
import { encode, type Packet } from '@nemq/codec';
import { RawClient } from './raw';
import { startBroker, waitFor, type TestBroker } from './helpers';

const MQUEUE = 100;
const INFLIGHT = 10;
const WINDOW = 64;
const TOTAL = 3000;

class Raw extends RawClient {
  /** PUBLISHes received from the broker */
  received = 0;
  /** their packet ids, not acked yet */
  unacked: number[] = [];
  /** PUBACKs received for our own PUBLISHes */
  acked = 0;
  /** the most PUBACKs we were ever ahead of `lagging.received` */
  ahead = 0;
  lagging: Raw | undefined;
  private sent = 0;
  private total = 0;
  private topic = '';

  static open(port: number, clientId: string, sub?: string): Promise<Raw> {
    return new Raw(port).start(clientId, 60, sub);
  }

  protected override onPacket(p: Packet): void {
    if (p.cmd === 'publish') {
      this.received++;
      this.unacked.push(p.messageId!);
    } else if (p.cmd === 'puback') {
      this.acked++;
      if (this.lagging) this.ahead = Math.max(this.ahead, this.acked - this.lagging.received);
      this.pump();
    }
  }

  /** QoS 1 PUBLISHes to `topic`, at most WINDOW unacknowledged */
  publish(topic: string, total: number): void {
    this.topic = topic;
    this.total = total;
    for (let i = 0; i < WINDOW; i++) this.pump();
  }

  private pump(): void {
    if (this.sent >= this.total || this.sent - this.acked >= WINDOW) return;
    this.sent++;
    const pid = ((this.sent - 1) % 65535) + 1;
    this.sock.write(encode({ cmd: 'publish', qos: 1, dup: false, retain: false, topic: this.topic, messageId: pid, payload: Buffer.from(String(this.sent)) }, 4));
  }

  /** PUBACK up to n received PUBLISHes */
  ack(n: number): void {
    const ids = this.unacked.splice(0, n);
    if (ids.length > 0) this.sock.write(Buffer.concat(ids.map((id) => encode({ cmd: 'puback', messageId: id }, 4))));
  }

  /** a slow subscriber: acks `n` every few ms until stopped */
  ackSlowly(n: number): () => void {
    const t = setInterval(() => this.ack(n), 2);
    return () => clearInterval(t);
  }

}

let b: TestBroker | undefined;
const clients: Raw[] = [];
const open = async (id: string, sub?: string): Promise<Raw> => {
  const c = await Raw.open(b!.port, id, sub);
  clients.push(c);
  return c;
};
const stops: Array<() => void> = [];
afterEach(async () => {
  stops.splice(0).forEach((s) => s());
  clients.splice(0).forEach((c) => c.close());
  await b?.stop();
  b = undefined;
});

const zone = { maxMqueueLen: MQUEUE, maxInflight: INFLIGHT };

/** a fast publisher and a slow subscriber on the running broker: everything arrives, none dropped */
async function heldRun(): Promise<void> {
  const sub = await open('bp-sub', 'bp/t');
  const pub = await open('bp-pub');
  pub.lagging = sub;
  stops.push(sub.ackSlowly(5));
  pub.publish('bp/t', TOTAL);
  await waitFor(() => pub.acked === TOTAL && sub.received === TOTAL, 20000, 'all messages');
  expect(b!.node.metrics['delivery.dropped']).toBe(0);
  // acknowledged but not delivered yet: the window plus the queue, never more
  expect(pub.ahead).toBeLessThanOrEqual(MQUEUE + INFLIGHT);
}

test('a fast QoS 1 publisher is held to a slow subscriber: every acknowledged message arrives, none dropped', async () => {
  b = await startBroker({ zone, retainer: false });
  await heldRun();
});

test('a publisher whose ACL check is asynchronous (an auth plugin) is held too: none dropped', async () => {
  // no ACL cache: every PUBLISH is checked by the hook and routed from its callback
  b = await startBroker({ zone: { ...zone, enableAclCache: false }, retainer: false });
  let checks = 0;
  b.node.tap('async_acl', 'client.check_acl', () => new Promise<undefined>((r) => setImmediate(() => r(void checks++))));
  await heldRun();
  expect(checks).toBeGreaterThanOrEqual(TOTAL);
});

test('with backpressure = off, EMQX drops the oldest queued messages (counted)', async () => {
  b = await startBroker({ zone: { ...zone, backpressure: false }, retainer: false });
  const sub = await open('bp-sub', 'bp/t');
  const pub = await open('bp-pub');
  stops.push(sub.ackSlowly(5));
  pub.publish('bp/t', TOTAL);
  await waitFor(() => pub.acked === TOTAL, 20000, 'all PUBACKs');
  const dropped = (): number => b!.node.metrics['delivery.dropped.queue_full'];
  await waitFor(() => sub.received + dropped() === TOTAL, 20000, 'the queue to drain');
  expect(dropped()).toBeGreaterThan(0);
  expect(b.node.metrics['delivery.dropped']).toBe(dropped());
});

test('a client publishing to its own subscription is never held by its own queue', async () => {
  b = await startBroker({ zone, retainer: false });
  const self = await open('bp-self', 'bp/self');
  stops.push(self.ackSlowly(5));
  self.publish('bp/self', TOTAL);
  // EMQX semantics for its own queue: it may drop, it must not hang
  await waitFor(() => self.acked === TOTAL, 20000, 'all PUBACKs');
  await waitFor(() => self.received + b!.node.metrics['delivery.dropped'] === TOTAL, 20000, 'the queue to drain');
});

test('two clients feeding each other’s queues both finish', async () => {
  b = await startBroker({ zone, retainer: false });
  const a = await open('bp-a', 'bp/a');
  const c = await open('bp-b', 'bp/b');
  stops.push(a.ackSlowly(5), c.ackSlowly(5));
  a.publish('bp/b', TOTAL);
  c.publish('bp/a', TOTAL);
  await waitFor(() => a.acked === TOTAL && c.acked === TOTAL, 20000, 'both publishers');
  const dropped = (): number => b!.node.metrics['delivery.dropped'];
  await waitFor(() => a.received + c.received + dropped() === 2 * TOTAL, 20000, 'both queues to drain');
});

test('a subscriber that goes away releases the publishers it held', async () => {
  b = await startBroker({ zone, retainer: false });
  const sub = await open('bp-gone', 'bp/g');
  const pub = await open('bp-pub2');
  pub.publish('bp/g', TOTAL);
  // no acks at all: the publisher is held once the queue is at high-water
  await waitFor(() => b!.node.cm.sessions.get('bp-gone')!.pressing, 5000, 'high-water');
  const before = pub.acked;
  expect(before).toBeLessThan(TOTAL);
  sub.close();
  await waitFor(() => pub.acked === TOTAL, 20000, 'the publisher to go on');
});
