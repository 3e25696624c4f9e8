// emqx_modules in a real node: `bin/emqx foreground` with the shipped etc/, loaded and driven
// with `bin/emqx_ctl`, loaded_modules in node.data_dir.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { spawnNode, waitFor, type NodeProcess } from '../../../test/integration/helpers';

test('bin/emqx_ctl plugins load emqx_modules, modules load emqx_mod_subscription (conf from EMQX_MODULE__* variables), loaded_modules in data_dir, the API over HTTP', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nemq-modules-node-'));
  let node: NodeProcess | undefined;
  try {
    node = await spawnNode({ EMQX_NODE__DATA_DIR: dir, EMQX_MODULE__SUBSCRIPTION__1__TOPIC: 'inbox/%c', EMQX_MODULE__SUBSCRIPTION__1__QOS: '1' });
    expect(await node.ctl('plugins', 'load', 'emqx_modules')).toBe('Plugin emqx_modules loaded successfully.\n');
    expect(await node.ctl('modules', 'load', 'emqx_mod_subscription')).toBe('Module emqx_mod_subscription loaded successfully.\n');
    expect(readFileSync(join(dir, 'loaded_modules'), 'utf8')).toContain('{emqx_mod_subscription, true}.\n');
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.ports.tcp}`, { clientId: 'node-m', reconnectPeriod: 0 });
    const got: string[] = [];
    c.on('message', (t, p) => got.push(`${t} ${p.toString()}`));
    const p = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.ports.tcp}`, { clientId: 'node-p', reconnectPeriod: 0 });
    // the subscription is made just after CONNACK: publish until it lands
    await waitFor(() => { p.publish('inbox/node-m', 'hi', { qos: 1 }); return got.length > 0; }, 10000, 'the broker-made subscription');
    expect(got[0]).toBe('inbox/node-m hi');

    // the API over emqx_management's listener (loaded by default), Basic auth with the default app
    const api = async (method: string, p: string, body?: unknown): Promise<Record<string, unknown>> => {
      const r = await fetch(`http://127.0.0.1:${node!.ports.mgmt}/api/v4${p}`, {
        method, headers: { authorization: `Basic ${Buffer.from('admin:public').toString('base64')}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(r.status).toBe(200);
      return (await r.json()) as Record<string, unknown>;
    };
    const mods = await api('GET', '/modules');
    expect((mods.data as Array<{ modules: Array<{ name: string; active: boolean }> }>)[0]!.modules).toContainEqual({ name: 'emqx_mod_subscription', description: 'EMQ X Subscription Module', active: true });
    expect(await api('PUT', '/modules/emqx_mod_topic_metrics/load')).toEqual({ code: 0 });
    expect(await api('POST', '/topic-metrics', { topic: 'inbox/node-m' })).toEqual({ code: 0 });
    got.length = 0;
    p.publish('inbox/node-m', 'counted', { qos: 1 });
    await waitFor(() => got.includes('inbox/node-m counted'), 10000, 'the counted message');
    const tm = await api('GET', `/topic-metrics/${encodeURIComponent('inbox/node-m')}`);
    expect(tm).toMatchObject({ code: 0, data: { 'messages.in.count': 1, 'messages.out.count': 1 } });
    await c.endAsync();
    await p.endAsync();
  } finally {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
