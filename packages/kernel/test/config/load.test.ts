import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  envNameToKey,
  keyToEnvName,
  loadConfig,
  type Config,
  type LoadConfigOptions,
} from '../../src/config/index.js';
import { listenerFromConfig } from '../../src/boot.js';

function load(text: string, opts: Partial<LoadConfigOptions> = {}): Config {
  return loadConfig({ text, file: 'etc/emqx.conf', baseDir: '/opt/nemq', ...opts });
}

function problems(text: string, opts: Partial<LoadConfigOptions> = {}): string[] {
  try {
    load(text, opts);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: errors', () => {
  test('a bad value names file, line, key, value and what was expected', () => {
    const text = `${'# filler\n'.repeat(122)}listener.tcp.external = abc\n`;
    expect(problems(text)).toEqual(['etc/emqx.conf:123: listener.tcp.external: expected [ip:]port, got "abc"']);
  });

  test('an unknown key is an error', () => {
    expect(problems('mqtt.max_packet_sise = 1MB')).toEqual(['etc/emqx.conf:1: mqtt.max_packet_sise: unknown key']);
    expect(problems('listener.udp.x = 1883')).toEqual(['etc/emqx.conf:1: listener.udp.x: unknown key']);
    expect(problems('listener.tcp.x.mqtt_path = /mqtt')).toEqual([
      'etc/emqx.conf:1: listener.tcp.x.mqtt_path: unknown key',
    ]);
    expect(problems('log.verbose.file = v.log')).toEqual(['etc/emqx.conf:1: log.verbose.file: unknown key']);
  });

  test('all problems are collected and reported together, syntax errors included', () => {
    const e = (() => {
      try {
        load('a b c\nmqtt.max_qos_allowed = 5\nnope = 1\nacl_nomatch = maybe\n');
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('accepted');
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.name).toBe('ConfigError');
    expect(e.problems).toEqual([
      'etc/emqx.conf:1: syntax error: expected "key = value", got "a b c"',
      'etc/emqx.conf:2: mqtt.max_qos_allowed: expected an integer 0..2, got "5"',
      'etc/emqx.conf:3: nope: unknown key',
      'etc/emqx.conf:4: acl_nomatch: expected allow | deny, got "maybe"',
    ]);
    expect(e.message).toMatch(/^4 configuration problems:\n {2}etc\/emqx\.conf:1: /);
  });

  test('a file that cannot be read is a ConfigError', () => {
    expect(() => loadConfig({ file: '/nonexistent/etc/emqx.conf' })).toThrow(ConfigError);
    expect(() => loadConfig({ file: '/nonexistent/etc/emqx.conf' })).toThrow(/^\/nonexistent\/etc\/emqx\.conf: cannot read/);
  });

  test('psk_ciphers together with ciphers, or with TLS 1.3 allowed, is refused', () => {
    expect(problems('listener.ssl.a = 8883\nlistener.ssl.a.ciphers = AES128-SHA\nlistener.ssl.a.psk_ciphers = RSA-PSK-AES128-CBC-SHA')).toEqual([
      'etc/emqx.conf:3: listener.ssl.a.psk_ciphers: cannot be set together with listener.ssl.a.ciphers',
    ]);
    expect(problems('listener.ssl.a = 8883\nlistener.ssl.a.psk_ciphers = RSA-PSK-AES128-CBC-SHA')).toEqual([
      'etc/emqx.conf:2: listener.ssl.a.psk_ciphers: needs listener.ssl.a.tls_versions without tlsv1.3',
    ]);
    const cfg = load('listener.ssl.a = 8883\nlistener.ssl.a.psk_ciphers = RSA-PSK-AES128-CBC-SHA\nlistener.ssl.a.tls_versions = tlsv1.2');
    // what the listener is started with (boot.ts)
    const spec = listenerFromConfig(cfg.listeners.find((l) => l.name === 'a')!);
    expect(spec).toMatchObject({ pskCiphers: ['RSA-PSK-AES128-CBC-SHA'], tlsVersions: ['tlsv1.2'] });
    expect(spec.ciphers).toBeUndefined();
  });

  test('two listeners on the same address are refused', () => {
    expect(problems('listener.tcp.a = 1883\nlistener.ws.b = 0.0.0.0:1883')).toEqual([
      'etc/emqx.conf:2: listener.ws.b: 0.0.0.0:1883 is already used by listener.tcp.a',
    ]);
  });

  test('a WebSocket path must start with "/"', () => {
    expect(problems('listener.ws.a = 8083\nlistener.ws.a.mqtt_path = mqtt')).toEqual([
      'etc/emqx.conf:2: listener.ws.a.mqtt_path: must start with "/", got "mqtt"',
    ]);
  });
});

describe('loadConfig: values and defaults', () => {
  test('an empty file gives EMQX schema defaults and no listeners', () => {
    const c = load('');
    expect(c.listeners).toEqual([]);
    expect(c.node.name).toBe('emqx@127.0.0.1');
    expect(c.node.dataDir).toBe('/opt/nemq/data');
    expect(c.acl.allowAnonymous).toBe(false); // schema default; the shipped file says true
    expect(c.acl.aclNomatch).toBe('deny');
    expect(c.acl.aclFile).toBeUndefined();
    expect(c.acl.cache).toEqual({ enable: true, maxSize: 32, ttl: 60_000 });
    expect(c.acl.flappingDetectPolicy).toEqual({ threshold: 30, windowMs: 60_000, banMs: 300_000 });
    expect(c.mqtt.maxPacketSize).toBe(1_048_576);
    expect(c.broker.sharedSubscriptionStrategy).toBe('round_robin');
    expect(c.log.to).toBe('file');
    expect(c.plugins.loadedFile).toBe('/opt/nemq/data/loaded_plugins');
    expect(Object.keys(c.zones)).toEqual(['default']);
  });

  test('an unset plugins.loaded_file follows node.data_dir; a set one wins', () => {
    expect(load('node.data_dir = /var/lib/x').plugins.loadedFile).toBe('/var/lib/x/loaded_plugins');
    expect(load('node.data_dir = state').plugins.loadedFile).toBe('/opt/nemq/state/loaded_plugins');
    expect(load('', { env: { EMQX_NODE__DATA_DIR: '/tmp/d' } }).plugins.loadedFile).toBe('/tmp/d/loaded_plugins');
    const set = load('node.data_dir = /var/lib/x\nplugins.loaded_file = etc/loaded');
    expect(set.plugins.loadedFile).toBe('/opt/nemq/etc/loaded');
    expect(load('', { env: { EMQX_NODE__DATA_DIR: '/tmp/d', EMQX_PLUGINS__LOADED_FILE: '/srv/lp' } }).plugins.loadedFile).toBe('/srv/lp');
  });

  test('later duplicates win', () => {
    expect(load('mqtt.max_topic_levels = 1\nmqtt.max_topic_levels = 7').mqtt.maxTopicLevels).toBe(7);
  });

  test('include <file> adds settings that the including file does not set itself', () => {
    const root = mkdtempSync(join(tmpdir(), 'nemq-inc-'));
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc', 'extra.conf'), 'mqtt.max_topic_levels = 3\nmqtt.max_qos_allowed = 1\n');
    writeFileSync(join(root, 'etc', 'emqx.conf'), 'include etc/extra.conf\nmqtt.max_qos_allowed = 2\n');
    const c = loadConfig({ file: join(root, 'etc', 'emqx.conf') });
    expect(c.mqtt.maxTopicLevels).toBe(3);
    expect(c.mqtt.maxQosAllowed).toBe(2);
    expect(c.source('mqtt.max_topic_levels')).toBe('etc/extra.conf:1');
    expect(() => load('include etc/missing.conf')).toThrow(/etc\/emqx\.conf:1: include etc\/missing\.conf: cannot read/);
  });

  test('get() returns effective values and schema defaults; source() tells where they came from', () => {
    const c = load('mqtt.max_topic_levels = 7\nzone.a.max_inflight = 10');
    expect(c.get('mqtt.max_topic_levels')).toBe(7);
    expect(c.source('mqtt.max_topic_levels')).toBe('etc/emqx.conf:1');
    expect(c.get('mqtt.max_qos_allowed')).toBe(2);
    expect(c.source('mqtt.max_qos_allowed')).toBe('default');
    expect(c.get('zone.a.idle_timeout')).toBe(15_000); // filled for zone a
    expect(c.source('zone.a.idle_timeout')).toBe('default');
    expect(c.get('zone.b.idle_timeout')).toBe(15_000); // schema default for a key never set
    expect(c.source('zone.b.idle_timeout')).toBeUndefined();
    expect(c.get('no.such.key')).toBeUndefined();
    expect(c.raw.get('zone.a.max_inflight')).toBe(10);
  });

  test('{{ platform_*_dir }} placeholders of EMQX source configs expand to install-relative paths', () => {
    const c = load('acl_file = {{ platform_etc_dir }}/acl.conf\nnode.data_dir = {{ platform_data_dir }}');
    expect(c.acl.aclFile).toBe('/opt/nemq/etc/acl.conf');
    expect(c.node.dataDir).toBe('/opt/nemq/data');
  });

  test('baseDir defaults to the parent of the directory holding the conf file', () => {
    const root = mkdtempSync(join(tmpdir(), 'nemq-conf-'));
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc', 'emqx.conf'), 'acl_file = etc/acl.conf\n');
    const c = loadConfig({ file: join(root, 'etc', 'emqx.conf') });
    expect(c.baseDir).toBe(root);
    expect(c.acl.aclFile).toBe(join(root, 'etc', 'acl.conf'));
  });

  test('the result is deep-frozen, raw map included', () => {
    const c = load('listener.tcp.a = 1883\nzone.z.max_inflight = 1');
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.listeners)).toBe(true);
    expect(Object.isFrozen(c.listeners[0])).toBe(true);
    expect(Object.isFrozen(c.zones['z'])).toBe(true);
    expect(Object.isFrozen(c.acl.cache)).toBe(true);
    expect(() => (c.raw as Map<string, unknown>).set('x', 1)).toThrow(/read-only/);
    expect(() => (c.raw as Map<string, unknown>).delete('listener.tcp.a')).toThrow(/read-only/);
    expect(() => (c.raw as Map<string, unknown>).clear()).toThrow(/read-only/);
    expect(() => {
      (c.mqtt as { maxPacketSize: number }).maxPacketSize = 1;
    }).toThrow(TypeError);
  });
});

