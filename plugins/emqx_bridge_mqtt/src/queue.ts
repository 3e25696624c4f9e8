// The bridge's outgoing queue (EMQX uses replayq): messages wait here until the remote
// broker has acked them. Two kinds:
//
// MemQueue  - no queue.replayq_dir: an in-memory FIFO, lost when the node stops.
//
// DiskQueue - queue.replayq_dir set: messages are appended to segment files
//   `<dir>/<seq>.seg` (a new segment once one holds queue.replayq_seg_bytes) and only
//   become sendable once the write has reached the disk. A message leaves the queue when
//   the remote acked it and every older message too: the position after the newest such
//   message is the commit point, kept in `<dir>/COMMIT`, and segments wholly before it are
//   deleted. On open, everything after the commit point is read back and sent first.
//
// Durability (the fsync policy): every batch of appends is written with one write() per
// segment followed by fdatasync() before any message of the batch is handed to the sender
// (group commit: appends that arrive while a batch is being synced form the next batch).
// So a message the remote has seen is on disk, and a process crash, kill -9 or power loss
// after that loses nothing: the message is read back and sent again on the next start.
// The COMMIT file is rewritten (write to COMMIT.tmp, rename) at most every 100 ms and at
// close, without fsync: losing the newest commit only means messages that were already
// acked are sent again (at-least-once), never that a message is skipped. A crash while a
// batch is being written leaves a torn record at the end of that segment; its CRC or
// length does not check out and reading stops there (those messages never reached the
// sender, and the local publishers of them were already acked, as with EMQX).
//
// Record layout: u32le body length, u32le CRC-32 of the body, body = u8 flags (bits 0-1
// QoS, bit 2 retain), u16le topic length, topic (UTF-8), payload.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Deque } from './deque.js';

export interface QueuedMsg {
  qos: 0 | 1 | 2;
  retain: boolean;
  topic: string;
  payload: Buffer;
  /** segment and byte offset just past the record (DiskQueue); 0 for MemQueue */
  seq: number;
  end: number;
  /** acked by the remote (or dropped) */
  acked: boolean;
}

export interface BridgeQueue {
  readonly durable: boolean;
  /** messages dropped because the queue was over queue.max_total_size */
  readonly dropped: number;
  /** bytes held (topic + payload in memory; bytes after the commit point on disk) */
  readonly bytes: number;
  /** sendable messages waiting (loaded in memory) */
  readonly readyCount: number;
  /** nothing waits to be sent or acked */
  isEmpty(): boolean;
  /** enqueue only: called from the local subscription */
  append(qos: 0 | 1 | 2, retain: boolean, topic: string, payload: Buffer): void;
  /** the oldest sendable message, handed out to the sender */
  pop(): QueuedMsg | undefined;
  /** the remote acked a handed out message (any order) */
  ack(m: QueuedMsg): void;
  /** handed out and not acked, oldest first: sent again after a reconnect */
  unacked(): QueuedMsg[];
  /** called when messages become sendable (DiskQueue: after a write reached the disk) */
  onReady: () => void;
  close(): Promise<void>;
}

// ---- in memory --------------------------------------------------------------------

export class MemQueue implements BridgeQueue {
  readonly durable = false;
  dropped = 0;
  bytes = 0;
  onReady: () => void = () => undefined;
  private readonly ready = new Deque<QueuedMsg>();
  private readonly out = new Deque<QueuedMsg>();

  constructor(private readonly maxTotalSize: number) {}

  get readyCount(): number {
    return this.ready.length;
  }

  isEmpty(): boolean {
    return this.ready.length === 0 && this.out.length === 0;
  }

  append(qos: 0 | 1 | 2, retain: boolean, topic: string, payload: Buffer): void {
    this.ready.push({ qos, retain, topic, payload, seq: 0, end: 0, acked: false });
    this.bytes += topic.length + payload.length;
    // over the limit: the oldest waiting messages go (never the one just queued)
    while (this.bytes > this.maxTotalSize && this.ready.length > 1) {
      const m = this.ready.shift()!;
      this.bytes -= m.topic.length + m.payload.length;
      this.dropped++;
    }
  }

  pop(): QueuedMsg | undefined {
    const m = this.ready.shift();
    if (m) this.out.push(m);
    return m;
  }

  ack(m: QueuedMsg): void {
    m.acked = true;
    let h = this.out.peek();
    while (h && h.acked) {
      this.out.shift();
      this.bytes -= h.topic.length + h.payload.length;
      h = this.out.peek();
    }
  }

