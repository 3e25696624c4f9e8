// The data plane between nodes (EMQX's gen_rpc): each node listens on its rpc port, and
// dials `rpc.tcp_client_num` persistent links to every peer. Forwards are batched per
// event-loop turn; the link is picked by a hash of the filter, so order holds per filter.
import * as net from 'node:net';
import type { Message } from '../types.js';
import { F_CALL, F_CAST, F_FORWARD, F_HELLO, F_REPLY, FrameReader, FrameWriter, encodeMessage, readForward, readJson } from './wire.js';

export interface LinkOptions {
  /** rpc.tcp_client_num (0 = 1) */
  clients: number;
  /** rpc.async_batch_size: frames written at once at most */
  batchSize: number;
  connectTimeout: number;
  authTimeout: number;
  callTimeout: number;
  keepaliveIdle: number;
}

export interface LinkHandler {
  forward(peer: string, filter: string, group: string | undefined, msg: Message): void;
  call(peer: string, op: string, args: unknown): unknown;
}

interface Hello {
  node: string;
  cookie: string;
}

/** accepts peers' links: HELLO with the cookie first, then forwards and calls */
export class RpcServer {
  private server: net.Server | undefined;
  private readonly socks = new Set<net.Socket>();

  constructor(
    private readonly cookie: string,
    private readonly opts: LinkOptions,
    private readonly handler: LinkHandler,
    private readonly log: (line: string) => void,
  ) {}

