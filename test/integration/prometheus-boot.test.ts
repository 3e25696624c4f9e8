// emqx_prometheus on a started node: installed but not loaded by default (as EMQX), then
// loaded with emqx_ctl and scraped through emqx_management's listener without credentials.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, closeAll, spawnNode } from './helpers';

test('not loaded by default; once loaded, the management listener serves /api/v4/emqx_prometheus without credentials', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nemq-prom-boot-'));
  // no gateway to push to in this test
  const node = await spawnNode({ EMQX_NODE__DATA_DIR: dir, EMQX_PROMETHEUS__PUSH__GATEWAY__SERVER: '' });
  try {
    const url = `http://127.0.0.1:${node.ports.mgmt}/api/v4/emqx_prometheus`;
    expect(await node.ctl('plugins', 'list')).toContain('Plugin(emqx_prometheus, description=Prometheus for EMQ X, active=false');
    expect((await fetch(url)).status).toBe(404);
    expect(await node.ctl('plugins', 'load', 'emqx_prometheus')).toBe('Plugin emqx_prometheus loaded successfully.\n');
    await connect(`mqtt://127.0.0.1:${node.ports.tcp}`, { clientId: 'scraped' });
    const res = await fetch(`${url}?type=prometheus`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    const text = await res.text();
    expect(text).toContain('# TYPE emqx_connections_count gauge\nemqx_connections_count 1\n');
    expect(text).toContain('# TYPE emqx_cluster_nodes_running gauge\nemqx_cluster_nodes_running 1\n');
    const json = (await (await fetch(url)).json()) as { code: number; data: { stats: Record<string, number> } };
    expect(json.code).toBe(0);
    expect(json.data.stats.emqx_connections_count).toBe(1);
  } finally {
    await closeAll();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30000);
