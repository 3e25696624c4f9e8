/**
 * Load worker (runs in a worker_thread). Owns `cfg.count` MQTT connections
 * of one role (publisher, subscriber or idle connection), reports counters
 * through a shared Float64Array and obeys commands from the coordinator.
 *
 * Hot-path rules: every socket reads into one shared buffer (no allocation
 * per read), frames are scanned in place, publishers write one batch per
 * socket per event-loop turn and stop on back-pressure (socket 'drain',
 * QoS 1 in-flight window, end-to-end window).
 */
import * as net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import {
  CONNACK,
  FrameReader,
  PINGRESP,
  PUBACK,
  PUBLISH,
  SUBACK,
  encodeConnect,
  encodePingreq,
  encodePublishBatch,
  encodeSubscribe,
  publishLayout,
  publishTopicEnd,
  setPacketId,
  writePuback,
  type PublishLayout,
} from './mqtt.js';
import { S, type Command, type WorkerConfig, type WorkerMessage } from './protocol.js';

import { sourceFor } from './srcaddr.js';
const cfg = workerData as WorkerConfig;
const port = parentPort;
if (!port) throw new Error('worker.js must run in a worker thread');

const stats = new Float64Array(cfg.stats);
const bump = (slot: number): void => {
  stats[slot] = (stats[slot] ?? 0) + 1;
};
const peers = cfg.peers.map((b) => new Float64Array(b));
const BASE = BigInt(cfg.timeBase);
const nowNs = (): number => Number(process.hrtime.bigint() - BASE);

/** One read buffer shared by all sockets of this worker (reads are synchronous). */
const READ_BUF = Buffer.allocUnsafe(64 * 1024);
const ACK_BUF_SIZE = 2048; // < 4 KiB so Buffer.allocUnsafe serves it from the pool

const CONNECTING = 0;
const ESTABLISHED = 1;
const CLOSED = 2;

interface Conn {
  idx: number;
  sock: net.Socket;
  state: number;
  /** Waiting for 'drain'. */
  blocked: boolean;
  /** QoS 1 publishes awaiting PUBACK. */
  inflight: number;
  nextPid: number;
  ack: Buffer | null;
  ackLen: number;
  /** Publishers: `cfg.batch` ready-made PUBLISH frames. */
  batch: Buffer | null;
  layout: PublishLayout | null;
  /** Reading stopped by read coalescing. */
  paused: boolean;
}

const post = (m: WorkerMessage): void => port.postMessage(m);

let closing = false;
let running = false;
let recording = false;

// Counters mirrored into `stats` (plain numbers are faster to bump).
let sent = 0;
let received = 0;
let acked = 0;
let bytesIn = 0;
let reads = 0;
let writes = 0;

const conns: Conn[] = [];

/* ------------------------------------------------------------------ */
/* Read coalescing                                                     */
/* ------------------------------------------------------------------ */

const COALESCE_BELOW = READ_BUF.length / 2;
let paused: Conn[] = [];
const coalesceTimer =
  cfg.coalesceMs > 0
    ? setInterval(() => {
        if (paused.length === 0) return;
        const list = paused;
        paused = [];
        for (const c of list) {
          c.paused = false;
          if (c.state !== CLOSED) c.sock.resume();
        }
      }, cfg.coalesceMs)
    : undefined;

/* ------------------------------------------------------------------ */
/* Latency samples                                                     */
/* ------------------------------------------------------------------ */

const samples = new Float64Array(cfg.stamp && cfg.role === 'sub' ? Math.max(1, cfg.latencyCapacity) : 1);
let sampleCount = 0;

/* ------------------------------------------------------------------ */
/* Connection management                                               */
/* ------------------------------------------------------------------ */

let nextToOpen = 0;
let pendingConnects = 0;
let established = 0;
let failed = 0;
let readySent = false;
let lastError = '';
let protoError = '';
let dropNotes = 0;
let firstConnect = true;

function sendReady(error?: string): void {
  if (readySent) return;
  readySent = true;
  clearTimeout(connectTimer);
  const m: WorkerMessage = { type: 'ready', connected: established, failed };
  if (error) m.error = error;
  else if (failed > 0 && lastError) m.error = lastError;
  post(m);
}

function checkReady(): void {
  if (!readySent && established + failed >= cfg.count) sendReady();
}

const connectTimer = setTimeout(() => {
  nextToOpen = cfg.count; // stop opening more
  sendReady(`connect timeout after ${cfg.connectTimeoutMs} ms: ${established}/${cfg.count} established${lastError ? `, last error: ${lastError}` : ''}`);
}, cfg.connectTimeoutMs);

