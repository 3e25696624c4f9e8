// CONNECT: client.connect, the checks, authentication (access/authenticate.ts),
// then the will, the session and CONNACK.
import type { ConnectPacket, PublishProperties } from '@nemq/codec';
import { authenticate, pickClientFields } from '../access/authenticate.js';
import type { AuthResult } from '../hooks/hookpoints.js';
import { expandPlaceholders, mount, validTopicName } from '@nemq/sdk';
import { Message } from '../types.js';
import { connackFrame } from './connack.js';
import { State, type ChannelCore } from './core.js';
import { RC, authReasonCode } from './reason-codes.js';
import { sessionOpts } from '../session/zone-opts.js';
import type { SessionSnapshot } from '../session/handover.js';

const NO_PROPS = Object.freeze({}) as Record<string, unknown>;

export function onConnect(ch: ChannelCore, p: ConnectPacket): void {
  const env = ch.env;
  env.metrics['packets.connect.received']++;
  env.metrics['client.connect']++;
  ch.state = State.Connecting;
  ch.version = p.protocolVersion;
  ch.connectPkt = p;
  ch.keepalive = p.keepalive;
  const t = ch.transport;
  const props: NonNullable<ConnectPacket["properties"]> = p.properties ?? NO_PROPS;
  ch.conninfo = {
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
    ch.busy = true;
    hook.promise(props as Record<string, unknown>, ch.conninfo).then(
      (acc) => {
        if (acc && typeof (acc as { error?: unknown }).error === 'number') return ch.connackError((acc as { error: number }).error, 'not_authorized');
        if (acc) ch.conninfo.conn_props = acc as Record<string, unknown>;
        checkConnect(ch, p);
      },
      (err) => ch.internalError(err),
    );
    return;
  }
  checkConnect(ch, p);
}

