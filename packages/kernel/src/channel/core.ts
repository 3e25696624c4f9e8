// The state of one connection and what every packet handler shares: output,
// the queue of packets that wait for an async step, and closing. The handlers
// (connect.ts, publish.ts, subscribe.ts, deliver.ts, access/) are plain functions
// over this class; channel.ts dispatches to them.
import { encode, type ConnectPacket, type Packet, type ProtocolVersion } from '@nemq/codec';
import type { Ctx } from '../context.js';
import type { Broker } from '../broker/broker.js';
import type { Subscriptions } from '../broker/subscriptions.js';
import type { Message, AclResult, ClientInfo, ConnInfo, PubSub } from '../types.js';
import type { Zone } from '../zone.js';
import type { Session, Outlet, SessionOpts } from '../session/session.js';
import type { SessionSnapshot } from '../session/handover.js';
import type { AuthResult } from '../hooks/hookpoints.js';
import type { AclCache } from '../access/cache.js';
import type { Banned } from '../access/banned.js';
import type { Flapping } from '../access/flapping.js';
import { wakeSoon, type Feeder } from '../session/pressure.js';
import { limiterFor, type ConnLimiter } from '../limit/limiter.js';
import { connackFrame } from './connack.js';
import type { CertIdentity } from '../listener/peer-cert.js';
import { RC, v3ConnackCode } from './reason-codes.js';
import type { PacketTrace } from '../trace/tracer.js';

export interface Transport {
  readonly socktype: ConnInfo['socktype'];
  readonly peerhost: string;
  readonly peerport: number;
  readonly sockhost: string;
  readonly sockport: number;
  /** TLS: what the client certificate says (listener/peer-cert.ts) */
  readonly cert?: CertIdentity | undefined;
  /** queue a frame; frames are written once per event-loop turn */
  send(frame: Buffer): void;
  /** flush what is queued, then close */
  close(): void;
  /** bytes waiting in the socket; used to shed QoS 0 to slow clients */
  readonly backlog: number;
  /** backpressure: stop and restart reading the socket */
  pause?(): void;
  resume?(): void;
}

export interface SessionManager {
  /** open or resume a session for this channel; kicks an existing connection [MQTT-3.1.4-3] */
  open(ch: ChannelCore, cleanStart: boolean, handover?: SessionSnapshot): { session: Session; present: boolean };
  /** a handed-over session whose connection went away while it moved */
  adoptOffline(id: string, opts: SessionOpts, snap: SessionSnapshot, expiry: number): void;
  closed(ch: ChannelCore, reason: string): void;
  /** the will of a connection that did not send DISCONNECT (delayed as asked) */
  scheduleWill(ch: ChannelCore, msg: Message, delaySec: number): void;
}

/** sessions across cluster nodes (cluster/sessions.ts): set while this node is a member */
export interface ClusterSessions {
  readonly active: boolean;
  /** before the session opens here: the lock, then a takeover or discard on the node that has it */
  beforeOpen(clientid: string, cleanStart: boolean): Promise<SessionSnapshot | undefined>;
  /** after CONNACK: routes confirmed by the peers, the old node's pendings, the registry row */
  afterOpen(ch: ChannelCore, session: Session, handover: SessionSnapshot | undefined): void;
  /** the connection went away before its session opened */
  abortOpen(clientid: string): void;
}

export interface ChannelEnv extends Ctx {
  readonly broker: Broker;
  readonly cm: SessionManager;
  readonly cluster: ClusterSessions | undefined;
  /** the one subscribe/unsubscribe path */
  readonly subscriptions: Subscriptions;
  zone(name: string): Zone;
  /** the file ACL (acl.conf), evaluated after every plugin */
  fileAcl(ci: ClientInfo, action: PubSub, topic: string): AclResult | 'nomatch';
  nextMessageId(): number;
  /** checked at CONNECT when the zone's enable_ban is on */
  readonly banned: Pick<Banned, 'check'>;
  /** told of each disconnect when the zone's enable_flapping_detect is on */
  readonly flapping: Pick<Flapping, 'detect'>;
  /** set only while an `emqx_ctl trace` runs (trace/tracer.ts) */
  readonly traces: PacketTrace | undefined;
}

export const enum State { Idle, Connecting, Connected, Disconnected }

function limitOver(ch: ChannelCore): void {
  ch.limitTimer = undefined;
  // a backpressure hold keeps us paused; its wake resumes us
  ch.wake();
}

