// The MQTT protocol state machine of one connection (reference: emqx_channel).
// It does no IO of its own: frames go out through the Transport, which batches
// them per event-loop turn, and everything else arrives as packet objects.
import { encode, PublishEncoder, type ConnectPacket, type Packet, type ProtocolVersion, type PublishPacket, type PublishProperties, type QoS, type SubscribePacket, type UnsubscribePacket, type AuthPacket, type DisconnectPacket } from '@nemq/codec';
import type { Ctx } from '../context.js';
import type { Broker } from '../broker/broker.js';
import { Message, type AclResult, type ClientInfo, type ConnInfo, type PubSub, type SubOpts } from '../types.js';
import type { Zone } from '../zone.js';
import { Session, type Outlet } from '../session/session.js';
import { mount, parseShare, unmount, validTopicFilter, validTopicName } from '@nemq/sdk';
import type { AuthResult, TopicFilters } from '../hooks/hookpoints.js';
import { RC, authReasonCode, v3ConnackCode } from './reason-codes.js';
import { AclCache } from '../access/cache.js';

export interface Transport {
  readonly socktype: ConnInfo['socktype'];
  readonly peerhost: string;
  readonly peerport: number;
  readonly sockhost: string;
  readonly sockport: number;
  /** queue a frame; frames are written once per event-loop turn */
  send(frame: Buffer): void;
  /** flush what is queued, then close */
  close(): void;
  /** bytes waiting in the socket; used to shed QoS 0 to slow clients */
  readonly backlog: number;
}

export interface SessionManager {
  /** open or resume a session for this channel; kicks an existing connection [MQTT-3.1.4-3] */
  open(ch: Channel, cleanStart: boolean): { session: Session; present: boolean };
  closed(ch: Channel, reason: string): void;
  /** the will of a connection that did not send DISCONNECT (delayed as asked) */
  scheduleWill(ch: Channel, msg: Message, delaySec: number): void;
}

export interface ChannelEnv extends Ctx {
  readonly broker: Broker;
  readonly cm: SessionManager;
  zone(name: string): Zone;
  /** the file ACL (acl.conf), evaluated after every plugin */
  fileAcl(ci: ClientInfo, action: PubSub, topic: string): AclResult | 'nomatch';
  nextMessageId(): number;
}

const enum State { Idle, Connecting, Connected, Disconnected }

/** drop QoS 0 deliveries to a client whose socket holds more than this */
const QOS0_BACKLOG_LIMIT = 16 * 1024 * 1024;

export class Channel implements Outlet {
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
  /** packets that arrived while an async step (auth, ACL) was running */
  private pending: Packet[] | undefined = undefined;
  private busy = false;
  /** incoming topic aliases (client → broker) */
  private aliasIn: Map<number, string> | undefined = undefined;
  /** outgoing topic aliases (broker → client) */
  private aliasOut: Map<string, number> | undefined = undefined;
  private aliasOutMax = 0;
  private clientMaxPacket = 0;
  private aclCache: AclCache | undefined = undefined;
  private authMethod: string | undefined = undefined;
  private authCache: unknown = undefined;
  private connectPkt: ConnectPacket | undefined = undefined;
  /** the last topic name that passed validation ('\0' can never be one) */
  private lastTopic = '\u0000';
  /** why the server closes the connection; reported to client.disconnected */
  closeReason: string | undefined = undefined;

  constructor(
    readonly env: ChannelEnv,
    readonly transport: Transport,
    zoneName: string,
  ) {
    this.zone = env.zone(zoneName);
  }

  get connected(): boolean {
    return this.state === State.Connected;
  }

  /** no CONNECT seen yet */
  get idle(): boolean {
    return this.state === State.Idle;
  }

  // ---- input -------------------------------------------------------------

  handle(p: Packet): void {
    if (this.busy) {
      (this.pending ??= []).push(p);
      return;
    }
    this.dispatch(p);
  }

