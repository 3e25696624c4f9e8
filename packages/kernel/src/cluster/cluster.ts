// The cluster (reference: ekka membership, emqx_router's replicated routes, gen_rpc):
// Redis holds who is a member, who is alive, every node's route rows and the session
// registry; messages go straight to the peer over rpc links (link.ts). A kernel module,
// not a plugin: it must be up before plugins and listeners, it is never unloaded, and it
// reaches into the router and the channel manager, which plugins do not see.
import { resolve4 } from 'node:dns/promises';
import type { Broker } from '../broker/broker.js';
import type { Subscriptions } from '../broker/subscriptions.js';
import type { ChannelManager } from '../cm/cm.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Session } from '../session/session.js';
import { Message } from '../types.js';
import { Peer, RpcServer, type LinkHandler, type LinkOptions } from './link.js';
import { RemoteRoutes, rowOf } from './routes.js';
import { ClusterSessionTable } from './sessions.js';
import { Tables } from './tables.js';
import { connect, Store, type Conn, type Endpoint, type RedisSettings } from './store.js';
import { fromRecord } from './wire.js';

export interface ClusterConfig {
  /** cluster.name: the Redis namespace */
  name: string;
  /** node.cookie: a peer's links must present it */
  cookie: string;
  discovery: string;
  /** cluster.static.seeds */
  seeds: string[];
  /** cluster.dns.name / cluster.dns.app: seeds `<app>@<ip>` from the name's A records */
  dns?: { name: string; app: string };
  /** cluster.autoclean, ms; undefined = never */
  autoclean: number | undefined;
  redis: RedisSettings;
  /** ms between heartbeats; a node is down when none came for nodeTimeout ms */
  heartbeat: number;
  nodeTimeout: number;
  rpc: LinkOptions & { listenHost: string; port: number; advertiseHost: string };
}

/** what the cluster uses of its node */
export interface ClusterHost {
  readonly nodeName: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly broker: Broker;
  readonly cm: ChannelManager;
  readonly subscriptions: Subscriptions;
  nextMessageId(): number;
}

export interface ClusterView {
  running: string[];
  stopped: string[];
}

type Call = (peer: string, args: Record<string, unknown>) => unknown;

export class ClusterNode implements LinkHandler {
  member = false;
  store!: Store;
  private reader!: Conn;
  private readonly server: RpcServer;
  readonly peers = new Map<string, Peer>();
  readonly remote: RemoteRoutes;
  readonly sessions: ClusterSessionTable;
  readonly tables: Tables;
  /** this node's own route rows (kept while standalone too) */
  readonly localRows = new Set<string>();
  private readonly addQ = new Set<string>();
  private readonly delQ = new Set<string>();
  private flushQueued = false;
  private members = new Set<string>();
  private alive = new Map<string, number>();
  private endpoints = new Map<string, Endpoint>();
  private readonly downSince = new Map<string, number>();
  /** when our Redis connection last came (back) up: no heartbeat could be written before */
  private healthySince = Date.now();
  private lastId = '0-0';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readyOnce = false;
  private ticking: Promise<void> | undefined;
  private readonly started = Date.now();
  port = 0;
  private readonly calls = new Map<string, Call>();
  readonly self: string;

  constructor(private readonly node: ClusterHost, readonly cfg: ClusterConfig) {
    this.self = node.nodeName;
    this.remote = new RemoteRoutes(node.broker.router, node.metrics);
    this.server = new RpcServer(cfg.cookie, cfg.rpc, this, (l) => node.logger.warning(l));
    const cluster = this;
    this.sessions = new ClusterSessionTable({
      self: this.self,
      get member() {
        return cluster.member;
      },
      get store() {
        return cluster.store;
      },
      peer: (n) => (this.alive.has(n) ? this.peers.get(n) : undefined),
      confirmRoutes: (rows) => this.confirmRoutes(rows),
      rowsOf: (s) => rowsOf(s),
      sessions: () => node.cm.sessions,
      discardTimeout: 10000,
      takeoverTimeout: 30000,
      log: (level, line) => node.logger[level](line),
    });
    this.tables = new Tables({
      self: this.self,
      get member() {
        return cluster.member;
      },
      get store() {
        return cluster.store;
      },
      nodes: () => this.runningNodes(),
      stopped: () => (this.member ? [...this.members].filter((m) => m !== this.self && !this.alive.has(m)).sort() : []),
      log: (line) => node.logger.warning(`cluster: ${line}`),
    });
    node.broker.router.onLocal = (f, g, added) => this.localRoute(rowOf(f, g), added);
    node.subscriptions.onChange = (s) => this.sessions.changed(s);
    this.calls.set('routes', (peer, a) => {
      for (const r of a.add as string[]) this.remote.add(peer, r);
      return true;
    });
    this.calls.set('takeover_begin', (_p, a) => node.cm.takeoverBegin(a.clientid as string) ?? null);
    this.calls.set('takeover_end', (_p, a) => node.cm.takeoverEnd(a.clientid as string));
    this.calls.set('discard', (_p, a) => node.cm.discard(a.clientid as string));
    this.calls.set('kick', (_p, a) => node.cm.kick(a.clientid as string));
    this.calls.set('leave', () => this.leave().then(() => true));
    this.calls.set('ping', () => this.self);
  }