export abstract class ChannelCore implements Outlet, Feeder {
  state = State.Idle;
  version: ProtocolVersion = 4;
  clientinfo!: ClientInfo;
  conninfo!: ConnInfo;
  session: Session | undefined = undefined;
  zone: Zone;
  /** seconds */
  keepalive = 0;
  lastSeen = Date.now();
  readonly connectedAt = Date.now();
  will: Message | undefined = undefined;
  willDelay = 0;
  /** why the server closes the connection; reported to client.disconnected */
  closeReason: string | undefined = undefined;

  // the handlers' working state; nothing outside channel/ and access/ touches it

  /** packets that arrived while an async step (auth, ACL) was running */
  pending: Packet[] | undefined = undefined;
  busy = false;
  /** backpressure: sessions over high-water this channel feeds; packets wait while > 0 */
  holds = 0;
  /** traffic control (limit/limiter.ts); undefined when the zone limits nothing */
  readonly limiter: ConnLimiter | undefined;
  /** set while a rate limit or quota pauses us; packets wait, as for holds */
  limitTimer: NodeJS.Timeout | undefined = undefined;
  /** incoming topic aliases (client → broker) */
  aliasIn: Map<number, string> | undefined = undefined;
  /** outgoing topic aliases (broker → client) */
  aliasOut: Map<string, number> | undefined = undefined;
  aliasOutMax = 0;
  clientMaxPacket = 0;
  aclCache: AclCache | undefined = undefined;
  authMethod: string | undefined = undefined;
  authCache: unknown = undefined;
  authData: Buffer | undefined = undefined;
  connectPkt: ConnectPacket | undefined = undefined;
  /** the client id the server made up for an empty one (CONNACK says it) */
  assignedId: string | undefined = undefined;
  /** PUBACK (0x40) or PUBREC (0x50) owed for the PUBLISH being routed, 0 = none; its packet id */
  ackHead = 0;
  ackPid = 0;
  /** the last topic name that passed validation ('\0' can never be one) */
  lastTopic = '\u0000';

  constructor(
    readonly env: ChannelEnv,
    readonly transport: Transport,
    zoneName: string,
  ) {
    this.zone = env.zone(zoneName);
    this.limiter = limiterFor(this.zone);
  }

  get connected(): boolean {
    return this.state === State.Connected;
  }

  /** no CONNECT seen yet */
  get idle(): boolean {
    return this.state === State.Idle;
  }

  /** one packet, in order: queued while an async step runs */
  abstract dispatch(p: Packet): void;
  /** authentication succeeded or failed: open the session and answer CONNACK (connect.ts) */
  abstract authDone(r: AuthResult): void;
  /** Outlet: one delivery to this client (deliver.ts) */
  abstract sendPublish(msg: Message, qos: number, retain: boolean, dup: boolean, pid: number, subids: number[] | undefined): void;

  /** the async step is over: run what queued up meanwhile */
  runPending(): void {
    this.busy = false;
    while (!this.busy && this.holds === 0 && this.limitTimer === undefined && this.pending && this.pending.length > 0 && this.state !== State.Disconnected) {
      this.dispatch(this.pending.shift()!);
    }
  }

  // ---- backpressure (session/pressure.ts) ---------------------------------

  hold(): void {
    if (this.holds++ === 0) this.transport.pause?.();
  }

  unhold(): void {
    if (this.holds > 0 && --this.holds === 0) wakeSoon(this);
  }

  /** our own session is pressing: we must be read (its PUBACKs drain it) */
  unholdAll(): void {
    if (this.holds === 0) return;
    this.holds = 0;
    wakeSoon(this);
  }

  wake(): void {
    if (this.holds > 0 || this.limitTimer !== undefined || this.state === State.Disconnected) return;
    // the silence while held was ours, not the client's
    this.lastSeen = Date.now();
    this.transport.resume?.();
    if (!this.busy) this.runPending();
  }

  // ---- traffic control (limit/) -------------------------------------------

  /** a limit is used up: stop reading for `ms` (EMQX pauses the socket the same way) */
  limitPause(ms: number): void {
    if (ms <= 0 || this.limitTimer !== undefined || this.state === State.Disconnected) return;
    this.env.logger.debug(`${this.transport.peerhost}:${this.transport.peerport} paused ${ms}ms by rate limit`);
    this.transport.pause?.();
    this.limitTimer = setTimeout(limitOver, ms, this);
  }

  // ---- output ------------------------------------------------------------

  sendPacket(p: Packet): void {
    this.transport.send(encode(p, this.version));
    this.env.metrics['packets.sent']++;
  }

  /** an encoded packet */
  sendFrame(frame: Buffer): void {
    this.transport.send(frame);
    this.env.metrics['packets.sent']++;
  }

