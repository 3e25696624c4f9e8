// The kernel's own emqx_ctl commands, with EMQX 4.3's output strings (reference §2.5, §5).
import { PluginError } from '../plugins/errors.js';
import { CtlFailure } from './registry.js';
import { uptime, datetime } from '../modules/sys.js';
import type { QoS } from '@nemq/codec';
import type { LogLevel } from '../logger.js';
import type { CtlPort, PluginListing } from '../ports.js';
import { registerBannedCommand } from './banned.js';
import { subscribeFor, unsubscribeFor } from '../admin/subscribe.js';

const OWNER = 'emqx';

function table(rows: Record<string, number | string>): string {
  return Object.keys(rows).sort().map((k) => `${k.padEnd(30)}: ${rows[k]}`).join('\n') + '\n';
}

/** EMQX's `Plugin(name, description=..., active=...)`, then the running version, the installed one when it differs, and tap errors */
function pluginLine(p: PluginListing): string {
  let line = `Plugin(${p.name}, description=${p.description}, active=${p.active}, version=${p.version}`;
  if (p.installed !== undefined) line += `, installed=${p.installed}`;
  if (p.tapErrors.size > 0) line += `, tap_errors=${[...p.tapErrors].map(([point, n]) => `${point}:${n}`).join(';')}`;
  return line + ')';
}

/** `hooks.tap_errors` and `hooks.tap_errors.<plugin>.<hook point>` for broker metrics */
function tapErrorMetrics(errors: ReadonlyMap<string, ReadonlyMap<string, number>>): Record<string, number> {
  const out: Record<string, number> = { 'hooks.tap_errors': 0 };
  for (const [owner, byPoint] of errors) {
    for (const [point, n] of byPoint) {
      out[`hooks.tap_errors.${owner}.${point}`] = n;
      out['hooks.tap_errors']! += n;
    }
  }
  return out;
}

