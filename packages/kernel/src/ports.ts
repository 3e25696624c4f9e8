// What the node's consumers may use of it, and nothing more: emqx_ctl's kernel
// commands (CtlPort) and the plugin host (PluginHost). BrokerNode implements
// both; neither consumer imports node.ts.
import type { QoS } from '@nemq/codec';
import type { Subscriptions } from './broker/subscriptions.js';
import type { ChannelManager } from './cm/cm.js';
import type { CtlRegistry } from './ctl/registry.js';
import type { HookRegistry } from './hooks/registry.js';
import type { Listener } from './listener/listeners.js';
import type { Logger } from './logger.js';
import type { Metrics, Stats } from './metrics/metrics.js';
import type { Router } from './router/router.js';
import type { Message } from './types.js';
import type { Banned } from './access/banned.js';
import type { AdminApi, ClusterTable, ClusterTableHandler } from '@nemq/sdk';
import type { Alarms } from './admin/alarms.js';
import type { ApiRegistry } from './admin/routes.js';
import type { Zone } from './zone.js';
import type { Tracer } from './trace/tracer.js';

/** one row of `emqx_ctl plugins list` */
export interface PluginListing {
  name: string;
  description: string;
  type: string;
  /** the running version when active, else the installed one */
  version: string;
  /** set when the package on disk is another version than the running one */
  installed: string | undefined;
  active: boolean;
  /** errors thrown by the plugin's taps, by hook point */
  tapErrors: ReadonlyMap<string, number>;
}

/** `emqx_ctl plugins ...`: the plugin host seen from the command line */
export interface PluginControl {
  list(): PluginListing[];
  load(name: string): Promise<void>;
  unload(name: string): Promise<void>;
  reload(name: string): Promise<void>;
}

/** ctl/commands.ts: status, broker, plugins, clients, subscriptions, routes, listeners, log, banned */
export interface CtlPort {
  readonly nodeName: string;
  readonly version: string;
  readonly startedAt: number;
  readonly ctl: CtlRegistry;
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'snapshot'>;
  /** tap errors per plugin and hook point, for broker metrics */
  readonly registry: Pick<HookRegistry, 'errors'>;
  statsSnapshot(): Record<string, number>;
  readonly cm: Pick<ChannelManager, 'sessions' | 'channels' | 'kick'>;
  readonly broker: { readonly router: Pick<Router, 'rows'> };
  /** `clients kick` of a client on another cluster node */
  kickRemote?(clientid: string): Promise<boolean>;
  readonly subscriptions: Pick<Subscriptions, 'subscribe' | 'unsubscribe'>;
  readonly listeners: ReadonlyArray<Pick<Listener, 'spec' | 'identifier' | 'address' | 'connections' | 'start' | 'stop'>>;
  /** undefined when plugins are off */
  readonly plugins: PluginControl | undefined;
  /** `banned add|del|list` */
  readonly banned: Pick<Banned, 'add' | 'delete' | 'list'>;
}

/** admin/ops.ts: what the management operations read and change */
export interface AdminPort extends CtlPort {
  readonly alarms: Alarms;
  readonly tracer: Pick<Tracer, 'list' | 'start' | 'stop'>;
  zone(name: string): Zone;
}

/** the cluster's tables as the plugin host offers them */
export interface PluginTables {
  nodes(): string[];
  stoppedNodes(): string[];
  table(owner: string, name: string, handler: ClusterTableHandler): ClusterTable;
  /** drops the plugin's handlers (unload) */
  removeOwner(owner: string): void;
}

/** plugins/manager.ts: what a plugin's context is built from */
export interface PluginHost {
  readonly nodeName: string;
  readonly version: string;
  /** checked against a manifest's `broker` range */
  readonly kernelVersion: string;
  readonly logger: Logger;
  readonly registry: Pick<HookRegistry, 'tap' | 'removeOwner' | 'inflightCalls' | 'errorCounts'>;
  readonly ctl: Pick<CtlRegistry, 'register' | 'removeOwner'>;
  readonly subscriptions: Pick<Subscriptions, 'addLocal' | 'removeLocal'>;
  readonly metrics: Pick<Metrics, 'snapshot' | 'client.auth.backend_error' | 'client.acl.backend_error'>;
  readonly stats: Pick<Stats, 'set'>;
  statsSnapshot(): Record<string, number>;
  publish(topic: string, payload: Buffer | string, opts?: { qos?: QoS; retain?: boolean; from?: string; properties?: Message['properties'] }): number;
  deliverTo(clientid: string, topic: string, msg: Message): void;
  /** replicated tables for plugins (cluster/tables.ts); one node: no-op tables */
  readonly tables: PluginTables;
  /** HTTP API v4 routes plugins add (admin/routes.ts) */
  readonly apiRoutes: ApiRegistry;
  /** ctx.admin (admin/admin.ts) */
  readonly admin: AdminApi;
  /** expires every connection's ACL cache (a plugin came or went: its verdicts may no longer hold) */
  drainAclCaches(): void;
}
