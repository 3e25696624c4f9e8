// `emqx_ctl cluster join|leave|force-leave|status` with EMQX 4.3's output (emqx_mgmt_cli).
import type { CtlRegistry } from '../ctl/registry.js';
import type { ClusterNode, ClusterView } from './cluster.js';

/** Erlang's `~p` of an atom list, wrapped as io_lib_pretty does at 80 columns from `col` */
function atoms(list: string[], col: number): string {
  const one = `[${list.map((n) => `'${n}'`).join(',')}]`;
  if (col + one.length <= 80) return one;
  return '[' + list.map((n) => `'${n}'`).join(',\n' + ' '.repeat(col + 1)) + ']';
}

/** `Cluster status: #{running_nodes => [...],stopped_nodes => [...]}`, wrapped as EMQX prints it */
export function statusLine(v: ClusterView): string {
  const prefix = 'Cluster status: ';
  const one = `${prefix}#{running_nodes => ${atoms(v.running, 0)},stopped_nodes => ${atoms(v.stopped, 0)}}`;
  if (one.length <= 80 && !one.includes('\n')) return one + '\n';
  const key = (name: string, list: string[], last: boolean): string => {
    const inline = `${name} => ${atoms(list, 0)}`;
    const end = last ? '}' : ',';
    if (18 + inline.length + 1 <= 80 && !inline.includes('\n')) return inline + end;
    return `${name} =>\n${' '.repeat(22)}${atoms(list, 22)}${end}`;
  };
  return `${prefix}#{${key('running_nodes', v.running, false)}\n${' '.repeat(18)}${key('stopped_nodes', v.stopped, true)}\n`;
}

export function registerClusterCommand(ctl: CtlRegistry, self: string, cluster: ClusterNode | undefined): void {
  const status = async (): Promise<string> => statusLine(cluster ? await cluster.view() : { running: [self], stopped: [] });
  ctl.register('emqx', 'cluster', [
    ['cluster join <Node>', 'Join the cluster'],
    ['cluster leave', 'Leave the cluster'],
    ['cluster force-leave <Node>', 'Force the node leave from cluster'],
    ['cluster status', 'Cluster status'],
  ], async (args) => {
    const [sub, arg] = args;
    if (sub === 'status' && args.length === 1) return status();
    if (sub === 'join' && arg !== undefined && args.length === 2) {
      if (arg === self) return 'Ignore.\n';
      // no cluster.redis.server: there is no cluster to reach the node through
      if (!cluster) return `Failed to join the cluster: {node_down,'${arg}'}\n`;
      const r = await cluster.join(arg);
      if (r.ok) return 'Join the cluster successfully.\n' + (await status());
      return r.reason === 'ignore' ? 'Ignore.\n' : `Failed to join the cluster: ${r.reason}\n`;
    }
    if (sub === 'leave' && args.length === 1) {
      const r = cluster ? await cluster.leave() : { ok: false as const, reason: 'node_not_in_cluster' };
      if (r.ok) return 'Leave the cluster successfully.\n' + (await status());
      return `Failed to leave the cluster: ${r.reason}\n`;
    }
    if (sub === 'force-leave' && arg !== undefined && args.length === 2) {
      if (arg === self) return 'Ignore.\n';
      const r = cluster ? await cluster.forceLeave(arg) : { ok: false as const, reason: 'node_not_in_cluster' };
      if (r.ok) return 'Remove the node from cluster successfully.\n' + (await status());
      return r.reason === 'ignore' ? 'Ignore.\n' : `Failed to remove the node from cluster: ${r.reason}\n`;
    }
    return ctl.usage('cluster');
  });
}
