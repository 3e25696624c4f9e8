/**
 * Typed view of `etc/emqx.conf` (EMQX 4.3 key set).
 *
 * Units, everywhere in this file:
 * - every value written as a duration in the conf (`15s`, `1m`, `2h`, `500ms`)
 *   is given here in **milliseconds**, whatever unit EMQX uses internally
 *   (several zone keys are seconds in EMQX; they are converted);
 * - the exceptions are the zone's `serverKeepalive` (EMQX types it as a plain
 *   integer of **seconds**; it goes on the wire in CONNACK) and
 *   `sessionExpiryInterval` (**seconds**, like the MQTT 5 property it stands in for);
 * - byte sizes (`64KB`, `1MB`) are given in **bytes** (1KB = 1024);
 * - percentages (`80%`) are given as a **fraction** (0.8);
 * - paths are **absolute**, resolved against the install root (`baseDir`).
 */

export type LogLevel =
  | 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency' | 'all';

export type AclResult = 'allow' | 'deny';
export type AclDenyAction = 'ignore' | 'disconnect';
export type MqueueDefaultPriority = 'highest' | 'lowest';

/** `N,Period` limits, e.g. `100,10s` or `100KB,10s`. */
export interface RateLimit {
  /** Messages or bytes allowed per period. */
  readonly limit: number;
  /** Period length in ms. */
  readonly periodMs: number;
}

/** `force_gc_policy = 16000|16MB`: GC the connection after this many messages or bytes. */
export interface GcPolicy {
  readonly count: number;
  readonly bytes: number;
}

/** `force_shutdown_policy = 10000|64MB` (or `default`, which is the same on 64-bit). */
export interface ShutdownPolicy {
  readonly maxMessageQueueLen: number;
  /** Bytes. */
  readonly maxHeapSize: number;
}

/** `flapping_detect_policy = 30, 1m, 5m`. */
export interface FlappingPolicy {
  /** Disconnects within the window that count as flapping. */
  readonly threshold: number;
  /** Window length, ms. */
  readonly windowMs: number;
  /** How long a flapping client is banned, ms. */
  readonly banMs: number;
}

/**
 * One zone's settings: what the protocol layers (channel, session, cm, node)
 * read, built from the conf (zone key → zone schema default → global key →
 * EMQX built-in default) or by defaultZone().
 */
export interface Zone {
  readonly name: string;
  /** ms; close a connection that sends no CONNECT within this time. */
  readonly idleTimeout: number;
  /** `allow_anonymous`; `false_quick_deny` rejects anonymous clients without running auth plugins. */
  readonly allowAnonymous: boolean | 'false_quick_deny';
  readonly aclNomatch: AclResult;
  readonly enableAcl: boolean;
  readonly enableBan: boolean;
  readonly enableStats: boolean;
  readonly aclDenyAction: AclDenyAction;
  /** The global `enable_acl_cache`, `acl_cache_max_size`, `acl_cache_ttl` (ms). */
  readonly enableAclCache: boolean;
  readonly aclCacheMaxSize: number;
  readonly aclCacheTtl: number;
  readonly forceGcPolicy?: GcPolicy;
  readonly forceShutdownPolicy?: ShutdownPolicy;
  /** Bytes. */
  readonly maxPacketSize: number;
  readonly maxClientidLen: number;
  /** 0 = unlimited. */
  readonly maxTopicLevels: number;
  readonly maxQosAllowed: 0 | 1 | 2;
  readonly maxTopicAlias: number;
  readonly retainAvailable: boolean;
  readonly wildcardSubscription: boolean;
  readonly sharedSubscription: boolean;
  readonly exclusiveSubscription: boolean;
  /** **Seconds** (MQTT 5 Server Keep Alive); unset = use the client's value. */
  readonly serverKeepalive?: number;
  readonly keepaliveBackoff: number;
  /** 0 = unlimited. */
  readonly maxSubscriptions: number;
  readonly upgradeQos: boolean;
  /** 0 = unlimited. */
  readonly maxInflight: number;
  /** ms. */
  readonly retryInterval: number;
  /** 0 = unlimited. */
  readonly maxAwaitingRel: number;
  /** ms. */
  readonly awaitRelTimeout: number;
  /** **Seconds** (as MQTT 5's property); applied to MQTT 3.x clean_session=false sessions. */
  readonly sessionExpiryInterval: number;
  /** 0 = unlimited. */
  readonly maxMqueueLen: number;
  /** `null` when `mqueue_priorities = none`; otherwise topic → priority (0..255). */
  readonly mqueuePriorities: Readonly<Record<string, number>> | null;
  readonly mqueueDefaultPriority: MqueueDefaultPriority;
  readonly mqueueStoreQos0: boolean;
  /** nemq: hold publishers instead of dropping for online sessions (docs/backpressure.md). */
  readonly backpressure: boolean;
  /** 0 = half of maxMqueueLen (1000 when unlimited). */
  readonly backpressureHighWatermark: number;
  /** 0 = half the high-water mark. */
  readonly backpressureLowWatermark: number;
  readonly enableFlappingDetect: boolean;
  readonly rateLimit: {
    readonly connMessagesIn?: RateLimit;
    readonly connBytesIn?: RateLimit;
  };
  readonly quota: {
    readonly connMessagesRouting?: RateLimit;
    readonly overallMessagesRouting?: RateLimit;
  };
  readonly connCongestion: {
    readonly alarm: boolean;
    /** ms. */
    readonly minAlarmSustainDuration: number;
  };
  /** Deprecated in EMQX 4.2 but still accepted. */
  readonly publishLimit?: RateLimit;
  /** Topic prefix; `%c` / `%u` are expanded by the broker, not here. */
  readonly mountpoint?: string;
  readonly useUsernameAsClientid: boolean;
  readonly ignoreLoopDeliver: boolean;
  readonly strictMode: boolean;
  readonly responseInformation?: string;
  readonly bypassAuthPlugins: boolean;
}

