// Drains the backlog to the HTTP server over an undici Pool: `pool_size` keep-alive connections,
// each carrying up to `pipelining` requests at once (web.hook.enable_pipelining). The hooks only
// push and wake the loop, so a slow or unreachable server never holds up MQTT. A request the
// server could not be reached for goes back to the head of the backlog and the loop waits
// (doubling up to web.hook.reconnect_interval); a request the server answered with a non-2xx
// status, or did not answer in web.hook.request_timeout, is counted as failed and not sent again.
import type { Socket } from 'node:net';
import { buildConnector, Pool, type Dispatcher } from 'undici';
import { tlsConnectOptions, type Logger } from '@nemq/sdk';
import { Backlog } from './backlog.js';
import type { Settings } from './config.js';

export interface SenderStats {
  status: 'connected' | 'disconnected';
  backlog: number;
  backlog_bytes: number;
  inflight: number;
  enqueued: number;
  sent: number;
  failed: number;
  dropped: number;
  retried: number;
  last_error: string;
}

/** errors that mean the server was not reached: the body is kept and sent again */
const UNREACHED = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED',
]);

function errCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.code ?? '';
}

export class Sender {
  readonly backlog: Backlog;
  private readonly pool: Pool;
  private readonly maxInflight: number;
  private inflight = 0;
  private enqueued = 0;
  private sent = 0;
  private failed = 0;
  private retried = 0;
  private lastError = '';
  private up = true;
  private woken = false;
  private waitTimer: NodeJS.Timeout | undefined;
  private backoff = 0;
  private stopped = false;
  private lastLog = 0;
  private readonly wake = (): void => {
    this.woken = false;
    this.pump();
  };

  constructor(private readonly s: Settings, private readonly logger: Logger) {
    this.backlog = new Backlog(s.maxEvents, s.maxBytes);
    this.maxInflight = s.poolSize * s.pipelining;
    this.pool = new Pool(s.origin, {
      connections: s.poolSize,
      pipelining: s.pipelining,
      keepAliveTimeout: 30_000,
      headersTimeout: s.requestTimeout,
      bodyTimeout: s.requestTimeout,
      connect: coalescing(buildConnector(s.tls ? { ...tlsConnectOptions(s.tls, s.url.hostname), timeout: s.requestTimeout } : { timeout: s.requestTimeout })),
    });
  }

  /** from a hook: O(1), never waits */
  enqueue(body: string): void {
    if (this.stopped) return;
    this.enqueued++;
    this.backlog.push(body);
    if (!this.woken && this.waitTimer === undefined && this.inflight < this.maxInflight) {
      this.woken = true;
      setImmediate(this.wake);
    }
  }

  private pump(): void {
    while (!this.stopped && this.waitTimer === undefined && this.inflight < this.maxInflight) {
      const body = this.backlog.shift();
      if (body === undefined) return;
      this.send(body);
    }
  }

  private send(body: string): void {
    this.inflight++;
    // dispatch() with a plain handler: no promise and no body stream per request
    this.pool.dispatch({
      origin: this.s.origin, path: this.s.path, method: 'POST', headers: this.s.headers, body,
      // POSTs are pipelined only when marked idempotent; EMQX's enable_pipelining asks for it
      idempotent: this.s.pipelining > 1,
      headersTimeout: this.s.requestTimeout, bodyTimeout: this.s.requestTimeout,
    }, new Reply(this, body));
  }

  /** the server answered `status` (the body was read and dropped) */
  answered(status: number): void {
    this.inflight--;
    this.reached();
    if (status >= 200 && status < 300) this.sent++;
    else this.fail(`HTTP ${status}`);
    this.pump();
  }

  /** the request failed before an answer */
  errored(body: string, err: Error): void {
    this.inflight--;
    if (this.stopped) return;
    const code = errCode(err);
    if (UNREACHED.has(code)) {
      this.retried++;
      this.backlog.unshift(body);
      this.unreachable(`${code}: ${err.message}`);
    } else {
      this.reached();
      this.fail(code ? `${code}: ${err.message}` : err.message);
      this.pump();
    }
  }

  private reached(): void {
    this.backoff = 0;
    if (!this.up) {
      this.up = true;
      this.logger.info(`${this.s.origin} reachable again; ${this.backlog.length} events in the backlog`);
    }
  }

  private fail(why: string): void {
    this.failed++;
    this.lastError = why;
    this.logSometimes(`HTTP request error: ${why}`);
  }

  private unreachable(why: string): void {
    this.lastError = why;
    if (this.up) {
      this.up = false;
      this.logger.warning(`${this.s.origin} unreachable (${why}); keeping events in the backlog (at most ${this.s.maxEvents})`);
    }
    if (this.waitTimer !== undefined) return;
    this.backoff = Math.min(this.s.reconnectInterval, this.backoff === 0 ? 50 : this.backoff * 2);
    this.waitTimer = setTimeout(() => {
      this.waitTimer = undefined;
      this.pump();
    }, this.backoff);
  }

  private logSometimes(msg: string): void {
    const now = Date.now();
    if (now - this.lastLog < 5000) return;
    this.lastLog = now;
    this.logger.error(msg);
  }

  stats(): SenderStats {
    return {
      status: this.up ? 'connected' : 'disconnected',
      backlog: this.backlog.length,
      backlog_bytes: this.backlog.bytes,
      inflight: this.inflight,
      enqueued: this.enqueued,
      sent: this.sent,
      failed: this.failed,
      dropped: this.backlog.dropped,
      retried: this.retried,
      last_error: this.lastError,
    };
  }

  /** stops taking events, gives what is on the wire up to `ms`, then closes; returns the bodies not sent */
  async stop(ms: number): Promise<number> {
    this.stopped = true;
    if (this.waitTimer !== undefined) clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    const lost = this.backlog.clear();
    const t0 = Date.now();
    while (this.inflight > 0 && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 10));
    const cut = this.inflight;
    await this.pool.destroy().catch(() => undefined);
    return lost + cut;
  }
}

/** undici's handler for one request: the status is kept, the body ignored */
class Reply implements Dispatcher.DispatchHandlers {
  private status = 0;
  constructor(private readonly sender: Sender, private readonly body: string) {}
  onConnect(): void {}
  onHeaders(status: number): boolean {
    this.status = status;
    return true;
  }
  onData(): boolean {
    return true;
  }
  onComplete(): void {
    this.sender.answered(this.status);
  }
  onError(err: Error): void {
    this.sender.errored(this.body, err);
  }
}

/**
 * undici writes each request with its own cork()/uncork(), so one system call per request.
 * Deferring the uncork to the end of the tick sends every request dispatched in that tick
 * (pipelined, or queued behind a slow answer) in one write.
 */
export function coalescing(connect: buildConnector.connector): buildConnector.connector {
  return (opts, cb) => connect(opts, (err, socket) => {
    if (err === null && socket !== null) {
      const sock = socket as Socket;
      const uncork = sock.uncork.bind(sock);
      let owed = 0;
      const flush = (): void => {
        for (; owed > 0; owed--) uncork();
      };
      sock.uncork = () => {
        if (owed++ === 0) process.nextTick(flush);
      };
    }
    (cb as (e: Error | null, s: unknown) => void)(err, socket);
  });
}