  /** another module's call handler (plugins' cluster calls go through the SDK) */
  handle(op: string, fn: Call): void {
    this.calls.set(op, fn);
  }

  async start(): Promise<void> {
    const cfg = this.cfg;
    this.port = await this.server.listen(cfg.rpc.listenHost, cfg.rpc.port);
    this.store = new Store(connect(cfg.redis, cfg.rpc.connectTimeout, cfg.rpc.callTimeout), cfg.name);
    this.reader = connect(cfg.redis, cfg.rpc.connectTimeout, undefined);
    this.store.r.on('error', () => undefined);
    this.reader.on('error', () => undefined);
    this.store.r.on('ready', () => {
      this.healthySince = Date.now();
      if (this.readyOnce) void this.reassert();
      this.readyOnce = true;
    });
    try {
      await this.boot();
    } catch (err) {
      // Redis is not there yet: the node runs alone until it is (tick retries)
      this.node.logger.error(`cluster: Redis at ${cfg.redis.servers.map((s) => `${s.host}:${s.port}`).join(',')}: ${(err as Error).message}`);
    }
    this.timer = setInterval(() => void this.tick(), cfg.heartbeat);
    this.timer.unref();
    void this.tail();
  }

  private booted = false;

  private async boot(): Promise<void> {
    const cfg = this.cfg;
    this.epoch = await this.store.epoch();
    await this.store.register(this.self, { host: cfg.rpc.advertiseHost, port: this.port, started: this.started }, cfg.nodeTimeout);
    this.lastId = await this.store.lastEventId();
    this.booted = true;
    await this.refresh();
    if (this.members.has(this.self)) {
      // a member restarting: what its last run left (wills of a crash) is cleaned first
      await this.cleanNode(this.self, true);
      await this.enter();
    } else if (cfg.discovery === 'static' || cfg.discovery === 'dns') {
      const seeds = cfg.discovery === 'dns' ? await dnsSeeds(cfg.dns) : cfg.seeds;
      for (const seed of seeds) {
        if (seed === this.self || !this.alive.has(seed)) continue;
        const r = await this.join(seed);
        if (r.ok) break;
      }
    }
  }

  // ---- membership ----

  /** the Redis dataset we wrote to (store.epoch) */
  private epoch = '';
  private epochSeen: string | null = '';

  private async refresh(): Promise<void> {
    const v = await this.store.view();
    this.epochSeen = v.epoch;
    this.members = v.members;
    this.alive = v.alive;
    this.endpoints = v.nodes;
  }