describe('loadConfig: EMQX_* environment overrides', () => {
  const base = 'listener.tcp.external = 0.0.0.0:1883\nzone.external.max_inflight = 32\n';

  test('env names map to keys: drop EMQX_, lower-case, __ → .', () => {
    expect(envNameToKey('EMQX_LISTENER__TCP__EXTERNAL')).toBe('listener.tcp.external');
    expect(envNameToKey('EMQX_ZONE__EXTERNAL__MAX_INFLIGHT')).toBe('zone.external.max_inflight');
    expect(envNameToKey('EMQX_ALLOW_ANONYMOUS')).toBe('allow_anonymous');
    expect(envNameToKey('PATH')).toBeUndefined();
    expect(keyToEnvName('listener.ws.external.mqtt_path')).toBe('EMQX_LISTENER__WS__EXTERNAL__MQTT_PATH');
  });

  test('EMQX_LISTENER__TCP__EXTERNAL and EMQX_ZONE__EXTERNAL__MAX_INFLIGHT override the file', () => {
    const c = load(base, {
      env: { EMQX_LISTENER__TCP__EXTERNAL: '127.0.0.1:21883', EMQX_ZONE__EXTERNAL__MAX_INFLIGHT: '64' },
    });
    expect(c.listeners[0]).toMatchObject({ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 21883 });
    expect(c.zones['external']?.maxInflight).toBe(64);
    expect(c.source('listener.tcp.external')).toBe('env EMQX_LISTENER__TCP__EXTERNAL');
  });

  test('env can set keys absent from the file, including single-word ones', () => {
    const c = load('', {
      env: { EMQX_ALLOW_ANONYMOUS: 'true', EMQX_LISTENER__WS__EXTRA: '9083', EMQX_MQTT__MAX_PACKET_SIZE: '64KB' },
    });
    expect(c.acl.allowAnonymous).toBe(true);
    expect(c.mqtt.maxPacketSize).toBe(65_536);
    expect(c.listeners.map((l) => `${l.proto}:${l.name}:${l.port}`)).toEqual(['ws:extra:9083']);
    const ws = c.listeners[0];
    expect(ws?.proto === 'ws' && ws.ws.mqttPath).toBe('/mqtt');
  });

  test('env vars that are not emqx.conf keys are ignored', () => {
    const c = load(base, {
      env: {
        EMQX_NAME: 'x',
        EMQX_HOST: 'y',
        EMQX_AUTH__MYSQL__SERVER: '127.0.0.1:3306',
        EMQX_LOADED_PLUGINS: 'emqx_retainer',
        EMQX_: 'nothing',
        EMQX_LISTENER____TCP: 'odd',
        HOME: '/root',
      },
    });
    expect(c.node.name).toBe('emqx@127.0.0.1');
    expect(c.listeners).toHaveLength(1);
  });

  test('a bad env value is an error naming the env var', () => {
    expect(problems(base, { env: { EMQX_LISTENER__TCP__EXTERNAL: 'abc', EMQX_ZONE__EXTERNAL__MAX_INFLIGHT: '-1' } })).toEqual([
      'env EMQX_LISTENER__TCP__EXTERNAL: listener.tcp.external: expected [ip:]port, got "abc"',
      'env EMQX_ZONE__EXTERNAL__MAX_INFLIGHT: zone.external.max_inflight: expected an integer 0..65535, got "-1"',
    ]);
  });

  test('an empty env value unsets the key (EMQX 4.3 cuttlefish): a listener goes, a zone key falls back', () => {
    const c = load(`${base}listener.ssl.external = 8883\nzone.external.idle_timeout = 5s\n`, {
      env: { EMQX_LISTENER__SSL__EXTERNAL: '', EMQX_ZONE__EXTERNAL__MAX_INFLIGHT: '' },
    });
    expect(c.listeners.map((l) => l.proto)).toEqual(['tcp']);
    expect(c.get('listener.ssl.external')).toBeUndefined();
    expect(c.zones['external']?.maxInflight).toBe(0); // zone schema default
  });

  test('legacy EMQX_NODE_NAME / EMQX_NODE_COOKIE / EMQX_MAX_PACKET_SIZE map to their keys and win', () => {
    const c = load('', {
      env: {
        EMQX_NODE__NAME: 'a@h',
        EMQX_NODE_NAME: 'b@h',
        EMQX_NODE_COOKIE: 'secret',
        EMQX_MAX_PACKET_SIZE: '2MB',
        EMQX_MAX_PORTS: '4096',
      },
    });
    expect(c.node).toMatchObject({ name: 'b@h', cookie: 'secret', maxPorts: 4096 });
    expect(c.mqtt.maxPacketSize).toBe(2 * 1_048_576);
    expect(c.source('node.name')).toBe('env EMQX_NODE_NAME');
    expect(problems('', { env: { EMQX_NODE_NAME: 'nohost' } })).toEqual([
      'env EMQX_NODE_NAME: node.name: expected a node name like emqx@127.0.0.1, got "nohost"',
    ]);
  });

  test('env reaches a name written with capitals in the file', () => {
    const c = load('zone.Edge.max_inflight = 1\nlistener.tcp.Edge = 1884\nlistener.tcp.Edge.zone = Edge', {
      env: { EMQX_ZONE__EDGE__MAX_INFLIGHT: '5' },
    });
    expect(c.zones['Edge']?.maxInflight).toBe(5);
    expect(c.zones['edge']).toBeUndefined();
  });

  test('overrides apply after env; unknown override keys are errors', () => {
    const c = load(base, {
      env: { EMQX_ZONE__EXTERNAL__MAX_INFLIGHT: '64' },
      overrides: { 'zone.external.max_inflight': '128', 'listener.tcp.external': '1999' },
    });
    expect(c.zones['external']?.maxInflight).toBe(128);
    expect(c.listeners[0]?.port).toBe(1999);
    expect(c.source('zone.external.max_inflight')).toBe('override');
    expect(problems(base, { overrides: { 'no.such': '1', 'mqtt.max_qos_allowed': '9' } })).toEqual([
      'override: no.such: unknown key',
      'override: mqtt.max_qos_allowed: expected an integer 0..2, got "9"',
    ]);
  });

  test('env is not read unless passed', () => {
    process.env['EMQX_MQTT__MAX_TOPIC_LEVELS'] = '3';
    try {
      expect(load('').mqtt.maxTopicLevels).toBe(128);
      expect(load('', { env: process.env }).mqtt.maxTopicLevels).toBe(3);
    } finally {
      delete process.env['EMQX_MQTT__MAX_TOPIC_LEVELS'];
    }
  });
});