  private dispatch(p: Packet): void {
    // bytes that were already read when the connection ended are dropped
    if (this.state === State.Disconnected) return;
    const m = this.env.metrics;
    m['packets.received']++;
    if (this.state !== State.Connected) {
      if (p.cmd === 'connect' && this.state === State.Idle) return this.onConnect(p);
      if (p.cmd === 'auth' && this.state === State.Connecting) return this.onAuth(p);
      // [MQTT-3.1.0-1] the first packet must be CONNECT; [MQTT-3.1.0-2] a second CONNECT is a protocol error
      return this.protocolError(`unexpected ${p.cmd} before CONNECT`);
    }
    switch (p.cmd) {
      case 'publish':
        return this.onPublish(p);
      case 'puback': {
        m['packets.puback.received']++;
        const msg = this.session!.puback(p.messageId);
        if (msg) this.acked(msg);
        else m['packets.puback.missed']++;
        return;
      }
      case 'pubrec': {
        m['packets.pubrec.received']++;
        const msg = this.session!.pubrec(p.messageId);
        if (msg) {
          if (p.reasonCode !== undefined && p.reasonCode >= 0x80) {
            // an error PUBREC ends the flow
            this.session!.pubcomp(p.messageId);
            return;
          }
          this.acked(msg);
          this.sendPubrel(p.messageId);
        } else {
          m['packets.pubrec.missed']++;
          this.sendPacket({ cmd: 'pubrel', messageId: p.messageId, reasonCode: RC.PACKET_ID_NOT_FOUND });
        }
        return;
      }
      case 'pubrel': {
        m['packets.pubrel.received']++;
        const ok = this.session!.release(p.messageId);
        if (!ok) m['packets.pubrel.missed']++;
        // [MQTT-4.3.3-11] answer PUBCOMP even for an unknown id
        this.sendPacket({ cmd: 'pubcomp', messageId: p.messageId, reasonCode: ok ? 0 : RC.PACKET_ID_NOT_FOUND });
        m['packets.pubcomp.sent']++;
        return;
      }
      case 'pubcomp':
        m['packets.pubcomp.received']++;
        if (!this.session!.pubcomp(p.messageId)) m['packets.pubcomp.missed']++;
        return;
      case 'subscribe':
        return this.onSubscribe(p);
      case 'unsubscribe':
        return this.onUnsubscribe(p);
      case 'pingreq':
        m['packets.pingreq.received']++;
        this.sendPacket({ cmd: 'pingresp' });
        m['packets.pingresp.sent']++;
        return;
      case 'disconnect':
        return this.onDisconnect(p);
      case 'auth':
        return this.onAuth(p);
      default:
        return this.protocolError(`unexpected ${p.cmd}`);
    }
  }

  private runPending(): void {
    this.busy = false;
    while (!this.busy && this.pending && this.pending.length > 0 && this.state !== State.Disconnected) {
      this.dispatch(this.pending.shift()!);
    }
  }

  // ---- CONNECT -----------------------------------------------------------

  private onConnect(p: ConnectPacket): void {
    const env = this.env;
    env.metrics['packets.connect.received']++;
    env.metrics['client.connect']++;
    this.state = State.Connecting;
    this.version = p.protocolVersion;
    this.connectPkt = p;
    this.keepalive = p.keepalive;
    const t = this.transport;
    const props: NonNullable<ConnectPacket["properties"]> = p.properties ?? NO_PROPS;
    this.conninfo = {
      socktype: t.socktype,
      sockname: `${t.sockhost}:${t.sockport}`,
      peername: `${t.peerhost}:${t.peerport}`,
      proto_name: p.protocolId,
      proto_ver: p.protocolVersion,
      clean_start: p.clean,
      clientid: p.clientId,
      username: p.username,
      conn_props: props as Record<string, unknown>,
      connected: false,
      connected_at: Date.now(),
      keepalive: p.keepalive,
      receive_maximum: props.receiveMaximum ?? 65535,
      expiry_interval: 0,
    };
    const hook = env.registry.hooks['client.connect'];
    if (hook.isUsed()) {
      this.busy = true;
      hook.promise(props as Record<string, unknown>, this.conninfo).then(
        (acc) => {
          if (acc && typeof (acc as { error?: unknown }).error === 'number') return this.connackError((acc as { error: number }).error, 'not_authorized');
          if (acc) this.conninfo.conn_props = acc as Record<string, unknown>;
          this.checkConnect(p);
        },
        (err) => this.internalError(err),
      );
      return;
    }
    this.checkConnect(p);
  }

  private checkConnect(p: ConnectPacket): void {
    const zone = this.zone;
    let clientid = p.clientId;
    // [MQTT-3.1.3-8] an empty id comes with a clean session (EMQX refuses it otherwise, v5 too: 0x85);
    // MQTT 3.1 has no empty ids at all
    if (clientid.length === 0 && (!p.clean || this.version === 3)) {
      return this.connackError(RC.CLIENT_ID_NOT_VALID, 'client_identifier_not_valid');
    }
    if (clientid.length > zone.maxClientidLen) return this.connackError(RC.CLIENT_ID_NOT_VALID, 'client_identifier_not_valid');
    if (p.will) {
      if (!validTopicName(p.will.topic, zone.maxTopicLevels)) return this.connackError(RC.TOPIC_NAME_INVALID, 'topic_name_invalid');
      const rt = p.will.properties?.responseTopic;
      if (rt !== undefined && !validTopicName(rt)) return this.connackError(RC.PROTOCOL_ERROR, 'protocol_error');
      if (p.will.qos > zone.maxQosAllowed) return this.connackError(RC.QOS_NOT_SUPPORTED, 'qos_not_supported');
      if (p.will.retain && !zone.retainAvailable) return this.connackError(RC.RETAIN_NOT_SUPPORTED, 'retain_not_supported');
    }
    const props = p.properties;
    if (props?.maximumPacketSize !== undefined) this.clientMaxPacket = props.maximumPacketSize;
    if (props?.topicAliasMaximum) this.aliasOutMax = props.topicAliasMaximum;
    const username = p.username;
    if (zone.useUsernameAsClientid && username) clientid = username;
    const assigned = clientid.length === 0;
    if (assigned) clientid = assignClientId();
    this.conninfo.clientid = clientid;
    const t = this.transport;
    this.clientinfo = {
      zone: zone.name,
      protocol: 'mqtt',
      peerhost: t.peerhost,
      sockport: t.sockport,
      clientid,
      username,
      password: p.password,
      is_bridge: false,
      is_superuser: false,
      mountpoint: expandMountpoint(zone.mountpoint, clientid, username),
    };
    this.assignedId = assigned ? clientid : undefined;
    this.authenticate();
  }

