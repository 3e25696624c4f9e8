// An unbounded QoS 0 blast into a subscriber that stops reading (issue 8, hostile
// clients): the broker sheds QoS 0 to that socket above 16 MB of unsent data
// (docs/backpressure.md), counts every shed message, keeps serving the others and
// does not hold the publisher (QoS 0 never holds anyone).
import { encode, type Packet } from '@nemq/codec';
import { RawClient } from './raw';
import { startBroker, waitFor, type TestBroker } from './helpers';

const N = 40_000;
const PAYLOAD = Buffer.alloc(1024, 0x61);
const LIMIT = 16 * 1024 * 1024;

class Raw extends RawClient {
  received = 0;
  pongs = 0;

  static open(port: number, clientId: string, sub?: string): Promise<Raw> {
    return new Raw(port).start(clientId, 600, sub, 0);
  }

  protected override onPacket(p: Packet): void {
    if (p.cmd === 'publish') this.received++;
    if (p.cmd === 'pingresp') this.pongs++;
  }

  /** N QoS 0 PUBLISHes as fast as the socket takes them; resolves when all are written */
  blast(topic: string, n: number): Promise<void> {
    const frame = encode({ cmd: 'publish', qos: 0, dup: false, retain: false, topic, payload: PAYLOAD }, 4);
    let sent = 0;
    return new Promise((resolve) => {
      const pump = (): void => {
        while (sent < n) {
          sent++;
          if (!this.sock.write(frame)) return void this.sock.once('drain', pump);
        }
        resolve();
      };
      pump();
    });
  }

}

let b: TestBroker | undefined;
const clients: Raw[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await b?.stop();
  b = undefined;
});

test('a QoS 0 blast into a subscriber that stops reading: shed above 16 MB and counted, others served, publisher not held', async () => {
  b = await startBroker({ retainer: false });
  const open = async (id: string, sub?: string): Promise<Raw> => {
    const c = await Raw.open(b!.port, id, sub);
    clients.push(c);
    return c;
  };
  const slow = await open('blast-slow', 'blast/t');
  const fast = await open('blast-fast', 'blast/t');
  const other = await open('blast-other');
  const pub = await open('blast-pub');
  slow.sock.pause(); // reads nothing from now on: the broker's writes to it pile up

  const transport = b.node.cm.channels.get('blast-slow')!.transport;
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, transport.backlog)), 5);
  try {
    const written = pub.blast('blast/t', N);
    // another client is answered while the blast runs
    await other.request({ cmd: 'pingreq' });
    await written;
    const m = b.node.metrics;
    const fastT = b.node.cm.channels.get('blast-fast')!.transport;
    await waitFor(() => m['messages.received'] >= N, 60_000, 'the broker to read every PUBLISH');
    peak = Math.max(peak, transport.backlog);
    // the subscriber that reads drains fully; the one that does not keeps its 16 MB
    await waitFor(() => fastT.backlog === 0, 60_000, 'the reading subscriber to drain');
    expect(m['delivery.dropped.queue_full']).toBeGreaterThan(0);
    // bounded: the limit plus the batch that crossed it
    expect(peak).toBeLessThanOrEqual(LIMIT + 256 * 1024);
    expect(transport.backlog).toBeGreaterThan(LIMIT / 2);
    slow.sock.resume();
    // every copy is either delivered or counted as dropped
    const dropped = (): number => m['delivery.dropped.queue_full'];
    await waitFor(() => fast.received + slow.received + dropped() === 2 * N, 60_000, 'both subscribers to drain');
    expect(slow.received).toBeLessThan(N);
    expect(slow.received).toBeGreaterThan(LIMIT / 2 / PAYLOAD.length);
    expect(m['delivery.dropped']).toBe(dropped());
    expect(other.pongs).toBe(1);
  } finally {
    clearInterval(sample);
  }
}, 90_000);