function openMore(): void {
  while (!closing && nextToOpen < cfg.count && pendingConnects < cfg.connectConcurrency) {
    open(cfg.startIndex + nextToOpen++);
    pendingConnects++;
  }
  checkReady();
}

function connFailed(c: Conn, why: string): void {
  if (c.state !== CONNECTING) return;
  c.state = CLOSED;
  lastError = why;
  pendingConnects--;
  failed++;
  stats[S.FAILED] = failed;
  c.sock.destroy();
  openMore();
}

function connEstablished(c: Conn): void {
  c.state = ESTABLISHED;
  pendingConnects--;
  established++;
  stats[S.CONNECTED] = established;
  stats[S.LAST_CONNACK_MS] = nowNs() / 1e6;
  openMore();
}

const expand = (t: string, i: number): string => t.split('%i').join(String(i));

function open(idx: number): void {
  if (firstConnect) {
    firstConnect = false;
    stats[S.FIRST_CONNECT_MS] = nowNs() / 1e6;
  }
  const c: Conn = {
    idx,
    sock: undefined as unknown as net.Socket,
    state: CONNECTING,
    blocked: false,
    inflight: 0,
    nextPid: 1,
    ack: null,
    ackLen: 0,
    batch: null,
    layout: null,
    paused: false,
  };
  const reader = new FrameReader((type, flags, buf, start, end) => onFrame(c, type, flags, buf, start, end));
  const sock = net.connect({
    host: cfg.host,
    port: cfg.port,
    localAddress: sourceFor(idx, cfg.localAddresses ?? []),
    noDelay: true,
    onread: {
      buffer: READ_BUF,
      callback: (n: number, buf: Uint8Array): boolean => {
        bytesIn += n;
        reads++;
        try {
          reader.push(buf as Buffer, 0, n);
        } catch (e) {
          lastError = protoError = `protocol error: ${(e as Error).message}`;
          bump(S.ERRORS);
          sock.destroy();
          return false;
        }
        if (c.ackLen > 0) flushAcks(c);
        stats[S.RECEIVED] = received;
        stats[S.BYTES_IN] = bytesIn;
        stats[S.READS] = reads;
        stats[S.WRITES] = writes;
        if (acked !== stats[S.ACKED]) stats[S.ACKED] = acked;
        if (cfg.coalesceMs > 0 && n < COALESCE_BELOW && !closing) {
          c.paused = true;
          paused.push(c);
          return false; // stop reading until the next coalescing tick
        }
        return true;
      },
    },
  });
  c.sock = sock;
  sock.on('connect', () => {
    sock.write(
      encodeConnect({
        clientId: `${cfg.clientIdPrefix}${idx}`,
        keepalive: cfg.keepalive,
        cleanSession: true,
        username: cfg.username?.replace('%i', String(idx)),
        password: cfg.password,
      }),
    );
  });
  sock.on('drain', () => {
    c.blocked = false;
    if (running && cfg.rate === 0) schedulePump();
  });
  let sockError = '';
  sock.on('error', (e: NodeJS.ErrnoException) => {
    bump(S.ERRORS);
    lastError = sockError = e.code ?? e.message;
  });
  sock.on('close', () => {
    if (c.state === CONNECTING) connFailed(c, lastError || 'closed before CONNACK');
    else if (c.state === ESTABLISHED && !closing) {
      bump(S.DROPPED);
      if (dropNotes++ < 3) post({ type: 'note', text: `connection ${cfg.clientIdPrefix}${c.idx} closed: ${sockError || 'closed by peer'}${protoError ? ` (${protoError})` : ''}` });
    }
    c.state = CLOSED;
  });
  conns.push(c);
}

