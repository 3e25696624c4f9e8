// The Redis side: a few ioredis connections (single, sentinel) or one ioredis Cluster.
//
// ioredis reconnects by itself (and through Sentinel finds the promoted master). Its offline
// queue is off: while a connection is down a command fails at once instead of waiting for the
// reconnect, and every command is bounded by query_timeout, so a CONNECT never hangs on Redis.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from '@nemq/sdk';
import type { ClientSettings } from './options.js';

export class QueryTimeout extends Error {}

/** what auth/ACL need from Redis; tests can hand in a fake */
export interface Runner {
  /** one command; the reply as RESP gives it (strings, arrays, nil = null) */
  run(name: string, args: readonly string[]): Promise<unknown>;
}

/** reconnect after 100 ms, 200 ms, ... at most 1 s apart, forever */
const retry = (times: number): number => Math.min(times * 100, 1000);

type Conn = Redis | Cluster;

export class RedisBackend implements Runner {
  private readonly conns: Conn[] = [];
  private next = 0;
  private readonly timeout: number;

  constructor(
    private readonly s: ClientSettings,
    private readonly logger: Logger,
  ) {
    this.timeout = s.queryTimeout;
    const common: RedisOptions = {
      username: s.username,
      password: s.password,
      connectTimeout: s.queryTimeout,
      commandTimeout: s.queryTimeout,
      // pending commands of a lost connection fail instead of being sent again later
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      enableReadyCheck: true,
      ...(s.tls ? { tls: s.tls } : {}),
    };
    if (s.type === 'cluster') {
      const o: ClusterOptions = {
        redisOptions: common,
        enableOfflineQueue: false,
        enableReadyCheck: true,
        clusterRetryStrategy: retry,
        slotsRefreshTimeout: s.queryTimeout,
      };
      this.watch(new Cluster(s.servers.map((h) => ({ host: h.host, port: h.port })), o), 'cluster');
      return;
    }
    for (let i = 0; i < s.pool; i++) {
      const o: RedisOptions = { ...common, db: s.database, retryStrategy: retry };
      if (s.type === 'sentinel') {
        Object.assign(o, {
          sentinels: s.servers.map((h) => ({ host: h.host, port: h.port })),
          name: s.sentinel,
          role: 'master',
          sentinelRetryStrategy: retry,
          sentinelCommandTimeout: s.queryTimeout,
          // the sentinels' +switch-master closes the connection to a demoted master at once
          failoverDetector: true,
          ...(s.tls ? { enableTLSForSentinelMode: true, sentinelTLS: s.tls } : {}),
        } satisfies RedisOptions);
      } else {
        o.host = s.servers[0]!.host;
        o.port = s.servers[0]!.port;
      }
      this.watch(new Redis(o), `connection ${i + 1}`);
    }
  }

  /** resolves when every connection is ready; rejects after query_timeout with the last error */
  async open(): Promise<void> {
    await Promise.all(this.conns.map((c) => ready(c, this.timeout)));
  }

  run(name: string, args: readonly string[]): Promise<unknown> {
    const c = this.pick();
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueryTimeout(`no answer within ${this.timeout} ms`)), this.timeout);
    });
    return Promise.race([c.call(name, ...args), limit]).finally(() => clearTimeout(timer));
  }

  close(): void {
    for (const c of this.conns) c.disconnect();
  }

  /** round robin over the ready connections; none ready: the next one (its command fails at once) */
  private pick(): Conn {
    const n = this.conns.length;
    for (let k = 0; k < n; k++) {
      const c = this.conns[(this.next + k) % n]!;
      if (c.status === 'ready') {
        this.next = (this.next + k + 1) % n;
        return c;
      }
    }
    this.next = (this.next + 1) % n;
    return this.conns[this.next]!;
  }

  /** one warning when a ready connection is lost, one line when it is back */
  private watch(c: Conn, label: string): void {
    let lost = false;
    let wasReady = false;
    c.on('error', (err: Error) => {
      if (wasReady && !lost) {
        lost = true;
        this.logger.warning(`[Redis] ${label} lost: ${err.message}; reconnecting`);
      }
    });
    c.on('close', () => {
      if (wasReady && !lost) {
        lost = true;
        this.logger.warning(`[Redis] ${label} closed; reconnecting`);
      }
    });
    c.on('ready', () => {
      if (lost) this.logger.info(`[Redis] ${label} is back`);
      lost = false;
      wasReady = true;
    });
    this.conns.push(c);
  }
}

function ready(c: Conn, ms: number): Promise<void> {
  if (c.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last = 'no answer';
    const onError = (err: Error): void => {
      last = err.message;
    };
    const onReady = (): void => {
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`not ready within ${ms} ms (${last})`));
    }, ms);
    // disconnect() while waiting (the plugin is unloaded): no timer left behind
    const onEnd = (): void => {
      done();
      reject(new Error(`connection closed (${last})`));
    };
    const done = (): void => {
      clearTimeout(timer);
      c.off('error', onError);
      c.off('ready', onReady);
      c.off('end', onEnd);
    };
    c.on('error', onError);
    c.once('ready', onReady);
    c.once('end', onEnd);
  });
}
