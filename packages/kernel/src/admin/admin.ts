// ctx.admin: an operation runs here, or on a peer through the cluster link (`admin` call).
import type { AdminApi, AdminOp, AdminOps } from '@nemq/sdk';
import type { OpTable } from './ops.js';

export interface AdminCluster {
  readonly member: boolean;
  runningNodes(): string[];
  stoppedNodes(): string[];
  callPeer(node: string, op: string, args: unknown): Promise<unknown>;
}

export function adminApi(self: string, ops: OpTable, cluster: () => AdminCluster | undefined): AdminApi {
  return {
    nodes() {
      const c = cluster();
      if (!c?.member) return { running: [self], stopped: [] };
      const others = c.runningNodes().filter((n) => n !== self).sort();
      return { running: [self, ...others], stopped: c.stoppedNodes() };
    },
    async call<K extends AdminOp>(node: string, op: K, args: AdminOps[K][0]): Promise<AdminOps[K][1]> {
      if (node === self) return (ops[op] as (a: AdminOps[K][0]) => AdminOps[K][1])(args);
      const c = cluster();
      if (!c?.member) throw new Error(`node ${node} is not running`);
      return (await c.callPeer(node, 'admin', { op, args })) as AdminOps[K][1];
    },
  };
}

/** the peer side of the `admin` call */
export function serveAdmin(ops: OpTable): (args: Record<string, unknown>) => unknown {
  return (a) => {
    const fn = ops[a.op as AdminOp] as ((x: unknown) => unknown) | undefined;
    if (!fn) throw new Error(`unknown admin op ${String(a.op)}`);
    return fn(a.args ?? {});
  };
}