export type ListenerProto = 'tcp' | 'ssl' | 'ws' | 'wss';

/** `listener.<proto>.<name>.access.<N> = allow all | deny 10.0.0.0/8`. */
export interface ListenerAccessRule {
  readonly action: AclResult;
  /** `'all'` or a CIDR / address string as written. */
  readonly cidr: string;
}

export interface TcpSocketOptions {
  readonly backlog: number;
  /** ms. */
  readonly sendTimeout: number;
  readonly sendTimeoutClose: boolean;
  /** Bytes. */
  readonly recbuf?: number;
  readonly sndbuf?: number;
  readonly buffer?: number;
  readonly tuneBuffer?: boolean;
  /** Bytes; tcp/ssl only. */
  readonly highWatermark?: number;
  readonly nodelay: boolean;
  readonly reuseaddr?: boolean;
}

export type TlsVersion = 'tlsv1' | 'tlsv1.1' | 'tlsv1.2' | 'tlsv1.3';
export type PeerCertField = 'cn' | 'dn' | 'crt' | 'pem' | 'md5';

export interface TlsOptions {
  readonly keyfile?: string;
  readonly certfile?: string;
  readonly cacertfile?: string;
  readonly dhfile?: string;
  readonly keyPassword?: string;
  readonly tlsVersions?: readonly TlsVersion[];
  /** OpenSSL cipher names. */
  readonly ciphers?: readonly string[];
  readonly pskCiphers?: readonly string[];
  /** ms. */
  readonly handshakeTimeout: number;
  readonly depth: number;
  readonly verify?: 'verify_peer' | 'verify_none';
  readonly failIfNoPeerCert?: boolean;
  readonly secureRenegotiate?: boolean;
  readonly reuseSessions: boolean;
  readonly honorCipherOrder?: boolean;
  readonly logLevel?: string;
  readonly gcAfterHandshake: boolean;
  /** ms. */
  readonly hibernateAfter?: number;
}

export interface DeflateOptions {
  readonly level?: 'none' | 'default' | 'best_compression' | 'best_speed';
  readonly memLevel?: number;
  readonly strategy?: 'default' | 'filtered' | 'huffman_only' | 'rle';
  readonly serverContextTakeover?: 'takeover' | 'no_takeover';
  readonly clientContextTakeover?: 'takeover' | 'no_takeover';
  readonly serverMaxWindowBits?: number;
  readonly clientMaxWindowBits?: number;
}

export interface WsOptions {
  readonly mqttPath: string;
  readonly mqttPiggyback: 'single' | 'multiple';
  readonly compress?: boolean;
  readonly deflateOpts: DeflateOptions;
  /** ms. */
  readonly idleTimeout?: number;
  /** Bytes; 0 or unset = unlimited. */
  readonly maxFrameSize?: number;
  readonly failIfNoSubprotocol: boolean;
  readonly supportedSubprotocols: readonly string[];
  /** Lower-cased header name, '' when disabled. */
  readonly proxyAddressHeader: string;
  readonly proxyPortHeader: string;
  readonly checkOriginEnable: boolean;
  readonly allowOriginAbsence: boolean;
  readonly checkOrigins: readonly string[];
}