  sendPubrel(pid: number): void {
    this.sendPacket({ cmd: 'pubrel', messageId: pid });
    this.env.metrics['packets.pubrel.sent']++;
  }

  headers(): Message['headers'] {
    return { username: this.clientinfo.username, peerhost: this.clientinfo.peerhost, proto_ver: this.version };
  }

  // ---- closing -----------------------------------------------------------

  /** refuses the connection: CONNACK with an error code, then close */
  connackError(code: number, reason: string): void {
    const env = this.env;
    env.metrics['packets.connack.error']++;
    env.metrics['client.connack']++;
    const connack = env.registry.hooks['client.connack'];
    let props: Record<string, unknown> | undefined;
    if (connack.isUsed() && this.conninfo) props = connack.call({}, this.conninfo, reason);
    const rc = this.version === 5 ? code : v3ConnackCode(code);
    // unsent when it cannot fit the client's maximum [MQTT-3.1.2-25]; closed either way
    const frame = connackFrame(this.version, this.clientMaxPacket, false, rc, props && Object.keys(props).length ? props : undefined);
    if (frame) {
      this.sendFrame(frame);
      env.metrics['packets.connack.sent']++;
    }
    this.closeReason = reason;
    this.shutdown();
  }

  /** server-initiated DISCONNECT (v5 only sends the packet) [MQTT-4.13] */
  disconnect(rc: number, reason: string): void {
    if (this.state === State.Disconnected) return;
    if (this.version === 5 && this.state !== State.Idle) {
      if (this.state === State.Connecting) {
        this.sendPacket({ cmd: 'connack', sessionPresent: false, reasonCode: rc });
      } else {
        this.sendPacket({ cmd: 'disconnect', reasonCode: rc });
        this.env.metrics['packets.disconnect.sent']++;
      }
    }
    this.closeReason = reason;
    this.shutdown();
  }

  /** malformed input from the codec or a protocol violation */
  protocolError(why: string, rc: number = RC.PROTOCOL_ERROR): void {
    this.env.logger.debug(`${this.transport.peerhost}:${this.transport.peerport} ${why}`);
    this.disconnect(rc, rc === RC.MALFORMED_PACKET ? 'malformed_packet' : rc === RC.PACKET_TOO_LARGE ? 'frame_too_large' : 'protocol_error');
  }

  /** kicked by the node: takeover 0x8E, shutdown 0x8B, admin kick 0x98 */
  kick(rc: number, reason: string): void {
    this.disconnect(rc, reason);
  }

  internalError(err: unknown): void {
    this.env.logger.error(`channel ${this.clientinfo?.clientid ?? '?'}: ${(err as Error)?.stack ?? String(err)}`);
    if (this.state === State.Connecting) return this.connackError(RC.UNSPECIFIED_ERROR, 'server_unavailable');
    this.disconnect(RC.UNSPECIFIED_ERROR, 'internal_error');
  }

  shutdown(): void {
    if (this.state === State.Disconnected) return;
    this.transport.close();
    this.closed(this.closeReason ?? 'closed');
  }

  /** the connection is gone (socket closed, kicked, or protocol error) */
  closed(reason: string): void {
    const was = this.state;
    if (was === State.Disconnected) return;
    this.state = State.Disconnected;
    this.pending = undefined;
    if (this.limitTimer !== undefined) {
      clearTimeout(this.limitTimer);
      this.limitTimer = undefined;
    }
    if (was !== State.Connected) return;
    const env = this.env;
    this.conninfo.connected = false;
    this.conninfo.disconnected_at = Date.now();
    if (this.session && this.session.outlet === this) {
      this.session.outlet = undefined;
      // offline: EMQX's queue semantics again; the publishers it held go on
      this.session.relax();
    }
    const r = this.closeReason ?? reason;
    if (this.zone.enableFlappingDetect) env.flapping.detect(this.clientinfo.clientid, this.clientinfo.peerhost);
    if (this.will) env.cm.scheduleWill(this, this.will, this.willDelay);
    env.metrics['client.disconnected']++;
    const hook = env.registry.hooks['client.disconnected'];
    if (hook.isUsed()) hook.call(this.clientinfo, r, this.conninfo);
    env.cm.closed(this, r);
  }

  /** a takeover moves the session away; this channel must not touch it afterwards */
  detachSession(): void {
    if (this.session && this.session.outlet === this) {
      this.session.outlet = undefined;
      // offline: EMQX's queue semantics again; the publishers it held go on
      this.session.relax();
    }
    this.session = undefined;
    this.will = undefined;
  }
}