  private assignedId: string | undefined = undefined;

  private authenticate(): void {
    const env = this.env;
    const zone = this.zone;
    const ci = this.clientinfo;
    env.metrics['client.authenticate']++;
    if (zone.allowAnonymous === 'false_quick_deny' && ci.username === undefined) {
      return this.connackError(RC.NOT_AUTHORIZED, 'not_authorized');
    }
    const acc: AuthResult = zone.allowAnonymous === true ? { auth_result: 'success', anonymous: true } : { auth_result: 'not_authorized', anonymous: false };
    const hook = env.registry.hooks['client.authenticate'];
    const method = this.connectPkt?.properties?.authenticationMethod;
    if (zone.bypassAuthPlugins || !hook.isUsed()) {
      if (method !== undefined) return this.enhancedAuth(method, this.connectPkt?.properties?.authenticationData);
      return this.authDone(acc);
    }
    this.busy = true;
    hook.promise(ci, acc).then(
      (res) => {
        if (this.state === State.Disconnected) return;
        const r = res ?? acc;
        if (r.auth_result === 'success' && method !== undefined) {
          Object.assign(ci, pickClientFields(r));
          return this.enhancedAuth(method, this.connectPkt?.properties?.authenticationData);
        }
        this.authDone(r);
      },
      (err) => this.internalError(err),
    );
  }

  /** MQTT 5 enhanced authentication [MQTT-4.12] via client.enhanced_authenticate */
  private enhancedAuth(method: string, data: Buffer | undefined): void {
    const hook = this.env.registry.hooks['client.enhanced_authenticate'];
    this.authMethod = method;
    if (!hook.isUsed()) return this.connackError(RC.BAD_AUTH_METHOD, 'bad_authentication_method');
    this.busy = true;
    hook.promise(method, data, this.authCache).then(
      (res) => {
        if (this.state === State.Disconnected) return;
        if (res?.status === 'continue') {
          this.authCache = res.cache;
          this.sendPacket({ cmd: 'auth', reasonCode: RC.CONTINUE_AUTH, properties: { authenticationMethod: method, ...(res.data ? { authenticationData: res.data } : {}) } });
          this.env.metrics['packets.auth.sent']++;
          this.runPending();
          return;
        }
        if (res?.status === 'ok') {
          this.authCache = res.cache;
          this.authData = res.data;
          if (this.state === State.Connected) {
            // re-authentication: answer AUTH success
            this.sendPacket({ cmd: 'auth', reasonCode: 0, properties: { authenticationMethod: method, ...(res.data ? { authenticationData: res.data } : {}) } });
            this.runPending();
            return;
          }
          return this.authDone({ auth_result: 'success', anonymous: false });
        }
        if (this.state === State.Connected) return this.disconnect(RC.NOT_AUTHORIZED, 'not_authorized');
        this.connackError(RC.NOT_AUTHORIZED, 'not_authorized');
      },
      (err) => this.internalError(err),
    );
  }

  private authData: Buffer | undefined = undefined;

  private onAuth(p: AuthPacket): void {
    this.env.metrics['packets.auth.received']++;
    const method = p.properties?.authenticationMethod;
    // [MQTT-4.12.0-5] the method must not change
    if (this.authMethod === undefined || method !== this.authMethod) return this.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
    if (p.reasonCode !== RC.CONTINUE_AUTH && p.reasonCode !== RC.REAUTHENTICATE) return this.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
    this.enhancedAuth(method, p.properties?.authenticationData);
  }

