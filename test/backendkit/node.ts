/**
 * A backend plugin in a real node: bin/emqx foreground with the shipped etc/ (and its
 * etc/plugins/<plugin>.conf), pointed at the service by EMQX_* overrides, loaded with
 * bin/emqx_ctl plugins load, used by a real MQTT v5 client, then unloaded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { spawnNode, type NodeProcess } from '../integration/helpers';
import { requireServices, startService, type Service, type ServiceName } from '../services/index';
import { waitFor } from './index';

export interface NodeCheck {
  readonly plugin: string;
  readonly command: string;
  readonly title: string;
  readonly service: ServiceName;
  /** EMQX_* variables pointing pool1 at the service */
  env(svc: Service): Record<string, string>;
  /** creates the tables; returns a reader of the database */
  setup(svc: Service): Promise<{
    online(clientid: string): Promise<boolean>;
    messages(topic: string): Promise<Array<{ sender: string; qos: number; payload: string }>>;
    close(): Promise<void>;
  }>;
}

export function runNodeCheck(n: NodeCheck): void {
  requireServices(n.service);
  let svc: Service;
  let db: Awaited<ReturnType<NodeCheck['setup']>>;
  let node: NodeProcess;
  let dir: string;

  beforeAll(async () => {
    svc = await startService(n.service);
    db = await n.setup(svc);
    dir = mkdtempSync(join(tmpdir(), `nemq-${n.plugin}-node-`));
    node = await spawnNode({ EMQX_NODE__DATA_DIR: dir, EMQX_PLUGINS__LOADED_FILE: join(dir, 'loaded_plugins'), ...n.env(svc) });
  }, 60_000);

  afterAll(async () => {
    await node?.stop();
    await db?.close().catch(() => undefined);
    await svc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`${n.title}: emqx_ctl plugins load with the shipped conf; a v5 client is recorded online and its QoS 1 message stored; unload`, async () => {
    expect(await node.ctl('plugins', 'load', n.plugin)).toBe(`Plugin ${n.plugin} loaded successfully.\n`);
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.ports.tcp}`, { clientId: 'node-client', protocolVersion: 5, reconnectPeriod: 0 });
    try {
      await c.publishAsync('node/t', 'from a real node', { qos: 1 });
      await waitFor(() => db.online('node-client'), 10_000, 'node-client online');
      await waitFor(async () => (await db.messages('node/t')).length === 1, 10_000, 'the message stored');
      expect(await db.messages('node/t')).toEqual([{ sender: 'node-client', qos: 1, payload: 'from a real node' }]);
      const stats = await node.ctl(n.command, 'stats');
      expect(stats).toMatch(/status\s+: connected/);
      expect(stats).toMatch(/dropped\s+: 0/);
    } finally {
      await c.endAsync();
    }
    expect(await node.ctl('plugins', 'unload', n.plugin)).toBe(`Plugin ${n.plugin} unloaded successfully.\n`);
  });
}
