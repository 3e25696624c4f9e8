// One broker node: wires hooks, router, sessions, listeners and built-in modules.
import type { QoS } from '@nemq/codec';
import { Broker } from './broker/broker.js';
import type { SharedStrategy } from './broker/shared.js';
import { Subscriptions } from './broker/subscriptions.js';
import type { ChannelEnv } from './channel/channel.js';
import { RC } from './channel/reason-codes.js';
import { ChannelManager } from './cm/cm.js';
import type { Ctx } from './context.js';
import { HookRegistry, type TapOptions } from './hooks/registry.js';
import type { HookPoint } from './hooks/hookpoints.js';
import type { HookFn } from '@nemq/sdk';
import { Listener, type ListenerSpec } from './listener/listeners.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics, Stats } from './metrics/metrics.js';
import { SysPublisher } from './modules/sys.js';
import { Message, type AclResult, type ClientInfo, type PubSub } from './types.js';
import { defaultZone, type Zone } from './zone.js';
import { parseShare } from '@nemq/sdk';
import { CtlRegistry } from './ctl/registry.js';
import { CtlServer } from './ctl/server.js';
import { registerKernelCommands } from './ctl/commands.js';
import { Banned } from './access/banned.js';
import { Flapping } from './access/flapping.js';
import type { FlappingPolicy } from './config/types.js';
import { PluginManager, type PluginsOptions } from './plugins/manager.js';
import type { AdminPort, PluginHost, PluginTables } from './ports.js';
import { Alarms, type AlarmOptions } from './admin/alarms.js';
import { Sysmon, defaultProbe, type SysmonOptions, type SysmonProbe } from './admin/sysmon.js';
import { ApiRegistry } from './admin/routes.js';
import { localOps } from './admin/ops.js';
import { adminApi, serveAdmin } from './admin/admin.js';
import type { AdminApi } from '@nemq/sdk';
import { noTables } from './cluster/tables.js';
import type { ClusterSessions } from './channel/core.js';
import { ClusterNode, type ClusterConfig } from './cluster/cluster.js';
import { registerClusterCommand } from './cluster/ctl.js';
import { Tracer, type PacketTrace } from './trace/tracer.js';
import { registerTraceCommand } from './trace/ctl.js';

/** the EMQX version we behave as (status, $SYS/brokers/<node>/version) */
export const VERSION = '4.3.0';
/** this kernel's own version, checked against plugin manifests' `broker` range */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const KERNEL_VERSION: string = (require('../package.json') as { version: string }).version;

export interface BrokerOptions {
  nodeName?: string;
  zones?: Record<string, Zone>;
  listeners?: ListenerSpec[];
  sharedStrategy?: SharedStrategy;
  groupStrategies?: Record<string, SharedStrategy>;
  /** ms; 0 = off */
  sysInterval?: number;
  /** ms; 0 = off */
  sysHeartbeat?: number;
  presenceQos?: QoS;
  /** the file ACL (acl.conf), evaluated after every plugin */
  fileAcl?: (ci: ClientInfo, action: PubSub, topic: string) => AclResult | 'nomatch';
  logger?: Logger;
  /** the plugin host; without it plugins are off */
  plugins?: PluginsOptions;
  /** unix socket path for emqx_ctl; none when unset */
  ctlSocket?: string;
  /** where the banned table is saved (data/banned.json); memory only when unset */
  bannedFile?: string;
  /** flapping_detect_policy; 30, 1m, 5m when unset */
  flappingPolicy?: FlappingPolicy;
  /** `auth_order` / `acl_order`: plugins (or EMQX's short names) tried first, in this order */
  authOrder?: readonly string[];
  aclOrder?: readonly string[];
  /** `cluster.redis.server` set: this node clusters through Redis; unset: one node, no Redis */
  cluster?: ClusterConfig;
  /** os_mon.* / vm_mon.*: the health checks that raise alarms; none when unset */
  sysmon?: SysmonOptions;
  /** the readings the checks use (tests); the real ones when unset */
  sysmonProbe?: SysmonProbe;
  /** alarm.*: EMQX's defaults when unset */
  alarm?: AlarmOptions;
  /** relative `emqx_ctl trace` files are under this directory (the install root); the working directory when unset */
  traceRoot?: string;
}