function checkConnect(ch: ChannelCore, p: ConnectPacket): void {
  const zone = ch.zone;
  let clientid = p.clientId;
  // [MQTT-3.1.3-8] an empty id comes with a clean session (EMQX refuses it otherwise, v5 too: 0x85);
  // MQTT 3.1 has no empty ids at all
  if (clientid.length === 0 && (!p.clean || ch.version === 3)) {
    return ch.connackError(RC.CLIENT_ID_NOT_VALID, 'client_identifier_not_valid');
  }
  if (clientid.length > zone.maxClientidLen) return ch.connackError(RC.CLIENT_ID_NOT_VALID, 'client_identifier_not_valid');
  if (p.will) {
    if (!validTopicName(p.will.topic, zone.maxTopicLevels)) return ch.connackError(RC.TOPIC_NAME_INVALID, 'topic_name_invalid');
    const rt = p.will.properties?.responseTopic;
    if (rt !== undefined && !validTopicName(rt)) return ch.connackError(RC.PROTOCOL_ERROR, 'protocol_error');
    if (p.will.qos > zone.maxQosAllowed) return ch.connackError(RC.QOS_NOT_SUPPORTED, 'qos_not_supported');
    if (p.will.retain && !zone.retainAvailable) return ch.connackError(RC.RETAIN_NOT_SUPPORTED, 'retain_not_supported');
  }
  const props = p.properties;
  if (props?.maximumPacketSize !== undefined) ch.clientMaxPacket = props.maximumPacketSize;
  if (props?.topicAliasMaximum) ch.aliasOutMax = props.topicAliasMaximum;
  // peer_cert_as_username / _clientid: the certificate wins over the packet (EMQX 4.3)
  const cert = ch.transport.cert;
  if (cert?.clientid !== undefined) clientid = cert.clientid;
  const username = cert?.username ?? p.username;
  if (zone.useUsernameAsClientid && username) clientid = username;
  const assigned = clientid.length === 0;
  if (assigned) clientid = assignClientId();
  ch.conninfo.clientid = clientid;
  const t = ch.transport;
  ch.clientinfo = {
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
  if (cert?.cn !== undefined) ch.clientinfo.cn = cert.cn;
  if (cert?.dn !== undefined) ch.clientinfo.dn = cert.dn;
  ch.assignedId = assigned ? clientid : undefined;
  if (zone.enableBan && ch.env.banned.check(ch.clientinfo)) return ch.connackError(RC.BANNED, 'banned');
  authenticate(ch);
}

/** after authentication: the will, the session, client.connected, CONNACK, then the resend */
export function authDone(ch: ChannelCore, r: AuthResult): void {
  const env = ch.env;
  if (r.auth_result !== 'success') {
    env.metrics['packets.connack.auth_error']++;
    return ch.connackError(authReasonCode(r.auth_result), r.auth_result);
  }
  if (r.anonymous) env.metrics['client.auth.anonymous']++;
  Object.assign(ch.clientinfo, pickClientFields(r));
  const p = ch.connectPkt!;
  ch.connectPkt = undefined;
  const zone = ch.zone;
  // session expiry: v5 from CONNECT; v3 clean_session=false uses the zone's [MQTT-3.1.2-23]
  const expiry = ch.version === 5 ? p.properties?.sessionExpiryInterval ?? 0 : p.clean ? 0 : zone.sessionExpiryInterval;
  ch.conninfo.expiry_interval = expiry;
  if (p.will) {
    const w = p.will;
    const wprops = w.properties;
    let props: PublishProperties | undefined;
    if (wprops) {
      const { willDelayInterval, ...rest } = wprops;
      ch.willDelay = willDelayInterval ?? 0;
      props = Object.keys(rest).length ? (rest as PublishProperties) : undefined;
    }
    ch.will = new Message(env.nextMessageId(), w.qos, ch.clientinfo.clientid, { retain: w.retain, dup: false, sys: false },
      mount(ch.clientinfo.mountpoint, w.topic), w.payload, props, Date.now(), ch.headers());
  }
  const cluster = env.cluster;
  if (cluster !== undefined && cluster.active) {
    // the session may live on another node: lock, take over or discard there first
    ch.busy = true;
    const id = ch.clientinfo.clientid;
    cluster.beforeOpen(id, p.clean).then(
      (handover) => {
        if (ch.state === State.Disconnected) {
          if (handover) env.cm.adoptOffline(id, sessionOpts(zone), handover, expiry);
          return cluster.abortOpen(id);
        }
        openSession(ch, p, expiry, handover);
      },
      (err: Error & { code?: string }) => {
        cluster.abortOpen(id);
        // EMQX: a session lock not acquired is "client identifier not valid"
        if (err?.code === 'session_lock_busy') {
          env.logger.warning(`${id}: ${err.message}`);
          return ch.connackError(RC.CLIENT_ID_NOT_VALID, 'client_identifier_not_valid');
        }
        ch.internalError(err);
      },
    );
    return;
  }
  openSession(ch, p, expiry, undefined);
}

function openSession(ch: ChannelCore, p: ConnectPacket, expiry: number, handover: SessionSnapshot | undefined): void {
  const env = ch.env;
  const zone = ch.zone;
  const { session, present } = env.cm.open(ch, p.clean, handover);
  ch.session = session;
  session.expiryInterval = expiry;
  const window = Math.min(zone.maxInflight || 65535, ch.conninfo.receive_maximum);
  session.inflight.max = window;
  ch.state = State.Connected;
  ch.conninfo.connected = true;
  env.metrics['client.connected']++;
  const connected = env.registry.hooks['client.connected'];
  if (connected.isUsed()) connected.call(ch.clientinfo, ch.conninfo);
  // CONNACK
  let props: Record<string, unknown> | undefined;
  if (ch.version === 5) {
    props = {};
    if (ch.assignedId !== undefined) props.assignedClientIdentifier = ch.assignedId;
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
      ch.keepalive = zone.serverKeepalive;
    }
    if (p.properties?.requestResponseInformation && zone.responseInformation) props.responseInformation = zone.responseInformation;
    if (ch.authMethod !== undefined) {
      props.authenticationMethod = ch.authMethod;
      if (ch.authData) props.authenticationData = ch.authData;
    }
  }
  const connack = env.registry.hooks['client.connack'];
  if (connack.isUsed()) props = connack.call(props ?? {}, ch.conninfo, 'success') ?? props;
  env.metrics['client.connack']++;
  const frame = connackFrame(ch.version, ch.clientMaxPacket, present, 0, props);
  if (frame === undefined) {
    // no room for CONNACK within the client's maximum: close without it [MQTT-3.1.2-25];
    // the client was never told it is connected, so there is no will to send
    ch.will = undefined;
    ch.closeReason = 'frame_too_large';
    return ch.shutdown();
  }
  ch.sendFrame(frame);
  env.metrics['packets.connack.sent']++;
  session.outlet = ch;
  // [MQTT-4.4.0-1] resend the unacknowledged window, then queued messages
  session.resend();
  env.cluster?.afterOpen(ch, session, handover);
  ch.runPending();
}

/** zone mountpoint with `%c` and `%u` filled in (a missing username gives '') */
function expandMountpoint(mp: string | undefined, clientid: string, username: string | undefined): string | undefined {
  return mp ? expandPlaceholders(mp, { clientid, username }, MOUNTPOINT_VARS) : undefined;
}

const MOUNTPOINT_VARS = { only: ['%c', '%u'], missing: '' } as const;

let idSeq = 0;
function assignClientId(): string {
  idSeq = (idSeq + 1) & 0xffffff;
  return `nemq-${Date.now().toString(36)}-${process.pid.toString(36)}-${idSeq.toString(36)}`;
}
