// emqx_web_hook in a real node: `bin/emqx foreground` with the shipped etc/, the plugin loaded
// with `bin/emqx_ctl plugins load`, its conf overridden by EMQX_WEB__HOOK__* variables.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { spawnNode, waitFor, type NodeProcess } from '../../../test/integration/helpers';

test('bin/emqx_ctl plugins load emqx_web_hook: events reach the server, conf from EMQX_WEB__HOOK__* variables; unload', async () => {
  const got: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => { got.push(JSON.parse(b) as Record<string, unknown>); res.end(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'nemq-webhook-node-'));
  let node: NodeProcess | undefined;
  try {
    node = await spawnNode({
      EMQX_NODE__DATA_DIR: dir,
      EMQX_WEB__HOOK__URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      EMQX_WEB__HOOK__RULE__CLIENT__CONNECTED__1: '{"action": "on_client_connected"}',
      EMQX_WEB__HOOK__RULE__MESSAGE__PUBLISH__1: '{"action": "on_message_publish", "topic": "t/#"}',
    });
    expect(await node.ctl('plugins', 'load', 'emqx_web_hook')).toBe('Plugin emqx_web_hook loaded successfully.\n');
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.ports.tcp}`, { clientId: 'node-c', reconnectPeriod: 0 });
    await c.publishAsync('t/1', 'hello', { qos: 1 });
    await waitFor(() => got.some((j) => j.action === 'message_publish'), 10000, 'the publish event');
    expect(got.find((j) => j.action === 'client_connected')).toMatchObject({ clientid: 'node-c', node: expect.any(String) });
    expect(got.find((j) => j.action === 'message_publish')).toMatchObject({ topic: 't/1', payload: 'hello' });
    expect(await node.ctl('plugins', 'unload', 'emqx_web_hook')).toBe('Plugin emqx_web_hook unloaded successfully.\n');
    await c.endAsync();
  } finally {
    await node?.stop();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
