// Cluster nodes for the suites: separate `bin/emqx foreground` processes with the shipped etc/,
// each on its own free ports and data dir, joined through one real redis-server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnNode, waitFor, type NodeProcess } from '../integration/helpers';

export interface ClusterProc extends NodeProcess {
  name: string;
  url: string;
  rpcPort: number;
  dir: string;
  /** SIGKILL, resolves once the process is gone */
  kill(): Promise<void>;
}

/** fast failure detection for tests: 200 ms heartbeats, down after 1 s */
export async function startNode(name: string, redis: string, extra: Record<string, string> = {}): Promise<ClusterProc> {
  const dir = mkdtempSync(join(tmpdir(), 'nemq-cluster-'));
  const rpcPort = await freePort();
  const node = await spawnNode({
    EMQX_NODE__NAME: name,
    EMQX_NODE__DATA_DIR: dir,
    EMQX_CLUSTER__REDIS__SERVER: redis,
    EMQX_CLUSTER__REDIS__HEARTBEAT: '200ms',
    EMQX_CLUSTER__REDIS__NODE_TIMEOUT: '1s',
    EMQX_RPC__PORT_DISCOVERY: 'manual',
    EMQX_RPC__TCP_SERVER_PORT: String(rpcPort),
    EMQX_LOG__LEVEL: 'info',
    ...extra,
  });
  const exited = new Promise<void>((r) => node.child.once('exit', () => r()));
  return Object.assign(node, {
    name,
    url: `mqtt://127.0.0.1:${node.ports.tcp}`,
    rpcPort,
    dir,
    kill: async () => {
      if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
      await exited;
    },
  });
}

export async function stopNodes(nodes: ClusterProc[]): Promise<void> {
  // CLUSTER_DEBUG=1: every node's log on stdout
  if (process.env.CLUSTER_DEBUG) for (const n of nodes) process.stdout.write(`---- ${n.name}\n${n.output()}\n`);
  await Promise.all(nodes.map(async (n) => {
    await n.stop();
    rmSync(n.dir, { recursive: true, force: true });
  }));
}

/** until `node`'s route table has `filter -> owner` (routes replicate asynchronously, as EMQX's) */
export async function waitRoute(node: ClusterProc, filter: string, owner: string, present = true, ms = 5000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const out = await node.ctl('routes', 'show', filter);
    if (out.includes(`${filter} -> ${owner}`) === present) return;
    if (Date.now() - t0 > ms) throw new Error(`route ${filter} -> ${owner} ${present ? 'missing' : 'still there'} on ${node.name}: ${out}`);
  }
}

/** until `cluster status` on `node` says so */
export async function waitStatus(node: ClusterProc, running: string[], stopped: string[], ms = 8000): Promise<string> {
  const t0 = Date.now();
  const want = (list: string[]): string => `[${list.map((n) => `'${n}'`).join(',')}]`;
  for (;;) {
    const out = (await node.ctl('cluster', 'status')).replace(/\s+/g, '');
    if (out.includes(`running_nodes=>${want(running)}`) && out.includes(`stopped_nodes=>${want(stopped)}`)) return out;
    if (Date.now() - t0 > ms) throw new Error(`cluster status on ${node.name}: ${out}`);
  }
}

export { waitFor };
