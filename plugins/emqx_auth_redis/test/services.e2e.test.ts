// The redis-sentinel and redis-cluster services of test/services (added for this plugin):
// every process has a pid file, stop() ends them all by PID and frees every port.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { requireServices, startService } from '../../../test/services/index';

jest.setTimeout(60_000);
requireServices('redis-sentinel', 'redis-cluster');

const refused = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });

/** no such process, or a zombie (ended, not reaped yet by PID 1) */
const gone = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
};

test('redis-sentinel: master, replica and three sentinels; the sentinels name the master; stop ends all five', async () => {
  const svc = await startService('redis-sentinel');
  try {
    expect(svc.pids()).toHaveLength(5);
    const sentinels = svc.env.REDIS_SENTINELS!.split(',');
    expect(sentinels).toHaveLength(3);
    const s = new Redis({ host: '127.0.0.1', port: Number(sentinels[2]!.split(':')[1]) });
    try {
      expect(await s.call('SENTINEL', 'get-master-addr-by-name', svc.env.REDIS_MASTER_NAME!)).toEqual(['127.0.0.1', svc.env.REDIS_MASTER_PORT]);
    } finally {
      s.disconnect();
    }
  } finally {
    const pids = svc.pids();
    await svc.stop();
    expect(pids.filter((p) => !gone(p))).toEqual([]);
    for (let p = svc.port; p < svc.port + 5; p++) expect(await refused(p)).toBe(true);
  }
});

test('redis-cluster: three masters share the 16384 slots; stop ends all three', async () => {
  const svc = await startService('redis-cluster');
  try {
    expect(svc.pids()).toHaveLength(3);
    const nodes = svc.env.REDIS_CLUSTER_NODES!.split(',').map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) }));
    const c = new Cluster(nodes);
    try {
      await c.set('{a}x', '1');
      expect(await c.get('{a}x')).toBe('1');
      expect(c.nodes('master')).toHaveLength(3);
      const info = (await c.call('CLUSTER', 'INFO')) as string;
      expect(info).toMatch(/cluster_state:ok/);
      expect(info).toMatch(/cluster_slots_assigned:16384/);
    } finally {
      c.disconnect();
    }
  } finally {
    const pids = svc.pids();
    await svc.stop();
    expect(pids.filter((p) => !gone(p))).toEqual([]);
    for (let p = svc.port; p < svc.port + 6; p++) expect(await refused(p)).toBe(true);
  }
});
