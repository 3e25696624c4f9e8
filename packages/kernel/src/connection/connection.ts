// Socket IO for one client: feeds bytes to the parser, packets to the channel, and
// writes queued frames once per event-loop turn (one write per socket per turn).
import { Parser, type CodecError } from '@nemq/codec';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { Channel, type ChannelEnv, type Transport } from '../channel/channel.js';
import type { ConnInfo } from '../types.js';
import type { CertIdentity } from '../listener/peer-cert.js';

const NO_FRAMES: Buffer[] = [];
let dirty: Connection[] = [];
let spare: Connection[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const list = dirty;
  dirty = spare;
  spare = list;
  for (let i = 0; i < list.length; i++) list[i]!.flush();
  list.length = 0;
}

/** Pause reading while this many packets wait for an async step (auth, ACL). */
export abstract class Connection implements Transport {
  abstract readonly socktype: ConnInfo['socktype'];
  readonly channel: Channel;
  readonly parser: Parser;
  /** frames waiting for this turn's write; the shared empty list while idle */
  private out: Buffer[] = NO_FRAMES;
  private outBytes = 0;
  private queued = false;
  protected closing = false;
  bytesIn = 0;
  bytesOut = 0;
  cert: CertIdentity | undefined = undefined;

  constructor(
    protected readonly env: ChannelEnv,
    zone: string,
    readonly peerhost: string,
    readonly peerport: number,
    readonly sockhost: string,
    readonly sockport: number,
    private readonly registry: Set<Connection>,
  ) {
    this.channel = new Channel(env, this, zone);
    this.parser = new Parser({ maxPacketSize: this.channel.zone.maxPacketSize });
    this.parser.onPacket = (p) => this.channel.handle(p);
    this.parser.onError = (e: CodecError) => this.codecError(e);
    registry.add(this);
  }

  protected onData(chunk: Buffer): void {
    // [MQTT-3.1.0-1] the first packet must be CONNECT: refuse anything else at its first byte
    if (this.bytesIn === 0 && chunk.length > 0 && chunk[0] !== 0x10) {
      this.bytesIn = chunk.length;
      this.channel.protocolError('first packet is not CONNECT');
      this.destroy();
      return;
    }
    this.bytesIn += chunk.length;
    this.env.metrics['bytes.received'] += chunk.length;
    this.channel.lastSeen = Date.now();
    this.parser.parse(chunk);
    // rate_limit.conn_bytes_in: what was read is handled, then reading stops until paid back
    const l = this.channel.limiter;
    if (l !== undefined) this.channel.limitPause(l.bytes(chunk.length));
  }

  private codecError(e: CodecError): void {
    // A bad CONNECT is answered with a CONNACK before the close: v5 gets the reason code,
    // v3 the unacceptable-protocol code 0x01 for a name or level we do not speak [MQTT-3.1.2-2]
    if (this.channel.idle) {
      if (this.parser.protocolVersion === 5) this.send(Buffer.from([0x20, 3, 0, e.reasonCode, 0]));
      else if (e.reasonCode === 0x84) this.send(Buffer.from([0x20, 2, 0, 1]));
      this.close();
      return;
    }
    this.channel.protocolError(e.message, e.reasonCode);
  }

  send(frame: Buffer): void {
    if (this.closing) return;
    if (this.env.traces !== undefined) this.env.traces.frameOut(this.channel, frame);
    if (this.out === NO_FRAMES) this.out = [];
    this.out.push(frame);
    this.outBytes += frame.length;
    if (!this.queued) {
      this.queued = true;
      dirty.push(this);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushAll);
      }
    }
  }

  flush(): void {
    this.queued = false;
    const out = this.out;
    if (out.length === 0) return;
    const data = out.length === 1 ? out[0]! : Buffer.concat(out, this.outBytes);
    this.bytesOut += this.outBytes;
    this.env.metrics['bytes.sent'] += this.outBytes;
    this.out = NO_FRAMES;
    this.outBytes = 0;
    this.write(data);
  }

  close(): void {
    if (this.closing) return;
    this.flush();
    this.closing = true;
    this.end();
  }

  protected gone(reason: string): void {
    this.closing = true;
    this.registry.delete(this);
    this.channel.closed(reason);
  }

  /** bytes not yet taken by the peer: this turn's batch plus what the socket holds */
  get backlog(): number {
    return this.outBytes + this.written;
  }
  /** bytes the socket (or WebSocket) still holds */
  protected abstract get written(): number;
  protected abstract write(data: Buffer): void;
  protected abstract end(): void;
  abstract destroy(): void;
}

// Socket listeners are shared functions (no closures per connection): the socket
// carries its connection under a symbol.
const kConn = Symbol('nemq.connection');
type OwnedSocket = Socket & { [kConn]: SocketConnection };
function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[kConn].receive(chunk);
}
function onSocketError(this: OwnedSocket): void {
  this.destroy();
}
function onSocketClose(this: OwnedSocket): void {
  this[kConn].closedBySocket();
}
function onSocketEnd(this: OwnedSocket): void {
  this.end();
}

export class SocketConnection extends Connection {
  /** `peer`: the client named by a PROXY protocol header, instead of the socket's peer */
  constructor(env: ChannelEnv, zone: string, readonly socket: Socket, readonly socktype: 'tcp' | 'ssl', registry: Set<Connection>, peer?: { host: string; port: number }) {
    super(env, zone, peer?.host ?? stripV4(socket.remoteAddress), peer?.port ?? socket.remotePort ?? 0, stripV4(socket.localAddress), socket.localPort ?? 0, registry);
    (socket as OwnedSocket)[kConn] = this;
    socket.on('data', onSocketData);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('end', onSocketEnd);
  }
  receive(chunk: Buffer): void {
    this.onData(chunk);
  }
  closedBySocket(): void {
    this.gone('closed');
  }
  protected get written(): number {
    return this.socket.writableLength;
  }
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    if (!this.socket.destroyed) this.socket.resume();
  }
  protected write(data: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }
  protected end(): void {
    this.socket.end();
    // a peer that never reads must not keep the socket open
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }
  destroy(): void {
    this.socket.destroy();
  }
}

export class WsConnection extends Connection {
  constructor(env: ChannelEnv, zone: string, readonly ws: WebSocket, readonly socktype: 'ws' | 'wss', peer: { host: string; port: number; localHost: string; localPort: number }, registry: Set<Connection>) {
    super(env, zone, peer.host, peer.port, peer.localHost, peer.localPort, registry);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // [MQTT-6.0.0-1] MQTT goes in binary frames only
      if (!isBinary) {
        this.channel.protocolError('text frame on MQTT WebSocket');
        return;
      }
      this.onData(data);
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => this.gone('closed'));
  }
  protected get written(): number {
    return this.ws.bufferedAmount;
  }
  pause(): void {
    this.ws.pause();
  }
  resume(): void {
    if (this.ws.readyState === 1) this.ws.resume();
  }
  protected write(data: Buffer): void {
    if (this.ws.readyState === 1) this.ws.send(data, { binary: true });
  }
  protected end(): void {
    this.ws.close();
    setTimeout(() => this.ws.terminate(), 5000).unref();
  }
  destroy(): void {
    this.ws.terminate();
  }
}

const addresses = new Map<string, string>();

/** `::ffff:1.2.3.4` → `1.2.3.4`; interned, so many connections from one host share one string */
export function stripV4(addr: string | undefined): string {
  if (!addr) return '';
  let a = addresses.get(addr);
  if (a === undefined) {
    a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
    if (addresses.size >= 4096) addresses.clear();
    addresses.set(addr, a);
  }
  return a;
}