  private tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.doTick().catch((err: Error) => {
      this.node.logger.debug(`cluster: heartbeat: ${err.message}`);
    }).finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async doTick(): Promise<void> {
    if (this.stopped) return;
    if (!this.booted) return this.boot();
    if (this.reasserting) return this.reasserting;
    await this.store.beat(this.self, this.started, this.cfg.nodeTimeout);
    const before = new Map(this.alive);
    await this.refresh();
    // Redis came back without our data (restart, failover to an empty replica): write ours again,
    // do not read the empty member set as "removed from the cluster"
    if (this.epochSeen !== this.epoch) return this.reassert();
    const isMember = this.members.has(this.self);
    if (isMember && !this.member) await this.enter();
    else if (!isMember && this.member) this.exit('removed from the cluster');
    if (!this.member) return;
    const now = Date.now();
    for (const m of this.members) {
      if (m === this.self) continue;
      const started = this.alive.get(m);
      if (started !== undefined) {
        this.downSince.delete(m);
        const restarted = before.get(m) !== started;
        this.ensurePeer(m);
        if (restarted || !this.remote.nodes.has(m)) await this.loadRoutes(m);
        continue;
      }
      // after a Redis outage or failover nobody's heartbeat got through: wait a full timeout
      if (now - this.healthySince < this.cfg.nodeTimeout) continue;
      if (!this.downSince.has(m)) {
        this.downSince.set(m, now);
        this.nodeDown(m);
      }
      if (this.isLeader()) {
        if (await this.store.cleaner(m, this.self, Math.max(30000, this.cfg.nodeTimeout * 5))) await this.cleanNode(m, false);
        const auto = this.cfg.autoclean;
        if (auto !== undefined && now - this.downSince.get(m)! >= auto) {
          this.node.logger.warning(`cluster: autoclean removes ${m} (down ${Math.round((now - this.downSince.get(m)!) / 1000)} s)`);
          await this.store.removeMember(m);
          await this.store.event(m, 'leave');
        }
      }
    }
    for (const n of [...this.peers.keys()]) if (!this.members.has(n)) this.nodeDown(n);
  }

  /** the oldest-named running member does the chores for the dead */
  private isLeader(): boolean {
    const running = [...this.members].filter((m) => this.alive.has(m)).sort();
    return running[0] === this.self;
  }

  private nodeDown(m: string): void {
    const p = this.peers.get(m);
    const had = this.remote.nodes.get(m)?.rows.size ?? 0;
    this.remote.drop(m);
    if (p) {
      p.close();
      this.peers.delete(m);
      this.node.logger.warning(`cluster: node ${m} is down (${had} routes removed)`);
    }
  }

  /** its rows go; the wills of its clients are sent (EMQX 4.3 loses them) */
  private async cleanNode(m: string, self: boolean): Promise<void> {
    const wills = await this.store.clean(m);
    for (const w of wills) {
      try {
        const { m: rec } = JSON.parse(w) as { m: string; d: number };
        const old = fromRecord(rec);
        const msg = new Message(this.node.nextMessageId(), old.qos, old.from, old.flags, old.topic, old.payload, old.properties, Date.now());
        this.node.broker.publish(msg);
      } catch {
        /* not a will we wrote */
      }
    }
    if (wills.length) this.node.logger.info(`cluster: ${wills.length} wills of ${self ? 'our last run' : m} sent`);
  }

  private ensurePeer(m: string): Peer | undefined {
    const ep = this.endpoints.get(m);
    if (!ep) return undefined;
    let p = this.peers.get(m);
    if (p) p.retarget(ep.host, ep.port);
    else {
      p = new Peer(m, ep.host, ep.port, this.self, this.cfg.cookie, this.cfg.rpc, (l) => this.node.logger.debug(l), (n) => {
        this.node.metrics['messages.forward.dropped'] += n;
      });
      this.peers.set(m, p);
    }
    this.remote.node(m).peer = p;
    return p;
  }

  private async loadRoutes(m: string): Promise<void> {
    const rows = await this.store.routes(m);
    if (!this.member || !this.alive.has(m)) return;
    this.remote.set(m, rows);
    this.remote.node(m).peer = this.peers.get(m);
  }

  /** become a member: our rows out, every live peer's rows in */
  private async enter(): Promise<void> {
    this.member = true;
    this.node.cm.events = this.sessions;
    this.addQ.clear();
    this.delQ.clear();
    await this.store.assertRoutes(this.self, [...this.localRows]);
    await this.sessions.reassert();
    await this.tables.mergeAll();
    await this.refresh();
    for (const m of this.members) {
      if (m === this.self || !this.alive.has(m)) continue;
      this.ensurePeer(m);
      await this.loadRoutes(m);
    }
    this.node.logger.info(`cluster: ${this.self} is a member of ${this.cfg.name} (${[...this.members].sort().join(', ')})`);
  }

  private exit(why: string): void {
    this.member = false;
    this.node.cm.events = undefined;
    for (const m of [...this.remote.nodes.keys()]) this.remote.drop(m);
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
    this.node.logger.warning(`cluster: ${this.self} left ${this.cfg.name}: ${why}`);
  }

  /** Redis restarted or failed over: it may have lost anything, so we write ours again */
  private reasserting: Promise<void> | undefined;

  private reassert(): Promise<void> {
    this.reasserting ??= this.doReassert().finally(() => (this.reasserting = undefined));
    return this.reasserting;
  }

