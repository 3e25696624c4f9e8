// The whole contract a plugin author sees. A plugin is a package whose package.json
// has an "emqxPlugin" manifest and whose main module exports a Plugin made with
// definePlugin(). The kernel reads etc/plugins/<name>.conf, checks it against the
// plugin's schema and calls start(ctx); unload removes everything the plugin made
// through ctx (taps, ctl commands, subscriptions, timers via onDispose).

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

/** Value types of plugin conf keys (same syntax as etc/emqx.conf). */
export type ConfType =
  | 'string' | 'integer' | 'float' | 'boolean' /* on|off|true|false */
  | 'duration' /* 5s, 1m, 500ms → ms */ | 'bytesize' /* 64KB → bytes */
  | 'enum' | 'ipport' /* host:port or port → "host:port" */ | 'list' /* comma separated → string[] */;

export interface ConfField {
  readonly type: ConfType;
  readonly default?: string;
  /** enum values */
  readonly values?: readonly string[];
  readonly required?: boolean;
  readonly doc?: string;
}

/**
 * Keys as written in the conf file. A `$name` level matches any one level:
 * `bridge.mqtt.$name.address` matches `bridge.mqtt.aws.address`.
 */
export type ConfSchema = Readonly<Record<string, ConfField>>;

/** Typed conf values: key as written → value (defaults filled in for non-wildcard keys). */
export type ConfValues = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
}

/** Kernel hook points (EMQX 4.3 names); see docs/plugins.md for arguments and semantics. */
export type HookPoint =
  | 'client.connect' | 'client.connack' | 'client.authenticate' | 'client.enhanced_authenticate'
  | 'client.check_acl' | 'client.connected' | 'client.disconnected' | 'client.subscribe' | 'client.unsubscribe'
  | 'session.created' | 'session.subscribed' | 'session.unsubscribed' | 'session.resumed'
  | 'session.discarded' | 'session.takeovered' | 'session.terminated'
  | 'message.publish' | 'message.delivered' | 'message.acked' | 'message.dropped' | 'delivery.dropped';

export interface TapOptions {
  /** lower runs first; EMQX priority P is stage -P */
  readonly stage?: number;
  readonly before?: string | readonly string[];
}

/** Tap-only access to the kernel's hooks; every tap is owned by the plugin. */
export interface Hooks {
  tap(point: HookPoint, fn: (...args: any[]) => any, options?: TapOptions): void;
}

/** A message as plugins see it (the kernel's Message). */
export interface PluginMessage {
  readonly id: number;
  qos: 0 | 1 | 2;
  from: string;
  flags: { retain: boolean; dup: boolean; sys: boolean };
  topic: string;
  payload: Buffer;
  properties: Record<string, unknown> | undefined;
  timestamp: number;
  headers: Record<string, unknown>;
}

export interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
  /** publisher id seen by hooks and no-local; default: the plugin name */
  from?: string;
  properties?: Record<string, unknown>;
}

export interface BrokerApi {
  readonly nodeName: string;
  readonly version: string;
  /** routes a message; returns how many subscriptions it reached */
  publish(topic: string, payload: Buffer | string, opts?: PublishOptions): number;
  /** a local subscription owned by the plugin; returns a function that removes it */
  subscribe(filter: string, onMessage: (msg: PluginMessage) => void, opts?: { qos?: 0 | 1 | 2 }): () => void;
  /** delivers `msg` to the subscription `topic` of `clientid` (as retained messages are) */
  deliverTo(clientid: string, topic: string, msg: PluginMessage): void;
  /** counters (EMQX metric names) */
  metrics(): Record<string, number>;
  /** sets a gauge shown in `broker stats` and `$SYS/.../stats` (e.g. `retained.count`) */
  setStat(name: string, value: number): void;
}

/** `emqx_ctl <command> ...args` handler; returns the text to print, or undefined to print the command's usage. */
export type CtlHandler = (args: string[]) => string | undefined | Promise<string | undefined>;

export interface PluginContext {
  readonly name: string;
  readonly config: ConfValues;
  readonly logger: Logger;
  readonly hooks: Hooks;
  readonly broker: BrokerApi;
  /** aborted when unload starts; hand it to pools, fetches and loops */
  readonly signal: AbortSignal;
  /** data directory of the node (node.data_dir) */
  readonly dataDir: string;
  /**
   * Registers `emqx_ctl <command>`; usage lines are [synopsis, description] pairs,
   * printed as EMQX does when the sub-command is unknown. Removed on unload.
   */
  ctl(command: string, usage: ReadonlyArray<readonly [string, string]>, handler: CtlHandler): void;
  /** runs on unload, last registered first */
  onDispose(fn: () => void | Promise<void>): void;
}

export interface Plugin {
  readonly schema: ConfSchema;
  /** tap hooks, open pools; bounded by the plugin start timeout */
  start(ctx: PluginContext): void | Promise<void>;
  /** optional extra cleanup; taps, ctl commands and subscriptions are removed by the kernel */
  stop?(reason: 'unload' | 'shutdown'): void | Promise<void>;
}

/** Identity, for type inference. */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}

export { topicMatches, isWildcard } from './topic.js';

/** EMQX password hashing (emqx_passwd): shared by auth plugins. */
export { checkPassword, hashPassword, type PasswordHash } from './passwd.js';

// ---- shared building blocks
// (topicMatches and isWildcard are exported above)
export {
  validTopicName,
  validTopicFilter,
  levelCount,
  compileFilter,
  parseShare,
  mount,
  unmount,
  type ShareSpec,
} from './topic.js';
export { parseIp, parseCidr, cidrMatch, type IpAddress, type Cidr } from './cidr.js';
export {
  compileTopic,
  eqTopic,
  checkRules,
  findRule,
  matchWho,
  type AclPermission,
  type AclAccess,
  type AclAction,
  type AclResult,
  type AclWho,
  type AclTopic,
  type AclLevel,
  type AclRule,
  type AclClient,
} from './acl.js';
export {
  PLACEHOLDERS,
  peerAddress,
  placeholderValue,
  expandPlaceholders,
  bindTemplate,
  bindValues,
  type Placeholder,
  type PlaceholderClient,
  type PlaceholderTarget,
  type ExpandOptions,
  type BoundTemplate,
} from './placeholder.js';
