// One keep-alive connection pool per request kind (EMQX starts one ehttpc pool for each of
// auth_req, super_req and acl_req): Node's http(s).Agent with keepAlive and maxSockets =
// pool_size. Each call has a hard deadline (timeout), each new connection a connect deadline
// (connect_timeout, the TLS handshake included), and connection failures are retried
// (retry_times, retry_interval, retry_backoff). A call is one object; the socket and response
// listeners are shared module functions that find it through the request, so a request
// makes no closures.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { tlsConnectOptions, type BackendTls } from '@nemq/sdk';
import type { RequestSpec, Retry } from './options.js';
import type { BuiltRequest } from './request.js';
import type { Outcome } from './status.js';

/** a longer body is garbage for an auth answer (EMQX reads `ignore` or a small JSON object) */
export const MAX_BODY = 64 * 1024;

const CALL = Symbol('call');
const CONNECT_TIMER = Symbol('connectTimer');

interface Tagged {
  [CALL]?: Call;
}
interface TimedSocket {
  [CONNECT_TIMER]?: NodeJS.Timeout;
}

export interface PoolOptions {
  readonly poolSize: number;
  readonly timeout: number;
  readonly connectTimeout: number;
  readonly retry: Retry;
  readonly ssl: BackendTls;
}

/** connection errors worth another attempt: nothing reached the server, or a kept-alive socket was closed under us */
const RETRIABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

class ConnectTimeoutError extends Error {
  readonly code = 'ECONNECTTIMEOUT';
}

function onConnectTimeout(s: Duplex & TimedSocket, ms: number): void {
  s.destroy(new ConnectTimeoutError(`connect timeout (${ms}ms)`));
}
function clearConnectTimer(this: Duplex & TimedSocket): void {
  clearTimeout(this[CONNECT_TIMER]);
  this[CONNECT_TIMER] = undefined;
}
function armConnectTimer(s: Duplex | null | undefined, ms: number, tls: boolean): void {
  if (!s) return;
  const t = s as Duplex & TimedSocket;
  t[CONNECT_TIMER] = setTimeout(onConnectTimeout, ms, t, ms);
  t.once(tls ? 'secureConnect' : 'connect', clearConnectTimer);
  t.once('close', clearConnectTimer);
}

class HttpAgent extends http.Agent {
  constructor(opts: http.AgentOptions, private readonly connectMs: number) {
    super(opts);
  }
  override createConnection(o: http.ClientRequestArgs, cb?: (err: Error | null, s: Duplex) => void): Duplex | null | undefined {
    const s = super.createConnection(o, cb);
    armConnectTimer(s, this.connectMs, false);
    return s;
  }
}

class HttpsAgent extends https.Agent {
  constructor(opts: https.AgentOptions, private readonly connectMs: number) {
    super(opts);
  }
  override createConnection(o: https.RequestOptions, cb?: (err: Error | null, s: Duplex) => void): Duplex | null | undefined {
    const s = super.createConnection(o, cb);
    armConnectTimer(s, this.connectMs, true);
    return s;
  }
}

/** the agent's TLS options: files read now; an IP host is never sent as SNI (the certificate is still checked against it) */
export function agentTls(ssl: BackendTls, host: string): https.AgentOptions {
  const o = tlsConnectOptions(ssl, host);
  if (o.servername !== undefined && isIP(o.servername) !== 0) delete o.servername;
  return o;
}

class Call {
  resolve: (o: Outcome) => void = noop;
  req: http.ClientRequest | undefined;
  timer: NodeJS.Timeout | undefined;
  status = 0;
  chunks: Buffer[] = [];
  size = 0;
  attempt = 0;
  delay: number;
  done = false;
  constructor(
    readonly pool: Pool,
    readonly built: BuiltRequest,
  ) {
    this.delay = pool.opts.retry.interval;
  }
}

function noop(): void {}

// Promise executors run at once: this hands the resolver over without a closure per call
let captured: (o: Outcome) => void = noop;
function capture(resolve: (o: Outcome) => void): void {
  captured = resolve;
}

