/**
 * Typed views over the effective settings (see load.ts).
 *
 * Zone resolution follows EMQX 4.3 (emqx_zone:get_env): the zone's own key
 * (cuttlefish has already filled the zone schema defaults for every zone
 * named in the file) → the global key of the same name (`allow_anonymous`,
 * `mqtt.max_packet_size`, …) → the built-in default EMQX's code uses.
 * A listener without `zone` gets the `default` zone, which has no zone keys,
 * so it sees globals and built-in defaults only — exactly what EMQX does for
 * a zone-less listener (e.g. enable_acl is then true, max_inflight 65535).
 */
import type { Setting } from './load.js';
import { lookupKey, resolvePath, schemaDefault, ZONE_GLOBAL_FALLBACK } from './schema.js';
import type {
  AclConfig,
  AclDenyAction,
  AclResult,
  Config,
  DeflateOptions,
  FlappingPolicy,
  GcPolicy,
  ListenerAccessRule,
  ListenerConfig,
  ListenerProto,
  LogConfig,
  LogLevel,
  ModuleSubscription,
  RateLimit,
  SharedSubStrategy,
  ShutdownPolicy,
  TcpSocketOptions,
  TlsOptions,
  TlsVersion,
  WsOptions,
  ZoneConfig,
} from './types.js';
import type { Bind } from './values.js';

export const DEFAULT_ZONE = 'default';

/** Built-in defaults EMQX's code uses when neither the zone nor a global key sets a value. */
const ZONE_CODE_DEFAULTS: Readonly<Record<string, unknown>> = {
  idle_timeout: 30_000,
  enable_acl: true,
  enable_ban: false,
  enable_stats: true,
  keepalive_backoff: 0.75,
  max_subscriptions: 0,
  upgrade_qos: false,
  max_inflight: 65535,
  retry_interval: 0,
  max_awaiting_rel: 100,
  await_rel_timeout: 300_000,
  session_expiry_interval: 0,
  max_mqueue_len: 1000,
  mqueue_priorities: null,
  mqueue_default_priority: 'lowest',
  mqueue_store_qos0: true,
  enable_flapping_detect: false,
  'conn_congestion.alarm': false,
  'conn_congestion.min_alarm_sustain_duration': 60_000,
  use_username_as_clientid: false,
  bypass_auth_plugins: false,
  // last resort for keys that normally come from a global key
  allow_anonymous: 'false',
  acl_nomatch: 'deny',
  acl_deny_action: 'ignore',
  max_packet_size: 0xfffffff,
  max_clientid_len: 65535,
  max_topic_levels: 0,
  max_qos_allowed: 2,
  max_topic_alias: 65535,
  retain_available: true,
  wildcard_subscription: true,
  shared_subscription: true,
  exclusive_subscription: false,
  ignore_loop_deliver: false,
  strict_mode: false,
};

