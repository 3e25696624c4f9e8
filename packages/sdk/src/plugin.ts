// What a plugin is and what the kernel gives it. A plugin is a package whose package.json has an
// "emqxPlugin" manifest and whose main module exports a Plugin made with definePlugin(). The
// kernel reads etc/plugins/<name>.conf, checks it against the schema and calls start(ctx);
// unload takes back everything the plugin made through ctx (taps, ctl commands, subscriptions)
// and runs its disposers.
import type { ConfSchema, ConfValues, ConfValuesOf } from './conf.js';
import type { Message, MessageProperties, QoS } from './data.js';
import type { Hooks } from './hooks.js';
import type { ApiHandler, ApiRoute } from './api.js';
import type { AdminApi } from './admin.js';

export type PluginType = 'auth' | 'bridge' | 'backend' | 'protocol' | 'feature';

/** `package.json` → `"emqxPlugin"`; read without importing the plugin. */
export interface PluginManifest {
  /** = conf file name = tap owner = ctl namespace, e.g. `emqx_auth_mysql` */
  readonly name: string;
  readonly description: string;
  readonly type: PluginType;
  /** semver range of the kernel (@nemq/kernel) the plugin supports, e.g. `^0.1.0` */
  readonly broker: string;
  /** plugins that must be loaded first */
  readonly dependencies?: readonly string[];
}

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** publisher id seen by hooks and no-local; default: the plugin name */
  from?: string;
  properties?: MessageProperties;
}

export interface BrokerApi {
  readonly nodeName: string;
  /** the EMQX version the node behaves as */
  readonly version: string;
  /** routes a message; returns how many subscriptions it reached */
  publish(topic: string, payload: Buffer | string, opts?: PublishOptions): number;
  /** a local subscription owned by the plugin; returns a function that removes it */
  subscribe(filter: string, onMessage: (msg: Message) => void, opts?: { qos?: QoS }): () => void;
  /** delivers `msg` to the subscription `filter` of `clientid`, named as session.subscribed names it (retained messages) */
  deliverTo(clientid: string, filter: string, msg: Message): void;
  /** counters (EMQX metric names) */
  metrics(): Record<string, number>;
  /** gauges (EMQX stat names: connections.count, routes.count, …), as `broker stats` prints them */
  stats(): Record<string, number>;
  /** sets a gauge shown in `broker stats` and `$SYS/.../stats` (e.g. `retained.count`) */
  setStat(name: string, value: number): void;
}

/**
 * A table every cluster node keeps a whole copy of (EMQX's replicated Mnesia tables:
 * retained messages, users, rules). In a cluster the rows live in its Redis and each change
 * reaches every node; on one node the table is the plugin's own data and set/delete do nothing.
 */
export interface ClusterTableHandler {
  /** another node changed a row (value undefined: deleted) */
  changed(key: string, value: string | undefined): void;
  /** this node joined a cluster (or Redis came back): every row, ours merged in */
  loaded(rows: ReadonlyMap<string, string>): void;
  /** our rows, merged into the cluster's table when joining (a row the cluster has wins) */
  rows(): Iterable<readonly [string, string]>;
}

export interface ClusterTable {
  set(key: string, value: string): void;
  delete(key: string): void;
}

export interface ClusterApi {
  /** the running nodes, this one included (just this one without a cluster) */
  nodes(): string[];
  /** members that are down (stopped or crashed), as `cluster status` lists them */
  stoppedNodes(): string[];
  /** the table `name` shared by every node; the handler is dropped on unload */
  table(name: string, handler: ClusterTableHandler): ClusterTable;
}

/** the node's HTTP API route table, as the serving plugins see it */
export interface ApiRoutes {
  /** the route for a method and path under `/api/v4` */
  match(method: string, path: string, listener: 'management' | 'dashboard'): { route: ApiRoute; handler: ApiHandler; params: Record<string, string> } | undefined;
  /** every route a listener serves (`GET /api/v4/`) */
  list(listener: 'management' | 'dashboard'): ApiRoute[];
}

/** `emqx_ctl <command> ...args`; returns the text to print, or undefined to print the usage. */
export type CtlHandler = (args: string[]) => string | undefined | Promise<string | undefined>;
export type CtlUsage = ReadonlyArray<readonly [synopsis: string, description: string]>;

/** Why stop() runs. `upgrade`: a reload replaces this instance; what stop returns goes to the new one. */
export type StopReason = 'unload' | 'shutdown' | 'upgrade';

/** What the previous instance's stop('upgrade') returned, and that instance's package version. */
export interface Handover<H> {
  readonly version: string;
  readonly state: H;
}

export interface PluginContext<C = ConfValues, H = unknown> {
  readonly name: string;
  /** this plugin's package version */
  readonly version: string;
  readonly config: C;
  readonly logger: Logger;
  readonly hooks: Hooks;
  readonly broker: BrokerApi;
  /** the cluster this node is in, if any (tables every node shares) */
  readonly cluster: ClusterApi;
  /** aborted when unload starts; hand it to pools, fetches and loops */
  readonly signal: AbortSignal;
  /** data directory of the node (node.data_dir) */
  readonly dataDir: string;
  /** set when a reload replaces a running instance whose stop('upgrade') returned state */
  readonly handover: Handover<H> | undefined;
  /** node operations for management plugins (clients, subscriptions, plugins, listeners, alarms), on any running node */
  readonly admin: AdminApi;
  /** adds an HTTP API v4 route (served by emqx_management and emqx_dashboard). Removed on unload. */
  api(route: ApiRoute, handler: ApiHandler): void;
  /** the routes every running plugin added, for the plugins that serve them */
  readonly apiRoutes: ApiRoutes;
  /** registers `emqx_ctl <command>`; the usage is printed as EMQX does. Removed on unload. */
  ctl(command: string, usage: CtlUsage, handler: CtlHandler): void;
  /** runs on unload, last registered first */
  onDispose(fn: () => void | Promise<void>): void;
  /**
   * An auth or ACL backend failed (down, timed out, answered garbage): logs a warning
   * `[<plugin>] <kind> backend error: <reason>` and counts `client.<kind>.backend_error`.
   * The reason must not hold a password.
   */
  backendError(kind: 'auth' | 'acl', reason: string): void;
}

export interface Plugin<S extends ConfSchema = ConfSchema, H = unknown> {
  readonly schema: S;
  /** tap hooks, open pools; bounded by the plugin start timeout */
  start(ctx: PluginContext<ConfValuesOf<S>, H>): void | Promise<void>;
  /**
   * Optional cleanup before the disposers run; taps, ctl commands and subscriptions are removed
   * by the kernel. On 'upgrade' the value returned (a counter, a pool) reaches the new
   * instance's start() as ctx.handover.state; the old instance must not use it afterwards.
   */
  stop?(reason: StopReason): H | void | Promise<H | void>;
}

/** Types ctx.config from the schema (written inline, no `as const` needed) and ctx.handover from stop(). */
export function definePlugin<const S extends ConfSchema, H = undefined>(plugin: Plugin<S, H>): Plugin<S, H> {
  return plugin;
}