export function registerKernelCommands(node: CtlPort): void {
  const ctl = node.ctl;

  ctl.register(OWNER, 'status', [['status', 'Show broker status']], () => `Node '${node.nodeName}' ${node.version} is started\n`);

  ctl.register(OWNER, 'broker', [['broker', 'Show broker version, uptime and description'], ['broker stats', 'Show broker statistics of clients, topics, subscribers'], ['broker metrics', 'Show broker metrics']], (args) => {
    if (args[0] === 'stats') return table(node.statsSnapshot());
    if (args[0] === 'metrics') return table({ ...node.metrics.snapshot(), ...tapErrorMetrics(node.registry.errors) });
    if (args.length > 0) return ctl.usage('broker');
    return [
      `sysdescr  : EMQ X Broker (nemq)`,
      `version   : ${node.version}`,
      `uptime    : ${uptime(Date.now() - node.startedAt)}`,
      `datetime  : ${datetime(new Date())}`,
    ].join('\n') + '\n';
  });

  ctl.register(OWNER, 'plugins', [['plugins list', 'Show loaded plugins'], ['plugins load <Plugin>', 'Load plugin'], ['plugins unload <Plugin>', 'Unload plugin'], ['plugins reload <Plugin>', 'Reload plugin']], async (args) => {
    const pm = node.plugins;
    const [sub, name] = args;
    if (!pm) return 'Plugins are not enabled on this node.\n';
    if (sub === 'list' && args.length === 1) {
      return pm.list().map(pluginLine).join('\n') + '\n';
    }
    if (name === undefined || args.length !== 2) return ctl.usage('plugins');
    try {
      if (sub === 'load') {
        await pm.load(name);
        return `Plugin ${name} loaded successfully.\n`;
      }
      if (sub === 'unload') {
        await pm.unload(name);
        return `Plugin ${name} unloaded successfully.\n`;
      }
      if (sub === 'reload') {
        await pm.reload(name);
        return `Plugin ${name} reloaded successfully.\n`;
      }
    } catch (err) {
      if (!(err instanceof PluginError)) throw err;
      if (err.code === 'cannot_unload') return `Plugin ${name} can not be unloaded.\n`;
      const verb = sub === 'load' ? 'Load' : sub === 'unload' ? 'Unload' : 'Reload';
      const what = err.code === 'not_found' && sub === 'reload' ? "The plugin doesn't exist." : err.code;
      node.logger.warning(err.message);
      throw new CtlFailure(`${verb} plugin ${name} error: ${what}${what.endsWith('.') ? '' : '.'}\n${err.message}\n`);
    }
    return ctl.usage('plugins');
  });

  ctl.register(OWNER, 'clients', [['clients list', 'List all clients'], ['clients show <ClientId>', 'Show a client'], ['clients kick <ClientId>', 'Kick out a client']], async (args) => {
    const [sub, id] = args;
    const line = (clientid: string): string | undefined => {
      const s = node.cm.sessions.get(clientid);
      const ch = node.cm.channels.get(clientid);
      if (!s && !ch) return undefined;
      const ci = ch?.clientinfo;
      const conn = ch?.conninfo;
      const fields = [
        `username=${ci?.username ?? 'undefined'}`,
        `peername=${conn?.peername ?? 'undefined'}`,
        `clean_start=${conn?.clean_start ?? false}`,
        `keepalive=${ch?.keepalive ?? 0}`,
        `session_expiry_interval=${s?.expiryInterval ?? 0}`,
        `subscriptions=${s?.subscriptions.size ?? 0}`,
        `inflight=${s?.inflight.size ?? 0}`,
        `awaiting_rel=${s?.awaitingRel.size ?? 0}`,
        `delivered_msgs=${s?.delivered ?? 0}`,
        `enqueued_msgs=${s?.mqueue.length ?? 0}`,
        `dropped_msgs=${s?.mqueue.dropped ?? 0}`,
        `connected=${ch?.connected ?? false}`,
        `created_at=${s?.createdAt ?? 0}`,
        `connected_at=${conn?.connected_at ?? 0}`,
      ];
      if (conn?.disconnected_at) fields.push(`disconnected_at=${conn.disconnected_at}`);
      return `Client(${clientid}, ${fields.join(', ')})`;
    };
    if (sub === 'list' && args.length === 1) {
      const ids = new Set([...node.cm.channels.keys(), ...node.cm.sessions.keys()]);
      return [...ids].map((i) => line(i)).filter(Boolean).join('\n') + (ids.size ? '\n' : '');
    }
    if (sub === 'show' && id !== undefined) return (line(id) ?? 'Not Found.') + '\n';
    // list and show are this node's (EMQX); kick reaches the node holding the client
    if (sub === 'kick' && id !== undefined) return node.cm.kick(id) || (await node.kickRemote?.(id)) ? 'ok\n' : 'Not Found.\n';
    return ctl.usage('clients');
  });

  ctl.register(OWNER, 'subscriptions', [['subscriptions list', 'List all subscriptions'], ['subscriptions show <ClientId>', 'Show subscriptions of a client'], ['subscriptions add <ClientId> <Topic> <QoS>', 'Add a static subscription manually'], ['subscriptions del <ClientId> <Topic>', 'Delete a static subscription manually']], (args) => {
    const [sub, id, topic, qos] = args;
    const show = (clientid: string): string[] => {
      const s = node.cm.sessions.get(clientid);
      return s ? [...s.subscriptions.entries()].map(([t, x]) => `${clientid} -> ${t}:${x.opts.qos}`) : [];
    };
    if (sub === 'list' && args.length === 1) {
      const lines = [...node.cm.sessions.keys()].flatMap(show);
      return lines.join('\n') + (lines.length ? '\n' : '');
    }
    if (sub === 'show' && id !== undefined) {
      const lines = show(id);
      return lines.length ? lines.join('\n') + '\n' : 'Not Found.\n';
    }
    if (sub === 'add' && id !== undefined && topic !== undefined && qos !== undefined) {
      if (!['0', '1', '2'].includes(qos)) return 'QoS should be 0, 1, 2\n';
      const r = subscribeFor(node, id, topic, { qos: Number(qos) as QoS });
      return r === 'ok' ? 'ok\n' : r === 'no_session' ? 'Not Found.\n' : 'Error: bad topic filter\n';
    }
    if (sub === 'del' && id !== undefined && topic !== undefined) return unsubscribeFor(node, id, topic) ? 'ok\n' : 'Not Found.\n';
    return ctl.usage('subscriptions');
  });

  ctl.register(OWNER, 'routes', [['routes list', 'List all routes'], ['routes show <Topic>', 'Show a route']], (args) => {
    const [sub, topic] = args;
    // cluster-wide: the route table's rows, one per filter and node
    const rows = node.broker.router.rows(node.nodeName);
    if (sub === 'list' && args.length === 1) return rows.map(([t, n]) => `${t} -> ${n}`).join('\n') + (rows.length ? '\n' : '');
    if (sub === 'show' && topic !== undefined) {
      const hit = rows.filter(([t]) => t === topic);
      return hit.length ? hit.map(([t, n]) => `${t} -> ${n}`).join('\n') + '\n' : 'Not Found.\n';
    }
    return ctl.usage('routes');
  });

  ctl.register(OWNER, 'listeners', [['listeners', 'List listeners'], ['listeners stop <Identifier>', 'Stop a listener'], ['listeners restart <Identifier>', 'Restart a listener']], async (args) => {
    if (args.length === 0) {
      return node.listeners.map((l) => [
        l.identifier,
        `  listen_on       : ${l.address}`,
        `  acceptors       : 1`,
        `  max_conns       : ${l.spec.maxConnections}`,
        `  current_conn    : ${l.connections.size}`,
        `  shutdown_count  : []`,
      ].join('\n')).join('\n') + '\n';
    }
    const [sub, id] = args;
    const l = node.listeners.find((x) => x.identifier === id);
    if ((sub === 'stop' || sub === 'restart') && id !== undefined) {
      if (!l) return `Failed to ${sub} ${id} listener: not_found\n`;
      if (sub === 'stop') {
        const addr = l.address;
        await l.stop();
        return `Stop ${id} listener on ${addr} successfully.\n`;
      }
      await l.stop().catch(() => undefined);
      await l.start();
      return `Restarted ${id} listener successfully.\n`;
    }
    return ctl.usage('listeners');
  });

  ctl.register(OWNER, 'log', [['log set-level <Level>', 'Set the overall log level'], ['log primary-level', 'Show the primary log level now'], ['log primary-level <Level>', 'Set the primary log level']], (args) => {
    const levels = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
    const [sub, level] = args;
    if (sub === 'primary-level' && level === undefined) return `${node.logger.level}\n`;
    if ((sub === 'set-level' || sub === 'primary-level') && level !== undefined) {
      if (!levels.includes(level)) return `Invalid level: ${level}\n`;
      node.logger.level = level as LogLevel;
      return `${level}\n`;
    }
    return ctl.usage('log');
  });

  registerBannedCommand(OWNER, node);
}