export class BrokerNode implements Ctx, ChannelEnv, AdminPort, PluginHost {
  readonly nodeName: string;
  readonly logger: Logger;
  readonly registry: HookRegistry;
  readonly metrics = new Metrics();
  readonly stats = new Stats();
  readonly broker: Broker;
  readonly subscriptions: Subscriptions;
  readonly cm: ChannelManager;
  readonly listeners: Listener[];
  readonly startedAt = Date.now();
  readonly version = VERSION;
  readonly kernelVersion = KERNEL_VERSION;
  readonly ctl = new CtlRegistry();
  readonly plugins: PluginManager | undefined;
  readonly banned: Banned;
  readonly flapping: Flapping;
  readonly alarms: Alarms;
  readonly sysmon: Sysmon | undefined;
  readonly apiRoutes = new ApiRegistry();
  readonly admin: AdminApi;
  private ctlServer: CtlServer | undefined;
  private readonly zones: Map<string, Zone>;
  readonly fileAcl: (ci: ClientInfo, action: PubSub, topic: string) => AclResult | 'nomatch';
  private sys: SysPublisher | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** message ids start at a random base so ids stay unique across cluster nodes (takeover dedupe) */
  private msgSeq = Math.floor(Math.random() * 2 ** 20) * 2 ** 32;
  readonly clusterNode: ClusterNode | undefined;
  private stopping = false;
  /** the packet paths' one check: undefined while no trace runs */
  traces: PacketTrace | undefined = undefined;
  readonly tracer: Tracer = new Tracer({
    primaryLevel: () => this.logger.level,
    setActive: (t) => {
      this.traces = t;
    },
    error: (line) => this.logger.error(line),
    root: () => this.opts.traceRoot,
  });

