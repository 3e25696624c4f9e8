// The control plane in Redis. Every key sits under `{nemq:<cluster.name>}:` (one hash
// slot, so a Redis Cluster takes our pipelines and transactions):
//   nodes            hash  node → {"host","port","started"}   (rpc endpoints, every node)
//   hb:<node>        string with a TTL, refreshed every heartbeat (alive = exists)
//   members          set   nodes in the cluster
//   routes:<node>    set   that node's route rows (filter, or $share/<group>/<filter>)
//   events           stream route changes, joins, leaves and resyncs
//   reg              hash  clientid → node holding its session
//   regn:<node>      set   clientids registered by that node
//   lock:<clientid>  string, the session lock (SET NX PX)
//   sess:<clientid>  hash  {node, expiry, subs} of a persistent session
//   wills:<node>     hash  clientid → will message, sent by a peer if the node dies
//   table:<name>     hash  a replicated table's rows (tables.ts)
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export interface RedisSettings {
  type: 'single' | 'sentinel' | 'cluster';
  servers: Array<{ host: string; port: number }>;
  /** Sentinel master name */
  sentinel: string;
  username?: string;
  password?: string;
  database: number;
}

export type Conn = Redis | Cluster;

const retry = (times: number): number => Math.min(times * 100, 1000);

/** one connection as the settings say; no `commandTimeout` for the XREAD BLOCK reader */
export function connect(s: RedisSettings, timeout: number, commandTimeout: number | undefined): Conn {
  const common: RedisOptions = {
    username: s.username,
    password: s.password,
    connectTimeout: timeout,
    ...(commandTimeout !== undefined ? { commandTimeout } : {}),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: retry,
    lazyConnect: false,
  };
  if (s.type === 'cluster') {
    return new Cluster(s.servers, { redisOptions: common, clusterRetryStrategy: retry, enableOfflineQueue: true });
  }
  const o: RedisOptions = { ...common, db: s.database };
  if (s.type === 'sentinel') Object.assign(o, { sentinels: s.servers, name: s.sentinel, role: 'master', sentinelRetryStrategy: retry, failoverDetector: true });
  else Object.assign(o, { host: s.servers[0]!.host, port: s.servers[0]!.port });
  return new Redis(o);
}