interface ListenerBase {
  readonly name: string;
  /** EMQX listener id, e.g. `mqtt:tcp:external`. */
  readonly id: string;
  /** The bind as written: `0.0.0.0:1883`, `1883`, `[::1]:1883`. */
  readonly bind: string;
  /** `0.0.0.0` when only a port was given. IPv6 addresses without brackets. */
  readonly host: string;
  readonly port: number;
  /** Zone name; `'default'` when the listener sets none (EMQX: no zone → global settings). */
  readonly zone: string;
  readonly acceptors: number;
  readonly maxConnections: number;
  /** Accepted connections per second; unset = unlimited. */
  readonly maxConnRate?: number;
  readonly activeN: number;
  /** In order; empty = allow all. */
  readonly access: readonly ListenerAccessRule[];
  readonly proxyProtocol?: boolean;
  /** ms. */
  readonly proxyProtocolTimeout?: number;
  /** Deprecated 4.0-4.2 per-listener byte rate limit. */
  readonly rateLimit?: RateLimit;
  readonly peerCertAsUsername?: PeerCertField;
  readonly peerCertAsClientid?: PeerCertField;
  readonly tcp: TcpSocketOptions;
}

export interface TcpListenerConfig extends ListenerBase { readonly proto: 'tcp' }
export interface SslListenerConfig extends ListenerBase { readonly proto: 'ssl'; readonly ssl: TlsOptions }
export interface WsListenerConfig extends ListenerBase { readonly proto: 'ws'; readonly ws: WsOptions }
export interface WssListenerConfig extends ListenerBase {
  readonly proto: 'wss';
  readonly ssl: TlsOptions;
  readonly ws: WsOptions;
}
export type ListenerConfig = TcpListenerConfig | SslListenerConfig | WsListenerConfig | WssListenerConfig;

export interface NodeConfig {
  readonly name: string;
  readonly cookie: string;
  /** Absolute. */
  readonly dataDir: string;
  /** Absolute. */
  readonly crashDump: string;
  /** ms; unset = disabled. */
  readonly globalGcInterval?: number;
  readonly processLimit?: number;
  readonly maxPorts?: number;
  readonly distListenMin?: number;
  readonly distListenMax?: number;
}

export interface LogConfig {
  readonly to: 'off' | 'file' | 'console' | 'both';
  readonly level: LogLevel;
  /** Absolute. */
  readonly dir: string;
  /** File name inside `dir`. */
  readonly file: string;
  readonly formatter: 'text' | 'json';
  readonly singleLine: boolean;
  /** -1 = unlimited. */
  readonly charsLimit: number;
  readonly maxDepth: number | 'unlimited';
  readonly rotation: {
    readonly enable: boolean;
    /** Bytes. */
    readonly size: number;
    readonly count: number;
  };
  /** `log.<level>.file`: extra per-level files, name inside `dir`. */
  readonly levelFiles: Readonly<Partial<Record<LogLevel, string>>>;
}

export interface MqttConfig {
  readonly maxPacketSize: number;
  readonly maxClientidLen: number;
  readonly maxTopicLevels: number;
  readonly maxQosAllowed: 0 | 1 | 2;
  readonly maxTopicAlias: number;
  readonly retainAvailable: boolean;
  readonly wildcardSubscription: boolean;
  readonly sharedSubscription: boolean;
  readonly exclusiveSubscription: boolean;
  readonly ignoreLoopDeliver: boolean;
  readonly strictMode: boolean;
  readonly responseInformation?: string;
}

export interface AclConfig {
  readonly allowAnonymous: boolean;
  readonly allowAnonymousQuickDeny: boolean;
  readonly aclNomatch: AclResult;
  /** Absolute; unset when `acl_file` is not configured. */
  readonly aclFile?: string;
  readonly aclDenyAction: AclDenyAction;
  readonly cache: {
    readonly enable: boolean;
    readonly maxSize: number;
    /** ms. */
    readonly ttl: number;
  };
  readonly flappingDetectPolicy: FlappingPolicy;
  /** `auth_order` as a list; empty for `none`. */
  readonly authOrder: readonly string[];
  /** `acl_order` as a list; empty for `none`. */
  readonly aclOrder: readonly string[];
}

export type SharedSubStrategy =
  | 'random' | 'round_robin' | 'sticky' | 'local' | 'hash' | 'hash_clientid' | 'hash_topic';

export interface BrokerConfig {
  /** ms. */
  readonly sysInterval: number;
  /** ms. */
  readonly sysHeartbeat: number;
  readonly enableSessionRegistry: boolean;
  readonly sessionLockingStrategy: 'local' | 'leader' | 'quorum' | 'all';
  readonly sharedSubscriptionStrategy: SharedSubStrategy;
  /** `broker.<group>.shared_subscription_strategy`. */
  readonly sharedSubscriptionStrategyPerGroup: Readonly<Record<string, SharedSubStrategy>>;
  readonly sharedDispatchAckEnabled: boolean;
  readonly routeBatchClean: boolean;
  readonly perf: {
    readonly routeLockType: 'key' | 'tab' | 'global';
    readonly trieCompaction: boolean;
  };
  readonly clientDisconnectDiscarded: boolean;
  readonly clientDisconnectTakeovered: boolean;
}

