// This node's answers to the admin operations (sdk admin.ts). Remote nodes run the same table
// behind the cluster link's `admin` call.
import * as os from 'node:os';
import { readFileSync } from 'node:fs';
import type { AdminOp, AdminOps, NodeInfo } from '@nemq/sdk';
import { PluginError } from '../plugins/errors.js';
import { datetime, uptime } from '../modules/sys.js';
import type { AdminPort } from '../ports.js';
import { clientRow, listClients, listSubscriptions } from './clients.js';
import { subscribeFor, unsubscribeFor } from './subscribe.js';

export type OpTable = { [K in AdminOp]: (args: AdminOps[K][0]) => AdminOps[K][1] | Promise<AdminOps[K][1]> };

function maxFds(): number {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU use of this process in % of one core since the previous call */
function cpuMeter(): () => number {
  let last = process.cpuUsage();
  let at = process.hrtime.bigint();
  return () => {
    const now = process.hrtime.bigint();
    const cur = process.cpuUsage();
    const us = cur.user - last.user + cur.system - last.system;
    const wall = Number(now - at) / 1000;
    last = cur;
    at = now;
    return wall > 0 ? Math.round((us / wall) * 1000) / 10 : 0;
  };
}

export function localOps(node: AdminPort): OpTable {
  const fds = maxFds();
  const cpu = cpuMeter();
  return {
    node_info: (): NodeInfo => {
      const [l1, l5, l15] = os.loadavg();
      let conns = 0;
      for (const l of node.listeners) conns += l.connections.size;
      return {
        node: node.nodeName,
        node_status: 'Running',
        otp_release: `Node.js ${process.versions.node}`,
        version: node.version,
        uptime: uptime(Date.now() - node.startedAt),
        datetime: datetime(new Date()),
        sysdescr: 'EMQ X Broker (nemq)',
        connections: conns,
        load1: Math.round(l1! * 100) / 100,
        load5: Math.round(l5! * 100) / 100,
        load15: Math.round(l15! * 100) / 100,
        memory_total: os.totalmem(),
        memory_used: process.memoryUsage.rss(),
        // one Erlang process per connection in EMQX; here a channel per connection
        process_available: 2097152,
        process_used: node.cm.channels.size,
        max_fds: fds,
        cpu_use: cpu(),
      };
    },
    metrics: () => node.metrics.snapshot(),
    stats: () => node.statsSnapshot(),
    clients: (q) => listClients(node, q),
    client: ({ clientid }) => clientRow(node, clientid),
    kick: ({ clientid }) => node.cm.kick(clientid),
    acl_cache: ({ clientid }) => {
      const ch = node.cm.channels.get(clientid);
      if (!ch) return null;
      return (ch.aclCache?.list() ?? []).map((e) => ({ access: e.action, topic: e.topic, result: e.result, updated_time: e.at }));
    },
    clean_acl_cache: ({ clientid }) => {
      if (clientid === undefined) {
        for (const ch of node.cm.channels.values()) ch.aclCache?.clear();
        return true;
      }
      const ch = node.cm.channels.get(clientid);
      if (!ch) return false;
      ch.aclCache?.clear();
      return true;
    },
    subscriptions: (q) => listSubscriptions(node, q),
    // the API's subscribe and unsubscribe are for connected clients (EMQX: channel_not_found)
    subscribe: ({ clientid, topic, qos, nl, rap, rh }) =>
      node.cm.channels.get(clientid)?.connected === true && subscribeFor(node, clientid, topic, { qos, nl, rap, rh }) === 'ok',
    unsubscribe: ({ clientid, topic }) => {
      if (!node.cm.channels.get(clientid)?.connected) return false;
      unsubscribeFor(node, clientid, topic);
      return true;
    },
    routes: ({ topic }) => node.broker.router.rows(node.nodeName).filter(([t]) => topic === undefined || t === topic).map(([t, n]) => ({ topic: t, node: n })),
    banned: () => node.banned.list().map((b) => ({ who: b.who, as: b.as, reason: b.reason, by: b.by, at: b.at, until: b.until })),
    ban: (b) => {
      node.banned.add({ who: b.who, as: b.as, reason: b.reason, by: b.by, at: b.at, until: b.until });
      return true;
    },
    unban: ({ as, who }) => node.banned.delete(as, who),
    plugins: () => (node.plugins?.list() ?? []).map((p) => ({ name: p.name, description: p.description, active: p.active, type: p.type, version: p.version })),
    plugin: async ({ name, action }) => {
      const pm = node.plugins;
      if (!pm) return { error: 'plugins are not enabled' };
      try {
        await pm[action](name);
        return true;
      } catch (err) {
        if (err instanceof PluginError) {
          node.logger.warning(err.message);
          return { error: err.code };
        }
        throw err;
      }
    },
    listeners: () => node.listeners.map((l) => ({
      protocol: `mqtt:${l.spec.proto}`,
      listen_on: l.address,
      identifier: l.identifier,
      acceptors: 1,
      max_conns: l.spec.maxConnections,
      current_conns: l.connections.size,
      shutdown_count: [],
    })),
    listener: async ({ identifier, action }) => {
      const l = node.listeners.find((x) => x.identifier === identifier);
      if (!l) return { error: 'not_found' };
      await l.stop().catch(() => undefined);
      if (action === 'restart') await l.start();
      return true;
    },
    alarms: ({ activated }) => node.alarms.list(activated),
    alarm_deactivate: ({ name }) => node.alarms.deactivate(name),
    alarms_clear: () => node.alarms.clearHistory(),
    traces: () => node.tracer.list().map((t) => ({ ...t, type: t.type === 'clientid' ? 'client' : 'topic' })),
    trace_start: ({ type, name, file, level }) => {
      if ((type !== 'client' && type !== 'topic') || typeof name !== 'string' || typeof file !== 'string' || (level !== undefined && typeof level !== 'string')) return { error: 'bad_arguments' };
      const err = node.tracer.start(type === 'client' ? 'clientid' : 'topic', name, level ?? 'debug', file);
      return err === undefined ? true : { error: err };
    },
    trace_stop: async ({ type, name }) => {
      if ((type !== 'client' && type !== 'topic') || typeof name !== 'string') return { error: 'bad_arguments' };
      const err = await node.tracer.stop(type === 'client' ? 'clientid' : 'topic', name);
      return err === undefined ? true : { error: err };
    },
  };
}