  unacked(): QueuedMsg[] {
    const r: QueuedMsg[] = [];
    for (const m of this.out) if (!m.acked) r.push(m);
    return r;
  }

  async close(): Promise<void> {
    this.ready.clear();
    this.out.clear();
  }
}

// ---- on disk ------------------------------------------------------------------------

const HEADER = 8;
const SEG_RE = /^(\d{1,15})\.seg$/;
/** sendable messages kept in memory before new ones are left on disk to be read later */
const READY_MAX = 20_000;
const READY_MAX_BYTES = 16 << 20;
/** when fewer are loaded, more are read from disk */
const READY_LOW = 5_000;
const READ_CHUNK = 4 << 20;
const COMMIT_DELAY = 100;

interface Segment {
  seq: number;
  /** bytes on disk and synced */
  durable: number;
  /** bytes handed to writes so far */
  alloc: number;
  /** still being appended to */
  open: boolean;
}

interface Chunk {
  seg: Segment;
  fd: number;
  pos: number;
  buf: Buffer;
  msgs: QueuedMsg[];
  closeAfter: boolean;
}

export interface DiskQueueOptions {
  dir: string;
  segBytes: number;
  maxTotalSize: number;
  onError?: (err: Error) => void;
}

export function segName(seq: number): string {
  return `${String(seq).padStart(12, '0')}.seg`;
}

export function encodeRecord(qos: 0 | 1 | 2, retain: boolean, topic: string, payload: Buffer): Buffer {
  const tlen = Buffer.byteLength(topic);
  const buf = Buffer.allocUnsafe(HEADER + 3 + tlen + payload.length);
  writeRecord(buf, 0, qos, retain, topic, tlen, payload);
  return buf;
}

function writeRecord(buf: Buffer, at: number, qos: number, retain: boolean, topic: string, tlen: number, payload: Buffer): number {
  const body = at + HEADER;
  const blen = 3 + tlen + payload.length;
  buf[body] = qos | (retain ? 4 : 0);
  buf.writeUInt16LE(tlen, body + 1);
  buf.write(topic, body + 3, tlen, 'utf8');
  payload.copy(buf, body + 3 + tlen);
  buf.writeUInt32LE(blen, at);
  buf.writeUInt32LE(crc32(buf.subarray(body, body + blen)), at + 4);
  return HEADER + blen;
}

/**
 * Reads the whole records in buf; stops at the first incomplete or damaged one.
 * Returns the messages (end = base + offset past each record), the bytes consumed and
 * whether it stopped on damage (bad CRC or flags) rather than on a short tail.
 */
export function decodeRecords(buf: Buffer, seq: number, base: number): { msgs: QueuedMsg[]; used: number; damaged: boolean } {
  const msgs: QueuedMsg[] = [];
  let off = 0;
  while (off + HEADER <= buf.length) {
    const blen = buf.readUInt32LE(off);
    if (blen < 3) return { msgs, used: off, damaged: true };
    if (off + HEADER + blen > buf.length) break;
    const body = buf.subarray(off + HEADER, off + HEADER + blen);
    if (crc32(body) !== buf.readUInt32LE(off + 4)) return { msgs, used: off, damaged: true };
    const flags = body[0]!;
    const tlen = body.readUInt16LE(1);
    if ((flags & 3) === 3 || flags > 7 || 3 + tlen > blen) return { msgs, used: off, damaged: true };
    off += HEADER + blen;
    msgs.push({
      qos: (flags & 3) as 0 | 1 | 2,
      retain: (flags & 4) !== 0,
      topic: body.toString('utf8', 3, 3 + tlen),
      // a copy: the read buffer is not pinned by the message
      payload: Buffer.from(body.subarray(3 + tlen)),
      seq,
      end: base + off,
      acked: false,
    });
  }
  return { msgs, used: off, damaged: false };
}

export class DiskQueue implements BridgeQueue {
  readonly durable = true;
  dropped = 0;
  onReady: () => void = () => undefined;
  /** how many messages were read back from disk (for logs and tests) */
  loadedFromDisk = 0;
  readonly dir: string;
  private readonly segBytes: number;
  private readonly maxTotalSize: number;
  private readonly onError: (err: Error) => void;
  private readonly segs: Segment[] = [];
  private wfd = -1;
  private pending: QueuedMsg[] = [];
  private pendingBytes = 0;
  private flushing = false;
  private flushScheduled = false;
  private readonly ready = new Deque<QueuedMsg>();
  private readyBytes = 0;
  private readonly out = new Deque<QueuedMsg>();
  /** next byte not yet loaded into `ready` */
  private reader: { seq: number; off: number };
  private rfd = -1;
  private rfdSeq = -1;
  private loading = false;
  /** everything before this position is acked */
  private commit: { seq: number; off: number };
  private committed = '';
  private commitTimer: NodeJS.Timeout | undefined;
  private commitWriting = false;
  private closed = false;
  private failed: Error | undefined;
  private idleWaiters: Array<() => void> = [];