export interface ModuleSubscription {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly nl: 0 | 1;
  readonly rap: 0 | 1;
  readonly rh: 0 | 1 | 2;
}

export interface ModulesConfig {
  /** Absolute; unset when not configured. */
  readonly loadedFile?: string;
  readonly presenceQos: 0 | 1 | 2;
  /** `module.subscription.<N>.*`, in key order of N. */
  readonly subscriptions: readonly ModuleSubscription[];
  /** `module.rewrite.rule.<N>` / `.pub.rule.<N>` / `.sub.rule.<N>` as written. */
  readonly rewrite: {
    readonly rules: readonly string[];
    readonly pub: readonly string[];
    readonly sub: readonly string[];
  };
}

export interface PluginsConfig {
  /** Absolute; directory holding `<plugin>.conf` files. */
  readonly etcDir: string;
  /** Absolute; `<node.data_dir>/loaded_plugins` unless set. */
  readonly loadedFile: string;
  /** Absolute. */
  readonly expandPluginsDir: string;
}

export interface SysmonConfig {
  /** ms; 0 = off. */
  readonly longGc: number;
  /** ms; 0 = off. */
  readonly longSchedule: number;
  /** Bytes. */
  readonly largeHeap: number;
  readonly busyPort: boolean;
  readonly busyDistPort: boolean;
}

export interface OsMonConfig {
  /** ms. */
  readonly cpuCheckInterval: number;
  /** Fractions. */
  readonly cpuHighWatermark: number;
  readonly cpuLowWatermark: number;
  /** ms. */
  readonly memCheckInterval: number;
  readonly sysmemHighWatermark: number;
  readonly procmemHighWatermark: number;
}

export interface VmMonConfig {
  /** ms. */
  readonly checkInterval: number;
  readonly processHighWatermark: number;
  readonly processLowWatermark: number;
}

export interface AlarmConfig {
  readonly actions: readonly string[];
  readonly sizeLimit: number;
  /** ms. */
  readonly validityPeriod: number;
}

export interface Config {
  /**
   * Every effective key (set in the file, by env / overrides, or filled from a
   * schema default the way cuttlefish does) → typed value (the same value the
   * typed views use, e.g. ms for durations, absolute paths).
   */
  readonly raw: ReadonlyMap<string, unknown>;
  readonly node: NodeConfig;
  readonly log: LogConfig;
  /** Global `mqtt.*` settings. */
  readonly mqtt: MqttConfig;
  /**
   * Every zone named in a `zone.<name>.*` key or by a listener, plus
   * `default` (what EMQX uses for a listener without a zone: globals and
   * built-in defaults).
   */
  readonly zones: Readonly<Record<string, Zone>>;
  /** Defined listeners (those with `listener.<proto>.<name> = [ip:]port`), in file order. */
  readonly listeners: readonly ListenerConfig[];
  readonly broker: BrokerConfig;
  readonly modules: ModulesConfig;
  readonly plugins: PluginsConfig;
  readonly acl: AclConfig;
  readonly sysmon: SysmonConfig;
  readonly osMon: OsMonConfig;
  readonly vmMon: VmMonConfig;
  readonly alarm: AlarmConfig;
  /** Absolute install root used for relative paths. */
  readonly baseDir: string;
  /**
   * Typed value of a key: the effective value, else the schema default when
   * the key matches a schema pattern, else `undefined`. No zone→global
   * fallback here; use `zones` for that.
   */
  get(key: string): unknown;
  /** Where a key's value came from: `etc/emqx.conf:12`, `env EMQX_…`, `override`, `default`. */
  source(key: string): string | undefined;
}

/** One `key = value` line (or an `include <file>` line, with `include: true` and the path as value). */
export interface ConfEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
  readonly include?: true;
}

export interface LoadConfigOptions {
  /** Path of emqx.conf; read when `text` is not given. */
  readonly file?: string;
  /** Conf text; `file` is then only used for messages and `baseDir`. */
  readonly text?: string;
  /** Environment for `EMQX_*` overrides; pass `process.env` explicitly to use it. */
  readonly env?: NodeJS.ProcessEnv;
  /** `key → value` pairs applied last (after env), same syntax as the file. */
  readonly overrides?: Readonly<Record<string, string>>;
  /** Install root for relative paths; default: parent of the conf file's directory, else cwd. */
  readonly baseDir?: string;
}
