// A raw MQTT 3.1.1 client over a socket, for tests that decide themselves when acks go out and
// how many packets are in flight. Subclasses see every packet in onPacket.
import * as net from 'node:net';
import { Parser, encode, type Packet } from '@nemq/codec';

export class RawClient {
  readonly sock: net.Socket;
  private readonly parser = new Parser();
  private ready: (() => void) | undefined;

  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.parser.onPacket = (p) => {
      if (p.cmd === 'connack' || p.cmd === 'suback' || p.cmd === 'pingresp') this.ready?.();
      this.onPacket(p);
    };
    this.sock.on('data', (d) => this.parser.parse(d));
    this.sock.on('error', () => undefined);
  }

  /** CONNECT (clean session) and, with `sub`, SUBSCRIBE at `qos`; resolves on the CONNACK / SUBACK */
  async start(clientId: string, keepalive: number, sub?: string, qos: 0 | 1 = 1): Promise<this> {
    await this.request({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive, clientId });
    if (sub) await this.request({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: sub, qos }] });
    return this;
  }

  /** sends `p`; resolves on the next CONNACK, SUBACK or PINGRESP */
  request(p: Packet): Promise<void> {
    return new Promise((r) => {
      this.ready = r;
      this.sock.write(encode(p, 4));
    });
  }

  protected onPacket(_p: Packet): void {}

  close(): void {
    this.sock.destroy();
  }
}
