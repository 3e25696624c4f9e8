/**
 * The data persistence kit: one table of cases every emqx_backend_* plugin runs against its real
 * database, over real sockets with mqtt.js v3.1.1 and v5 clients.
 *
 *   runBackendKit({ plugin: 'emqx_backend_mysql', prefix: 'backend.mysql', command: 'backend_mysql',
 *                   title: 'MySQL (MariaDB)', service: 'mariadb', pool: (svc) => ({ server, user, ... }),
 *                   connect: (svc) => KitDb, sql: true });
 *
 * The kit starts the service, loads the plugin into an in-process broker (no emqx_retainer: a
 * retained message a subscriber gets comes from the database), and checks the rows the database
 * holds through KitDb, a plain client of the database.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';
import { requireServices, startService, type Service, type ServiceName } from '../services/index';
import { Clients } from '../authkit/mqtt';
import { waitFor } from '../integration/helpers';

const ROOT = join(__dirname, '../..');

export interface KitClientRow {
  state: number;
  node: string;
  online: boolean;
  offline: boolean;
}

export interface KitMsgRow {
  msgid: string;
  topic: string;
  sender: string;
  qos: number;
  retain: boolean;
  payload: Buffer;
}

/** the kit's view of the database */
export interface KitDb {
  /** (re)creates the tables, empty */
  reset(): Promise<void>;
  client(clientid: string): Promise<KitClientRow | undefined>;
  /** mqtt_msg rows of a topic, in insertion order */
  messages(topic: string): Promise<KitMsgRow[]>;
  retained(topic: string): Promise<KitMsgRow | undefined>;
  /** the msgid of the message the client's mqtt_acked mark points to ('' for a mark before any message), undefined without a mark */
  acked(clientid: string, topic: string): Promise<string | undefined>;
  addSub(clientid: string, topic: string, qos: number): Promise<void>;
  subs(clientid: string): Promise<Array<{ topic: string; qos: number }>>;
  /** the rule engine test's output rows (clientid, x), in insertion order */
  ruleRows?(): Promise<Array<{ clientid: string; x: number }>>;
  close(): Promise<void>;
}

export interface BackendKit {
  readonly plugin: string;
  readonly prefix: string;
  readonly command: string;
  /** shown in every test name (say so when it is a stand-in) */
  readonly title: string;
  readonly service: ServiceName;
  /** pool1's keys (server, user, ...) for the running service */
  pool(svc: Service): Record<string, string>;
  /** a fresh database client (called again after the service restarts) */
  connect(svc: Service): Promise<KitDb>;
  /** SQL actions (`"action": {"sql": [...]}`) are tested */
  readonly sql: boolean;
  /** the mqtt_sub insert an SQL action runs at session.subscribed */
  readonly subscribeSql?: string;
  /** the rule engine's resource type and action of this database, and what the action needs to write (clientid, x) rows */
  readonly rule?: {
    readonly resourceType: string;
    readonly action: string;
    resource(svc: Service): Record<string, unknown>;
    /** the action's params besides $resource; the rule selects `clientid` and `payload.x AS x` */
    readonly params: Record<string, unknown>;
  };
  /** why the server may forget writes it acknowledged before its own restart, or keep a batch written again twice (a stand-in) */
  readonly forgetsOnRestart?: string;
  /** payloads are kept as bytes (false: as UTF-8 text, e.g. PostgreSQL's text column) */
  readonly binary?: boolean;
}

export { waitFor };

/** the next message on `c`, as [topic, payload, retain] */
function nextMessage(c: MqttClient, ms = 10_000): Promise<{ topic: string; payload: Buffer; retain: boolean; qos: number }> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no message')), ms);
    c.once('message', (topic, payload, packet) => {
      clearTimeout(t);
      resolve({ topic, payload, retain: packet.retain, qos: packet.qos });
    });
  });
}

/** collects every message `c` receives */
function collect(c: MqttClient): Array<{ topic: string; payload: string; retain: boolean }> {
  const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
}

