import { ConfigError, loadConfig, parseValue, SCHEMA } from '../../src/config/index.js';

/** Load `lines` as etc/emqx.conf and return the typed value of `key`. */
function value(key: string, text: string): unknown {
  return loadConfig({ text: `${key} = ${text}`, file: 'etc/emqx.conf', baseDir: '/opt/nemq' }).get(key);
}

/** The single problem reported for `key = text`. */
function problem(key: string, text: string): string {
  try {
    loadConfig({ text: `${key} = ${text}`, file: 'etc/emqx.conf' });
  } catch (e) {
    if (e instanceof ConfigError && e.problems.length === 1) return e.problems[0] ?? '';
    throw e;
  }
  throw new Error(`${key} = ${text} was accepted`);
}

describe('value types', () => {
  test('string: kept as written; "" gives an empty string', () => {
    expect(value('mqtt.response_information', 'hello world')).toBe('hello world');
    expect(value('mqtt.response_information', '""')).toBe('');
  });

  test('node.name must be name@host', () => {
    expect(value('node.name', 'nemq@10.0.0.1')).toBe('nemq@10.0.0.1');
    expect(problem('node.name', 'nemq')).toBe(
      'etc/emqx.conf:1: node.name: expected a node name like emqx@127.0.0.1, got "nemq"',
    );
  });

  test('integer: digits with optional sign, within the key range', () => {
    expect(value('mqtt.max_topic_levels', '0')).toBe(0);
    expect(value('log.chars_limit', '-1')).toBe(-1);
    expect(problem('mqtt.max_qos_allowed', '3')).toBe(
      'etc/emqx.conf:1: mqtt.max_qos_allowed: expected an integer 0..2, got "3"',
    );
    expect(problem('mqtt.max_topic_levels', '1.5')).toMatch(/expected an integer >= 0, got "1.5"/);
    expect(problem('acl_cache_max_size', 'lots')).toMatch(/expected an integer >= 1, got "lots"/);
  });

  test('float: keepalive_backoff', () => {
    expect(value('zone.z.keepalive_backoff', '0.75')).toBe(0.75);
    expect(value('zone.z.keepalive_backoff', '1')).toBe(1);
    expect(problem('zone.z.keepalive_backoff', 'abc')).toMatch(/expected a number, got "abc"/);
  });

  test('boolean: on | off | true | false', () => {
    expect(value('enable_acl_cache', 'on')).toBe(true);
    expect(value('enable_acl_cache', 'off')).toBe(false);
    expect(value('mqtt.retain_available', 'true')).toBe(true);
    expect(value('mqtt.retain_available', 'false')).toBe(false);
    expect(problem('mqtt.retain_available', 'yes')).toBe(
      'etc/emqx.conf:1: mqtt.retain_available: expected on | off | true | false, got "yes"',
    );
  });

  test('enum: one of the listed words', () => {
    expect(value('acl_nomatch', 'deny')).toBe('deny');
    expect(value('log.level', 'debug')).toBe('debug');
    expect(problem('acl_nomatch', 'maybe')).toBe('etc/emqx.conf:1: acl_nomatch: expected allow | deny, got "maybe"');
  });

  test('duration: ms/s/m/h/d/w, combined, always returned in ms', () => {
    expect(value('acl_cache_ttl', '500ms')).toBe(500);
    expect(value('acl_cache_ttl', '15s')).toBe(15_000);
    expect(value('acl_cache_ttl', '1m')).toBe(60_000);
    expect(value('acl_cache_ttl', '2h')).toBe(7_200_000);
    expect(value('acl_cache_ttl', '1d')).toBe(86_400_000);
    expect(value('acl_cache_ttl', '1w')).toBe(7 * 86_400_000);
    expect(value('acl_cache_ttl', '1h30m')).toBe(5_400_000);
    expect(value('acl_cache_ttl', '1.5s')).toBe(1500);
    expect(problem('acl_cache_ttl', '15 seconds')).toBe(
      'etc/emqx.conf:1: acl_cache_ttl: expected a duration like 500ms, 15s, 1m, 2h, 1d, got "15 seconds"',
    );
    expect(problem('acl_cache_ttl', '10x')).toMatch(/expected a duration/);
  });

  test('duration: a bare number is in the unit EMQX keeps the key in', () => {
    expect(value('acl_cache_ttl', '5000')).toBe(5000); // ms key
    expect(value('zone.z.retry_interval', '30')).toBe(30_000); // seconds key
    expect(value('sysmon.long_schedule', '240')).toBe(240);
  });

  test('duration: seconds keys round up to whole seconds, as EMQX does', () => {
    expect(value('zone.z.retry_interval', '500ms')).toBe(1000);
    expect(value('zone.z.session_expiry_interval', '2h')).toBe(7_200_000);
  });

  test('bytesize: bare bytes or KB/MB/GB (1024-based)', () => {
    expect(value('mqtt.max_packet_size', '1024')).toBe(1024);
    expect(value('mqtt.max_packet_size', '64KB')).toBe(65_536);
    expect(value('mqtt.max_packet_size', '1MB')).toBe(1_048_576);
    expect(value('mqtt.max_packet_size', '1GB')).toBe(1_073_741_824);
    expect(value('mqtt.max_packet_size', '16mb')).toBe(16 * 1_048_576);
    expect(problem('mqtt.max_packet_size', '1.5MB')).toBe(
      'etc/emqx.conf:1: mqtt.max_packet_size: expected a size like 1024, 64KB, 1MB, 1GB, got "1.5MB"',
    );
    expect(problem('mqtt.max_packet_size', 'big')).toMatch(/expected a size/);
  });

  test('percent: N% as a fraction', () => {
    expect(value('os_mon.cpu_high_watermark', '80%')).toBe(0.8);
    expect(value('os_mon.procmem_high_watermark', '5%')).toBe(0.05);
    expect(value('os_mon.cpu_high_watermark', '12.5%')).toBe(0.125);
    expect(problem('os_mon.cpu_high_watermark', '80')).toMatch(/expected a percentage like 80%, got "80"/);
    expect(problem('os_mon.cpu_high_watermark', '180%')).toMatch(/expected a percentage/);
  });

  test('bind: port, ip:port, [v6]:port', () => {
    expect(value('listener.tcp.a', '1883')).toEqual({ host: '0.0.0.0', port: 1883, portOnly: true });
    expect(value('listener.tcp.a', '0.0.0.0:1883')).toEqual({ host: '0.0.0.0', port: 1883, portOnly: false });
    expect(value('listener.tcp.a', '127.0.0.1:11883')).toEqual({ host: '127.0.0.1', port: 11883, portOnly: false });
    expect(value('listener.tcp.a', '[::1]:1883')).toEqual({ host: '::1', port: 1883, portOnly: false });
    expect(value('listener.tcp.a', 'localhost:1883')).toEqual({ host: 'localhost', port: 1883, portOnly: false });
    expect(problem('listener.tcp.external', 'abc')).toBe(
      'etc/emqx.conf:1: listener.tcp.external: expected [ip:]port, got "abc"',
    );
    expect(problem('listener.tcp.a', '70000')).toMatch(/expected \[ip:\]port, got "70000"/);
    expect(problem('listener.tcp.a', '1.2.3.4:')).toMatch(/expected \[ip:\]port/);
    expect(problem('listener.tcp.a', '[nothost]:1883')).toMatch(/expected \[ip:\]port/);
  });

  test('comma lists, trimmed; with allowed values where EMQX checks them', () => {
    expect(value('listener.ws.a.check_origins', 'http://a, http://b')).toEqual(['http://a', 'http://b']);
    expect(value('alarm.actions', 'log,publish')).toEqual(['log', 'publish']);
    expect(value('listener.ssl.a.tls_versions', 'tlsv1.3,tlsv1.2')).toEqual(['tlsv1.3', 'tlsv1.2']);
    expect(problem('listener.ssl.a.tls_versions', 'tlsv1.2,sslv3')).toMatch(
      /expected a comma-separated list of tlsv1 \| tlsv1\.1 \| tlsv1\.2 \| tlsv1\.3, got "tlsv1\.2,sslv3"/,
    );
    expect(value('auth_order', 'none')).toEqual([]);
    expect(value('auth_order', 'jwt, http')).toEqual(['jwt', 'http']);
  });

  test('force_gc_policy: Count|Bytes', () => {
    expect(value('zone.z.force_gc_policy', '16000|16MB')).toEqual({ count: 16000, bytes: 16 * 1_048_576 });
    expect(problem('zone.z.force_gc_policy', '16000')).toMatch(/expected Count\|Bytes, e\.g\. 16000\|16MB, got "16000"/);
    expect(problem('zone.z.force_gc_policy', 'x|16MB')).toMatch(/expected Count\|Bytes/);
  });

  test('force_shutdown_policy: default or Len|Size', () => {
    expect(value('zone.z.force_shutdown_policy', 'default')).toEqual({
      maxMessageQueueLen: 10000,
      maxHeapSize: 64 * 1_048_576,
    });
    expect(value('zone.z.force_shutdown_policy', '8000|32MB')).toEqual({
      maxMessageQueueLen: 8000,
      maxHeapSize: 32 * 1_048_576,
    });
    expect(problem('zone.z.force_shutdown_policy', 'lots')).toMatch(/expected default or MaxMailboxLen\|MaxHeapSize/);
  });

  test('flapping_detect_policy: Threshold, Window, BanTime', () => {
    expect(value('flapping_detect_policy', '30, 1m, 5m')).toEqual({ threshold: 30, windowMs: 60_000, banMs: 300_000 });
    expect(value('flapping_detect_policy', '10,30s,1h')).toEqual({ threshold: 10, windowMs: 30_000, banMs: 3_600_000 });
    expect(problem('flapping_detect_policy', '30, 1m')).toBe(
      'etc/emqx.conf:1: flapping_detect_policy: expected Threshold, Window, BanTime, e.g. 30, 1m, 5m, got "30, 1m"',
    );
  });

  test('rate limits: Limit,Period with a count or a size', () => {
    expect(value('zone.z.rate_limit.conn_messages_in', '100,10s')).toEqual({ limit: 100, periodMs: 10_000 });
    expect(value('zone.z.rate_limit.conn_bytes_in', '100KB,10s')).toEqual({ limit: 102_400, periodMs: 10_000 });
    expect(value('zone.z.quota.overall_messages_routing', '200000, 1s')).toEqual({ limit: 200_000, periodMs: 1000 });
    expect(problem('zone.z.rate_limit.conn_messages_in', '100')).toMatch(/expected Limit,Period/);
    expect(problem('zone.z.rate_limit.conn_messages_in', '100,0s')).toMatch(/expected Limit,Period/);
  });

  test('mqueue_priorities: none or topic=priority pairs in 0..255', () => {
    expect(value('zone.z.mqueue_priorities', 'none')).toBeNull();
    expect(value('zone.z.mqueue_priorities', 'topic/1=10,topic/2=8')).toEqual({ 'topic/1': 10, 'topic/2': 8 });
    expect(value('zone.z.mqueue_priorities', 'a = 1, b = 2')).toEqual({ a: 1, b: 2 });
    expect(problem('zone.z.mqueue_priorities', 'topic/1=256')).toMatch(/expected none or topic=priority pairs/);
    expect(problem('zone.z.mqueue_priorities', 'topic/1')).toMatch(/expected none or topic=priority pairs/);
  });

  test('listener access rules: allow|deny all|CIDR', () => {
    expect(value('listener.tcp.a.access.1', 'allow all')).toEqual({ action: 'allow', cidr: 'all' });
    expect(value('listener.tcp.a.access.2', 'deny 192.168.0.0/24')).toEqual({ action: 'deny', cidr: '192.168.0.0/24' });
    expect(problem('listener.tcp.a.access.1', 'permit all')).toMatch(/expected allow\|deny all\|<ip\/cidr>/);
    expect(problem('listener.tcp.a.access.1', 'deny 300.0.0.0/8')).toMatch(/expected allow\|deny/);
  });

  test('union types take the first alternative that fits', () => {
    expect(value('log.max_depth', '100')).toBe(100);
    expect(value('log.max_depth', 'unlimited')).toBe('unlimited');
    expect(problem('log.max_depth', 'deep')).toMatch(/expected an integer >= 0, or unlimited, got "deep"/);
  });

  test('paths resolve against the install root', () => {
    expect(value('acl_file', 'etc/acl.conf')).toBe('/opt/nemq/etc/acl.conf');
    expect(value('acl_file', '/etc/nemq/acl.conf')).toBe('/etc/nemq/acl.conf');
    expect(value('plugins.etc_dir', 'etc/plugins/')).toBe('/opt/nemq/etc/plugins/');
  });

  test('every schema default parses with its own type', () => {
    for (const e of SCHEMA) {
      if (e.default !== undefined) expect([e.key, parseValue(e.type, e.default) !== undefined]).toEqual([e.key, true]);
    }
  });
});