  private constructor(o: DiskQueueOptions, commit: { seq: number; off: number }) {
    this.dir = o.dir;
    this.segBytes = Math.max(1, o.segBytes);
    this.maxTotalSize = o.maxTotalSize;
    this.onError = o.onError ?? (() => undefined);
    this.commit = commit;
    this.reader = { ...commit };
    this.committed = `${commit.seq} ${commit.off}\n`;
  }

  /** opens (creating) the queue directory and reads back what was not acked */
  static async open(o: DiskQueueOptions): Promise<DiskQueue> {
    await fs.promises.mkdir(o.dir, { recursive: true });
    const seqs = (await fs.promises.readdir(o.dir))
      .map((f) => SEG_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let commit = { seq: seqs[0] ?? 1, off: 0 };
    try {
      const m = /^(\d+) (\d+)\n?$/.exec(await fs.promises.readFile(join(o.dir, 'COMMIT'), 'utf8'));
      if (m) commit = { seq: Number(m[1]), off: Number(m[2]) };
    } catch {
      /* no commit yet: nothing was acked */
    }
    const q = new DiskQueue(o, commit);
    for (const seq of seqs) {
      if (seq < commit.seq) {
        await fs.promises.rm(join(o.dir, segName(seq)), { force: true });
        continue;
      }
      const size = (await fs.promises.stat(join(o.dir, segName(seq)))).size;
      // an empty segment (a run that queued nothing) holds nothing to read back
      if (size === 0) {
        await fs.promises.rm(join(o.dir, segName(seq)), { force: true });
        continue;
      }
      q.segs.push({ seq, durable: size, alloc: size, open: false });
    }
    // the commit may name a segment already deleted: start at the next one
    const first = q.segs[0];
    if (first && first.seq !== commit.seq) q.reader = { seq: first.seq, off: 0 };
    if (first && first.seq === commit.seq && commit.off > first.durable) q.reader = { seq: first.seq, off: first.durable };
    // a new segment for this run's appends; old ones are only read
    const last = q.segs[q.segs.length - 1];
    q.newSegment(Math.max(last?.seq ?? 0, commit.seq) + 1);
    if (!first) q.reader = { seq: q.segs[0]!.seq, off: 0 };
    q.normalizeReader();
    q.loadMore();
    return q;
  }

  get readyCount(): number {
    return this.ready.length;
  }

  /** bytes after the commit point, plus appends not yet written */
  get bytes(): number {
    let n = this.pendingBytes;
    for (const s of this.segs) n += s.durable;
    if (this.segs[0] && this.segs[0].seq === this.commit.seq) n -= Math.min(this.commit.off, this.segs[0].durable);
    return n;
  }

  isEmpty(): boolean {
    return this.pending.length === 0 && this.ready.length === 0 && this.unackedCount() === 0 && !this.unloaded();
  }

  append(qos: 0 | 1 | 2, retain: boolean, topic: string, payload: Buffer): void {
    if (this.closed) return;
    this.pending.push({ qos, retain, topic, payload, seq: 0, end: 0, acked: false });
    this.pendingBytes += HEADER + 3 + Buffer.byteLength(topic) + payload.length;
    if (!this.flushScheduled && !this.flushing) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  pop(): QueuedMsg | undefined {
    const m = this.ready.shift();
    if (this.ready.length < READY_LOW) this.loadMore();
    if (!m) return undefined;
    this.readyBytes -= m.topic.length + m.payload.length;
    this.out.push(m);
    return m;
  }

  ack(m: QueuedMsg): void {
    m.acked = true;
    this.advanceCommit();
  }

  unacked(): QueuedMsg[] {
    const r: QueuedMsg[] = [];
    for (const m of this.out) if (!m.acked) r.push(m);
    return r;
  }

  /** segment sequence numbers on disk (tests) */
  segments(): number[] {
    return this.segs.map((s) => s.seq);
  }

  // ---- writing ------------------------------------------------------------------

  private newSegment(seq: number): Segment {
    const cur = this.segs[this.segs.length - 1];
    if (cur) cur.open = false;
    this.wfd = fs.openSync(join(this.dir, segName(seq)), 'w');
    // the new name must survive a power loss too
    syncDir(this.dir);
    const seg: Segment = { seq, durable: 0, alloc: 0, open: true };
    this.segs.push(seg);
    return seg;
  }

  /** writes every pending append, one write + fdatasync per segment touched */
  private flush(): void {
    if (this.flushing || this.pending.length === 0 || this.closed) return;
    if (this.failed) return this.degrade();
    this.flushing = true;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const chunks: Chunk[] = [];
    try {
      let seg = this.segs[this.segs.length - 1]!;
      let start = 0;
      let bytes = 0;
      const cut = (i: number, closeAfter: boolean): void => {
        if (i === start) return;
        const buf = Buffer.allocUnsafe(bytes);
        let at = 0;
        const msgs = batch.slice(start, i);
        for (const m of msgs) {
          at += writeRecord(buf, at, m.qos, m.retain, m.topic, Buffer.byteLength(m.topic), m.payload);
          m.seq = seg.seq;
          m.end = seg.alloc + at;
        }
        chunks.push({ seg, fd: this.wfd, pos: seg.alloc, buf, msgs, closeAfter });
        seg.alloc += bytes;
        start = i;
        bytes = 0;
      };
      for (let i = 0; i < batch.length; i++) {
        const m = batch[i]!;
        const len = HEADER + 3 + Buffer.byteLength(m.topic) + m.payload.length;
        if (seg.alloc + bytes > 0 && seg.alloc + bytes + len > this.segBytes) {
          cut(i, true);
          seg = this.newSegment(seg.seq + 1);
        }
        bytes += len;
      }
      cut(batch.length, false);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.writeChunks(chunks, 0);
  }

  private writeChunks(chunks: Chunk[], i: number): void {
    const c = chunks[i];
    if (!c) {
      this.flushing = false;
      this.afterWrite();
      return;
    }
    writeAll(c.fd, c.buf, c.pos, (err) => {
      if (err) return this.fail(err);
      fs.fdatasync(c.fd, (err2) => {
        if (err2) return this.fail(err2);
        if (c.closeAfter) fs.close(c.fd, () => undefined);
        this.written(c);
        this.writeChunks(chunks, i + 1);
      });
    });
  }

  /** a chunk is on disk: its messages may now be sent */
  private written(c: Chunk): void {
    const seg = c.seg;
    seg.durable = c.pos + c.buf.length;
    this.normalizeReader();
    if (this.reader.seq === seg.seq && this.reader.off === c.pos && this.ready.length < READY_MAX && this.readyBytes < READY_MAX_BYTES) {
      for (const m of c.msgs) {
        this.ready.push(m);
        this.readyBytes += m.topic.length + m.payload.length;
      }
      this.reader.off = seg.durable;
    }
    // else the reader is behind: these are read back from disk when their turn comes
  }

  private afterWrite(): void {
    this.trimOverflow();
    this.onReady();
    if (this.ready.length < READY_LOW) this.loadMore();
    if (this.pending.length > 0 && !this.closed) this.flush();
    else this.notifyIdle();
  }

  // ---- reading back -------------------------------------------------------------

  private unloaded(): boolean {
    this.normalizeReader();
    const seg = this.segs.find((s) => s.seq === this.reader.seq);
    return seg !== undefined && seg.durable > this.reader.off;
  }

  /** past the end of a finished segment: go to the next one */
  private normalizeReader(): void {
    for (;;) {
      const i = this.segs.findIndex((s) => s.seq >= this.reader.seq);
      const s = this.segs[i];
      if (!s) return;
      if (s.seq > this.reader.seq) {
        this.reader = { seq: s.seq, off: 0 };
        continue;
      }
      if (finished(s) && this.reader.off >= s.durable && this.segs[i + 1]) {
        this.reader = { seq: this.segs[i + 1]!.seq, off: 0 };
        continue;
      }
      return;
    }
  }

  private loadMore(): void {
    if (this.loading || this.closed || this.failed) return;
    this.normalizeReader();
    const seg = this.segs.find((s) => s.seq === this.reader.seq);
    if (!seg) return;
    const avail = seg.durable - this.reader.off;
    if (avail <= 0) return;
    this.loading = true;
    try {
      if (this.rfdSeq !== seg.seq) {
        if (this.rfd >= 0) fs.closeSync(this.rfd);
        this.rfd = -1;
        this.rfd = fs.openSync(join(this.dir, segName(seg.seq)), 'r');
        this.rfdSeq = seg.seq;
      }
    } catch (err) {
      this.loading = false;
      this.fail(err as Error);
      return;
    }
    const readChunk = (len: number): void => {
      const buf = Buffer.allocUnsafe(len);
      const at = this.reader.off;
      fs.read(this.rfd, buf, 0, len, at, (err, n) => {
        this.loading = false;
        if (err) return this.fail(err);
        if (this.closed || this.reader.seq !== seg.seq || this.reader.off !== at) return this.notifyIdle();
        const { msgs, used, damaged } = decodeRecords(buf.subarray(0, n), seg.seq, at);
        if (msgs.length === 0 && !damaged && n === len && len < avail) {
          // one record larger than the chunk: read exactly it
          const need = HEADER + buf.readUInt32LE(0);
          this.loading = true;
          return readChunk(Math.min(avail, need));
        }
        for (const m of msgs) {
          this.ready.push(m);
          this.readyBytes += m.topic.length + m.payload.length;
        }
        this.loadedFromDisk += msgs.length;
        this.reader.off = at + used;
        if (damaged || (n === avail && used < n && finished(seg))) {
          // a torn or damaged tail (a crash while writing): nothing after it is readable
          this.onError(new Error(`replayq ${this.dir}/${segName(seg.seq)}: ${damaged ? 'damaged' : 'incomplete'} record at byte ${at + used}, ${seg.durable - at - used} bytes skipped`));
          this.skipTo(seg, seg.durable);
        }
        this.normalizeReader();
        if (msgs.length > 0) this.onReady();
        if (this.ready.length < READY_LOW) this.loadMore();
        this.notifyIdle();
      });
    };
    readChunk(Math.min(avail, READ_CHUNK));
  }

  /** marks bytes [reader, end) of seg as gone (dropped or unreadable) */
  private skipTo(seg: Segment, end: number): void {
    this.out.push({ qos: 0, retain: false, topic: '', payload: EMPTY, seq: seg.seq, end, acked: true });
    this.reader.off = end;
    this.advanceCommit();
  }

  // ---- acks and the commit point ------------------------------------------------

  private unackedCount(): number {
    let n = 0;
    for (const m of this.out) if (!m.acked) n++;
    return n;
  }

  private advanceCommit(): void {
    let h = this.out.peek();
    if (!h || !h.acked) return;
    let last: QueuedMsg | undefined;
    while (h && h.acked) {
      // seq -1: kept in memory only after a disk error, no position to commit
      if (h.seq >= 0) last = h;
      this.out.shift();
      h = this.out.peek();
    }
    if (!last || last.seq < this.commit.seq || (last.seq === this.commit.seq && last.end <= this.commit.off)) return;
    this.commit = { seq: last.seq, off: last.end };
    // a finished segment acked to its end: the commit moves to the next one
    const i = this.segs.findIndex((s) => s.seq === this.commit.seq);
    const s = this.segs[i];
    if (s && finished(s) && this.commit.off >= s.durable && this.segs[i + 1]) this.commit = { seq: this.segs[i + 1]!.seq, off: 0 };
    this.dropSegments();
    this.scheduleCommit();
  }

  private dropSegments(): void {
    while (this.segs.length > 1 && this.segs[0]!.seq < this.commit.seq) {
      const s = this.segs.shift()!;
      if (this.rfdSeq === s.seq) {
        fs.close(this.rfd, () => undefined);
        this.rfd = -1;
        this.rfdSeq = -1;
      }
      fs.rm(join(this.dir, segName(s.seq)), { force: true }, () => undefined);
    }
  }

  private scheduleCommit(): void {
    if (this.commitTimer || this.closed) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      this.writeCommit();
    }, COMMIT_DELAY);
    this.commitTimer.unref();
  }

  private writeCommit(): void {
    const text = `${this.commit.seq} ${this.commit.off}\n`;
    if (text === this.committed || this.closed) return;
    if (this.commitWriting) return this.scheduleCommit();
    this.commitWriting = true;
    const tmp = join(this.dir, 'COMMIT.tmp');
    fs.writeFile(tmp, text, (err) => {
      if (err) {
        this.commitWriting = false;
        return this.onError(err);
      }
      fs.rename(tmp, join(this.dir, 'COMMIT'), (err2) => {
        this.commitWriting = false;
        if (err2) return this.onError(err2);
        this.committed = text;
        this.notifyIdle();
      });
    });
  }

  // ---- size limit ---------------------------------------------------------------

  /** over queue.max_total_size: the oldest messages not yet sent are dropped */
  private trimOverflow(): void {
    while (this.bytes > this.maxTotalSize) {
      const m = this.ready.shift();
      if (m) {
        this.readyBytes -= m.topic.length + m.payload.length;
        m.acked = true;
        this.out.push(m);
        this.dropped++;
        this.advanceCommit();
        continue;
      }
      // nothing loaded: skip the unread rest of a finished segment
      this.normalizeReader();
      const seg = this.segs.find((s) => s.seq === this.reader.seq);
      if (!seg || !finished(seg) || this.loading || seg.durable <= this.reader.off) return;
      this.onError(new Error(`replayq ${this.dir}: over max_total_size, ${seg.durable - this.reader.off} bytes of unsent messages dropped`));
      this.dropped++;
      this.skipTo(seg, seg.durable);
      this.normalizeReader();
    }
  }

  // ---- errors and close ---------------------------------------------------------

  private fail(err: Error): void {
    this.flushing = false;
    this.loading = false;
    if (!this.failed) {
      this.failed = err;
      this.onError(new Error(`replayq ${this.dir}: ${err.message}; new messages are queued in memory only`));
    }
    this.notifyIdle();
    this.degrade();
  }

  /** after a disk error: appends skip the disk (lost if the node stops, as without replayq_dir) */
  private degrade(): void {
    if (this.pending.length === 0) return;
    for (const m of this.pending) {
      m.seq = -1;
      this.ready.push(m);
      this.readyBytes += m.topic.length + m.payload.length;
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.onReady();
  }

  private notifyIdle(): void {
    if (this.flushing || this.loading || this.commitWriting) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  private idle(): Promise<void> {
    if (!this.flushing && !this.loading && !this.commitWriting) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** writes what is pending and the commit point, synchronously once in-flight IO is done */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    await this.idle();
    try {
      if (this.pending.length > 0 && !this.failed) {
        let seg = this.segs[this.segs.length - 1]!;
        for (const m of this.pending) {
          const rec = encodeRecord(m.qos, m.retain, m.topic, m.payload);
          if (seg.alloc > 0 && seg.alloc + rec.length > this.segBytes) {
            fs.fdatasyncSync(this.wfd);
            fs.closeSync(this.wfd);
            this.wfd = -1;
            seg = this.newSegment(seg.seq + 1);
          }
          writeAllSync(this.wfd, rec, seg.alloc);
          seg.alloc += rec.length;
          seg.durable = seg.alloc;
        }
        fs.fdatasyncSync(this.wfd);
        this.pending = [];
        this.pendingBytes = 0;
      }
      const text = `${this.commit.seq} ${this.commit.off}\n`;
      if (text !== this.committed) {
        const tmp = join(this.dir, 'COMMIT.tmp');
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, join(this.dir, 'COMMIT'));
        this.committed = text;
      }
    } finally {
      if (this.wfd >= 0) fs.closeSync(this.wfd);
      this.wfd = -1;
      if (this.rfd >= 0) fs.closeSync(this.rfd);
      this.rfd = -1;
      this.ready.clear();
      this.out.clear();
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** no more appends and every byte handed to a write is on disk */
function finished(s: Segment): boolean {
  return !s.open && s.durable === s.alloc;
}

function writeAll(fd: number, buf: Buffer, pos: number, cb: (err: Error | null) => void): void {
  fs.write(fd, buf, 0, buf.length, pos, (err, n) => {
    if (err) return cb(err);
    if (n < buf.length) return writeAll(fd, buf.subarray(n), pos + n, cb);
    cb(null);
  });
}

function writeAllSync(fd: number, buf: Buffer, pos: number): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off, pos + off);
}

function syncDir(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* some filesystems refuse fsync on a directory */
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** opens the queue a bridge's conf asks for */
export async function openQueue(o: { dir: string | undefined; segBytes: number; maxTotalSize: number; onError?: (err: Error) => void }): Promise<BridgeQueue> {
  if (!o.dir) return new MemQueue(o.maxTotalSize);
  return DiskQueue.open({ dir: o.dir, segBytes: o.segBytes, maxTotalSize: o.maxTotalSize, ...(o.onError ? { onError: o.onError } : {}) });
}