/** delete a hash field only while it still names `node` */
const HDEL_IF = `if redis.call('hget', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('hdel', KEYS[1], ARGV[1]) end return 0`;
/** delete a session row only while it names `node` */
const DEL_SESS_IF = `if redis.call('hget', KEYS[1], 'node') == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;
/** release a lock only while we hold it */
const DEL_IF = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

export interface Endpoint {
  host: string;
  port: number;
  started: number;
}

export class Store {
  readonly k: (s: string) => string;

  constructor(readonly r: Conn, cluster: string) {
    const ns = `{nemq:${cluster}}:`;
    this.k = (s) => ns + s;
  }

  /** a random mark set once per Redis dataset: a new one means Redis lost what we wrote */
  async epoch(): Promise<string> {
    await this.r.set(this.k('epoch'), Math.random().toString(36).slice(2), 'NX');
    return (await this.r.get(this.k('epoch'))) ?? '';
  }

  async register(node: string, ep: Endpoint, ttl: number): Promise<void> {
    await this.r.multi().hset(this.k('nodes'), node, JSON.stringify(ep)).set(this.k(`hb:${node}`), String(ep.started), 'PX', ttl).exec();
  }

  beat(node: string, started: number, ttl: number): Promise<unknown> {
    return this.r.set(this.k(`hb:${node}`), String(started), 'PX', ttl);
  }

  /** members, endpoints and which nodes beat (node → started) */
  async view(): Promise<{ members: Set<string>; nodes: Map<string, Endpoint>; alive: Map<string, number>; epoch: string | null }> {
    const [members, raw, epoch] = await Promise.all([this.r.smembers(this.k('members')), this.r.hgetall(this.k('nodes')), this.r.get(this.k('epoch'))]);
    const nodes = new Map<string, Endpoint>();
    for (const [n, v] of Object.entries(raw)) {
      try {
        nodes.set(n, JSON.parse(v) as Endpoint);
      } catch {
        /* a row we cannot read is a node we cannot reach */
      }
    }
    const names = [...new Set([...members, ...nodes.keys()])];
    const beats = await Promise.all(names.map((n) => this.r.get(this.k(`hb:${n}`))));
    const alive = new Map<string, number>();
    names.forEach((n, i) => {
      if (beats[i] != null) alive.set(n, Number(beats[i]));
    });
    return { members: new Set(members), nodes, alive, epoch };
  }

  addMembers(...nodes: string[]): Promise<unknown> {
    return this.r.sadd(this.k('members'), ...nodes);
  }

  removeMember(node: string): Promise<unknown> {
    return this.r.srem(this.k('members'), node);
  }

  routes(node: string): Promise<string[]> {
    return this.r.smembers(this.k(`routes:${node}`));
  }

  /** route changes of one event-loop turn: the set and one stream entry */
  async changeRoutes(node: string, add: string[], del: string[]): Promise<void> {
    const m = this.r.multi();
    if (add.length) m.sadd(this.k(`routes:${node}`), ...add);
    if (del.length) m.srem(this.k(`routes:${node}`), ...del);
    m.xadd(this.k('events'), 'MAXLEN', '~', '100000', '*', 'n', node, 'a', add.join('\0'), 'd', del.join('\0'));
    await m.exec();
  }

  /** this node's rows, all at once (after joining, or a Redis restart) */
  async assertRoutes(node: string, rows: string[]): Promise<void> {
    const m = this.r.multi().del(this.k(`routes:${node}`));
    for (let i = 0; i < rows.length; i += 1000) m.sadd(this.k(`routes:${node}`), ...rows.slice(i, i + 1000));
    m.xadd(this.k('events'), 'MAXLEN', '~', '100000', '*', 'n', node, 'e', 'resync');
    await m.exec();
  }

  event(node: string, what: 'join' | 'leave' | 'resync'): Promise<unknown> {
    return this.r.xadd(this.k('events'), 'MAXLEN', '~', '100000', '*', 'n', node, 'e', what);
  }

  async lastEventId(): Promise<string> {
    const last = (await this.r.xrevrange(this.k('events'), '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    return last[0]?.[0] ?? '0-0';
  }

  // ---- tables (tables.ts) ----

  tableSet(node: string, name: string, key: string, value: string): Promise<unknown> {
    return this.r.multi().hset(this.k(`table:${name}`), key, value).xadd(this.k('events'), 'MAXLEN', '~', '100000', '*', 'n', node, 't', name, 'k', key).exec();
  }

  tableDelete(node: string, name: string, key: string): Promise<unknown> {
    return this.r.multi().hdel(this.k(`table:${name}`), key).xadd(this.k('events'), 'MAXLEN', '~', '100000', '*', 'n', node, 't', name, 'k', key).exec();
  }

  /** our rows where the cluster has none; each one added is announced, so nodes already in get it */
  async tableMerge(node: string, name: string, rows: Iterable<readonly [string, string]>): Promise<void> {
    const all = [...rows];
    for (let i = 0; i < all.length; i += 1000) {
      const part = all.slice(i, i + 1000);
      const m = this.r.pipeline();
      for (const [k, v] of part) m.hsetnx(this.k(`table:${name}`), k, v);
      const res = (await m.exec()) ?? [];
      const ev = this.r.pipeline();
      part.forEach(([k], j) => {
        if (res[j]?.[1] === 1) ev.xadd(this.k('events'), 'MAXLEN', '~', '100000', '*', 'n', node, 't', name, 'k', k);
      });
      await ev.exec();
    }
  }

  async tableAll(name: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.r.hgetall(this.k(`table:${name}`))));
  }

  tableGet(name: string, key: string): Promise<string | null> {
    return this.r.hget(this.k(`table:${name}`), key);
  }

  // ---- sessions ----

  /** false while Redis is unreachable */
  get ready(): boolean {
    return this.r.status === 'ready';
  }

  async lock(clientid: string, token: string, ttl: number): Promise<boolean> {
    return (await this.r.set(this.k(`lock:${clientid}`), token, 'PX', ttl, 'NX')) === 'OK';
  }

  unlock(clientid: string, token: string): Promise<unknown> {
    return this.r.eval(DEL_IF, 1, this.k(`lock:${clientid}`), token);
  }

  /** the node holding the session and the persistent session's row */
  async lookup(clientid: string): Promise<{ owner: string | null; sess: Record<string, string> }> {
    const [owner, sess] = await Promise.all([this.r.hget(this.k('reg'), clientid), this.r.hgetall(this.k(`sess:${clientid}`))]);
    return { owner, sess };
  }

  async claim(clientid: string, node: string): Promise<void> {
    await this.r.multi().hset(this.k('reg'), clientid, node).sadd(this.k(`regn:${node}`), clientid).exec();
  }

  async release(clientid: string, node: string): Promise<void> {
    await Promise.all([
      this.r.eval(HDEL_IF, 1, this.k('reg'), clientid, node),
      this.r.srem(this.k(`regn:${node}`), clientid),
      this.r.eval(DEL_SESS_IF, 1, this.k(`sess:${clientid}`), node),
    ]);
  }

  saveSession(clientid: string, node: string, expiry: number, subs: string): Promise<unknown> {
    return this.r.multi().hset(this.k(`sess:${clientid}`), 'node', node, 'expiry', String(expiry), 'subs', subs).persist(this.k(`sess:${clientid}`)).exec();
  }

  dropSession(clientid: string): Promise<unknown> {
    return this.r.del(this.k(`sess:${clientid}`));
  }

  saveWill(node: string, clientid: string, will: string): Promise<unknown> {
    return this.r.hset(this.k(`wills:${node}`), clientid, will);
  }

  dropWill(node: string, clientid: string): Promise<unknown> {
    return this.r.hdel(this.k(`wills:${node}`), clientid);
  }

  /**
   * A dead (or departed) node's rows: its registry rows and routes go, its persistent
   * sessions start their expiry now, and its wills are returned to be published.
   */
  async clean(node: string): Promise<string[]> {
    const cids = await this.r.smembers(this.k(`regn:${node}`));
    for (let i = 0; i < cids.length; i += 500) {
      const part = cids.slice(i, i + 500);
      const expiries = await Promise.all(part.map((c) => this.r.hmget(this.k(`sess:${c}`), 'node', 'expiry')));
      const m = this.r.pipeline();
      part.forEach((c, j) => {
        m.eval(HDEL_IF, 1, this.k('reg'), c, node);
        const [owner, exp] = expiries[j]!;
        if (owner !== node) return;
        const e = Number(exp);
        if (!(e > 0)) m.del(this.k(`sess:${c}`));
        else if (e < 0xffffffff) m.pexpire(this.k(`sess:${c}`), e * 1000);
      });
      await m.exec();
    }
    const wills = await this.r.hvals(this.k(`wills:${node}`));
    await this.r.multi().del(this.k(`regn:${node}`), this.k(`routes:${node}`), this.k(`wills:${node}`)).exec();
    return wills;
  }

  /** only one live node cleans a dead one */
  async cleaner(node: string, self: string, ttl: number): Promise<boolean> {
    return (await this.r.set(this.k(`clean:${node}`), self, 'PX', ttl, 'NX')) === 'OK';
  }
}
