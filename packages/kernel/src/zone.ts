// The per-zone settings the protocol layers read (EMQX zone.<name>.*, with global
// fallbacks already applied). Durations are milliseconds unless noted.
export interface Zone {
  name: string;
  idleTimeout: number;
  allowAnonymous: boolean | 'false_quick_deny';
  bypassAuthPlugins: boolean;
  enableAcl: boolean;
  aclNomatch: 'allow' | 'deny';
  aclDenyAction: 'ignore' | 'disconnect';
  enableAclCache: boolean;
  aclCacheMaxSize: number;
  aclCacheTtl: number;
  maxPacketSize: number;
  maxClientidLen: number;
  maxTopicLevels: number;
  maxQosAllowed: number;
  maxTopicAlias: number;
  retainAvailable: boolean;
  wildcardSubscription: boolean;
  sharedSubscription: boolean;
  /** seconds; undefined = use the client's */
  serverKeepalive: number | undefined;
  keepaliveBackoff: number;
  maxSubscriptions: number;
  upgradeQos: boolean;
  maxInflight: number;
  retryInterval: number;
  maxAwaitingRel: number;
  awaitRelTimeout: number;
  /** seconds, for v3 clean_session = false */
  sessionExpiryInterval: number;
  maxMqueueLen: number;
  mqueueStoreQos0: boolean;
  mountpoint: string | undefined;
  useUsernameAsClientid: boolean;
  ignoreLoopDeliver: boolean;
  responseInformation: string | undefined;
}

/** EMQX 4.3 external zone values */
export function defaultZone(name = 'external', over: Partial<Zone> = {}): Zone {
  return {
    name,
    idleTimeout: 15000,
    allowAnonymous: true,
    bypassAuthPlugins: false,
    enableAcl: true,
    aclNomatch: 'allow',
    aclDenyAction: 'ignore',
    enableAclCache: true,
    aclCacheMaxSize: 32,
    aclCacheTtl: 60000,
    maxPacketSize: 1024 * 1024,
    maxClientidLen: 65535,
    maxTopicLevels: 128,
    maxQosAllowed: 2,
    maxTopicAlias: 65535,
    retainAvailable: true,
    wildcardSubscription: true,
    sharedSubscription: true,
    serverKeepalive: undefined,
    keepaliveBackoff: 0.75,
    maxSubscriptions: 0,
    upgradeQos: false,
    maxInflight: 32,
    retryInterval: 30000,
    maxAwaitingRel: 100,
    awaitRelTimeout: 300000,
    sessionExpiryInterval: 7200,
    maxMqueueLen: 1000,
    mqueueStoreQos0: true,
    mountpoint: undefined,
    useUsernameAsClientid: false,
    ignoreLoopDeliver: false,
    responseInformation: undefined,
    ...over,
  };
}