  private async doReassert(): Promise<void> {
    if (this.stopped || !this.booted) return;
    try {
      const epoch = await this.store.epoch();
      await this.store.register(this.self, { host: this.cfg.rpc.advertiseHost, port: this.port, started: this.started }, this.cfg.nodeTimeout);
      if (this.member) {
        await this.store.addMembers(this.self);
        await this.store.assertRoutes(this.self, [...this.localRows]);
        await this.sessions.reassert();
        await this.tables.mergeAll();
      }
      this.lastId = await this.store.lastEventId();
      // from here on a tick reads this dataset as ours
      this.epoch = epoch;
      await this.refresh();
      if (this.member) for (const m of this.members) if (m !== this.self && this.alive.has(m)) await this.loadRoutes(m);
      this.node.logger.info('cluster: Redis is back; routes and sessions re-asserted');
    } catch (err) {
      this.node.logger.warning(`cluster: re-asserting after a Redis reconnect: ${(err as Error).message}`);
    }
  }

  // ---- routes ----

  private localRoute(row: string, added: boolean): void {
    if (added) {
      this.localRows.add(row);
      if (!this.delQ.delete(row)) this.addQ.add(row);
    } else {
      this.localRows.delete(row);
      if (!this.addQ.delete(row)) this.delQ.add(row);
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flushRoutes());
    }
  }

  private flushRoutes(): void {
    this.flushQueued = false;
    if (!this.member) {
      this.addQ.clear();
      this.delQ.clear();
      return;
    }
    const add = [...this.addQ];
    const del = [...this.delQ];
    this.addQ.clear();
    this.delQ.clear();
    if (!add.length && !del.length) return;
    this.store.changeRoutes(this.self, add, del).catch((err: Error) => {
      // Redis is down: the rows are written again when it is back (reassert)
      this.node.logger.warning(`cluster: route rows not written: ${err.message}`);
    });
  }

  /** every live peer has these rows of ours (a takeover waits for it before the old node lets go) */
  private async confirmRoutes(rows: string[]): Promise<void> {
    const calls = [];
    for (const [m, p] of this.peers) if (this.alive.has(m) && p.up) calls.push(p.call('routes', { add: rows }, 5000));
    await Promise.all(calls);
  }

  /** the event stream: route changes of the peers, joins and leaves */
  private async tail(): Promise<void> {
    while (!this.stopped) {
      // until boot has read where the stream ends, there is no position to read from
      if (!this.booted) {
        await new Promise((r) => setTimeout(r, this.cfg.heartbeat));
        continue;
      }
      try {
        const key = this.store.k('events');
        const res = (await this.reader.xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', key, this.lastId)) as Array<[string, Array<[string, string[]]>]> | null;
        if (!res) continue;
        for (const [, entries] of res) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            this.apply(fields);
          }
        }
      } catch (err) {
        if (this.stopped) return;
        this.node.logger.debug(`cluster: event stream: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private apply(fields: string[]): void {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    const n = f.n;
    if (n === undefined) return;
    if (f.t !== undefined) {
      if (n !== this.self && this.member && f.k !== undefined) void this.tables.changed(f.t, f.k).catch(() => undefined);
      return;
    }
    if (f.e !== undefined) {
      if (f.e === 'resync' && n !== this.self && this.member && this.alive.has(n)) void this.loadRoutes(n).catch(() => undefined);
      else if (f.e === 'join' || f.e === 'leave') void this.tick();
      return;
    }
    if (n === this.self || !this.member) return;
    if (f.a) for (const r of f.a.split('\0')) this.remote.add(n, r);
    if (f.d) for (const r of f.d.split('\0')) this.remote.del(n, r);
    const rn = this.remote.nodes.get(n);
    if (rn && rn.peer === undefined) rn.peer = this.peers.get(n);
  }

  // ---- LinkHandler ----

  forward(_peer: string, filter: string, group: string | undefined, msg: Message): void {
    this.node.broker.dispatchForward(filter, group, msg);
  }

  call(peer: string, op: string, args: unknown): unknown {
    const fn = this.calls.get(op);
    if (!fn) throw new Error(`unknown call ${op}`);
    return fn(peer, (args ?? {}) as Record<string, unknown>);
  }

  // ---- emqx_ctl cluster ----

  async view(): Promise<ClusterView> {
    if (!this.member) return { running: [this.self], stopped: [] };
    await this.refresh().catch(() => undefined);
    const all = [...this.members].sort();
    return { running: all.filter((m) => this.alive.has(m) || m === this.self), stopped: all.filter((m) => !this.alive.has(m) && m !== this.self) };
  }

  async join(target: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (target === this.self) return { ok: false, reason: 'ignore' };
    await this.refresh();
    const ep = this.endpoints.get(target);
    if (!ep || !this.alive.has(target)) return { ok: false, reason: `{node_down,'${target}'}` };
    if (this.member && this.members.has(target)) return { ok: false, reason: `{already_in_cluster,'${target}'}` };
    // the target answers on its rpc port before we rely on it
    const probe = new Peer(target, ep.host, ep.port, this.self, this.cfg.cookie, this.cfg.rpc, () => undefined, () => undefined);
    try {
      await waitUp(probe, this.cfg.rpc.connectTimeout);
      await probe.call('ping', {}, this.cfg.rpc.connectTimeout);
    } catch {
      return { ok: false, reason: `{node_down,'${target}'}` };
    } finally {
      probe.close();
    }
    await this.store.addMembers(this.self, target);
    await this.store.event(this.self, 'join');
    await this.refresh();
    if (!this.member) await this.enter();
    return { ok: true };
  }

  async leave(): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (!this.member) return { ok: false, reason: 'node_not_in_cluster' };
    await this.refresh();
    const others = [...this.members].filter((m) => m !== this.self && this.alive.has(m));
    if (others.length === 0) return { ok: false, reason: 'node_not_in_cluster' };
    this.exit('left');
    await this.store.removeMember(this.self);
    await this.store.clean(this.self);
    await this.store.event(this.self, 'leave');
    return { ok: true };
  }

  async forceLeave(target: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (target === this.self) return { ok: false, reason: 'ignore' };
    await this.refresh();
    if (!this.members.has(target)) return { ok: false, reason: 'node_not_in_cluster' };
    const p = this.peers.get(target);
    if (p && this.alive.has(target)) await p.call('leave', {}, 5000).catch(() => undefined);
    await this.store.removeMember(target);
    await this.store.clean(target);
    await this.store.event(target, 'leave');
    this.nodeDown(target);
    await this.refresh();
    return { ok: true };
  }

  /** the live peers, for kicks and cluster-wide lookups */
  livePeers(): Peer[] {
    return [...this.peers].filter(([m, p]) => this.alive.has(m) && p.up).map(([, p]) => p);
  }

  /** which node holds a client's session, per the registry */
  async ownerOf(clientid: string): Promise<string | null> {
    return (await this.store.lookup(clientid)).owner;
  }

  runningNodes(): string[] {
    if (!this.member) return [this.self];
    return [...this.members].filter((m) => m === this.self || this.alive.has(m)).sort();
  }

  /** route rows cluster-wide: ours and the replica */
  get routeRows(): number {
    return this.localRows.size + this.remote.size;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    const goodbye = async (): Promise<void> => {
      if (this.member) {
        // a clean stop: peers drop our routes now, not after the heartbeat times out
        await this.store.clean(this.self);
        await this.store.event(this.self, 'resync');
      }
      await this.store.r.del(this.store.k(`hb:${this.self}`));
    };
    // Redis down or slow: our heartbeat times out by itself
    if (this.store.r.status === 'ready') await within(goodbye(), 3000).catch(() => undefined);
    for (const p of this.peers.values()) p.close();
    await this.server.close();
    this.store.r.disconnect();
    this.reader.disconnect();
  }
}

function rowsOf(s: Session): string[] {
  return [...s.subscriptions.values()].map((sub) => rowOf(sub.filter, sub.opts.share));
}

/** EMQX's dns strategy: every A record of the name is a node `<app>@<ip>` */
async function dnsSeeds(d: ClusterConfig['dns']): Promise<string[]> {
  if (!d) return [];
  const ips = await resolve4(d.name).catch(() => [] as string[]);
  return ips.map((ip) => `${d.app}@${ip}`);
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_r, reject) => (t = setTimeout(() => reject(new Error('timeout')), ms)))]).finally(() => clearTimeout(t));
}

function waitUp(p: Peer, timeout: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const check = (): void => {
      if (p.up) return resolve();
      if (Date.now() - t0 > timeout) return reject(new Error('timeout'));
      setTimeout(check, 10);
    };
    check();
  });
}