function onFrame(c: Conn, type: number, flags: number, buf: Buffer, start: number, end: number): void {
  if (type === PUBLISH) {
    received++;
    if ((flags & 0x06) !== 0 || recording) {
      let p = publishTopicEnd(buf, start);
      if ((flags & 0x06) !== 0) {
        queueAck(c, ((buf[p] as number) << 8) | (buf[p + 1] as number));
        p += 2;
      }
      if (recording && end - p >= 8 && sampleCount < samples.length) {
        samples[sampleCount++] = (nowNs() - buf.readDoubleLE(p)) / 1000; // µs
      }
    }
    return;
  }
  if (type === PUBACK) {
    acked++;
    if (c.inflight > 0) c.inflight--;
    // Coalesced: all PUBACKs of one read are answered by a single pump turn.
    if (running && cfg.rate === 0) schedulePump();
    return;
  }
  if (type === CONNACK) {
    const rc = buf[start + 1] as number;
    if (rc !== 0) {
      bump(S.CONN_REFUSED);
      connFailed(c, `CONNACK return code ${rc}`);
      return;
    }
    if (cfg.role === 'sub') {
      c.sock.write(encodeSubscribe(1, [{ topic: expand(cfg.topic, c.idx), qos: cfg.qos }]));
    } else {
      if (cfg.role === 'pub') preparePublisher(c);
      connEstablished(c);
    }
    return;
  }
  if (type === SUBACK) {
    if ((buf[start + 2] as number) === 0x80) {
      bump(S.SUB_REFUSED);
      connFailed(c, 'subscription refused');
      return;
    }
    if (c.state === CONNECTING) connEstablished(c);
    return;
  }
  if (type === PINGRESP) return;
}

function queueAck(c: Conn, pid: number): void {
  if (c.ack === null) c.ack = Buffer.allocUnsafe(ACK_BUF_SIZE);
  else if (c.ackLen + 4 > c.ack.length) flushAcks(c);
  c.ackLen = writePuback(c.ack as Buffer, c.ackLen, pid);
}

function flushAcks(c: Conn): void {
  // The written buffer stays referenced by the socket: start a fresh one.
  c.sock.write((c.ack as Buffer).subarray(0, c.ackLen));
  writes++;
  c.ack = null;
  c.ackLen = 0;
}

/* ------------------------------------------------------------------ */
/* Publishing                                                          */
/* ------------------------------------------------------------------ */

const payloadSize = cfg.stamp ? Math.max(8, cfg.payloadSize) : cfg.payloadSize;
const payload = Buffer.alloc(payloadSize, 0x78); // "xxxx…"

function preparePublisher(c: Conn): void {
  const topic = expand(cfg.topic, c.idx);
  c.layout = publishLayout(topic, payloadSize, cfg.qos);
  c.batch = encodePublishBatch(topic, payload, cfg.qos, Math.max(1, cfg.batch));
}

/** How many more frames connection `c` may be handed now. */
function capacity(c: Conn): number {
  if (c.state !== ESTABLISHED || c.blocked) return 0;
  if (cfg.qos > 0) return cfg.inflight - c.inflight;
  return Infinity;
}

/** Writes `m` PUBLISH frames on `c` as one socket write. */
function writePublishes(c: Conn, m: number): void {
  const layout = c.layout as PublishLayout;
  const batch = c.batch as Buffer;
  const fs = layout.frameSize;
  let out: Buffer;
  if (cfg.qos === 0 && !cfg.stamp) {
    // Identical frames: reuse the immutable ready-made batch.
    out = m * fs === batch.length ? batch : batch.subarray(0, m * fs);
  } else {
    out = Buffer.allocUnsafe(m * fs);
    batch.copy(out, 0, 0, m * fs);
    const ts = cfg.stamp ? nowNs() : 0;
    for (let k = 0; k < m; k++) {
      const base = k * fs;
      if (cfg.qos > 0) {
        setPacketId(out, base + layout.packetIdOffset, c.nextPid);
        c.nextPid = c.nextPid === 65_535 ? 1 : c.nextPid + 1;
      }
      if (cfg.stamp) out.writeDoubleLE(ts, base + layout.payloadOffset);
    }
    if (cfg.qos > 0) c.inflight += m;
  }
  if (!c.sock.write(out)) c.blocked = true;
  writes++;
  sent += m;
}

// End-to-end window bookkeeping.
let lost = 0;
let lastDelivered = -1;
let lastProgress = Date.now();
const STALL_MS = 1000;

function windowBudget(): number {
  if (cfg.window <= 0 || peers.length === 0) return Infinity;
  let rec = 0;
  for (const p of peers) rec += p[S.RECEIVED] as number;
  const delivered = Math.floor(rec / cfg.fanout);
  const budget = cfg.window - (sent - lost - delivered);
  const now = Date.now();
  if (delivered !== lastDelivered) {
    lastDelivered = delivered;
    lastProgress = now;
  } else if (budget <= 0 && now - lastProgress > STALL_MS) {
    // Nothing arrived for a while although we are blocked: the broker
    // dropped messages (or a subscriber is gone). Forget them.
    lost = sent - delivered;
    bump(S.RESYNCS);
    lastProgress = now;
    return cfg.window;
  }
  return budget;
}