function finish(call: Call, o: Outcome): void {
  if (call.done) return;
  call.done = true;
  clearTimeout(call.timer);
  call.resolve(o);
}

function onTimeout(call: Call): void {
  finish(call, { ok: false, error: `timeout (${call.pool.opts.timeout}ms)` });
  call.req?.destroy();
}

function onResponse(this: http.ClientRequest & Tagged, res: http.IncomingMessage): void {
  const call = this[CALL]!;
  if (call.req !== this) return;
  call.status = res.statusCode ?? 0;
  (res as http.IncomingMessage & Tagged)[CALL] = call;
  res.on('data', onData);
  res.on('end', onEnd);
  res.on('error', onResError);
}

function onData(this: http.IncomingMessage & Tagged, chunk: Buffer): void {
  const call = this[CALL]!;
  call.size += chunk.length;
  if (call.size > MAX_BODY) {
    finish(call, { ok: false, error: `answer body over ${MAX_BODY} bytes (status ${call.status})` });
    call.req?.destroy();
    return;
  }
  call.chunks.push(chunk);
}

function onEnd(this: http.IncomingMessage & Tagged): void {
  const call = this[CALL]!;
  const body = call.chunks.length === 1 ? call.chunks[0]!.toString('utf8') : Buffer.concat(call.chunks).toString('utf8');
  finish(call, { ok: true, status: call.status, body });
}

function onResError(this: http.IncomingMessage & Tagged, err: Error): void {
  const call = this[CALL]!;
  finish(call, { ok: false, error: `answer cut off: ${err.message}` });
}

function onReqError(this: http.ClientRequest & Tagged, err: Error & { code?: string }): void {
  const call = this[CALL]!;
  // an earlier attempt's late error
  if (call.done || call.req !== this) return;
  const retry = call.pool.opts.retry;
  if (call.status === 0 && err.code !== undefined && RETRIABLE.has(err.code) && call.attempt < retry.times) {
    call.attempt++;
    clearTimeout(call.timer);
    call.timer = undefined;
    const wait = call.delay;
    call.delay = call.delay * retry.backoff;
    if (wait > 0) setTimeout(attempt, wait, call);
    else setImmediate(attempt, call);
    return;
  }
  finish(call, { ok: false, error: err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message || String(err.code) });
}

function attempt(call: Call): void {
  if (call.done) return;
  const pool = call.pool;
  if (pool.closed) return finish(call, { ok: false, error: 'the plugin is stopping' });
  const spec = pool.spec;
  call.status = 0;
  call.chunks = [];
  call.size = 0;
  call.timer = setTimeout(onTimeout, pool.opts.timeout, call);
  const req = (spec.tls ? https : http).request({
    agent: pool.agent,
    host: spec.host,
    port: spec.port,
    method: spec.method === 'get' ? 'GET' : 'POST',
    path: call.built.path,
    headers: call.built.headers,
  }) as http.ClientRequest & Tagged;
  req[CALL] = call;
  call.req = req;
  req.on('response', onResponse);
  req.on('error', onReqError);
  req.end(call.built.body);
}

/** the pool of one request kind */
export class Pool {
  readonly agent: http.Agent;
  closed = false;
  constructor(
    readonly spec: RequestSpec,
    readonly opts: PoolOptions,
  ) {
    const base: http.AgentOptions = { keepAlive: true, maxSockets: opts.poolSize, maxFreeSockets: opts.poolSize, scheduling: 'lifo' };
    this.agent = spec.tls ? new HttpsAgent({ ...base, ...agentTls(opts.ssl, spec.host) }, opts.connectTimeout) : new HttpAgent(base, opts.connectTimeout);
  }

  /** sends one request; never rejects (a failure is an Outcome with ok = false) */
  send(built: BuiltRequest): Promise<Outcome> {
    const call = new Call(this, built);
    const p = new Promise<Outcome>(capture);
    call.resolve = captured;
    captured = noop;
    attempt(call);
    return p;
  }

  /** ends every connection; requests in flight fail, no new one starts */
  close(): void {
    this.closed = true;
    this.agent.destroy();
  }
}