  private authDone(r: AuthResult): void {
    const env = this.env;
    if (r.auth_result !== 'success') {
      env.metrics['packets.connack.auth_error']++;
      return this.connackError(authReasonCode(r.auth_result), r.auth_result);
    }
    if (r.anonymous) env.metrics['client.auth.anonymous']++;
    Object.assign(this.clientinfo, pickClientFields(r));
    const p = this.connectPkt!;
    this.connectPkt = undefined;
    const zone = this.zone;
    // session expiry: v5 from CONNECT; v3 clean_session=false uses the zone's [MQTT-3.1.2-23]
    const expiry = this.version === 5 ? p.properties?.sessionExpiryInterval ?? 0 : p.clean ? 0 : zone.sessionExpiryInterval;
    this.conninfo.expiry_interval = expiry;
    if (p.will) {
      const w = p.will;
      const wprops = w.properties;
      let props: PublishProperties | undefined;
      if (wprops) {
        const { willDelayInterval, ...rest } = wprops;
        this.willDelay = willDelayInterval ?? 0;
        props = Object.keys(rest).length ? (rest as PublishProperties) : undefined;
      }
      this.will = new Message(env.nextMessageId(), w.qos, this.clientinfo.clientid, { retain: w.retain, dup: false, sys: false },
        mount(this.clientinfo.mountpoint, w.topic), w.payload, props, Date.now(), this.headers());
    }
    const { session, present } = env.cm.open(this, p.clean);
    this.session = session;
    session.expiryInterval = expiry;
    const window = Math.min(zone.maxInflight || 65535, this.conninfo.receive_maximum);
    session.inflight.max = window;
    this.state = State.Connected;
    this.conninfo.connected = true;
    env.metrics['client.connected']++;
    const connected = env.registry.hooks['client.connected'];
    if (connected.isUsed()) connected.call(this.clientinfo, this.conninfo);
    // CONNACK
    let props: Record<string, unknown> | undefined;
    if (this.version === 5) {
      props = {};
      if (this.assignedId !== undefined) props.assignedClientIdentifier = this.assignedId;
      if (zone.maxQosAllowed < 2) props.maximumQoS = zone.maxQosAllowed;
      // the capabilities, stated every time as EMQX does
      props.retainAvailable = zone.retainAvailable;
      props.maximumPacketSize = zone.maxPacketSize;
      props.topicAliasMaximum = zone.maxTopicAlias;
      props.wildcardSubscriptionAvailable = zone.wildcardSubscription;
      props.subscriptionIdentifiersAvailable = true;
      props.sharedSubscriptionAvailable = zone.sharedSubscription;
      if (zone.maxAwaitingRel > 0) props.receiveMaximum = Math.min(65535, zone.maxAwaitingRel);
      // server_keepalive caps the client's: a client asking for more (or for none) is told to use it
      // [MQTT-3.2.2-21]; one asking for less keeps its own, so a dead peer is still found early
      if (zone.serverKeepalive !== undefined && (p.keepalive === 0 || p.keepalive > zone.serverKeepalive)) {
        props.serverKeepAlive = zone.serverKeepalive;
        this.keepalive = zone.serverKeepalive;
      }
      if (p.properties?.requestResponseInformation && zone.responseInformation) props.responseInformation = zone.responseInformation;
      if (this.authMethod !== undefined) {
        props.authenticationMethod = this.authMethod;
        if (this.authData) props.authenticationData = this.authData;
      }
    }
    const connack = env.registry.hooks['client.connack'];
    if (connack.isUsed()) props = connack.call(props ?? {}, this.conninfo, 'success') ?? props;
    env.metrics['client.connack']++;
    this.sendPacket({ cmd: 'connack', sessionPresent: present, reasonCode: 0, ...(props && this.version === 5 ? { properties: props } : {}) });
    env.metrics['packets.connack.sent']++;
    session.outlet = this;
    // [MQTT-4.4.0-1] resend the unacknowledged window, then queued messages
    session.resend();
    this.runPending();
  }

  private headers(): Message['headers'] {
    return { username: this.clientinfo.username, peerhost: this.clientinfo.peerhost, proto_ver: this.version };
  }

  private connackError(code: number, reason: string): void {
    const env = this.env;
    env.metrics['packets.connack.error']++;
    env.metrics['client.connack']++;
    const connack = env.registry.hooks['client.connack'];
    let props: Record<string, unknown> | undefined;
    if (connack.isUsed() && this.conninfo) props = connack.call({}, this.conninfo, reason);
    const rc = this.version === 5 ? code : v3ConnackCode(code);
    this.sendPacket({ cmd: 'connack', sessionPresent: false, reasonCode: rc, ...(props && this.version === 5 && Object.keys(props).length ? { properties: props } : {}) });
    env.metrics['packets.connack.sent']++;
    this.closeReason = reason;
    this.shutdown();
  }

  // ---- PUBLISH in --------------------------------------------------------