describe('loadConfig: zones', () => {
  test('a zone key falls back to the global key of the same name', () => {
    const c = load(
      [
        'mqtt.max_packet_size = 256KB',
        'mqtt.max_topic_levels = 9',
        'mqtt.wildcard_subscription = false',
        'allow_anonymous = true',
        'acl_nomatch = allow',
        'mqtt.response_information = hi',
        'zone.z.max_inflight = 10',
        'zone.y.max_packet_size = 1KB',
        'zone.y.allow_anonymous = false',
      ].join('\n'),
    );
    const z = c.zones['z'];
    expect(z).toMatchObject({
      maxPacketSize: 256 * 1024,
      maxTopicLevels: 9,
      wildcardSubscription: false,
      allowAnonymous: true,
      aclNomatch: 'allow',
      responseInformation: 'hi',
    });
    expect(c.zones['y']).toMatchObject({ maxPacketSize: 1024, allowAnonymous: false, maxTopicLevels: 9 });
  });

  test('zone keys with a schema default use it, not the global key (cuttlefish fills zone defaults)', () => {
    const c = load('mqtt.strict_mode = true\nacl_deny_action = disconnect\nzone.z.max_inflight = 1');
    expect(c.zones['z']?.strictMode).toBe(false);
    expect(c.zones['z']?.aclDenyAction).toBe('ignore');
    expect(c.zones['z']).toMatchObject({
      idleTimeout: 15_000,
      enableAcl: false,
      enableStats: false,
      maxInflight: 1,
      maxAwaitingRel: 0,
      retryInterval: 30_000,
      awaitRelTimeout: 300_000,
      sessionExpiryInterval: 7200, // seconds, as the protocol layer reads it
      mqueueDefaultPriority: 'lowest',
      forceShutdownPolicy: { maxMessageQueueLen: 10000, maxHeapSize: 64 * 1_048_576 },
    });
  });

  test('the default zone (listener without zone) sees globals and EMQX built-in defaults', () => {
    const c = load('listener.tcp.plain = 1883\nmqtt.strict_mode = true\nacl_deny_action = disconnect');
    expect(c.listeners[0]?.zone).toBe('default');
    expect(c.zones['default']).toMatchObject({
      name: 'default',
      strictMode: true,
      aclDenyAction: 'disconnect',
      idleTimeout: 30_000,
      enableAcl: true,
      enableStats: true,
      maxInflight: 65535,
      retryInterval: 0,
      maxAwaitingRel: 100,
      sessionExpiryInterval: 0,
    });
    expect(c.zones['default']?.forceShutdownPolicy).toBeUndefined();
  });

  test('a zone named only by a listener exists, built like the default zone', () => {
    const c = load('listener.tcp.a = 1883\nlistener.tcp.a.zone = edge');
    expect(Object.keys(c.zones).sort()).toEqual(['default', 'edge']);
    expect(c.zones['edge']).toMatchObject({ name: 'edge', enableAcl: true, maxInflight: 65535 });
  });

  test('optional zone settings are undefined unless set; serverKeepalive is in seconds', () => {
    const c = load(
      [
        'zone.z.server_keepalive = 30',
        'zone.z.mountpoint = dev/%c/',
        'zone.z.rate_limit.conn_messages_in = 100,10s',
        'zone.z.quota.conn_messages_routing = 100,1s',
        'zone.z.publish_limit = 10,1m',
        'zone.w.max_inflight = 1',
      ].join('\n'),
    );
    expect(c.zones['z']).toMatchObject({
      serverKeepalive: 30,
      mountpoint: 'dev/%c/',
      rateLimit: { connMessagesIn: { limit: 100, periodMs: 10_000 } },
      quota: { connMessagesRouting: { limit: 100, periodMs: 1000 } },
      publishLimit: { limit: 10, periodMs: 60_000 },
    });
    // unset: undefined (kept as properties so the zone object stays fast, see zone-shape.test.ts)
    const w = c.zones['w']!;
    expect(w.serverKeepalive).toBeUndefined();
    expect(w.mountpoint).toBeUndefined();
    expect(w.forceGcPolicy).toBeUndefined();
    expect(w.maxInflight).toBe(1);
  });

  test('allow_anonymous = false_quick_deny', () => {
    const c = load('allow_anonymous = false_quick_deny\nzone.z.max_inflight = 1');
    expect(c.acl).toMatchObject({ allowAnonymous: false, allowAnonymousQuickDeny: true });
    expect(c.zones['z']?.allowAnonymous).toBe('false_quick_deny');
  });
});

