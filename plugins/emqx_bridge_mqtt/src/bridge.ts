// One named bridge (EMQX: emqx_bridge_worker + emqx_bridge_mqtt): an MQTT client to the
// remote broker, local subscriptions to the `forwards` filters feeding the queue, and the
// remote `subscription.N` filters published locally.
//
// States as EMQX's worker: idle -> connecting -> connected. A failed attempt of an auto
// bridge, or a lost connection, retries after reconnect_interval; `bridges stop` goes
// back to idle until `bridges start`. Local forward subscriptions are made on the first
// connect attempt (and by add-forward) and kept while reconnecting, so messages queue up
// while the remote is away.
//
// Sending: messages leave the queue in order, at most max_inflight_size without an ack
// (QoS 0 counts as acked once written to the socket, QoS 1/2 on PUBACK/PUBCOMP). After a
// reconnect, the unacked ones are sent again first (at-least-once).
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import * as tls from 'node:tls';
import * as net from 'node:net';
import mqtt, { MqttClient, type IClientOptions, type IClientPublishOptions, type IPublishPacket } from 'mqtt';
import type { Logger, Message, PublishOptions } from '@nemq/sdk';
import { prependTopic, type BridgeConfig } from './config.js';
import { openQueue, type BridgeQueue, type QueuedMsg } from './queue.js';

export type BridgeState = 'idle' | 'connecting' | 'connected';

/** what a bridge needs from the node (the plugin context's broker API) */
export interface BridgeEnv {
  logger: Logger;
  subscribe(filter: string, onMessage: (msg: Message) => void): () => void;
  publish(topic: string, payload: Buffer, opts: PublishOptions): number;
}

/** packet ids are 16 bits: more unacked messages than this cannot be told apart */
const MAX_WINDOW = 65_000;
/** `bridges start` waits this long for the connection (EMQX: gen_statem call timeout) */
const START_WAIT = 5_000;
const CONNECT_TIMEOUT = 30_000;
/** unload waits this long for acks of messages already sent */
const CLOSE_GRACE = 1_000;

const PUB_OPTS: IClientPublishOptions[] = [0, 1, 2, 3, 4, 5].map((i) => Object.freeze({ qos: (i % 3) as 0 | 1 | 2, retain: i >= 3 }));

export class Bridge {
  state: BridgeState = 'idle';
  /** local filters exported to the remote */
  forwards: string[];
  /** remote filters imported */
  subscriptions: Array<{ topic: string; qos: 0 | 1 | 2 }>;
  /** `from` of messages this bridge publishes locally: they are not forwarded back */
  readonly from: string;
  /** counters (EMQX: bridge.mqtt.message_received counts local messages taken in) */
  taken = 0;
  sent = 0;
  imported = 0;
  queue!: BridgeQueue;
  private client: MqttClient | undefined;
  private gen = 0;
  private inflight = 0;
  private window = MAX_WINDOW;
  private readonly localSubs = new Map<string, () => void>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt: Promise<boolean> | undefined;
  private cancelAttempt: (() => void) | undefined;
  private drainScheduled = false;
  private waitingDrain = false;
  private stopped = false;
  private closed = false;
  private ackWaiters: Array<() => void> = [];

  constructor(readonly cfg: BridgeConfig, private readonly env: BridgeEnv) {
    this.forwards = [...cfg.forwards];
    this.subscriptions = cfg.subscriptions.map((s) => ({ ...s }));
    this.from = `bridge:${cfg.name}`;
  }

  get name(): string {
    return this.cfg.name;
  }

  /** the queue directory: `<queue.replayq_dir>/<name>/`, relative to the working directory */
  get queueDir(): string | undefined {
    return this.cfg.queue.dir === undefined ? undefined : resolvePath(this.cfg.queue.dir, this.cfg.name);
  }

  async init(): Promise<void> {
    this.queue = await openQueue({
      dir: this.queueDir,
      segBytes: this.cfg.queue.segBytes,
      maxTotalSize: this.cfg.queue.maxTotalSize,
      onError: (err) => this.env.logger.error(`bridge ${this.name}: ${err.message}`),
    });
    this.queue.onReady = () => this.scheduleDrain();
  }

  /** after init: an auto bridge connects now and keeps retrying */
  begin(): void {
    if (this.cfg.startType === 'auto') this.connectAndRetry();
  }

  // ---- connection -------------------------------------------------------------------