export function runBackendKit(b: BackendKit): void {
  requireServices(b.service);
  const T = b.title;
  let svc: Service;
  let db: KitDb;
  let dir: string;
  let node: BrokerNode;
  let url: string;
  const lines: string[] = [];
  const clients = new Clients();

  const rules = (): string[] => [
    `${b.prefix}.hook.client.connected.1    = {"action": {"function": "on_client_connected"}, "pool": "pool1"}`,
    `${b.prefix}.hook.client.connected.2    = {"action": {"function": "on_subscribe_lookup"}, "pool": "pool1"}`,
    `${b.prefix}.hook.client.disconnected.1 = {"action": {"function": "on_client_disconnected"}, "pool": "pool1"}`,
    `${b.prefix}.hook.session.subscribed.1  = {"topic": "store/#", "action": {"function": "on_message_fetch"}, "pool": "pool1"}`,
    `${b.prefix}.hook.session.subscribed.2  = {"topic": "#", "action": {"function": "on_retain_lookup"}, "pool": "pool1"}`,
    `${b.prefix}.hook.message.publish.1     = {"topic": "store/#", "action": {"function": "on_message_publish"}, "pool": "pool1", "payload_format": "plain_text"}`,
    `${b.prefix}.hook.message.publish.2     = {"topic": "#", "action": {"function": "on_message_retain"}, "pool": "pool1", "payload_format": "plain_text"}`,
    `${b.prefix}.hook.message.publish.3     = {"topic": "#", "action": {"function": "on_retain_delete"}, "pool": "pool1"}`,
    `${b.prefix}.hook.message.acked.1       = {"topic": "store/#", "action": {"function": "on_message_acked"}, "pool": "pool1"}`,
    ...(b.sql && b.subscribeSql ? [`${b.prefix}.hook.session.subscribed.3  = {"topic": "sqlsub/#", "action": {"sql": [${JSON.stringify(b.subscribeSql)}]}, "pool": "pool1"}`] : []),
  ];

  const writeConf = (over: Record<string, string> = {}, extra: string[] = [], without = ''): void => {
    const keys = { batch_size: '50', query_timeout: '3s', reconnect_min: '100ms', reconnect_max: '400ms', ...b.pool(svc), ...over };
    const text = Object.entries(keys).map(([k, v]) => `${b.prefix}.pool1.${k} = ${v}`).concat(rules().filter((r) => without === '' || !r.startsWith(without)), extra).join('\n') + '\n';
    writeFileSync(join(dir, `${b.plugin}.conf`), text);
  };

  const stats = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const line of (await node.ctl.run([b.command, 'stats'])).output.split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return out;
  };
  const stat = async (k: string): Promise<number> => Number((await stats())[k]);
  const connect = (o: IClientOptions): Promise<MqttClient> => clients.connected(url, { reconnectPeriod: 0, ...o });

  beforeAll(async () => {
    svc = await startService(b.service);
    db = await b.connect(svc);
    await db.reset();
    dir = mkdtempSync(join(tmpdir(), `nemq-${b.plugin}-`));
    writeConf();
    node = await createBroker({
      logger: createLogger('warning', (l: string) => void lines.push(l)), sysInterval: 0, sysHeartbeat: 0,
      listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 10_000 }],
      plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
    });
    url = `mqtt://127.0.0.1:${node.listeners[0]!.port}`;
    // loaded as an operator does
    const out = await node.ctl.run(['plugins', 'load', b.plugin]);
    expect(out.output).toContain(`Plugin ${b.plugin} loaded successfully.`);
  }, 90_000);

  afterAll(async () => {
    await clients.closeAll();
    await node?.stop();
    await db?.close().catch(() => undefined);
    await svc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  describe(`${b.plugin}: ${T}`, () => {
    test(`${T}: client.connected / client.disconnected → mqtt_client state 1 then 0, node, online_at, offline_at (v3.1.1 and v5)`, async () => {
      for (const protocolVersion of [4, 5] as const) {
        const id = `status-v${protocolVersion}`;
        const c = await connect({ clientId: id, protocolVersion });
        await waitFor(async () => (await db.client(id))?.state === 1, 10_000, `${id} online`);
        expect(await db.client(id)).toEqual({ state: 1, node: node.nodeName, online: true, offline: false });
        await new Promise<void>((r) => c.end(false, {}, () => r()));
        await waitFor(async () => (await db.client(id))?.state === 0, 10_000, `${id} offline`);
        expect(await db.client(id)).toEqual({ state: 0, node: node.nodeName, online: true, offline: true });
      }
    }, 30_000);

    test(`${T}: on_subscribe_lookup: the client's mqtt_sub rows subscribe it at connect (v5)`, async () => {
      await db.addSub('restore-1', 'restored/a', 1);
      await db.addSub('restore-1', 'restored/b/+', 2);
      const c = await connect({ clientId: 'restore-1', protocolVersion: 5 });
      await waitFor(async () => (await node.ctl.run(['subscriptions', 'show', 'restore-1'])).output.includes('restored/b/+'), 10_000, 'the restored subscriptions');
      const pub = await connect({ clientId: 'restore-pub', protocolVersion: 4 });
      const got = nextMessage(c);
      await pub.publishAsync('restored/b/x', 'hello', { qos: 2 });
      const m = await got;
      expect([m.topic, m.payload.toString(), m.qos]).toEqual(['restored/b/x', 'hello', 2]);
    }, 30_000);

    test(`${T}: on_subscribe_lookup on session.created (v3.1.1)`, async () => {
      writeConf({}, [`${b.prefix}.hook.session.created.1 = {"action": {"function": "on_subscribe_lookup"}, "pool": "pool1"}`], `${b.prefix}.hook.client.connected.2 `);
      await node.plugins!.reload(b.plugin);
      try {
        expect((await node.ctl.run([b.command, 'rules'])).output).toContain('hook=session.created, topic=-, action=on_subscribe_lookup');
        expect((await node.ctl.run([b.command, 'rules'])).output).not.toContain('hook=client.connected, topic=-, action=on_subscribe_lookup');
        await db.addSub('restore-2', 'restored/c', 1);
        const c = await connect({ clientId: 'restore-2', protocolVersion: 4 });
        await waitFor(async () => (await node.ctl.run(['subscriptions', 'show', 'restore-2'])).output.includes('restored/c'), 10_000, 'the restored subscription');
        const got = nextMessage(c);
        const pub = await connect({ clientId: 'restore-pub2', protocolVersion: 5 });
        await pub.publishAsync('restored/c', 'again', { qos: 1 });
        expect((await got).payload.toString()).toBe('again');
      } finally {
        writeConf();
        await node.plugins!.reload(b.plugin);
      }
    }, 30_000);

    test(`${T}: on_message_publish stores QoS 1/2 messages of the rule's topic byte for byte; QoS 0 and other topics are not stored`, async () => {
      const c = await connect({ clientId: 'pub-bytes', protocolVersion: 5 });
      const bin = b.binary === false ? Buffer.from('h\u00e9llo \u2713 \u{1F600}') : Buffer.from([0x68, 0x69, 0x00, 0x01, 0xff, 0x80, 0x21]);
      await c.publishAsync('store/bin', bin, { qos: 1 });
      await c.publishAsync('store/q0', 'zero', { qos: 0 });
      await c.publishAsync('other/x', 'not mine', { qos: 1 });
      await c.publishAsync('store/q2', 'two', { qos: 2 });
      await waitFor(async () => (await db.messages('store/q2')).length === 1, 10_000, 'store/q2 stored');
      const [row] = await db.messages('store/bin');
      expect(row).toEqual({ msgid: expect.stringMatching(/^[0-9A-F]{32}$/), topic: 'store/bin', sender: 'pub-bytes', qos: 1, retain: false, payload: bin });
      expect((await db.messages('store/q2'))[0]).toMatchObject({ sender: 'pub-bytes', qos: 2, payload: Buffer.from('two') });
      // written in order in the same batches: by now they would be there
      expect(await db.messages('store/q0')).toEqual([]);
      expect(await db.messages('other/x')).toEqual([]);
    }, 30_000);

    test(`${T}: on_message_retain / on_retain_lookup / on_retain_delete: a subscriber gets the retained message from the database; an empty one deletes it`, async () => {
      const p = await connect({ clientId: 'ret-pub', protocolVersion: 4 });
      await p.publishAsync('ret/a', 'kept', { qos: 1, retain: true });
      await waitFor(async () => (await db.retained('ret/a')) !== undefined, 10_000, 'ret/a in mqtt_retain');
      expect(await db.retained('ret/a')).toMatchObject({ topic: 'ret/a', sender: 'ret-pub', qos: 1, payload: Buffer.from('kept') });
      const s = await connect({ clientId: 'ret-sub', protocolVersion: 5 });
      const got = nextMessage(s);
      await s.subscribeAsync('ret/a', { qos: 1 });
      const m = await got;
      expect([m.topic, m.payload.toString(), m.retain]).toEqual(['ret/a', 'kept', true]);

      await p.publishAsync('ret/a', '', { qos: 1, retain: true });
      await waitFor(async () => (await db.retained('ret/a')) === undefined, 10_000, 'ret/a deleted');
      const s2 = await connect({ clientId: 'ret-sub2', protocolVersion: 4 });
      const seen = collect(s2);
      await s2.subscribeAsync('ret/a', { qos: 1 });
      await p.publishAsync('ret/a', 'live', { qos: 1 });
      await waitFor(() => seen.length > 0, 10_000, 'the live message');
      expect(seen[0]).toEqual({ topic: 'ret/a', payload: 'live', retain: false });
    }, 30_000);

    test(`${T}: on_message_fetch + on_message_acked: a client that comes back gets the QoS 1 messages it missed, not the one it acknowledged (v5, then v3.1.1)`, async () => {
      const sub = await connect({ clientId: 'off-1', protocolVersion: 5 });
      await sub.subscribeAsync('store/off', { qos: 1 });
      // the first subscription sets the mark (no history for a new subscriber)
      await waitFor(async () => (await db.acked('off-1', 'store/off')) !== undefined, 10_000, 'the first mark');
      const pub = await connect({ clientId: 'off-pub', protocolVersion: 5 });
      const got = nextMessage(sub);
      await pub.publishAsync('store/off', 'm1', { qos: 1 });
      expect((await got).payload.toString()).toBe('m1');
      await waitFor(async () => (await db.messages('store/off')).length === 1, 10_000, 'm1 stored');
      const m1 = (await db.messages('store/off'))[0]!.msgid;
      await waitFor(async () => (await db.acked('off-1', 'store/off')) === m1, 10_000, `the mark on m1 (${lines.slice(-3).join(' | ')})`);
      await new Promise<void>((r) => sub.end(false, {}, () => r()));
      await pub.publishAsync('store/off', 'm2', { qos: 1 });
      await pub.publishAsync('store/off', 'm3', { qos: 1 });
      await waitFor(async () => (await db.messages('store/off')).length === 3, 10_000, 'm2, m3 stored');
      const back = await connect({ clientId: 'off-1', protocolVersion: 4, clean: true });
      const seen = collect(back);
      await back.subscribeAsync('store/off', { qos: 1 });
      await waitFor(() => seen.length >= 2, 10_000, 'm2 and m3 from the database');
      expect(seen.map((s) => s.payload)).toEqual(['m2', 'm3']);
      const m3 = (await db.messages('store/off'))[2]!.msgid;
      await waitFor(async () => (await db.acked('off-1', 'store/off')) === m3, 10_000, 'the mark on m3');
    }, 30_000);

    test(`${T}: writes are batched: 400 QoS 1 publishes are stored in far fewer batches`, async () => {
      const c = await connect({ clientId: 'pub-batch', protocolVersion: 4 });
      const before = await stats();
      await Promise.all(Array.from({ length: 400 }, (_, i) => c.publishAsync('store/batch', `b${i}`, { qos: 1 })));
      await waitFor(async () => (await db.messages('store/batch')).length === 400, 20_000, '400 rows');
      const after = await stats();
      expect(Number(after.batches) - Number(before.batches)).toBeLessThan(100);
      expect((await db.messages('store/batch')).map((r) => r.payload.toString())).toEqual(Array.from({ length: 400 }, (_, i) => `b${i}`));
    }, 40_000);

    if (b.sql && b.subscribeSql) {
      test(`${T}: an SQL action with \${clientid} \${topic} \${qos} as bind values: session.subscribed inserts into mqtt_sub, the next connection is subscribed from it`, async () => {
        const c = await connect({ clientId: "sql'sub", protocolVersion: 5 });
        await c.subscribeAsync('sqlsub/one', { qos: 2 });
        await waitFor(async () => (await db.subs("sql'sub")).length === 1, 10_000, 'the mqtt_sub row');
        expect(await db.subs("sql'sub")).toEqual([{ topic: 'sqlsub/one', qos: 2 }]);
        await new Promise<void>((r) => c.end(false, {}, () => r()));
        await connect({ clientId: "sql'sub", protocolVersion: 4, clean: true });
        await waitFor(async () => (await node.ctl.run(['subscriptions', 'show', "sql'sub"])).output.includes('sqlsub/one:2'), 10_000, 'the subscription from mqtt_sub');
      }, 30_000);
    }

    test(`${T}: the database stopped and started while a client publishes QoS 1: every PUBACKed message is stored once, in order${b.forgetsOnRestart ? ` (except what the stand-in forgets over its restart: ${b.forgetsOnRestart})` : ''}; lookups fail counted`, async () => {
      const c = await connect({ clientId: 'pub-down', protocolVersion: 5 });
      const lookupErrors = await stat('lookup_errors');
      // the publisher runs on while the test lets it (`allow`), so the outage falls in the middle of the stream
      let acked = 0;
      let cap = 0;
      let stop = false;
      let raise: (() => void) | undefined;
      let ackedAtOutage = 0;
      const allow = (n: number): void => {
        cap = acked + n;
        raise?.();
      };
      const loop = (async () => {
        for (let i = 0; ; i++) {
          while (acked >= cap && !stop) await new Promise<void>((r) => (raise = r));
          if (stop) return;
          await c.publishAsync('store/down', `d${i}`, { qos: 1 });
          acked++;
        }
      })();
      allow(300);
      await waitFor(async () => (await db.messages('store/down')).length >= 20, 10_000, 'rows before the stop');
      await svc.down();
      // the server is stopped: nothing PUBACKed from here on can have been written before the stop
      ackedAtOutage = acked;
      try {
        allow(100);
        const during = acked;
        await waitFor(async () => (await stats()).status === 'disconnected', 10_000, 'status disconnected');
        await waitFor(() => acked >= during + 100, 10_000, '100 PUBACKs while the database is down');
        // a client connecting meanwhile: its subscription lookup fails, counted, and it stays connected
        const other = await connect({ clientId: 'while-down', protocolVersion: 4 });
        await waitFor(async () => (await stat('lookup_errors')) > lookupErrors, 15_000, 'a failed lookup');
        expect(other.connected).toBe(true);
        expect(lines.some((l) => l.includes('database unreachable'))).toBe(true);
        allow(300);
      } finally {
        await svc.up();
      }
      await db.close().catch(() => undefined);
      db = await b.connect(svc);
      await waitFor(async () => (await stats()).status === 'connected', 30_000, 'status connected');
      allow(50);
      const after = acked;
      await waitFor(() => acked >= after + 50, 10_000, 'PUBACKs after the restart');
      stop = true;
      raise?.();
      await loop;
      if (b.forgetsOnRestart !== undefined) {
        // the stand-in may lose what it had taken before its restart: every write is done, and the rows
        // are the stream from some message PUBACKed before the outage to the last one, none missing
        await waitFor(async () => (await stat('written')) === (await stat('enqueued')) && (await stat('buffered')) === 0, 30_000, 'every write done');
        // (and it may keep a batch that was written again twice: the distinct rows are checked)
        const got = [...new Set((await db.messages('store/down')).map((r) => r.payload.toString()))];
        const from = acked - got.length;
        expect(from).toBeGreaterThanOrEqual(0);
        expect(from).toBeLessThanOrEqual(ackedAtOutage);
        expect(got).toEqual(Array.from({ length: got.length }, (_, i) => `d${from + i}`));
      } else {
        await waitFor(async () => (await db.messages('store/down')).length >= acked, 30_000, `${acked} rows`).catch(async (e: Error) => {
          const have = new Set((await db.messages('store/down')).map((r) => r.payload.toString()));
          const missing = Array.from({ length: acked }, (_, i) => `d${i}`).filter((d) => !have.has(d));
          throw new Error(`${e.message}: ${have.size} stored, missing ${missing.length}: ${missing.slice(0, 5).join(' ')} … ${JSON.stringify(await stats())}`);
        });
        const got = (await db.messages('store/down')).map((r) => r.payload.toString());
        expect(got).toEqual(Array.from({ length: acked }, (_, i) => `d${i}`));
      }
      expect(await stat('dropped')).toBe(0);
    }, 90_000);

    test(`${T}: past max_buffer while the database is down the oldest writes are dropped and counted`, async () => {
      writeConf({ max_buffer: '10' });
      await node.plugins!.reload(b.plugin);
      try {
        const c = await connect({ clientId: 'pub-drop', protocolVersion: 4 });
        await waitFor(async () => (await stat('written')) >= 1, 10_000, 'the connect written');
        await svc.down();
        try {
          for (let i = 0; i < 30; i++) await c.publishAsync('store/drop', `x${i}`, { qos: 1 });
          await waitFor(async () => (await stat('dropped')) >= 20, 15_000, '20 dropped').catch(async (e: Error) => {
            throw new Error(`${e.message}: ${JSON.stringify(await stats())}`);
          });
          expect(await stat('dropped')).toBe(20);
        } finally {
          await svc.up();
        }
        await db.close().catch(() => undefined);
        db = await b.connect(svc);
        await waitFor(async () => (await db.messages('store/drop')).length === 10, 30_000, 'the 10 kept');
        expect((await db.messages('store/drop')).map((r) => r.payload.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `x${i + 20}`));
        expect(await stat('dropped')).toBe(20);
      } finally {
        writeConf();
        await node.plugins!.reload(b.plugin);
      }
    }, 90_000);

    test(`${T}: unload with traffic flowing: publishers keep getting PUBACKs, nothing more is stored, the taps are gone; load again`, async () => {
      const c = await connect({ clientId: 'pub-unload', protocolVersion: 5 });
      let acked = 0;
      let stop = false;
      const loop = (async () => {
        for (let i = 0; !stop; i++) {
          await c.publishAsync('store/unload', `u${i}`, { qos: 1 });
          acked++;
        }
      })();
      await waitFor(async () => (await db.messages('store/unload')).length >= 20, 10_000, 'some rows');
      const out = await node.ctl.run(['plugins', 'unload', b.plugin]);
      expect(out.output).toContain(`Plugin ${b.plugin} unloaded successfully.`);
      expect(node.registry.tapCount(b.plugin)).toBe(0);
      // a message PUBACKed after the unload returned was published after the taps were removed
      const at = acked;
      await waitFor(() => acked >= at + 50, 10_000, '50 more PUBACKs');
      stop = true;
      await loop;
      await waitFor(async () => (await db.messages('store/unload')).length >= 20, 10_000, 'the rows stored before the unload');
      const stored = (await db.messages('store/unload')).map((r) => Number(r.payload.toString().slice(1)));
      expect(Math.max(...stored)).toBeLessThanOrEqual(at);
      expect(c.connected).toBe(true);
      const again = await node.ctl.run(['plugins', 'load', b.plugin]);
      expect(again.output).toContain(`Plugin ${b.plugin} loaded successfully.`);
    }, 40_000);

    if (b.rule) {
      const rule = b.rule;
      test(`${T}: rule engine: ${rule.action} on a ${rule.resourceType} resource stores what a rule selects (v3.1.1 and v5)`, async () => {
        await node.plugins!.load('emqx_rule_engine');
        try {
          expect(await node.ctl.run(['rule-actions', 'show', rule.action]).then((r) => r.output)).toContain(`name='${rule.action}'`);
          const res = (await node.ctl.run(['resources', 'create', rule.resourceType, '-c', JSON.stringify(rule.resource(svc))])).output;
          const id = /^Resource (resource:[0-9a-f]{8}) created\n$/.exec(res)?.[1];
          expect(id).toBeDefined();
          const created = (await node.ctl.run(['rules', 'create', 'SELECT payload.x AS x, clientid FROM "rule/#" WHERE payload.x > 10', JSON.stringify([{ name: rule.action, params: { $resource: id, ...rule.params } }])])).output;
          expect(created).toMatch(/^Rule rule:[0-9a-f]{8} created\n$/);
          const v5 = await connect({ clientId: 'rule-v5', protocolVersion: 5 });
          const v3 = await connect({ clientId: 'rule-v3', protocolVersion: 4 });
          await v5.publishAsync('rule/a', JSON.stringify({ x: 5 }), { qos: 1 });
          await v5.publishAsync('rule/a', JSON.stringify({ x: 42 }), { qos: 1 });
          await v3.publishAsync('rule/b', JSON.stringify({ x: 11 }), { qos: 0 });
          await waitFor(async () => (await db.ruleRows!()).length >= 2, 10_000, 'two rows from the rule');
          expect(await db.ruleRows!()).toEqual([{ clientid: 'rule-v5', x: 42 }, { clientid: 'rule-v3', x: 11 }]);
          expect((await node.ctl.run([b.command, 'stats'])).output).toContain(`pool resource ${id}\n  status        : connected\n`);
        } finally {
          await node.plugins!.unload('emqx_rule_engine');
        }
      }, 30_000);
    }

    test(`${T}: a bad rule fails the load with the key and the reason; the broker keeps running`, async () => {
      writeConf({}, [`${b.prefix}.hook.message.publish.9 = {"topic": "#", "action": {"function": "on_client_connected"}, "pool": "pool1"}`]);
      try {
        await expect(node.plugins!.reload(b.plugin)).rejects.toThrow(`${b.prefix}.hook.message.publish.9: on_client_connected runs on client.connected, not message.publish`);
        const c = await connect({ clientId: 'still-up', protocolVersion: 5 });
        expect(c.connected).toBe(true);
      } finally {
        writeConf();
        await node.plugins!.load(b.plugin).catch(() => node.plugins!.reload(b.plugin));
      }
    }, 30_000);

    test(`${T}: emqx_ctl ${b.command} rules lists the rules`, async () => {
      const out = (await node.ctl.run([b.command, 'rules'])).output;
      expect(out).toContain(`${b.prefix}.hook.message.publish.1: hook=message.publish, topic=store/#, action=on_message_publish, pool=pool1\n`);
      expect(out).toContain(`${b.prefix}.hook.client.connected.2: hook=client.connected, topic=-, action=on_subscribe_lookup, pool=pool1\n`);
    });
  });
}
