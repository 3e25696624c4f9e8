import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, lookupKey, parseConfText } from '../../src/config/index.js';

const ROOT = resolve(__dirname, '../../../..');
const FILE = join(ROOT, 'etc', 'emqx.conf');

describe('shipped etc/emqx.conf', () => {
  const c = loadConfig({ file: FILE });

  test('loads with zero errors and resolves paths against the install root', () => {
    expect(c.baseDir).toBe(ROOT);
    expect(c.node).toMatchObject({ name: 'emqx@127.0.0.1', cookie: 'emqxsecretcookie', dataDir: join(ROOT, 'data') });
    expect(c.acl.aclFile).toBe(join(ROOT, 'etc', 'acl.conf'));
    expect(c.plugins).toEqual({
      etcDir: `${join(ROOT, 'etc', 'plugins')}/`,
      loadedFile: join(ROOT, 'data', 'loaded_plugins'),
      expandPluginsDir: `${join(ROOT, 'plugins')}/`,
    });
    expect(c.modules.loadedFile).toBe(join(ROOT, 'data', 'loaded_modules'));
  });

  test('EMQX_NODE__DATA_DIR moves the loaded-plugins file with the data dir', () => {
    const o = loadConfig({ file: FILE, env: { EMQX_NODE__DATA_DIR: '/tmp/nemq-data' } });
    expect(o.node.dataDir).toBe('/tmp/nemq-data');
    expect(o.plugins.loadedFile).toBe('/tmp/nemq-data/loaded_plugins');
  });

  test('every active line is a schema key written at most once', () => {
    const entries = parseConfText(readFileSync(FILE, 'utf8'), FILE);
    for (const e of entries) expect([e.key, lookupKey(e.key) !== undefined]).toEqual([e.key, true]);
    expect(new Set(entries.map((e) => e.key)).size).toBe(entries.length);
  });

  test('every commented-out example line is a valid setting too', () => {
    const examples = readFileSync(FILE, 'utf8')
      .split('\n')
      .map((l) => /^#+ ?([a-z_]+(?:\.[A-Za-z0-9_-]+)* = .*)$/.exec(l)?.[1])
      .filter((l): l is string => l !== undefined)
      // psk_ciphers cannot be combined with the active ciphers line
      .filter((l) => !l.includes('psk_ciphers'));
    expect(examples.length).toBeGreaterThan(100);
    expect(() => loadConfig({ text: examples.join('\n'), file: 'examples.conf', baseDir: ROOT })).not.toThrow();
  });

  test('log, ACL and broker sections have the shipped values', () => {
    expect(c.log).toMatchObject({ to: 'console', level: 'warning', dir: join(ROOT, 'log'), file: 'emqx.log' });
    expect(c.log.rotation).toEqual({ enable: true, size: 10 * 1_048_576, count: 5 });
    expect(c.acl).toEqual({
      allowAnonymous: true,
      allowAnonymousQuickDeny: false,
      aclNomatch: 'allow',
      aclFile: join(ROOT, 'etc', 'acl.conf'),
      aclDenyAction: 'ignore',
      cache: { enable: true, maxSize: 32, ttl: 60_000 },
      flappingDetectPolicy: { threshold: 30, windowMs: 60_000, banMs: 300_000 },
      authOrder: [],
      aclOrder: [],
    });
    expect(c.broker).toMatchObject({
      sysInterval: 60_000,
      sysHeartbeat: 30_000,
      sessionLockingStrategy: 'quorum',
      sharedSubscriptionStrategy: 'random',
      sharedDispatchAckEnabled: false,
      routeBatchClean: false,
      perf: { routeLockType: 'key', trieCompaction: true },
    });
    expect(c.mqtt).toEqual({
      maxPacketSize: 1_048_576,
      maxClientidLen: 65535,
      maxTopicLevels: 128,
      maxQosAllowed: 2,
      maxTopicAlias: 65535,
      retainAvailable: true,
      wildcardSubscription: true,
      sharedSubscription: true,
      exclusiveSubscription: false,
      ignoreLoopDeliver: false,
      strictMode: false,
    });
    expect(c.sysmon).toEqual({ longGc: 0, longSchedule: 240, largeHeap: 8 * 1_048_576, busyPort: false, busyDistPort: true });
    expect(c.osMon).toMatchObject({ cpuCheckInterval: 60_000, cpuHighWatermark: 0.8, sysmemHighWatermark: 0.7 });
    expect(c.vmMon).toEqual({ checkInterval: 30_000, processHighWatermark: 0.8, processLowWatermark: 0.6 });
    expect(c.alarm).toEqual({ actions: ['log', 'publish'], sizeLimit: 1000, validityPeriod: 86_400_000 });
  });

  test('listeners: tcp 0.0.0.0:1883, tcp internal 127.0.0.1:11883, ssl 8883, ws 8083 /mqtt, wss 8084', () => {
    expect(c.listeners.map((l) => [l.id, l.host, l.port, l.zone])).toEqual([
      ['mqtt:tcp:external', '0.0.0.0', 1883, 'external'],
      ['mqtt:tcp:internal', '127.0.0.1', 11883, 'internal'],
      ['mqtt:ssl:external', '0.0.0.0', 8883, 'external'],
      ['mqtt:ws:external', '0.0.0.0', 8083, 'external'],
      ['mqtt:wss:external', '0.0.0.0', 8084, 'external'],
    ]);
    const [tcp, internal, ssl, ws, wss] = c.listeners;
    expect(tcp).toMatchObject({
      acceptors: 8,
      maxConnections: 1_024_000,
      maxConnRate: 1000,
      activeN: 100,
      access: [{ action: 'allow', cidr: 'all' }],
      tcp: { backlog: 1024, sendTimeout: 15_000, sendTimeoutClose: true, nodelay: true, reuseaddr: true },
    });
    expect(internal).toMatchObject({
      acceptors: 4,
      activeN: 1000,
      access: [],
      tcp: { backlog: 512, sendTimeout: 5000, recbuf: 65_536, sndbuf: 65_536, nodelay: false },
    });
    if (ssl?.proto !== 'ssl') throw new Error('ssl listener missing');
    expect(ssl).toMatchObject({ acceptors: 16, maxConnections: 102_400, maxConnRate: 500, tcp: { recbuf: 4096, sndbuf: 4096 } });
    expect(ssl.ssl).toMatchObject({
      keyfile: join(ROOT, 'etc', 'certs', 'key.pem'),
      certfile: join(ROOT, 'etc', 'certs', 'cert.pem'),
      cacertfile: join(ROOT, 'etc', 'certs', 'cacert.pem'),
      handshakeTimeout: 15_000,
    });
    expect(ssl.ssl.ciphers).toContain('TLS_AES_256_GCM_SHA384');
    if (ws?.proto !== 'ws') throw new Error('ws listener missing');
    expect(ws).toMatchObject({ acceptors: 4, maxConnections: 102_400 });
    expect(ws.ws).toMatchObject({
      mqttPath: '/mqtt',
      mqttPiggyback: 'multiple',
      checkOriginEnable: false,
      allowOriginAbsence: true,
      checkOrigins: ['http://localhost:18083', 'http://127.0.0.1:18083'],
      supportedSubprotocols: ['mqtt', 'mqtt-v3', 'mqtt-v3.1.1', 'mqtt-v5'],
      proxyAddressHeader: 'x-forwarded-for',
    });
    if (wss?.proto !== 'wss') throw new Error('wss listener missing');
    expect(wss.ws.mqttPath).toBe('/mqtt');
    expect(wss.ssl).toMatchObject({
      keyfile: join(ROOT, 'etc', 'certs', 'key.pem'),
      certfile: join(ROOT, 'etc', 'certs', 'cert.pem'),
      cacertfile: join(ROOT, 'etc', 'certs', 'cacert.pem'),
    });
  });

  test('zone external has EMQX 4.3 values', () => {
    expect(c.zones['external']).toEqual({
      name: 'external',
      idleTimeout: 15_000,
      allowAnonymous: true,
      aclNomatch: 'allow',
      enableAcl: true,
      enableBan: true,
      enableStats: true,
      aclDenyAction: 'ignore',
      enableAclCache: true,
      aclCacheMaxSize: 32,
      aclCacheTtl: 60_000,
      forceGcPolicy: { count: 16000, bytes: 16 * 1_048_576 },
      forceShutdownPolicy: { maxMessageQueueLen: 10000, maxHeapSize: 64 * 1_048_576 },
      maxPacketSize: 1_048_576,
      maxClientidLen: 65535,
      maxTopicLevels: 128,
      maxQosAllowed: 2,
      maxTopicAlias: 65535,
      retainAvailable: true,
      wildcardSubscription: true,
      sharedSubscription: true,
      exclusiveSubscription: false,
      keepaliveBackoff: 0.75,
      maxSubscriptions: 0,
      upgradeQos: false,
      maxInflight: 32,
      retryInterval: 30_000,
      maxAwaitingRel: 100,
      awaitRelTimeout: 300_000,
      sessionExpiryInterval: 7200,
      maxMqueueLen: 1000,
      mqueuePriorities: null,
      mqueueDefaultPriority: 'highest',
      mqueueStoreQos0: true,
      backpressure: true,
      backpressureHighWatermark: 0,
      backpressureLowWatermark: 0,
      enableFlappingDetect: false,
      rateLimit: {},
      quota: {},
      connCongestion: { alarm: false, minAlarmSustainDuration: 60_000 },
      useUsernameAsClientid: false,
      ignoreLoopDeliver: false,
      strictMode: false,
      bypassAuthPlugins: false,
    });
  });

  test('zone internal has EMQX 4.3 values (bypasses auth, no ACL, bigger queues)', () => {
    expect(c.zones['internal']).toMatchObject({
      name: 'internal',
      allowAnonymous: true,
      enableStats: true,
      enableAcl: false,
      enableBan: false,
      aclDenyAction: 'ignore',
      maxSubscriptions: 0,
      maxInflight: 128,
      maxAwaitingRel: 1000,
      maxMqueueLen: 10000,
      mqueueStoreQos0: true,
      backpressure: true,
      backpressureHighWatermark: 0,
      backpressureLowWatermark: 0,
      mqueueDefaultPriority: 'lowest',
      enableFlappingDetect: false,
      ignoreLoopDeliver: false,
      strictMode: false,
      bypassAuthPlugins: true,
      idleTimeout: 15_000,
      retryInterval: 30_000,
    });
    expect(c.zones['internal']?.forceGcPolicy).toBeUndefined();
    expect(Object.keys(c.zones).sort()).toEqual(['default', 'external', 'internal']);
  });

  test('EMQX_LISTENER__TCP__EXTERNAL and EMQX_ZONE__EXTERNAL__MAX_INFLIGHT override the shipped file', () => {
    const o = loadConfig({
      file: FILE,
      env: { EMQX_LISTENER__TCP__EXTERNAL: '127.0.0.1:21883', EMQX_ZONE__EXTERNAL__MAX_INFLIGHT: '64' },
    });
    expect(o.listeners[0]).toMatchObject({ host: '127.0.0.1', port: 21883 });
    expect(o.zones['external']?.maxInflight).toBe(64);
  });
});
