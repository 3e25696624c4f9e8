// Alarms from the health checks reach MQTT subscribers of $SYS/brokers/+/alarms/#: activated
// by a watermark the node is over, deactivated once it is not; from emqx.conf keys too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@nemq/kernel';
import type { MqttClient } from 'mqtt';
import { startBroker, connect, closeAll, waitFor, spawnNode, type TestBroker } from './helpers';

afterEach(() => closeAll());

/** alarm messages as they arrive: [activate|deactivate, payload] */
function alarmsOf(c: MqttClient): Array<[string, any]> {
  const got: Array<[string, any]> = [];
  c.on('message', (topic, payload) => {
    if (topic.includes('/alarms/')) got.push([topic.split('/').pop()!, JSON.parse(payload.toString())]);
  });
  return got;
}

describe('in-process', () => {
  let b: TestBroker;
  afterEach(() => b.stop());

  test('high_process_memory_usage is activated over a tiny watermark and deactivated once the watermark is raised', async () => {
    b = await startBroker({
      retainer: false,
      logger: createLogger('warning', () => {}),
      sysmon: {
        cpuCheckInterval: 0, cpuHighWatermark: 0.8, cpuLowWatermark: 0.6,
        memCheckInterval: 50, sysmemHighWatermark: 1, procmemHighWatermark: 1,
        vmCheckInterval: 0, processHighWatermark: 0.8, processLowWatermark: 0.6, processLimit: 2097152,
      },
    });
    const c = await connect(b.url, { clientId: 'watch' });
    const got = alarmsOf(c);
    await c.subscribeAsync('$SYS/brokers/+/alarms/#', { qos: 0 });
    // lowered only once subscribed: the activate message is not retained
    b.node.sysmon!.set({ procmemHighWatermark: 0.0001 });
    await waitFor(() => got.some(([k, a]) => k === 'activate' && a.name === 'high_process_memory_usage'), 3000, 'the activate message');
    const [, act] = got.find(([k]) => k === 'activate')!;
    expect(act).toMatchObject({ name: 'high_process_memory_usage', message: 'Process memory usage is higher than 0.01%', details: { high_watermark: 0.01 } });
    expect(act.details.usage).toBeGreaterThan(0.01);
    expect(act.activate_at).toBeGreaterThan(Date.now() * 1000 - 60e6);
    expect(b.node.alarms.isActive('high_process_memory_usage')).toBe(true);
    // once active, it is not published again at every check
    const n = got.length;
    b.node.sysmon!.set({ procmemHighWatermark: 1 });
    await waitFor(() => got.some(([k]) => k === 'deactivate'), 3000, 'the deactivate message');
    expect(got.length).toBe(n + 1);
    expect(got[n]![1]).toMatchObject({ name: 'high_process_memory_usage' });
    expect(got[n]![1].deactivate_at).toBeGreaterThanOrEqual(act.activate_at);
    expect(b.node.alarms.list(false).map((a) => a.name)).toEqual(['high_process_memory_usage']);
  });
});

test('emqx.conf keys (here EMQX_* overrides) drive the checks of a started node; the API lists the alarm', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nemq-alarms-'));
  const node = await spawnNode({
    EMQX_NODE__DATA_DIR: dir,
    EMQX_OS_MON__MEM_CHECK_INTERVAL: '1s',
    EMQX_OS_MON__PROCMEM_HIGH_WATERMARK: '0.01%',
    EMQX_NODE__NAME: 'alarmtest@127.0.0.1',
  });
  try {
    const auth = { authorization: 'Basic ' + Buffer.from('admin:public').toString('base64') };
    let alarms: any[] = [];
    const url = `http://127.0.0.1:${node.ports.mgmt}/api/v4/alarms/activated`;
    for (const t0 = Date.now(); Date.now() - t0 < 8000 && alarms.length === 0;) {
      const r = (await (await fetch(url, { headers: auth })).json()) as any;
      // the machine's own memory may raise high_system_memory_usage too
      alarms = r.data[0].alarms.filter((a: any) => a.name === 'high_process_memory_usage');
      // the first check runs 1 s after the start: poll until it has
      if (alarms.length === 0) await new Promise((res) => setTimeout(res, 100));
    }
    expect(alarms).toEqual([expect.objectContaining({ name: 'high_process_memory_usage', message: 'Process memory usage is higher than 0.01%', activated: true, node: 'alarmtest@127.0.0.1' })]);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 20000);