describe('loadConfig: listeners and other sections', () => {
  test('listener defaults come from the EMQX schema; options without a bind create no listener', () => {
    const c = load('listener.tcp.a = 1883\nlistener.tcp.b.acceptors = 2');
    expect(c.listeners).toHaveLength(1);
    expect(c.listeners[0]).toMatchObject({
      id: 'mqtt:tcp:a',
      bind: '1883',
      host: '0.0.0.0',
      port: 1883,
      zone: 'default',
      acceptors: 8,
      maxConnections: 1024,
      activeN: 100,
      access: [],
      tcp: { backlog: 1024, sendTimeout: 15_000, sendTimeoutClose: true, nodelay: true, highWatermark: 1_048_576 },
    });
    expect(c.get('listener.tcp.b.acceptors')).toBe(2);
  });

  test('access rules are ordered by their number', () => {
    const c = load(
      'listener.tcp.a = 1883\nlistener.tcp.a.access.10 = allow all\nlistener.tcp.a.access.2 = deny 10.0.0.0/8\nlistener.tcp.a.access.1 = allow 10.1.0.0/16',
    );
    expect(c.listeners[0]?.access).toEqual([
      { action: 'allow', cidr: '10.1.0.0/16' },
      { action: 'deny', cidr: '10.0.0.0/8' },
      { action: 'allow', cidr: 'all' },
    ]);
  });

  test('ssl / ws / wss listeners carry typed TLS and WebSocket options', () => {
    const c = load(
      [
        'listener.ssl.s = [::]:8883',
        'listener.ssl.s.keyfile = etc/certs/key.pem',
        'listener.ssl.s.verify = verify_peer',
        'listener.ssl.s.fail_if_no_peer_cert = true',
        'listener.ssl.s.peer_cert_as_username = dn',
        'listener.ws.w = 8083',
        'listener.ws.w.proxy_address_header = X-Real-IP',
        'listener.ws.w.supported_subprotocols = mqtt mqtt-v5',
        'listener.ws.w.deflate_opts.level = best_speed',
        'listener.wss.x = 8084',
        'listener.wss.x.mqtt_path = /ws',
      ].join('\n'),
    );
    const [s, w, x] = c.listeners;
    expect(s?.proto).toBe('ssl');
    if (s?.proto !== 'ssl') throw new Error('not ssl');
    expect(s.host).toBe('::');
    expect(s.peerCertAsUsername).toBe('dn');
    expect(s.ssl).toEqual({
      keyfile: '/opt/nemq/etc/certs/key.pem',
      handshakeTimeout: 15_000,
      depth: 10,
      verify: 'verify_peer',
      failIfNoPeerCert: true,
      reuseSessions: true,
      gcAfterHandshake: false,
    });
    if (w?.proto !== 'ws') throw new Error('not ws');
    expect(w.ws).toMatchObject({
      mqttPath: '/mqtt',
      mqttPiggyback: 'multiple',
      proxyAddressHeader: 'x-real-ip',
      proxyPortHeader: 'x-forwarded-port',
      supportedSubprotocols: ['mqtt', 'mqtt-v5'],
      deflateOpts: { level: 'best_speed' },
      failIfNoSubprotocol: true,
      checkOriginEnable: false,
      allowOriginAbsence: true,
      checkOrigins: [],
    });
    if (x?.proto !== 'wss') throw new Error('not wss');
    expect(x.ws.mqttPath).toBe('/ws');
    expect(x.ssl.handshakeTimeout).toBe(15_000);
  });

  test('tcp listeners only take cn from a proxied certificate; TLS listeners take the full set', () => {
    expect(problems('listener.tcp.a = 1\nlistener.tcp.a.peer_cert_as_username = dn')).toEqual([
      'etc/emqx.conf:2: listener.tcp.a.peer_cert_as_username: expected cn, got "dn"',
    ]);
  });

  test('broker per-group strategies, log level files, module subscriptions and rewrite rules', () => {
    const c = load(
      [
        'broker.shared_subscription_strategy = random',
        'broker.g1.shared_subscription_strategy = local',
        'log.error.file = error.log',
        'module.subscription.2.topic = b/%c',
        'module.subscription.1.topic = a/%u',
        'module.subscription.1.qos = 2',
        'module.rewrite.pub.rule.1 = x/# ^x/y/(.+)$ z/y/$1',
      ].join('\n'),
    );
    expect(c.broker.sharedSubscriptionStrategy).toBe('random');
    expect(c.broker.sharedSubscriptionStrategyPerGroup).toEqual({ g1: 'local' });
    expect(c.log.levelFiles).toEqual({ error: 'error.log' });
    expect(c.modules.subscriptions).toEqual([
      { topic: 'a/%u', qos: 2, nl: 0, rap: 0, rh: 0 },
      { topic: 'b/%c', qos: 1, nl: 0, rap: 0, rh: 0 },
    ]);
    expect(c.modules.rewrite.pub).toEqual(['x/# ^x/y/(.+)$ z/y/$1']);
  });
});
