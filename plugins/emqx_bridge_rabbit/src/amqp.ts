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
    try {
      const ch = await conn.createConfirmChannel();
      ch.on('error', (err: Error) => fail(err));
      ch.on('close', () => fail(new Error('channel closed')));
      for (const [name, type] of this.exchanges) await ch.assertExchange(name, type, { durable: true });
      return new AmqpLink(conn, ch, this.node, () => {
        closed = true;
      });
    } catch (err) {
      closed = true;
      await conn.close().catch(() => undefined);
      throw err;
    }
  }
}

class AmqpLink implements Link {
  constructor(
    private readonly conn: amqp.ChannelModel,
    private readonly ch: amqp.ConfirmChannel,
    private readonly node: string,
    private readonly closing: () => void,
  ) {}

  send(batch: readonly Rec[], done: (err: Error | null) => void): void {
    let left = batch.length;
    let failed: Error | null = null;
    // one callback for the whole batch: it counts the confirms
    const cb = (err: unknown): void => {
      if (err && failed === null) failed = err instanceof Error ? err : new Error(String(err));
      if (--left === 0) done(failed);
    };
    for (const r of batch) {
      const m = toAmqp(r, this.node);
      this.ch.publish(r.rule.exchange, m.routingKey, m.content, { headers: m.headers, persistent: true, timestamp: Math.floor(r.ts / 1000) }, cb);
    }
  }

  async close(): Promise<void> {
    this.closing();
    await this.conn.close();
  }
}