  private onPublish(p: PublishPacket): void {
    const env = this.env;
    const m = env.metrics;
    m['packets.publish.received']++;
    m['messages.received']++;
    const zone = this.zone;
    let topic = p.topic;
    let props = p.properties;
    if (props !== undefined && props.topicAlias !== undefined) {
      const alias = props.topicAlias;
      // [MQTT-3.3.2-8] alias 0 or above our maximum
      if (alias === 0 || alias > zone.maxTopicAlias) return this.disconnect(RC.TOPIC_ALIAS_INVALID, 'topic_alias_invalid');
      if (topic.length === 0) {
        const known = this.aliasIn?.get(alias);
        if (known === undefined) return this.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
        topic = known;
      } else {
        (this.aliasIn ??= new Map()).set(alias, topic);
      }
      const { topicAlias: _drop, ...rest } = props;
      props = Object.keys(rest).length > 0 ? rest : undefined;
    }
    // a zero-length topic without an alias is a protocol error (MQTT 5.0 section 3.3.2.1)
    if (topic.length === 0) return this.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
    if (topic !== this.lastTopic && !validTopicName(topic, zone.maxTopicLevels)) {
      m['packets.publish.error']++;
      // [MQTT-3.3.2-2] no wildcards in a topic name
      return this.disconnect(RC.TOPIC_NAME_INVALID, 'topic_name_invalid');
    }
    this.lastTopic = topic;
    // [MQTT-3.3.2-14] a response topic is a topic name: no wildcards
    if (props !== undefined && props.responseTopic !== undefined && !validTopicName(props.responseTopic)) {
      return this.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
    }
    const qos = p.qos;
    // [MQTT-3.3.1-2] DUP must be 0 on QoS 0
    if (qos === 0 && p.dup) return this.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
    if (qos > zone.maxQosAllowed) return this.disconnect(RC.QOS_NOT_SUPPORTED, 'qos_not_supported');
    if (p.retain && !zone.retainAvailable) return this.disconnect(RC.RETAIN_NOT_SUPPORTED, 'retain_not_supported');
    if (qos === 1) m['messages.qos1.received']++;
    else if (qos === 2) m['messages.qos2.received']++;
    else m['messages.qos0.received']++;
    // ACL
    if (zone.enableAcl && !this.clientinfo.is_superuser) {
      const res = this.aclSync('publish', topic);
      if (res === undefined) {
        this.busy = true;
        this.aclAsync('publish', topic, (r) => {
          this.publishChecked(p, topic, props, r);
          this.runPending();
        });
        return;
      }
      return this.publishChecked(p, topic, props, res);
    }
    this.publishChecked(p, topic, props, 'allow');
  }

  private publishChecked(p: PublishPacket, topic: string, props: PublishProperties | undefined, acl: AclResult): void {
    const env = this.env;
    const qos = p.qos;
    const pid = p.messageId ?? 0;
    if (acl === 'deny') {
      env.metrics['packets.publish.auth_error']++;
      if (this.zone.aclDenyAction === 'disconnect') return this.disconnect(RC.NOT_AUTHORIZED, 'not_authorized');
      if (qos === 1) this.sendAck('puback', pid, RC.NOT_AUTHORIZED);
      else if (qos === 2) this.sendAck('pubrec', pid, RC.NOT_AUTHORIZED);
      return;
    }
    if (qos === 2) {
      const st = this.session!.awaitRel(pid);
      if (st === 'dup') {
        // [MQTT-4.3.3-10] not delivered again
        env.metrics['packets.publish.inuse']++;
        this.sendAck('pubrec', pid, RC.PACKET_ID_IN_USE);
        return;
      }
      if (st === 'full') {
        env.metrics['packets.publish.dropped']++;
        return this.disconnect(RC.RECEIVE_MAXIMUM_EXCEEDED, 'receive_maximum_exceeded');
      }
    }
    const ci = this.clientinfo;
    const msg = new Message(env.nextMessageId(), qos, ci.clientid, { retain: p.retain, dup: false, sys: false },
      mount(ci.mountpoint, topic), p.payload, props, Date.now(), this.headers());
    const n = env.broker.publish(msg);
    if (qos === 1) this.sendAck('puback', pid, n === 0 ? RC.NO_MATCHING_SUBSCRIBERS : 0);
    else if (qos === 2) this.sendAck('pubrec', pid, n === 0 ? RC.NO_MATCHING_SUBSCRIBERS : 0);
  }

  private sendAck(cmd: 'puback' | 'pubrec', pid: number, rc: number): void {
    // reason codes exist only in v5; v3 has no way to say "denied"
    if (this.version === 5 && rc !== 0) this.sendPacket({ cmd, messageId: pid, reasonCode: rc });
    else {
      // the common case, without a packet object: 4 bytes [MQTT-3.4.2]
      const b = Buffer.allocUnsafe(4);
      b[0] = cmd === 'puback' ? 0x40 : 0x50;
      b[1] = 2;
      b[2] = pid >> 8;
      b[3] = pid & 0xff;
      this.transport.send(b);
      this.env.metrics['packets.sent']++;
    }
    this.env.metrics[cmd === 'puback' ? 'packets.puback.sent' : 'packets.pubrec.sent']++;
  }