/** Read-only Map: set/delete/clear throw once sealed. */
class FrozenMap<K, V> extends Map<K, V> {
  #sealed = false;
  seal(): this {
    this.#sealed = true;
    return Object.freeze(this);
  }
  override set(key: K, value: V): this {
    if (this.#sealed) throw new TypeError('configuration is read-only');
    return super.set(key, value);
  }
  override delete(key: K): boolean {
    if (this.#sealed) throw new TypeError('configuration is read-only');
    return super.delete(key);
  }
  override clear(): void {
    if (this.#sealed) throw new TypeError('configuration is read-only');
    super.clear();
  }
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Map) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** Drop `undefined` members so optional fields are absent rather than present-but-undefined. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

const byId = (a: string, b: string): number => {
  const na = Number(a);
  const nb = Number(b);
  return Number.isInteger(na) && Number.isInteger(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
};

export function buildConfig(settings: ReadonlyMap<string, Setting>, baseDir: string, problems: string[]): Config {
  const val = (key: string): unknown => settings.get(key)?.value;
  const num = (key: string): number => val(key) as number;
  const optNum = (key: string): number | undefined => val(key) as number | undefined;
  const bool = (key: string): boolean => val(key) as boolean;
  const optBool = (key: string): boolean | undefined => val(key) as boolean | undefined;
  const str = (key: string): string => val(key) as string;
  const optStr = (key: string): string | undefined => val(key) as string | undefined;
  const strs = (key: string): readonly string[] => (val(key) as string[] | undefined) ?? [];
  const problem = (key: string, msg: string): void => {
    problems.push(`${settings.get(key)?.source ?? 'config'}: ${key}: ${msg}`);
  };

  /** Settings whose schema pattern is `pattern`, in insertion order. */
  const family = (pattern: string): Setting[] => [...settings.values()].filter((s) => s.entry.key === pattern);

  // ------------------------------------------------------------ global
  const allowAnon = str('allow_anonymous');
  const acl: AclConfig = compact({
    allowAnonymous: allowAnon === 'true',
    allowAnonymousQuickDeny: allowAnon === 'false_quick_deny',
    aclNomatch: str('acl_nomatch') as AclResult,
    aclFile: optStr('acl_file'),
    aclDenyAction: str('acl_deny_action') as AclDenyAction,
    cache: { enable: bool('enable_acl_cache'), maxSize: num('acl_cache_max_size'), ttl: num('acl_cache_ttl') },
    flappingDetectPolicy: val('flapping_detect_policy') as FlappingPolicy,
    authOrder: strs('auth_order'),
    aclOrder: strs('acl_order'),
  });

  const mqtt = compact({
    maxPacketSize: num('mqtt.max_packet_size'),
    maxClientidLen: num('mqtt.max_clientid_len'),
    maxTopicLevels: num('mqtt.max_topic_levels'),
    maxQosAllowed: num('mqtt.max_qos_allowed') as 0 | 1 | 2,
    maxTopicAlias: num('mqtt.max_topic_alias'),
    retainAvailable: bool('mqtt.retain_available'),
    wildcardSubscription: bool('mqtt.wildcard_subscription'),
    sharedSubscription: bool('mqtt.shared_subscription'),
    exclusiveSubscription: bool('mqtt.exclusive_subscription'),
    ignoreLoopDeliver: bool('mqtt.ignore_loop_deliver'),
    strictMode: bool('mqtt.strict_mode'),
    responseInformation: optStr('mqtt.response_information'),
  });

  const node = compact({
    name: str('node.name'),
    cookie: str('node.cookie'),
    dataDir: str('node.data_dir'),
    crashDump: str('node.crash_dump'),
    globalGcInterval: optNum('node.global_gc_interval'),
    processLimit: optNum('node.process_limit'),
    maxPorts: optNum('node.max_ports'),
    distListenMin: optNum('node.dist_listen_min'),
    distListenMax: optNum('node.dist_listen_max'),
  });

  const levelFiles: Partial<Record<LogLevel, string>> = {};
  for (const s of family('log.$level.file')) levelFiles[(s.vars['$level'] ?? '') as LogLevel] = s.value as string;
  const log: LogConfig = {
    to: str('log.to') as LogConfig['to'],
    level: str('log.level') as LogLevel,
    dir: str('log.dir'),
    file: str('log.file'),
    formatter: str('log.formatter') as LogConfig['formatter'],
    singleLine: bool('log.single_line'),
    charsLimit: num('log.chars_limit'),
    maxDepth: val('log.max_depth') as number | 'unlimited',
    rotation: { enable: bool('log.rotation'), size: num('log.rotation.size'), count: num('log.rotation.count') },
    levelFiles,
  };

  // ------------------------------------------------------------ zones
  const zoneNames = new Set<string>();
  for (const s of settings.values()) {
    const z = s.vars['$name'];
    if (s.entry.key.startsWith('zone.$name.') && z !== undefined) zoneNames.add(z);
  }

  const resolveZone = (name: string): ZoneConfig => {
    const pick = <T>(k: string): T => {
      const own = val(`zone.${name}.${k}`);
      if (own !== undefined) return own as T;
      const globalKey = ZONE_GLOBAL_FALLBACK[k];
      const global = globalKey === undefined ? undefined : val(globalKey);
      return (global !== undefined ? global : ZONE_CODE_DEFAULTS[k]) as T;
    };
    const anon = pick<string>('allow_anonymous');
    return compact({
      name,
      idleTimeout: pick<number>('idle_timeout'),
      allowAnonymous: anon === 'true',
      allowAnonymousQuickDeny: anon === 'false_quick_deny',
      aclNomatch: pick<AclResult>('acl_nomatch'),
      enableAcl: pick<boolean>('enable_acl'),
      enableBan: pick<boolean>('enable_ban'),
      enableStats: pick<boolean>('enable_stats'),
      aclDenyAction: pick<AclDenyAction>('acl_deny_action'),
      forceGcPolicy: pick<GcPolicy | undefined>('force_gc_policy'),
      forceShutdownPolicy: pick<ShutdownPolicy | undefined>('force_shutdown_policy'),
      maxPacketSize: pick<number>('max_packet_size'),
      maxClientidLen: pick<number>('max_clientid_len'),
      maxTopicLevels: pick<number>('max_topic_levels'),
      maxQosAllowed: pick<0 | 1 | 2>('max_qos_allowed'),
      maxTopicAlias: pick<number>('max_topic_alias'),
      retainAvailable: pick<boolean>('retain_available'),
      wildcardSubscription: pick<boolean>('wildcard_subscription'),
      sharedSubscription: pick<boolean>('shared_subscription'),
      exclusiveSubscription: pick<boolean>('exclusive_subscription'),
      serverKeepalive: pick<number | undefined>('server_keepalive'),
      keepaliveBackoff: pick<number>('keepalive_backoff'),
      maxSubscriptions: pick<number>('max_subscriptions'),
      upgradeQos: pick<boolean>('upgrade_qos'),
      maxInflight: pick<number>('max_inflight'),
      retryInterval: pick<number>('retry_interval'),
      maxAwaitingRel: pick<number>('max_awaiting_rel'),
      awaitRelTimeout: pick<number>('await_rel_timeout'),
      sessionExpiryInterval: pick<number>('session_expiry_interval'),
      maxMqueueLen: pick<number>('max_mqueue_len'),
      mqueuePriorities: pick<Readonly<Record<string, number>> | null>('mqueue_priorities'),
      mqueueDefaultPriority: pick<ZoneConfig['mqueueDefaultPriority']>('mqueue_default_priority'),
      mqueueStoreQos0: pick<boolean>('mqueue_store_qos0'),
      enableFlappingDetect: pick<boolean>('enable_flapping_detect'),
      rateLimit: compact({
        connMessagesIn: pick<RateLimit | undefined>('rate_limit.conn_messages_in'),
        connBytesIn: pick<RateLimit | undefined>('rate_limit.conn_bytes_in'),
      }),
      quota: compact({
        connMessagesRouting: pick<RateLimit | undefined>('quota.conn_messages_routing'),
        overallMessagesRouting: pick<RateLimit | undefined>('quota.overall_messages_routing'),
      }),
      connCongestion: {
        alarm: pick<boolean>('conn_congestion.alarm'),
        minAlarmSustainDuration: pick<number>('conn_congestion.min_alarm_sustain_duration'),
      },
      publishLimit: pick<RateLimit | undefined>('publish_limit'),
      mountpoint: pick<string | undefined>('mountpoint'),
      useUsernameAsClientid: pick<boolean>('use_username_as_clientid'),
      ignoreLoopDeliver: pick<boolean>('ignore_loop_deliver'),
      strictMode: pick<boolean>('strict_mode'),
      responseInformation: pick<string | undefined>('response_information'),
      bypassAuthPlugins: pick<boolean>('bypass_auth_plugins'),
    });
  };

  // ------------------------------------------------------------ listeners
  const listeners: ListenerConfig[] = [];
  for (const bindSetting of [...settings.values()].filter((s) => /^listener\.[a-z]+\.\$name$/.test(s.entry.key))) {
    const proto = bindSetting.entry.key.split('.')[1] as ListenerProto;
    const name = bindSetting.vars['$name'] ?? '';
    const p = `listener.${proto}.${name}`;
    const bind = bindSetting.value as Bind;
    const zone = optStr(`${p}.zone`) ?? DEFAULT_ZONE;
    zoneNames.add(zone);

    const access: ListenerAccessRule[] = [...settings.values()]
      .filter((s) => s.entry.key === `listener.${proto}.$name.access.$id` && s.vars['$name'] === name)
      .sort((a, b) => byId(a.vars['$id'] ?? '', b.vars['$id'] ?? ''))
      .map((s) => s.value as ListenerAccessRule);

    const tcp: TcpSocketOptions = compact({
      backlog: num(`${p}.backlog`),
      sendTimeout: num(`${p}.send_timeout`),
      sendTimeoutClose: bool(`${p}.send_timeout_close`),
      recbuf: optNum(`${p}.recbuf`),
      sndbuf: optNum(`${p}.sndbuf`),
      buffer: optNum(`${p}.buffer`),
      tuneBuffer: optBool(`${p}.tune_buffer`),
      highWatermark: optNum(`${p}.high_watermark`),
      nodelay: optBool(`${p}.nodelay`) ?? true,
      reuseaddr: optBool(`${p}.reuseaddr`),
    });

    const base = compact({
      name,
      id: `mqtt:${proto}:${name}`,
      bind: bindSetting.text,
      host: bind.host,
      port: bind.port,
      zone,
      acceptors: num(`${p}.acceptors`),
      maxConnections: num(`${p}.max_connections`),
      maxConnRate: optNum(`${p}.max_conn_rate`),
      activeN: num(`${p}.active_n`),
      access,
      proxyProtocol: optBool(`${p}.proxy_protocol`),
      proxyProtocolTimeout: optNum(`${p}.proxy_protocol_timeout`),
      rateLimit: val(`${p}.rate_limit`) as RateLimit | undefined,
      peerCertAsUsername: optStr(`${p}.peer_cert_as_username`) as ListenerConfig['peerCertAsUsername'],
      peerCertAsClientid: optStr(`${p}.peer_cert_as_clientid`) as ListenerConfig['peerCertAsClientid'],
      tcp,
    });

    const tlsOf = (): TlsOptions => {
      const versions = val(`${p}.tls_versions`) as TlsVersion[] | undefined;
      const ciphers = val(`${p}.ciphers`) as string[] | undefined;
      const psk = val(`${p}.psk_ciphers`) as string[] | undefined;
      if (ciphers && psk) problem(`${p}.psk_ciphers`, `cannot be set together with ${p}.ciphers`);
      else if (psk && (!versions || versions.includes('tlsv1.3'))) {
        problem(`${p}.psk_ciphers`, `needs ${p}.tls_versions without tlsv1.3`);
      }
      return compact({
        keyfile: optStr(`${p}.keyfile`),
        certfile: optStr(`${p}.certfile`),
        cacertfile: optStr(`${p}.cacertfile`),
        dhfile: optStr(`${p}.dhfile`),
        keyPassword: optStr(`${p}.key_password`),
        tlsVersions: versions,
        ciphers,
        pskCiphers: psk,
        handshakeTimeout: num(`${p}.handshake_timeout`),
        depth: num(`${p}.depth`),
        verify: optStr(`${p}.verify`) as TlsOptions['verify'],
        failIfNoPeerCert: optBool(`${p}.fail_if_no_peer_cert`),
        secureRenegotiate: optBool(`${p}.secure_renegotiate`),
        reuseSessions: bool(`${p}.reuse_sessions`),
        honorCipherOrder: optBool(`${p}.honor_cipher_order`),
        logLevel: optStr(`${p}.log_level`),
        gcAfterHandshake: optBool(`${p}.gc_after_handshake`) ?? false,
        hibernateAfter: optNum(`${p}.hibernate_after`),
      });
    };

    const wsOf = (): WsOptions => {
      const deflateOpts: DeflateOptions = compact({
        level: optStr(`${p}.deflate_opts.level`) as DeflateOptions['level'],
        memLevel: optNum(`${p}.deflate_opts.mem_level`),
        strategy: optStr(`${p}.deflate_opts.strategy`) as DeflateOptions['strategy'],
        serverContextTakeover: optStr(`${p}.deflate_opts.server_context_takeover`) as DeflateOptions['serverContextTakeover'],
        clientContextTakeover: optStr(`${p}.deflate_opts.client_context_takeover`) as DeflateOptions['clientContextTakeover'],
        serverMaxWindowBits: optNum(`${p}.deflate_opts.server_max_window_bits`),
        clientMaxWindowBits: optNum(`${p}.deflate_opts.client_max_window_bits`),
      });
      const mqttPath = str(`${p}.mqtt_path`);
      if (!mqttPath.startsWith('/')) problem(`${p}.mqtt_path`, `must start with "/", got ${JSON.stringify(mqttPath)}`);
      return compact({
        mqttPath,
        mqttPiggyback: str(`${p}.mqtt_piggyback`) as WsOptions['mqttPiggyback'],
        compress: optBool(`${p}.compress`),
        deflateOpts,
        idleTimeout: optNum(`${p}.idle_timeout`),
        maxFrameSize: optNum(`${p}.max_frame_size`),
        failIfNoSubprotocol: bool(`${p}.fail_if_no_subprotocol`),
        supportedSubprotocols: strs(`${p}.supported_subprotocols`),
        proxyAddressHeader: str(`${p}.proxy_address_header`).toLowerCase(),
        proxyPortHeader: str(`${p}.proxy_port_header`).toLowerCase(),
        checkOriginEnable: bool(`${p}.check_origin_enable`),
        allowOriginAbsence: bool(`${p}.allow_origin_absence`),
        checkOrigins: strs(`${p}.check_origins`),
      });
    };

    switch (proto) {
      case 'tcp':
        listeners.push({ ...base, proto });
        break;
      case 'ssl':
        listeners.push({ ...base, proto, ssl: tlsOf() });
        break;
      case 'ws':
        listeners.push({ ...base, proto, ws: wsOf() });
        break;
      case 'wss':
        listeners.push({ ...base, proto, ssl: tlsOf(), ws: wsOf() });
        break;
    }
  }

  // two listeners on the same address cannot both start
  const seen = new Map<string, string>();
  for (const l of listeners) {
    const addr = `${l.host}:${l.port}`;
    const other = seen.get(addr);
    if (other !== undefined && l.port !== 0) {
      problem(`listener.${l.proto}.${l.name}`, `${addr} is already used by ${other}`);
    } else {
      seen.set(addr, `listener.${l.proto}.${l.name}`);
    }
  }

  zoneNames.add(DEFAULT_ZONE);
  const zones: Record<string, ZoneConfig> = {};
  for (const z of [...zoneNames].sort()) zones[z] = resolveZone(z);

  // ------------------------------------------------------------ broker, modules, …
  const perGroup: Record<string, SharedSubStrategy> = {};
  for (const s of family('broker.$name.shared_subscription_strategy')) {
    perGroup[s.vars['$name'] ?? ''] = s.value as SharedSubStrategy;
  }
  const broker = {
    sysInterval: num('broker.sys_interval'),
    sysHeartbeat: num('broker.sys_heartbeat'),
    enableSessionRegistry: bool('broker.enable_session_registry'),
    sessionLockingStrategy: str('broker.session_locking_strategy') as Config['broker']['sessionLockingStrategy'],
    sharedSubscriptionStrategy: str('broker.shared_subscription_strategy') as SharedSubStrategy,
    sharedSubscriptionStrategyPerGroup: perGroup,
    sharedDispatchAckEnabled: bool('broker.shared_dispatch_ack_enabled'),
    routeBatchClean: bool('broker.route_batch_clean'),
    perf: {
      routeLockType: str('broker.perf.route_lock_type') as Config['broker']['perf']['routeLockType'],
      trieCompaction: bool('broker.perf.trie_compaction'),
    },
    clientDisconnectDiscarded: bool('broker.client_disconnect_discarded'),
    clientDisconnectTakeovered: bool('broker.client_disconnect_takeovered'),
  };

  const subIds = [
    ...new Set(family('module.subscription.$id.topic').map((s) => s.vars['$id'] ?? '')),
  ].sort(byId);
  const subscriptions: ModuleSubscription[] = subIds.map((id) => ({
    topic: str(`module.subscription.${id}.topic`),
    qos: num(`module.subscription.${id}.qos`) as 0 | 1 | 2,
    nl: num(`module.subscription.${id}.nl`) as 0 | 1,
    rap: num(`module.subscription.${id}.rap`) as 0 | 1,
    rh: num(`module.subscription.${id}.rh`) as 0 | 1 | 2,
  }));
  const rules = (pattern: string): string[] =>
    family(pattern)
      .sort((a, b) => byId(a.vars['$id'] ?? '', b.vars['$id'] ?? ''))
      .map((s) => s.value as string);
  const modules = compact({
    loadedFile: optStr('modules.loaded_file'),
    presenceQos: num('module.presence.qos') as 0 | 1 | 2,
    subscriptions,
    rewrite: {
      rules: rules('module.rewrite.rule.$id'),
      pub: rules('module.rewrite.pub.rule.$id'),
      sub: rules('module.rewrite.sub.rule.$id'),
    },
  });

  const plugins = {
    etcDir: str('plugins.etc_dir'),
    loadedFile: str('plugins.loaded_file'),
    expandPluginsDir: str('plugins.expand_plugins_dir'),
  };
  const sysmon = {
    longGc: num('sysmon.long_gc'),
    longSchedule: num('sysmon.long_schedule'),
    largeHeap: num('sysmon.large_heap'),
    busyPort: bool('sysmon.busy_port'),
    busyDistPort: bool('sysmon.busy_dist_port'),
  };
  const osMon = {
    cpuCheckInterval: num('os_mon.cpu_check_interval'),
    cpuHighWatermark: num('os_mon.cpu_high_watermark'),
    cpuLowWatermark: num('os_mon.cpu_low_watermark'),
    memCheckInterval: num('os_mon.mem_check_interval'),
    sysmemHighWatermark: num('os_mon.sysmem_high_watermark'),
    procmemHighWatermark: num('os_mon.procmem_high_watermark'),
  };
  const vmMon = {
    checkInterval: num('vm_mon.check_interval'),
    processHighWatermark: num('vm_mon.process_high_watermark'),
    processLowWatermark: num('vm_mon.process_low_watermark'),
  };
  const alarm = {
    actions: strs('alarm.actions'),
    sizeLimit: num('alarm.size_limit'),
    validityPeriod: num('alarm.validity_period'),
  };

  // ------------------------------------------------------------ raw + accessors
  const raw = new FrozenMap<string, unknown>();
  for (const [k, s] of settings) raw.set(k, deepFreeze(s.value));
  raw.seal();

  const get = (key: string): unknown => {
    if (raw.has(key)) return raw.get(key);
    const d = schemaDefault(key);
    return typeof d === 'string' && lookupKey(key)?.entry.type.kind === 'path' ? resolvePath(baseDir, d) : d;
  };
  const source = (key: string): string | undefined => settings.get(key)?.source;

  return deepFreeze({
    raw,
    node,
    log,
    mqtt,
    zones,
    listeners,
    broker,
    modules,
    plugins,
    acl,
    sysmon,
    osMon,
    vmMon,
    alarm,
    baseDir,
    get,
    source,
  });
}