  constructor(readonly opts: BrokerOptions = {}) {
    this.nodeName = opts.nodeName ?? 'emqx@127.0.0.1';
    this.logger = opts.logger ?? createLogger('warning');
    this.registry = new HookRegistry(this.logger);
    if (opts.authOrder?.length) this.registry.setOrder('client.authenticate', opts.authOrder);
    if (opts.aclOrder?.length) this.registry.setOrder('client.check_acl', opts.aclOrder);
    this.zones = new Map(Object.entries(opts.zones ?? { external: defaultZone('external'), default: defaultZone('default') }));
    this.broker = new Broker(this, opts.sharedStrategy ?? 'random', new Map(Object.entries(opts.groupStrategies ?? {})));
    this.subscriptions = new Subscriptions(this.broker.router, this.registry);
    this.cm = new ChannelManager(this, this.broker);
    this.banned = new Banned(opts.bannedFile, (err) => this.logger.error(`banned: ${err.message}`));
    this.flapping = new Flapping(this.banned, opts.flappingPolicy ?? { threshold: 30, windowMs: 60000, banMs: 300000 }, (line) => this.logger.warning(line));
    this.fileAcl = opts.fileAcl ?? (() => 'nomatch');
    this.listeners = (opts.listeners ?? [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 1883, zone: 'external', maxConnections: 1024000 }])
      .map((s) => new Listener(s, this));
    this.alarms = new Alarms(this.nodeName, {
      sys: (topic, payload) => {
        const m = new Message(this.nextMessageId(), 0, this.nodeName, { retain: false, dup: false, sys: true }, topic, Buffer.from(payload), undefined, Date.now());
        this.broker.publish(m);
      },
      warning: (line) => this.logger.warning(line),
    }, opts.alarm);
    if (opts.sysmon) {
      const probe = opts.sysmonProbe ?? defaultProbe(() => this.cm.channels.size);
      this.sysmon = new Sysmon(opts.sysmon, this.alarms, probe, (line) => this.logger.error(line));
    }
    if (opts.plugins) this.plugins = new PluginManager(this, opts.plugins);
    if (opts.cluster) {
      this.clusterNode = new ClusterNode(this, opts.cluster);
      const banned = this.banned;
      banned.table = this.clusterNode.tables.table('emqx', 'banned', {
        changed: (k, v) => banned.applyRow(k, v),
        loaded: (rows) => rows.forEach((v, k) => banned.applyRow(k, v)),
        rows: () => banned.rows(),
      });
    }
    const ops = localOps(this);
    const cn = this.clusterNode;
    this.admin = adminApi(this.nodeName, ops, () => cn && {
      member: cn.member,
      runningNodes: () => cn.runningNodes(),
      stoppedNodes: () => cn.tables.stoppedNodes(),
      callPeer: (n, op, args) => {
        const p = cn.member && cn.runningNodes().includes(n) ? cn.peers.get(n) : undefined;
        return p ? p.call(op, args, 15000) : Promise.reject(new Error(`node ${n} is not running`));
      },
    });
    cn?.handle('admin', (_peer, a) => serveAdmin(ops)(a));
    registerKernelCommands(this);
    registerClusterCommand(this.ctl, this.nodeName, this.clusterNode);
    registerTraceCommand(this.ctl, this.tracer);
  }

  async kickRemote(clientid: string): Promise<boolean> {
    const c = this.clusterNode;
    if (!c?.member) return false;
    const owner = await c.ownerOf(clientid);
    const p = owner && owner !== this.nodeName ? c.peers.get(owner) : undefined;
    return p ? Boolean(await p.call('kick', { clientid }).catch(() => false)) : false;
  }

  get tables(): PluginTables {
    return this.clusterNode?.tables ?? (this.soloTables ??= noTables(this.nodeName));
  }

  private soloTables: PluginTables | undefined;

  get cluster(): ClusterSessions | undefined {
    return this.clusterNode?.sessions;
  }

  zone(name: string): Zone {
    let z = this.zones.get(name);
    if (!z) {
      z = this.zones.get('default') ?? defaultZone(name);
      this.zones.set(name, z);
    }
    return z;
  }

  nextMessageId(): number {
    this.msgSeq = (this.msgSeq + 1) % Number.MAX_SAFE_INTEGER;
    return this.msgSeq;
  }

  /** the tap-only face plugins and tests use (EMQX's argument order, as the SDK's HookSpecs) */
  tap<P extends HookPoint>(owner: string, point: P, fn: HookFn<P>, options?: TapOptions): void {
    this.registry.tap(owner, point, fn, options);
  }

  /** publish from inside the node (plugins, $SYS, the HTTP API) */
  publish(topic: string, payload: Buffer | string, opts: { qos?: QoS; retain?: boolean; from?: string; properties?: Message['properties'] } = {}): number {
    const msg = new Message(this.nextMessageId(), opts.qos ?? 0, opts.from ?? this.nodeName, { retain: opts.retain ?? false, dup: false, sys: false },
      topic, typeof payload === 'string' ? Buffer.from(payload) : payload, opts.properties, Date.now());
    return this.broker.publish(msg);
  }

  /** delivers a message to one subscription of one client (retained messages) */
  drainAclCaches(): void {
    const at = Date.now();
    for (const ch of this.cm.channels.values()) ch.aclCache?.drain(at);
  }

  deliverTo(clientid: string, filter: string, msg: Message): void {
    const session = this.cm.sessions.get(clientid);
    if (!session) return;
    // `filter` as session.subscribed gave it: mounted, not shared
    for (const sub of session.subscriptions.values()) {
      if (sub.filter === filter && sub.opts.share === undefined) return session.deliver(msg, sub);
    }
  }

  /**
   * Control socket, then plugins (so auth and ACL are in place before the first
   * client), then listeners, then $SYS (so the retainer keeps its first messages).
   */
  async start(): Promise<void> {
    const o = this.opts;
    if (o.ctlSocket) {
      this.ctlServer = new CtlServer(this.ctl, o.ctlSocket);
      await this.ctlServer.start();
    }
    try {
      await this.clusterNode?.start();
      await this.plugins?.boot();
      const started: Listener[] = [];
      try {
        for (const l of this.listeners) {
          await l.start();
          started.push(l);
          this.logger.info(`listener ${l.id} on ${l.address}`);
        }
      } catch (err) {
        for (const l of started) await l.stop();
        throw err;
      }
    } catch (err) {
      await this.plugins?.stopAll();
      await this.clusterNode?.stop();
      await this.ctlServer?.stop();
      throw err;
    }
    this.sys = new SysPublisher({
      nodeName: this.nodeName,
      version: VERSION,
      startedAt: this.startedAt,
      nextMessageId: () => this.nextMessageId(),
      publish: (m) => this.broker.publish(m),
      stats: () => this.statsSnapshot(),
      metrics: () => this.metrics.snapshot(),
      brokers: () => (this.clusterNode ? this.clusterNode.runningNodes().join(',') : this.nodeName),
    }, o.sysInterval ?? 60000, o.sysHeartbeat ?? 30000, o.presenceQos ?? 1);
    this.sys.start(this.registry);
    this.sysmon?.start();
    this.sweepTimer = setInterval(() => this.sweep(), 1000);
    this.sweepTimer.unref();
  }

  statsSnapshot(): Record<string, number> {
    let conns = 0;
    for (const l of this.listeners) conns += l.connections.size;
    let subs = 0;
    let shared = 0;
    for (const s of this.cm.sessions.values()) {
      subs += s.subscriptions.size;
      for (const k of s.subscriptions.keys()) if (parseShare(k)?.group !== undefined) shared++;
    }
    const st = this.stats;
    st.set('connections.count', conns);
    st.set('channels.count', this.cm.channels.size);
    st.set('sessions.count', this.cm.sessions.size);
    // cluster-wide as EMQX's: rows of the route table, one per filter and node
    const routes = this.clusterNode?.member ? this.clusterNode.routeRows : this.broker.router.routeCount;
    st.set('topics.count', routes);
    st.set('routes.count', routes);
    st.set('subscriptions.count', subs);
    st.set('subscribers.count', subs);
    st.set('suboptions.count', subs);
    st.set('subscriptions.shared.count', shared);
    return st.snapshot();
  }

  /** once a second: idle and keepalive timeouts, QoS retries, stale awaiting-PUBREL ids */
  private sweep(): void {
    const now = Date.now();
    if (this.banned.size > 0) this.banned.sweep(Math.floor(now / 1000));
    this.flapping.sweep(now);
    for (const l of this.listeners) {
      for (const c of l.connections) {
        const ch = c.channel;
        if (!ch.connected) {
          if (now - ch.connectedAt > ch.zone.idleTimeout) {
            ch.closeReason = 'idle_timeout';
            c.destroy();
          }
          continue;
        }
        // [MQTT-3.1.2-22] 1.5 times the keep alive (EMQX: keepalive_backoff 0.75 x 2);
        // not while backpressure holds the channel: we are the ones not reading
        if (ch.keepalive > 0 && ch.holds === 0 && now - ch.lastSeen > ch.keepalive * 1000 * ch.zone.keepaliveBackoff * 2) {
          ch.kick(RC.KEEPALIVE_TIMEOUT, 'keepalive_timeout');
          continue;
        }
        const s = ch.session;
        if (!s) continue;
        if (s.inflight.size > 0 && s.opts.retryInterval > 0 && s.inflight.oldest() <= now - s.opts.retryInterval) s.resend(now - s.opts.retryInterval);
        if (s.awaitingRel.size > 0) {
          const n = s.expireAwaitingRel(now);
          if (n > 0) {
            this.metrics['messages.dropped'] += n;
            this.metrics['messages.dropped.await_pubrel_timeout'] += n;
          }
        }
      }
    }
  }

  /** Graceful stop: no new connections, DISCONNECT 0x8B to v5 clients, wills sent. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.sweepTimer);
    this.sys?.stop();
    this.sysmon?.stop();
    await this.ctlServer?.stop();
    const closed = Promise.all(this.listeners.map((l) => l.stop()));
    for (const l of this.listeners) for (const c of [...l.connections]) c.channel.kick(RC.SERVER_SHUTTING_DOWN, 'shutdown');
    this.cm.flushWills();
    // let the final frames reach the sockets, then cut what is left
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 50));
    for (const l of this.listeners) for (const c of [...l.connections]) c.destroy();
    await closed;
    await this.clusterNode?.stop();
    await this.plugins?.stopAll();
    await this.tracer.stopAll();
  }
}

export async function createBroker(opts: BrokerOptions = {}): Promise<BrokerNode> {
  const node = new BrokerNode(opts);
  await node.start();
  return node;
}