  // ---- ACL ---------------------------------------------------------------

  /** the decision when it needs no IO; undefined when a plugin must be asked */
  private aclSync(action: PubSub, topic: string): AclResult | undefined {
    const env = this.env;
    const zone = this.zone;
    if (zone.enableAclCache) {
      const c = (this.aclCache ??= new AclCache({ maxSize: zone.aclCacheMaxSize, ttl: zone.aclCacheTtl }));
      const hit = c.get(action, topic);
      if (hit !== undefined) return hit;
    }
    if (env.registry.hooks['client.check_acl'].isUsed()) return undefined;
    env.metrics['client.check_acl']++;
    const file = env.fileAcl(this.clientinfo, action, topic);
    const r: AclResult = file === 'nomatch' ? zone.aclNomatch : file;
    this.aclCache?.put(action, topic, r);
    return r;
  }

  private aclAsync(action: PubSub, topic: string, done: (r: AclResult) => void): void {
    const env = this.env;
    env.metrics['client.check_acl']++;
    env.registry.hooks['client.check_acl'].promise(this.clientinfo, action, topic).then(
      (res) => {
        if (this.state === State.Disconnected) return;
        let r: AclResult;
        if (res === 'allow' || res === 'deny') r = res;
        else {
          const file = env.fileAcl(this.clientinfo, action, topic);
          r = file === 'nomatch' ? this.zone.aclNomatch : file;
        }
        this.aclCache?.put(action, topic, r);
        done(r);
      },
      (err) => this.internalError(err),
    );
  }

  // ---- SUBSCRIBE / UNSUBSCRIBE -------------------------------------------

  private onSubscribe(p: SubscribePacket): void {
    const env = this.env;
    env.metrics['packets.subscribe.received']++;
    env.metrics['client.subscribe']++;
    const zone = this.zone;
    const subid = p.properties?.subscriptionIdentifier;
    const codes: number[] = new Array(p.subscriptions.length).fill(0);
    const filters: TopicFilters = [];
    const idx: number[] = [];
    for (let i = 0; i < p.subscriptions.length; i++) {
      const s = p.subscriptions[i]!;
      const share = parseShare(s.topic);
      if (!share || !validTopicFilter(share.filter, zone.maxTopicLevels)) {
        codes[i] = RC.TOPIC_FILTER_INVALID;
        continue;
      }
      if (share.group !== undefined) {
        if (!zone.sharedSubscription) { codes[i] = RC.SHARED_SUB_NOT_SUPPORTED; continue; }
        // [MQTT-3.8.3-4] no local on a shared subscription is a protocol error
        if (s.nl) return this.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
      }
      if (!zone.wildcardSubscription && (share.filter.includes('+') || share.filter.includes('#'))) {
        codes[i] = RC.WILDCARD_SUB_NOT_SUPPORTED;
        continue;
      }
      const opts: SubOpts = { qos: Math.min(s.qos, zone.maxQosAllowed) as QoS, nl: s.nl ? 1 : 0, rap: s.rap ? 1 : 0, rh: (s.rh ?? 0) as 0 | 1 | 2 };
      if (share.group !== undefined) opts.share = share.group;
      if (subid !== undefined) opts.subid = subid;
      filters.push([s.topic, opts]);
      idx.push(i);
    }
    const finish = (acl: AclResult[]): void => {
      const allowed: TopicFilters = [];
      const allowedIdx: number[] = [];
      for (let k = 0; k < filters.length; k++) {
        if (acl[k] === 'deny') {
          codes[idx[k]!] = RC.NOT_AUTHORIZED;
          env.metrics['packets.subscribe.auth_error']++;
        } else {
          allowed.push(filters[k]!);
          allowedIdx.push(idx[k]!);
        }
      }
      if (allowed.length < filters.length && zone.aclDenyAction === 'disconnect') return this.disconnect(RC.NOT_AUTHORIZED, 'not_authorized');
      let list = allowed;
      const hook = env.registry.hooks['client.subscribe'];
      if (hook.isUsed()) list = hook.call(allowed, this.clientinfo, (p.properties ?? {}) as Record<string, unknown>) ?? allowed;
      const session = this.session!;
      const done: Array<[string, string, SubOpts]> = [];
      for (let k = 0; k < list.length; k++) {
        const [topic, opts] = list[k]!;
        const at = allowedIdx[allowed.indexOf(list[k]!)] ?? -1;
        if (opts.deny_subscription) {
          if (at >= 0) codes[at] = RC.NOT_AUTHORIZED;
          continue;
        }
        if (zone.maxSubscriptions > 0 && !session.subscriptions.has(topic) && session.subscriptions.size >= zone.maxSubscriptions) {
          if (at >= 0) codes[at] = RC.QUOTA_EXCEEDED;
          continue;
        }
        const share = parseShare(topic)!;
        const filter = mount(this.clientinfo.mountpoint, share.filter);
        const { sub, isNew } = session.subscribe(topic, filter, opts);
        if (isNew) env.broker.router.add(sub);
        if (at >= 0) codes[at] = opts.qos;
        done.push([topic, filter, { ...opts, is_new: isNew }]);
      }
      this.sendPacket({ cmd: 'suback', messageId: p.messageId, granted: this.version === 5 ? codes : codes.map((c) => (c >= 0x80 ? 0x80 : c)) });
      env.metrics['packets.suback.sent']++;
      // after SUBACK, so retained messages follow it [MQTT-3.3.1-9]
      const subscribed = env.registry.hooks['session.subscribed'];
      if (subscribed.isUsed()) for (const [topic, , opts] of done) subscribed.call(this.clientinfo, topic, opts);
    };
    if (!zone.enableAcl || this.clientinfo.is_superuser) return finish(filters.map(() => 'allow'));
    const results: AclResult[] = [];
    const next = (k: number): void => {
      for (; k < filters.length; k++) {
        const topic = parseShare(filters[k]![0])!.filter;
        const r = this.aclSync('subscribe', topic);
        if (r === undefined) {
          this.busy = true;
          this.aclAsync('subscribe', topic, (res) => {
            results[k] = res;
            next(k + 1);
            if (k + 1 >= filters.length) this.runPending();
          });
          return;
        }
        results[k] = r;
      }
      finish(results);
    };
    next(0);
  }

