// defaultZone (createBroker without a conf, tests) and the zones built from etc/emqx.conf share one source.
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { defaultZone, type Zone } from '../../src/zone.js';

const ROOT = resolve(__dirname, '../../../..');

// The values defaultZone('external') had before the zone tables were merged (EMQX 4.3 external zone).
const PINNED: Record<string, unknown> = {
  name: 'external',
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
};

const pick = (z: Zone): Record<string, unknown> =>
  Object.fromEntries(Object.keys(PINNED).map((k) => [k, (z as unknown as Record<string, unknown>)[k]]));

describe('defaultZone', () => {
  test('external keeps the values it had', () => {
    expect(pick(defaultZone('external'))).toEqual(PINNED);
    expect(pick(defaultZone())).toEqual(PINNED);
  });

  test('another name gets the same values; overrides win', () => {
    expect(pick(defaultZone('default'))).toEqual({ ...PINNED, name: 'default' });
    const z = defaultZone('edge', { maxInflight: 5, allowAnonymous: 'false_quick_deny' });
    expect(pick(z)).toEqual({ ...PINNED, name: 'edge', maxInflight: 5, allowAnonymous: 'false_quick_deny' });
  });

  test('every field equals the external zone built from the shipped etc/emqx.conf', () => {
    const cfg = loadConfig({ file: join(ROOT, 'etc', 'emqx.conf') });
    expect(defaultZone('external')).toEqual(cfg.zones['external']);
    expect(pick(cfg.zones['external']!)).toEqual(PINNED);
  });

  test('each call gives a fresh object', () => {
    const a = defaultZone('a');
    expect(a).not.toBe(defaultZone('a'));
    expect(Object.isFrozen(a)).toBe(false);
  });
});
