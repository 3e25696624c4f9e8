// The context a plugin gets: everything it does goes through it, so unload can take back every
// tap, ctl command and subscription it made, then run its disposers.
import type { ConfValues, Handover, Message as PluginMessage, Plugin, PluginContext } from '@nemq/sdk';
import type { PluginHost } from '../ports.js';
import type { Subscription, Subscriber } from '../router/router.js';
import type { Message } from '../types.js';
import type { InstalledPlugin } from './discover.js';

/** one running plugin instance */
export interface Loaded {
  info: InstalledPlugin;
  plugin: Plugin;
  config: ConfValues;
  abort: AbortController;
  disposers: Array<() => void | Promise<void>>;
  subs: Set<Subscription>;
}

export function createContext(node: PluginHost, rec: Loaded, dataDir: string, handover: Handover<unknown> | undefined): PluginContext {
  const name = rec.info.manifest.name;
  const prefix = `[${name}] `;
  const logger = {
    debug: (m: string) => node.logger.debug(prefix + m),
    info: (m: string) => node.logger.info(prefix + m),
    warning: (m: string) => node.logger.warning(prefix + m),
    error: (m: string) => node.logger.error(prefix + m),
  };
  const live = (): void => {
    if (rec.abort.signal.aborted) throw new Error(`plugin ${name} is unloaded`);
  };
  return {
    name,
    version: rec.info.version,
    handover,
    config: rec.config,
    logger,
    signal: rec.abort.signal,
    dataDir,
    hooks: {
      tap: (point, fn, options) => {
        live();
        node.registry.tap(name, point, fn, options ?? {});
      },
    },
    broker: {
      nodeName: node.nodeName,
      version: node.version,
      publish: (topic, payload, o = {}) =>
        node.publish(topic, payload, { ...o, from: o.from ?? name, properties: o.properties as Message['properties'] }),
      subscribe: (filter, onMessage, o = {}) => {
        live();
        const subscriber = new PluginSubscriber(`$plugin/${name}`, onMessage, logger);
        const sub = node.subscriptions.addLocal(subscriber, filter, { qos: o.qos ?? 0, nl: 0, rap: 1, rh: 0 });
        rec.subs.add(sub);
        return () => {
          if (rec.subs.delete(sub)) node.subscriptions.removeLocal(sub);
        };
      },
      deliverTo: (clientid, filter, msg) => node.deliverTo(clientid, filter, msg as Message),
      metrics: () => node.metrics.snapshot(),
      stats: () => node.statsSnapshot(),
      setStat: (stat, value) => node.stats.set(stat, value),
    },
    cluster: {
      nodes: () => node.tables.nodes(),
      stoppedNodes: () => node.tables.stoppedNodes(),
      table: (tname, handler) => {
        live();
        return node.tables.table(name, tname, handler);
      },
    },
    admin: node.admin,
    apiRoutes: node.apiRoutes,
    api: (route, handler) => {
      live();
      node.apiRoutes.add(name, route, handler);
    },
    ctl: (command, usage, handler) => {
      live();
      node.ctl.register(name, command, usage, handler);
    },
    onDispose: (fn) => {
      rec.disposers.push(fn);
    },
    backendError: (kind, reason) => {
      node.metrics[kind === 'auth' ? 'client.auth.backend_error' : 'client.acl.backend_error']++;
      logger.warning(`${kind} backend error: ${reason}`);
    },
  };
}

/** a plugin's local subscription: gets the message object itself, not a frame */
class PluginSubscriber implements Subscriber {
  readonly available = true;
  constructor(readonly clientid: string, private readonly fn: (m: PluginMessage) => void, private readonly logger: { error(m: string): void }) {}
  deliver(msg: Message): void {
    try {
      this.fn(msg);
    } catch (err) {
      this.logger.error(`subscription handler failed: ${(err as Error).message}`);
    }
  }
}