  private onUnsubscribe(p: UnsubscribePacket): void {
    const env = this.env;
    env.metrics['packets.unsubscribe.received']++;
    env.metrics['client.unsubscribe']++;
    let list: TopicFilters = p.unsubscriptions.map((t) => [t, { qos: 0, nl: 0, rap: 0, rh: 0 }]);
    const hook = env.registry.hooks['client.unsubscribe'];
    if (hook.isUsed()) list = hook.call(list, this.clientinfo, (p.properties ?? {}) as Record<string, unknown>) ?? list;
    const session = this.session!;
    const unsubscribed = env.registry.hooks['session.unsubscribed'];
    const codes = p.unsubscriptions.map((topic) => {
      if (!list.some(([t]) => t === topic)) return RC.NO_SUBSCRIPTION_EXISTED;
      const sub = session.unsubscribe(topic);
      if (!sub) return RC.NO_SUBSCRIPTION_EXISTED;
      env.broker.router.remove(sub);
      if (unsubscribed.isUsed()) unsubscribed.call(this.clientinfo, topic, sub.opts);
      return 0;
    });
    this.sendPacket(this.version === 5 ? { cmd: 'unsuback', messageId: p.messageId, granted: codes } : { cmd: 'unsuback', messageId: p.messageId });
    env.metrics['packets.unsuback.sent']++;
  }

  // ---- DISCONNECT --------------------------------------------------------

  private onDisconnect(p: DisconnectPacket): void {
    this.env.metrics['packets.disconnect.received']++;
    const rc = p.reasonCode ?? 0;
    const newExpiry = p.properties?.sessionExpiryInterval;
    if (newExpiry !== undefined && this.session) {
      // [MQTT-3.14.2-2] cannot set a non-zero expiry when CONNECT had zero
      if (this.conninfo.expiry_interval === 0 && newExpiry !== 0) return this.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
      this.session.expiryInterval = newExpiry;
      this.conninfo.expiry_interval = newExpiry;
    }
    // [MQTT-3.14.4-3] a normal DISCONNECT discards the will; 0x04 asks for it to be sent
    if (rc !== 0x04) this.will = undefined;
    this.closeReason = rc === 0 ? 'normal' : 'disconnect_with_will';
    this.shutdown();
  }

  // ---- output ------------------------------------------------------------

  sendPacket(p: Packet): void {
    this.transport.send(encode(p, this.version));
    this.env.metrics['packets.sent']++;
  }

  sendPubrel(pid: number): void {
    this.sendPacket({ cmd: 'pubrel', messageId: pid });
    this.env.metrics['packets.pubrel.sent']++;
  }

