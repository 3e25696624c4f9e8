// The channel over packet objects: a fake transport that decodes what the channel sends,
// and a node without listeners to open channels on.
import { Parser, type Packet } from '@nemq/codec';
import { BrokerNode } from '../../src/node';
import { Channel, type Transport } from '../../src/channel/channel';
import { createLogger } from '../../src/logger';
import { defaultZone, type Zone } from '../../src/zone';

export class FakeTransport implements Transport {
  readonly socktype = 'tcp' as const;
  readonly peerhost = '127.0.0.1';
  readonly peerport = 5555;
  readonly sockhost = '127.0.0.1';
  readonly sockport = 1883;
  readonly backlog = 0;
  closed = false;
  /** decoded packets, in the order sent */
  readonly out: Packet[] = [];
  /** the raw frames */
  readonly frames: Buffer[] = [];
  private readonly parser = new Parser();
  constructor(version: 3 | 4 | 5) {
    this.parser.protocolVersion = version;
    this.parser.onPacket = (p) => this.out.push(p);
    this.parser.onError = (e) => { throw e; };
  }
  send(frame: Buffer): void {
    this.frames.push(frame);
    this.parser.parse(frame);
  }
  close(): void {
    this.closed = true;
  }
}

/** a node with one zone `external`, and open(id) to connect a channel to it */
export function setup(zone: Partial<Zone> = {}) {
  const z = defaultZone('external', zone);
  const node = new BrokerNode({ logger: createLogger('none'), zones: { external: z }, listeners: [] });
  const open = (id: string, version: 3 | 4 | 5 = 5, extra: Record<string, unknown> = {}) => {
    const t = new FakeTransport(version);
    const ch = new Channel(node, t, 'external');
    const protocolId = version === 3 ? 'MQIsdp' : 'MQTT';
    ch.handle({ cmd: 'connect', protocolId, protocolVersion: version, clean: true, keepalive: 60, clientId: id, ...extra } as Packet);
    return { ch, t };
  };
  return { node, open };
}