  private connectAndRetry(): void {
    void this.connectOnce().then((ok) => {
      if (!ok) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.closed || this.reconnectTimer || this.state === 'connected') return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectAndRetry();
    }, this.cfg.reconnectInterval);
    this.reconnectTimer.unref();
  }

  /** one connect attempt (joined if one is under way); resolves true once connected and subscribed */
  private connectOnce(): Promise<boolean> {
    if (this.state === 'connected') return Promise.resolve(true);
    if (this.attempt) return this.attempt;
    if (this.closed) return Promise.resolve(false);
    // EMQX subscribes the forwards locally on every connect attempt
    for (const t of this.forwards) this.subscribeLocal(t);
    this.state = 'connecting';
    const gen = ++this.gen;
    this.attempt = new Promise<boolean>((resolve) => {
      let client: MqttClient;
      try {
        const opts = this.clientOptions();
        if (this.cfg.ssl) {
          // our own TLS stream: SNI and peer checks exactly as configured
          const tlsOpts = this.tlsOptions();
          client = new MqttClient(() => tls.connect(tlsOpts), opts);
        } else {
          client = mqtt.connect(opts);
        }
      } catch (err) {
        this.env.logger.error(`bridge ${this.name}: cannot connect to ${this.cfg.address}: ${(err as Error).message}`);
        resolve(false);
        return;
      }
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        client.removeAllListeners();
        client.on('error', () => undefined);
        client.end(true);
        this.env.logger.warning(`bridge ${this.name}: failed to connect to ${this.cfg.address}: ${why}`);
        resolve(false);
      };
      this.cancelAttempt = () => fail('stopped');
      client.on('error', (err) => {
        if (!settled) fail(err.message);
        else this.env.logger.warning(`bridge ${this.name}: ${err.message}`);
      });
      client.on('close', () => {
        if (!settled) fail('connection closed');
        else this.onClose(gen, client);
      });
      client.on('message', (topic, payload, packet) => this.onRemote(topic, payload, packet));
      if (this.cfg.bridgeMode && this.cfg.protoVer !== 5) {
        // bridge_mode: mqtt-packet sets the 0x80 bit of the protocol level when the CONNECT
        // packet says bridgeMode; mqtt.js does not pass the option on, but shows us the packet
        // just before writing it
        const mark = (p: { cmd: string }): void => {
          if (p.cmd !== 'connect') return;
          (p as { bridgeMode?: boolean }).bridgeMode = true;
          client.off('packetsend', mark);
        };
        client.on('packetsend', mark);
      }
      client.once('connect', (connack) => {
        const done = (): void => {
          if (settled) return;
          if (this.stopped || this.closed || gen !== this.gen) {
            settled = true;
            client.end(true);
            resolve(false);
            return;
          }
          settled = true;
          const rm = connack.properties?.receiveMaximum;
          const max = this.cfg.maxInflight > 0 ? Math.min(this.cfg.maxInflight, MAX_WINDOW) : MAX_WINDOW;
          this.window = rm !== undefined && rm > 0 ? Math.min(max, rm) : max;
          this.client = client;
          this.onConnected();
          resolve(true);
        };
        if (this.subscriptions.length === 0) return done();
        const subs: Record<string, { qos: 0 | 1 | 2 }> = {};
        for (const s of this.subscriptions) subs[s.topic] = { qos: s.qos };
        client.subscribe(subs, (err) => (err ? fail(`subscribe: ${err.message}`) : done()));
      });
      client.connect();
    }).then((ok) => {
      this.attempt = undefined;
      this.cancelAttempt = undefined;
      if (!ok && this.state === 'connecting') this.state = 'idle';
      return ok;
    });
    return this.attempt;
  }

  private clientOptions(): IClientOptions {
    const c = this.cfg;
    const o: IClientOptions = {
      host: c.host,
      port: c.port,
      protocol: c.ssl ? 'mqtts' : 'mqtt',
      protocolVersion: c.protoVer,
      protocolId: c.protoVer === 3 ? 'MQIsdp' : 'MQTT',
      clean: c.cleanStart,
      keepalive: c.keepalive,
      reconnectPeriod: 0,
      // listeners first (packetsend for bridge_mode), then connect()
      manualConnect: true,
      connectTimeout: CONNECT_TIMEOUT,
      queueQoSZero: false,
      resubscribe: false,
    };
    if (c.clientid !== undefined) o.clientId = c.clientid;
    if (c.username !== undefined) o.username = c.username;
    if (c.password !== undefined) o.password = c.password;
    if (c.bridgeMode && c.protoVer === 5) this.env.logger.warning(`bridge ${this.name}: bridge_mode has no MQTT 5 form, connecting without it`);
    return o;
  }

  private tlsOptions(): tls.ConnectionOptions {
    const t = this.cfg.tls;
    // verify unset = verify_none (Erlang's default)
    const o: tls.ConnectionOptions = { host: this.cfg.host, port: this.cfg.port, rejectUnauthorized: t.verify === true };
    if (t.cacertfile) o.ca = readFileSync(resolvePath(t.cacertfile));
    if (t.certfile) o.cert = readFileSync(resolvePath(t.certfile));
    if (t.keyfile) o.key = readFileSync(resolvePath(t.keyfile));
    // SNI: the host name unless set, none for an IP address or `disable`
    if (t.serverNameIndication === 'disable') o.servername = '';
    else if (t.serverNameIndication) o.servername = t.serverNameIndication;
    else if (net.isIP(this.cfg.host) === 0) o.servername = this.cfg.host;
    const names: Record<string, tls.SecureVersion> = { 'tlsv1.3': 'TLSv1.3', 'tlsv1.2': 'TLSv1.2', 'tlsv1.1': 'TLSv1.1', tlsv1: 'TLSv1' };
    const order: tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
    const vers = t.tlsVersions.map((v) => names[v.trim().toLowerCase()]).filter((v): v is tls.SecureVersion => v !== undefined);
    if (vers.length > 0) {
      const idx = vers.map((v) => order.indexOf(v)).sort((a, b) => a - b);
      o.minVersion = order[idx[0]!]!;
      o.maxVersion = order[idx[idx.length - 1]!]!;
    }
    if (t.ciphers && t.ciphers.length > 0) {
      const ciphers = t.ciphers.join(':');
      try {
        tls.createSecureContext({ ciphers });
        o.ciphers = ciphers;
      } catch (err) {
        this.env.logger.warning(`bridge ${this.name}: ciphers not usable here (${(err as Error).message}), using the defaults`);
      }
    }
    if (t.pskCiphers && t.pskCiphers.length > 0) this.env.logger.warning(`bridge ${this.name}: psk_ciphers is not supported, ignored`);
    return o;
  }

  private onConnected(): void {
    this.state = 'connected';
    this.inflight = 0;
    this.waitingDrain = false;
    this.env.logger.info(`bridge ${this.name}: connected to ${this.cfg.address}`);
    // what was sent but not acked before goes first, in order
    for (const m of this.queue.unacked()) this.send(m);
    this.drain();
  }

  private onClose(gen: number, client: MqttClient): void {
    if (gen !== this.gen || this.client !== client) return;
    this.client = undefined;
    this.state = 'idle';
    this.inflight = 0;
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.end(true);
    this.env.logger.warning(`bridge ${this.name}: disconnected from ${this.cfg.address}`);
    this.wakeAckWaiters();
    this.scheduleReconnect();
  }

  // ---- local -> remote ----------------------------------------------------------------

  private readonly onLocal = (msg: Message): void => {
    if (msg.from === this.from || this.closed) return;
    this.taken++;
    this.queue.append(msg.qos, msg.flags.retain, msg.topic, msg.payload);
    if (!this.queue.durable) this.scheduleDrain();
  };

  private scheduleDrain(): void {
    if (this.drainScheduled || this.state !== 'connected' || this.waitingDrain) return;
    this.drainScheduled = true;
    setImmediate(this.drainNow);
  }

  private readonly drainNow = (): void => {
    this.drainScheduled = false;
    this.drain();
  };

  private drain(): void {
    const client = this.client;
    if (this.state !== 'connected' || !client || this.waitingDrain) return;
    const stream = client.stream as NodeJS.WritableStream & { writableNeedDrain?: boolean };
    while (this.inflight < this.window) {
      if (stream.writableNeedDrain) {
        // the socket is full: go on when it has drained
        this.waitingDrain = true;
        stream.once('drain', () => {
          this.waitingDrain = false;
          this.drain();
        });
        return;
      }
      const m = this.queue.pop();
      if (!m) return;
      this.send(m);
    }
  }

  private send(m: QueuedMsg): void {
    const client = this.client!;
    const topic = prependTopic(this.cfg.forwardMountpoint, m.topic);
    const opts = PUB_OPTS[m.qos + (m.retain ? 3 : 0)]!;
    if (m.qos === 0) {
      // as EMQX: a QoS 0 message counts as acked once handed to the connection
      client.publish(topic, m.payload, opts);
      this.sent++;
      this.queue.ack(m);
      return;
    }
    const gen = this.gen;
    this.inflight++;
    client.publish(topic, m.payload, opts, (err) => this.onAck(gen, m, err));
  }

  private onAck(gen: number, m: QueuedMsg, err: Error | undefined): void {
    // from a connection already gone: the message is still unacked and is sent again
    if (gen !== this.gen || m.acked) return;
    this.inflight--;
    if (err) {
      if (!this.client?.connected) return;
      // a refusal by the remote (MQTT 5 reason code): EMQX logs it; the message is dropped
      // here rather than left in the window forever
      this.env.logger.warning(`bridge ${this.name}: publish to ${m.topic} refused by the remote: ${err.message}`);
    } else {
      this.sent++;
    }
    this.queue.ack(m);
    if (this.ackWaiters.length > 0 && this.inflight === 0) this.wakeAckWaiters();
    this.scheduleDrain();
  }

  private wakeAckWaiters(): void {
    const w = this.ackWaiters;
    this.ackWaiters = [];
    for (const f of w) f();
  }

  // ---- remote -> local ----------------------------------------------------------------

  private onRemote(topic: string, payload: Buffer, packet: IPublishPacket): void {
    this.imported++;
    try {
      this.env.publish(prependTopic(this.cfg.receiveMountpoint, topic), payload, { qos: packet.qos, retain: packet.retain, from: this.from });
    } catch (err) {
      this.env.logger.error(`bridge ${this.name}: publish ${topic} locally: ${(err as Error).message}`);
    }
  }

  // ---- local subscriptions --------------------------------------------------------------

  private subscribeLocal(filter: string): void {
    if (this.localSubs.has(filter)) return;
    this.localSubs.set(filter, this.env.subscribe(filter, this.onLocal));
  }

  private unsubscribeLocal(filter: string): void {
    const un = this.localSubs.get(filter);
    if (!un) return;
    this.localSubs.delete(filter);
    un();
  }

  // ---- runtime changes (the bridges ctl) ------------------------------------------------

  /** `bridges start`: 'ok' | 'already' | 'failed' */
  async start(): Promise<'ok' | 'already' | 'failed'> {
    if (this.state === 'connected') return 'already';
    if (this.closed) return 'failed';
    this.stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      this.connectOnce(),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), START_WAIT);
      }),
    ]);
    clearTimeout(timer);
    return ok ? 'ok' : 'failed';
  }

  /** `bridges stop`: disconnects, drops the local subscriptions; the queue is kept */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    for (const f of [...this.localSubs.keys()]) this.unsubscribeLocal(f);
    this.gen++;
    const client = this.client;
    this.client = undefined;
    this.state = 'idle';
    this.inflight = 0;
    this.wakeAckWaiters();
    this.cancelAttempt?.();
    if (client) await endClient(client);
  }

  /** add-forward: subscribes locally at once (EMQX does too, connected or not) */
  addForward(topic: string): void {
    if (this.forwards.includes(topic)) return;
    this.subscribeLocal(topic);
    this.forwards = [...this.forwards, topic].sort(compare);
  }

  delForward(topic: string): void {
    if (!this.forwards.includes(topic)) return;
    this.unsubscribeLocal(topic);
    this.forwards = this.forwards.filter((t) => t !== topic);
  }

  /**
   * add-subscription: 'ok' or EMQX's failure reason. The topic stays in the list even when
   * the remote subscribe could not be made (EMQX too): it is subscribed on the next connect.
   */
  async addSubscription(topic: string, qos: 0 | 1 | 2): Promise<'ok' | string> {
    if (this.subscriptions.some((s) => s.topic === topic)) return 'ok';
    this.subscriptions = [...this.subscriptions, { topic, qos }].sort((a, b) => compare(a.topic, b.topic) || a.qos - b.qos);
    const client = this.client;
    if (this.state !== 'connected' || !client) return 'no_connection';
    return new Promise((resolve) => client.subscribe(topic, { qos }, (err) => resolve(err ? err.message : 'ok')));
  }

  /** del-subscription: removed from the list; unsubscribed on the remote when connected */
  async delSubscription(topic: string): Promise<'ok' | string> {
    if (!this.subscriptions.some((s) => s.topic === topic)) return 'ok';
    this.subscriptions = this.subscriptions.filter((s) => s.topic !== topic);
    const client = this.client;
    if (this.state !== 'connected' || !client) return 'ok';
    return new Promise((resolve) => client.unsubscribe(topic, (err) => resolve(err ? err.message : 'ok')));
  }

  /** unload / node stop: no new messages, a short wait for acks in flight, then close all */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const f of [...this.localSubs.keys()]) this.unsubscribeLocal(f);
    if (this.state === 'connected' && this.inflight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.ackWaiters.push(r)),
        new Promise<void>((r) => {
          timer = setTimeout(r, CLOSE_GRACE);
        }),
      ]);
      clearTimeout(timer);
    }
    await this.stop();
    // an attempt under way ends on its own (closed): wait for it so no client outlives us
    if (this.attempt) await this.attempt;
    await this.queue?.close();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function endClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    client.removeAllListeners();
    client.on('error', () => undefined);
    const t = setTimeout(resolve, 1000);
    client.end(true, {}, () => {
      clearTimeout(t);
      resolve();
    });
  });
}
