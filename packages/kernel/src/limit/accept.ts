// listener.<proto>.<name>.max_conn_rate = N: at most N connections are taken
// per second. As esockd's acceptor in EMQX 4.3 stops accepting while its
// bucket is empty (the excess waits in the listen backlog), a socket over the
// rate waits here unread, in order; once as many wait as the listen backlog
// holds, further ones are closed at once, as a full backlog refuses them.
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { Bucket } from './bucket.js';

interface Waiting {
  socket: Socket;
  open: () => void;
}

export class AcceptGate {
  private readonly bucket: Bucket;
  private queue: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined = undefined;
  /** connections that had to wait for the rate */
  delayed = 0;
  /** connections closed because too many were waiting */
  closed = 0;

  constructor(perSecond: number, private readonly maxWaiting: number, private readonly logger: Logger, private readonly id: string) {
    this.bucket = new Bucket(perSecond, 1000);
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** open the connection now, or later when the rate allows; or close it */
  admit(socket: Socket, open: () => void): void {
    if (this.queue.length === 0 && this.bucket.wait(1) === 0) {
      this.bucket.take(1);
      open();
      return;
    }
    if (this.queue.length >= this.maxWaiting) {
      this.closed++;
      this.logger.debug(`listener ${this.id}: max_conn_rate exceeded, closing ${socket.remoteAddress}:${socket.remotePort}`);
      socket.destroy();
      return;
    }
    this.delayed++;
    socket.pause();
    this.queue.push({ socket, open });
    this.schedule();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.queue) w.socket.destroy();
    this.queue = [];
  }

  private schedule(): void {
    if (this.timer === undefined && this.queue.length > 0) {
      this.timer = setTimeout(drain, Math.max(1, this.bucket.wait(1)), this);
    }
  }

  /** timer: open as many waiting connections as the bucket allows */
  run(): void {
    this.timer = undefined;
    while (this.queue.length > 0 && this.bucket.wait(1) === 0) {
      const w = this.queue.shift()!;
      if (w.socket.destroyed) continue;
      this.bucket.take(1);
      w.open();
      w.socket.resume();
    }
    this.schedule();
  }
}

function drain(g: AcceptGate): void {
  g.run();
}
