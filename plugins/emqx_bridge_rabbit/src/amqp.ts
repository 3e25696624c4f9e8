// Links over amqplib: one connection and one confirm channel each. On open the exchanges the
// rules name are declared (durable), and messages are published persistent, so what RabbitMQ
// confirmed into a durable queue survives a RabbitMQ restart.
import * as amqp from 'amqplib';
import type { Rule } from './config.js';
import type { Connector, Link } from './bridge.js';
import type { Server } from './config.js';
import { toAmqp, type Rec } from './records.js';

export class AmqpConnector implements Connector {
  private readonly exchanges: Array<[string, string]>;

  constructor(
    private readonly server: Server,
    rules: readonly Rule[],
    private readonly node: string,
    private readonly connName: string,
    private readonly confirmTimeout: number,
    private readonly log: { info(msg: string): void; warning(msg: string): void },
  ) {
    const seen = new Map<string, string>();
    for (const r of rules) if (r.rabbit === server.id) seen.set(r.exchange, r.exchangeType);
    this.exchanges = [...seen];
  }

  async open(onClose: (err: Error) => void): Promise<Link> {
    const s = this.server;
    const conn = await amqp.connect(
      {
        protocol: 'amqp', hostname: s.host, port: s.port, username: s.username, password: s.password,
        vhost: s.vhost, heartbeat: s.heartbeat, frameMax: 0,
      },
      { timeout: 5000, clientProperties: { connection_name: this.connName } },
    );
    let closed = false;
    const fail = (err?: Error): void => {
      if (closed) return;
      closed = true;
      onClose(err ?? new Error('connection closed'));
    };
    conn.on('error', (err: Error) => fail(err));
    conn.on('close', (err?: Error) => fail(err));
    // RabbitMQ's memory or disk alarm: it stops reading; confirms wait (confirm_timeout applies)
    conn.on('blocked', (reason: string) => this.log.warning(`RabbitMQ ${s.host}:${s.port} blocked this connection: ${reason}`));
    conn.on('unblocked', () => this.log.info(`RabbitMQ ${s.host}:${s.port} unblocked this connection`));
    // a server that accepts the socket but stops answering must not hold the slot forever
    const guard = setTimeout(() => destroy(conn), 10_000);
    guard.unref?.();
    try {
      const ch = await conn.createConfirmChannel();
      ch.on('error', (err: Error) => fail(err));
      ch.on('close', () => fail(new Error('channel closed')));
      for (const [name, type] of this.exchanges) await ch.assertExchange(name, type, { durable: true });
      return new AmqpLink(conn, ch, this.node, this.confirmTimeout, () => {
        closed = true;
      });
    } catch (err) {
      closed = true;
      await closeConn(conn);
      throw err;
    } finally {
      clearTimeout(guard);
    }
  }
}

function destroy(conn: amqp.ChannelModel): void {
  (conn as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/** a clean AMQP close, or the socket destroyed when the server does not answer within 1 s */
async function closeConn(conn: amqp.ChannelModel): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const clean = conn.close().then(() => true, () => true);
  const ok = await Promise.race([clean, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 1000)))]);
  clearTimeout(timer);
  if (!ok) destroy(conn);
}

class AmqpLink implements Link {
  constructor(
    private readonly conn: amqp.ChannelModel,
    private readonly ch: amqp.ConfirmChannel,
    private readonly node: string,
    private readonly confirmTimeout: number,
    private readonly closing: () => void,
  ) {}

  send(batch: readonly Rec[], done: (err: Error | null) => void): void {
    let left = batch.length;
    let failed: Error | null = null;
    // a RabbitMQ that stops answering (stalled, partitioned) fails the batch after confirmTimeout
    const timer = setTimeout(() => done(new Error(`no publisher confirms within ${this.confirmTimeout} ms`)), this.confirmTimeout);
    timer.unref?.();
    // one callback for the whole batch: it counts the confirms
    const cb = (err: unknown): void => {
      if (err && failed === null) failed = err instanceof Error ? err : new Error(String(err));
      if (--left === 0) {
        clearTimeout(timer);
        done(failed);
      }
    };
    for (const r of batch) {
      const m = toAmqp(r, this.node);
      this.ch.publish(r.rule.exchange, m.routingKey, m.content, { headers: m.headers, persistent: true, timestamp: Math.floor(r.ts / 1000) }, cb);
    }
  }

  async close(): Promise<void> {
    this.closing();
    await closeConn(this.conn);
  }
}