  listen(host: string, port: number): Promise<number> {
    const server = net.createServer((s) => this.accept(s));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  private accept(s: net.Socket): void {
    this.socks.add(s);
    s.setNoDelay(true);
    let peer: string | undefined;
    const auth = setTimeout(() => s.destroy(), this.opts.authTimeout);
    const writer = new FrameWriter();
    const reply = (id: number, body: unknown): void => {
      if (s.destroyed) return;
      writer.json(F_REPLY, id, body);
      s.write(writer.take());
    };
    const reader = new FrameReader((type, b, start, end) => {
      if (peer === undefined) {
        const h = type === F_HELLO ? (readJson(b, start, end).body as Hello) : undefined;
        if (!h || h.cookie !== this.cookie || typeof h.node !== 'string') {
          this.log(`rpc: refused a link from ${s.remoteAddress}:${s.remotePort} (${h ? 'bad cookie' : 'no hello'})`);
          s.destroy();
          return;
        }
        clearTimeout(auth);
        peer = h.node;
        return;
      }
      if (type === F_FORWARD) {
        const f = readForward(b, start, end);
        this.handler.forward(peer, f.filter, f.group, f.msg);
        return;
      }
      if (type === F_CALL || type === F_CAST) {
        const { id, body } = readJson(b, start, end);
        const { op, args } = body as { op: string; args: unknown };
        const from = peer;
        let r: unknown;
        try {
          r = this.handler.call(from, op, args);
        } catch (err) {
          if (type === F_CALL) reply(id, { error: (err as Error).message });
          return;
        }
        if (type === F_CAST) return;
        Promise.resolve(r).then(
          (v) => reply(id, { ok: v ?? null }),
          (err: Error) => reply(id, { error: err?.message ?? String(err) }),
        );
      }
    });
    s.on('data', (d) => {
      try {
        reader.push(d);
      } catch (err) {
        this.log(`rpc: link from ${peer ?? s.remoteAddress}: ${(err as Error).message}`);
        s.destroy();
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(auth);
      this.socks.delete(s);
    });
  }

  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

class Link {
  sock: net.Socket | undefined;
  ready = false;
  readonly writer = new FrameWriter();
  scheduled = false;
  timer: NodeJS.Timeout | undefined;
  backoff = 100;
}

/** the outgoing links to one peer */
export class Peer {
  private readonly links: Link[];
  private readonly calls = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private seq = 0;
  private closed = false;
  /** forwards lost because the link was down or went down with them queued */
  dropped = 0;
  private readonly flushers: Array<() => void>;

  constructor(
    readonly node: string,
    public host: string,
    public port: number,
    private readonly self: string,
    private readonly cookie: string,
    private readonly opts: LinkOptions,
    private readonly log: (line: string) => void,
    private readonly onDrop: (n: number) => void,
  ) {
    this.links = Array.from({ length: Math.max(1, opts.clients) }, () => new Link());
    this.flushers = this.links.map((l) => () => this.flush(l));
    this.links.forEach((l) => this.dial(l));
  }

  get up(): boolean {
    return this.links[0]!.ready;
  }

  private dial(l: Link): void {
    if (this.closed) return;
    const s = net.connect({ host: this.host, port: this.port, noDelay: true, timeout: this.opts.connectTimeout });
    l.sock = s;
    s.setKeepAlive(true, this.opts.keepaliveIdle);
    const reader = new FrameReader((type, b, start, end) => {
      if (type !== F_REPLY) return;
      const { id, body } = readJson(b, start, end);
      const c = this.calls.get(id);
      if (!c) return;
      this.calls.delete(id);
      clearTimeout(c.timer);
      const r = body as { ok?: unknown; error?: string };
      if (r.error !== undefined) c.reject(new Error(r.error));
      else c.resolve(r.ok);
    });
    s.once('connect', () => {
      s.setTimeout(0);
      l.backoff = 100;
      const w = new FrameWriter();
      w.json(F_HELLO, 0, { node: this.self, cookie: this.cookie } satisfies Hello);
      s.write(w.take());
      l.ready = true;
      if (l.writer.size > 0) this.flush(l);
    });
    s.on('timeout', () => s.destroy(new Error('connect timeout')));
    s.on('data', (d) => {
      try {
        reader.push(d);
      } catch {
        s.destroy();
      }
    });
    s.on('error', (err) => this.log(`rpc: link to ${this.node} (${this.host}:${this.port}): ${err.message}`));
    s.on('close', () => {
      l.ready = false;
      l.sock = undefined;
      if (l.writer.count > 0) this.drop(l.writer.take().length > 0 ? l.writer.count : 0);
      if (l === this.links[0]) this.failCalls(new Error(`link to ${this.node} closed`));
      if (this.closed) return;
      l.timer = setTimeout(() => this.dial(l), l.backoff);
      l.timer.unref();
      l.backoff = Math.min(l.backoff * 2, 2000);
    });
  }

  private drop(n: number): void {
    if (n <= 0) return;
    this.dropped += n;
    this.onDrop(n);
  }

  /** one message for the peer's subscribers of `filter` (or of one member of its group) */
  forward(filter: string, group: string | undefined, msg: Message): boolean {
    const links = this.links;
    const l = links.length === 1 ? links[0]! : links[hash(filter) % links.length]!;
    if (!l.ready) {
      this.drop(1);
      return false;
    }
    l.writer.forward(filter, group, encodeMessage(msg));
    if (l.writer.count >= this.opts.batchSize) this.flush(l);
    else if (!l.scheduled) {
      l.scheduled = true;
      setImmediate(this.flushers[links.indexOf(l)]!);
    }
    return true;
  }

  private flush(l: Link): void {
    l.scheduled = false;
    if (!l.ready || l.writer.size === 0) return;
    l.sock!.write(l.writer.take());
  }

  /** a request answered by the peer; rejects on timeout or a closed link */
  call<T = unknown>(op: string, args: unknown, timeout = this.opts.callTimeout): Promise<T> {
    const l = this.links[0]!;
    if (!l.ready) return Promise.reject(new Error(`nodedown ${this.node}`));
    const id = (this.seq = (this.seq + 1) >>> 0);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new Error(`timeout calling ${op} on ${this.node}`));
      }, timeout);
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      // calls go behind this link's queued forwards: a caller may rely on that order
      l.writer.json(F_CALL, id, { op, args });
      this.flush(l);
    });
  }

  /** fire and forget */
  cast(op: string, args: unknown): void {
    const l = this.links[0]!;
    if (!l.ready) return;
    l.writer.json(F_CAST, 0, { op, args });
    this.flush(l);
  }

  /** the rpc endpoint moved (the node restarted elsewhere) */
  retarget(host: string, port: number): void {
    if (host === this.host && port === this.port) return;
    this.host = host;
    this.port = port;
    for (const l of this.links) l.sock?.destroy();
  }

  private failCalls(err: Error): void {
    for (const [id, c] of this.calls) {
      this.calls.delete(id);
      clearTimeout(c.timer);
      c.reject(err);
    }
  }

  close(): void {
    this.closed = true;
    for (const l of this.links) {
      clearTimeout(l.timer);
      l.sock?.destroy();
    }
    this.failCalls(new Error(`link to ${this.node} closed`));
  }
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