let immediateScheduled = false;
let timerScheduled = false;
let rr = 0;

function schedulePump(): void {
  if (immediateScheduled) return;
  immediateScheduled = true;
  setImmediate(pump);
}

function pumpLater(): void {
  if (timerScheduled || immediateScheduled) return;
  timerScheduled = true;
  setTimeout(() => {
    timerScheduled = false;
    pump();
  }, 1);
}

/** Flood mode: one batch per writable socket per event-loop turn. */
function pump(): void {
  immediateScheduled = false;
  if (!running || closing) return;
  let budget = windowBudget();
  if (budget <= 0) {
    pumpLater();
    return;
  }
  const n = conns.length;
  let wrote = false;
  for (let k = 0; k < n && budget > 0; k++) {
    const c = conns[(rr + k) % n] as Conn;
    const m = Math.min(cfg.batch, budget, capacity(c));
    if (m <= 0) continue;
    writePublishes(c, m);
    budget -= m;
    wrote = true;
  }
  rr = n > 0 ? (rr + 1) % n : 0;
  stats[S.SENT] = sent;
  stats[S.WRITES] = writes;
  if (wrote) schedulePump();
  else if (budget <= 0) pumpLater();
  // Otherwise every socket waits for 'drain' or PUBACKs, which reschedule.
}

/** Rate mode: sends what is due every millisecond, spread over the connections. */
let rateStart = 0;
let rateSent = 0;
let rateTimer: NodeJS.Timeout | undefined;

function rateTick(): void {
  rateTimer = undefined;
  if (!running || closing) return;
  const elapsed = (nowNs() - rateStart) / 1e9;
  let due = Math.floor(elapsed * cfg.rate) - rateSent;
  const maxBurst = Math.max(10, Math.ceil(cfg.rate / 10));
  if (due > maxBurst) {
    rateSent += due - maxBurst; // fell behind (back-pressure): do not burst
    due = maxBurst;
  }
  const n = conns.length;
  if (due > 0 && n > 0) {
    const per = Math.max(1, Math.ceil(due / n));
    const first = rr;
    for (let k = 0; k < n && due > 0; k++) {
      const i = (first + k) % n;
      const c = conns[i] as Conn;
      const m = Math.min(per, due, capacity(c), Math.max(1, cfg.batch));
      if (m <= 0) continue;
      writePublishes(c, m);
      due -= m;
      rateSent += m;
      rr = (i + 1) % n;
    }
    stats[S.SENT] = sent;
  }
  rateTimer = setTimeout(rateTick, 1);
}

/* ------------------------------------------------------------------ */
/* Keepalive                                                           */
/* ------------------------------------------------------------------ */

let pingTimer: NodeJS.Timeout | undefined;
if (cfg.keepalive > 0) {
  const ping = encodePingreq();
  pingTimer = setInterval(
    () => {
      for (const c of conns) if (c.state === ESTABLISHED) c.sock.write(ping);
    },
    Math.max(1000, (cfg.keepalive * 1000) / 2),
  );
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

function shutdown(): void {
  closing = true;
  running = false;
  clearTimeout(connectTimer);
  if (pingTimer) clearInterval(pingTimer);
  if (coalesceTimer) clearInterval(coalesceTimer);
  if (rateTimer) clearTimeout(rateTimer);
  for (const c of conns) {
    // RST instead of FIN: no TIME_WAIT pile-up across rounds of 10k connections.
    if (c.sock.readyState === 'open' && typeof c.sock.resetAndDestroy === 'function') c.sock.resetAndDestroy();
    else c.sock.destroy();
  }
  post({ type: 'closed' });
  setImmediate(() => process.exit(0));
}

port.on('message', (m: Command) => {
  switch (m.cmd) {
    case 'go':
      if (running || cfg.role !== 'pub') return;
      running = true;
      if (cfg.rate > 0) {
        rateStart = nowNs();
        rateSent = 0;
        rateTick();
      } else {
        lastProgress = Date.now();
        schedulePump();
      }
      return;
    case 'stop':
      running = false;
      return;
    case 'record':
      recording = m.on;
      return;
    case 'collect': {
      const out = samples.slice(0, sampleCount);
      sampleCount = 0;
      post({ type: 'samples', samples: out });
      return;
    }
    case 'close':
      shutdown();
      return;
  }
});

process.on('uncaughtException', (e) => {
  post({ type: 'fatal', error: e.stack ?? String(e) });
  process.exit(1);
});

openMore();