  /** Outlet: one delivery to this client. Builds the frame from the message's shared encoder. */
  sendPublish(msg: Message, qos: number, retain: boolean, dup: boolean, pid: number, subids: number[] | undefined): void {
    const env = this.env;
    const delivered = env.registry.hooks['message.delivered'];
    if (delivered.isUsed()) msg = delivered.call(msg, this.clientinfo) ?? msg;
    if (qos === 0 && this.transport.backlog > QOS0_BACKLOG_LIMIT) {
      env.metrics['delivery.dropped']++;
      env.metrics['delivery.dropped.queue_full']++;
      return;
    }
    let enc = msg.encoder;
    const mp = this.clientinfo.mountpoint;
    const age = msg.properties?.messageExpiryInterval !== undefined ? Math.floor((Date.now() - msg.timestamp) / 1000) : 0;
    if (mp !== undefined || age > 0) {
      // per-client topic or a message expiry reduced by the time it waited [MQTT-3.3.2-6]
      const props = age > 0 ? { ...msg.properties, messageExpiryInterval: Math.max(0, msg.properties!.messageExpiryInterval! - age) } : msg.properties;
      enc = new PublishEncoder(unmount(mp, msg.topic), msg.payload, props);
    } else if (enc === undefined) {
      enc = msg.encoder = new PublishEncoder(msg.topic, msg.payload, msg.properties);
    }
    let frame: Buffer;
    if (this.version === 5 && (this.aliasOutMax > 0 || subids !== undefined)) {
      frame = enc.frame(5, qos as QoS, retain, dup, pid, this.outExtra(msg.topic, subids));
    } else {
      frame = enc.frame(this.version, qos as QoS, retain, dup, pid);
    }
    if (this.clientMaxPacket > 0 && frame.length > this.clientMaxPacket) {
      // [MQTT-3.1.2-25] never send a packet over the client's maximum: drop it as if delivered
      env.metrics['delivery.dropped']++;
      env.metrics['delivery.dropped.too_large']++;
      if (pid > 0) this.session?.forget(pid);
      return;
    }
    this.transport.send(frame);
    const m = env.metrics;
    m['packets.publish.sent']++;
    m['messages.sent']++;
    m['messages.delivered']++;
    if (qos === 0) m['messages.qos0.sent']++;
    else if (qos === 1) m['messages.qos1.sent']++;
    else m['messages.qos2.sent']++;
  }

  private outExtra(topic: string, subids: number[] | undefined): { topicAlias?: number; omitTopic?: boolean; subscriptionIdentifiers?: number[] } {
    const extra: { topicAlias?: number; omitTopic?: boolean; subscriptionIdentifiers?: number[] } = {};
    if (subids !== undefined && subids.length > 0) extra.subscriptionIdentifiers = subids;
    if (this.aliasOutMax > 0) {
      const map = (this.aliasOut ??= new Map());
      const known = map.get(topic);
      if (known !== undefined) {
        extra.topicAlias = known;
        extra.omitTopic = true;
      } else if (map.size < this.aliasOutMax) {
        const a = map.size + 1;
        map.set(topic, a);
        extra.topicAlias = a;
      }
    }
    return extra;
  }

  private acked(msg: Message): void {
    this.env.metrics['messages.acked']++;
    const hook = this.env.registry.hooks['message.acked'];
    if (hook.isUsed()) hook.call(this.clientinfo, msg);
  }

  // ---- closing -----------------------------------------------------------

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

  private internalError(err: unknown): void {
    this.env.logger.error(`channel ${this.clientinfo?.clientid ?? '?'}: ${(err as Error)?.stack ?? String(err)}`);
    if (this.state === State.Connecting) return this.connackError(RC.UNSPECIFIED_ERROR, 'server_unavailable');
    this.disconnect(RC.UNSPECIFIED_ERROR, 'internal_error');
  }

  private shutdown(): void {
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
    if (was !== State.Connected) return;
    const env = this.env;
    this.conninfo.connected = false;
    this.conninfo.disconnected_at = Date.now();
    if (this.session && this.session.outlet === this) this.session.outlet = undefined;
    const r = this.closeReason ?? reason;
    if (this.will) env.cm.scheduleWill(this, this.will, this.willDelay);
    env.metrics['client.disconnected']++;
    const hook = env.registry.hooks['client.disconnected'];
    if (hook.isUsed()) hook.call(this.clientinfo, r, this.conninfo);
    env.cm.closed(this, r);
  }

  /** a takeover moves the session away; this channel must not touch it afterwards */
  detachSession(): void {
    if (this.session && this.session.outlet === this) this.session.outlet = undefined;
    this.session = undefined;
    this.will = undefined;
  }
}

const NO_PROPS = Object.freeze({}) as Record<string, unknown>;

function expandMountpoint(mp: string | undefined, clientid: string, username: string | undefined): string | undefined {
  if (!mp) return undefined;
  return mp.replace(/%c/g, clientid).replace(/%u/g, username ?? '');
}

function pickClientFields(r: AuthResult): Partial<ClientInfo> {
  const out: Partial<ClientInfo> = { anonymous: r.anonymous === true, auth_result: r.auth_result };
  if (r.is_superuser !== undefined) out.is_superuser = r.is_superuser;
  if (typeof r.mountpoint === 'string') out.mountpoint = r.mountpoint;
  return out;
}

let idSeq = 0;
function assignClientId(): string {
  idSeq = (idSeq + 1) & 0xffffff;
  return `nemq-${Date.now().toString(36)}-${process.pid.toString(36)}-${idSeq.toString(36)}`;
}
