/**
 * Zones. Resolution follows EMQX 4.3 (emqx_zone:get_env): the zone's own key
 * (cuttlefish has already filled the zone schema defaults for every zone
 * named in the file) → the global key of the same name (`allow_anonymous`,
 * `mqtt.max_packet_size`, …) → the built-in default EMQX's code uses.
 * A listener without `zone` gets the `default` zone, which has no zone keys,
 * so it sees globals and built-in defaults only — exactly what EMQX does for
 * a zone-less listener (e.g. enable_acl is then true, max_inflight 65535).
 */
import { ZONE_GLOBAL_FALLBACK } from '../schema.js';
import type { AclDenyAction, AclResult, GcPolicy, RateLimit, ShutdownPolicy, Zone } from '../types.js';
import { compact, type Reader } from './read.js';

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
  backpressure: true,
  backpressure_high_watermark: 0,
  backpressure_low_watermark: 0,
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

/** Zones named by `zone.<name>.*` keys. */
export function zoneNames(r: Reader): Set<string> {
  const names = new Set<string>();
  for (const s of r.all()) {
    const z = s.vars['$name'];
    if (s.entry.key.startsWith('zone.$name.') && z !== undefined) names.add(z);
  }
  return names;
}

export function buildZone(r: Reader, name: string): Zone {
  const pick = <T>(k: string): T => {
    const own = r.val(`zone.${name}.${k}`);
    if (own !== undefined) return own as T;
    const globalKey = ZONE_GLOBAL_FALLBACK[k];
    const global = globalKey === undefined ? undefined : r.val(globalKey);
    return (global !== undefined ? global : ZONE_CODE_DEFAULTS[k]) as T;
  };
  const anon = pick<string>('allow_anonymous');
  // unset keys stay as undefined properties: deleting them would turn the object into a
  // dictionary, and the channel reads the zone on every packet
  return {
    name,
    idleTimeout: pick<number>('idle_timeout'),
    allowAnonymous: anon === 'false_quick_deny' ? 'false_quick_deny' : anon === 'true',
    aclNomatch: pick<AclResult>('acl_nomatch'),
    enableAcl: pick<boolean>('enable_acl'),
    enableBan: pick<boolean>('enable_ban'),
    enableStats: pick<boolean>('enable_stats'),
    aclDenyAction: pick<AclDenyAction>('acl_deny_action'),
    // global only, as in EMQX
    enableAclCache: r.bool('enable_acl_cache'),
    aclCacheMaxSize: r.num('acl_cache_max_size'),
    aclCacheTtl: r.num('acl_cache_ttl'),
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
    // the conf value is a duration (ms); the protocol layer wants seconds
    sessionExpiryInterval: Math.round(pick<number>('session_expiry_interval') / 1000),
    maxMqueueLen: pick<number>('max_mqueue_len'),
    mqueuePriorities: pick<Readonly<Record<string, number>> | null>('mqueue_priorities'),
    mqueueDefaultPriority: pick<Zone['mqueueDefaultPriority']>('mqueue_default_priority'),
    mqueueStoreQos0: pick<boolean>('mqueue_store_qos0'),
    backpressure: pick<boolean>('backpressure'),
    backpressureHighWatermark: pick<number>('backpressure_high_watermark'),
    backpressureLowWatermark: pick<number>('backpressure_low_watermark'),
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
  };
}
