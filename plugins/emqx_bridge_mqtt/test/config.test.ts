// The conf schema and its translation: EMQX 4.3 keys, defaults, ${node}, subscription.N,
// the 3.x-4.1 key names, and the shipped etc/emqx_bridge_mqtt.conf.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { expandNode, parseAddress, prependTopic, readBridges, schema, tokens } from '../src/config';

const conf = (text: string) => {
  const { values, problems } = readPluginConf(text, 'emqx_bridge_mqtt.conf', schema);
  expect(problems).toEqual([]);
  return values;
};

test('the shipped etc/emqx_bridge_mqtt.conf parses against the schema and gives EMQX values for "aws"', () => {
  const text = readFileSync(join(__dirname, '../etc/emqx_bridge_mqtt.conf'), 'utf8');
  expect(readFileSync(join(__dirname, '../../../etc/plugins/emqx_bridge_mqtt.conf'), 'utf8')).toBe(text);
  const [aws, ...rest] = readBridges(conf(text), 'emqx@10.0.0.1');
  expect(rest).toEqual([]);
  expect(aws).toMatchObject({
    name: 'aws',
    host: '127.0.0.1',
    port: 1883,
    protoVer: 4,
    startType: 'manual',
    bridgeMode: false,
    clientid: 'bridge_aws',
    cleanStart: true,
    username: 'user',
    password: 'passwd',
    forwards: ['topic1/#', 'topic2/#'],
    forwardMountpoint: 'bridge/aws/emqx@10.0.0.1/',
    receiveMountpoint: undefined,
    subscriptions: [],
    ssl: false,
    keepalive: 60,
    reconnectInterval: 30_000,
    retryInterval: 20_000,
    batchSize: 32,
    maxInflight: 32,
    queue: { dir: 'data/replayq/emqx_aws_bridge/', segBytes: 10 * 1024 * 1024, maxTotalSize: 5 * 1024 ** 3 },
  });
  expect(aws!.tls.tlsVersions).toEqual(['tlsv1.3', 'tlsv1.2', 'tlsv1.1', 'tlsv1']);
  expect(aws!.tls.ciphers).toHaveLength(42);
});

test('schema defaults (priv schema) apply to keys a bridge leaves out; replayq defaults when no queue keys', () => {
  const [b] = readBridges(conf('bridge.mqtt.x.address = broker.example:8883\n'), 'n@h');
  expect(b).toMatchObject({
    host: 'broker.example',
    port: 8883,
    protoVer: 4,
    startType: 'auto',
    bridgeMode: false,
    cleanStart: true,
    clientid: undefined,
    forwards: [],
    ssl: false,
    keepalive: 10,
    reconnectInterval: 30_000,
    maxInflight: 0,
    batchSize: 0,
    queue: { dir: undefined, segBytes: 1 << 20, maxTotalSize: 2 ** 31 },
  });
});

test('several named bridges, sorted by name; subscription.N sorted by topic with QoS 0 when qos is missing', () => {
  const values = conf(
    [
      'bridge.mqtt.zeta.address = 10.0.0.2:1884',
      'bridge.mqtt.alpha.address = 10.0.0.1',
      'bridge.mqtt.alpha.subscription.2.topic = cmd/b',
      'bridge.mqtt.alpha.subscription.2.qos = 2',
      'bridge.mqtt.alpha.subscription.1.topic = cmd/a',
      'bridge.mqtt.alpha.subscription.10.topic = cmd/0',
      'bridge.mqtt.alpha.subscription.10.qos = 1',
      'bridge.mqtt.alpha.proto_ver = mqttv5',
      'bridge.mqtt.zeta.proto_ver = mqttv3',
      'bridge.mqtt.zeta.bridge_mode = true',
      '',
    ].join('\n'),
  );
  const [alpha, zeta] = readBridges(values, 'n@h');
  expect(alpha!.name).toBe('alpha');
  expect(alpha!.protoVer).toBe(5);
  expect(alpha!.subscriptions).toEqual([
    { topic: 'cmd/0', qos: 1 },
    { topic: 'cmd/a', qos: 0 },
    { topic: 'cmd/b', qos: 2 },
  ]);
  expect(zeta).toMatchObject({ name: 'zeta', port: 1884, protoVer: 3, bridgeMode: true });
});

test('3.x-4.1 key names: client_id, mountpoint, max_inflight_batches', () => {
  const [b] = readBridges(
    conf('bridge.mqtt.old.address = h:1\nbridge.mqtt.old.client_id = c_${node}\nbridge.mqtt.old.mountpoint = m/${node}/\nbridge.mqtt.old.max_inflight_batches = 7\n'),
    'emqx@n',
  );
  expect(b).toMatchObject({ clientid: 'c_emqx@n', forwardMountpoint: 'm/emqx@n/', maxInflight: 7 });
});

test('unknown keys and bad values are reported with file and line by the plugin host', () => {
  const r = readPluginConf('bridge.mqtt.a.address = h\nbridge.mqtt.a.proto_ver = mqttv9\nbridge.mqtt.a.nope = 1\n', 'f.conf', schema);
  expect(r.problems.join('\n')).toMatch(/f\.conf:2: bridge\.mqtt\.a\.proto_ver/);
  expect(r.problems.join('\n')).toMatch(/f\.conf:3: bridge\.mqtt\.a\.nope: unknown key/);
});

test('a bridge without address, or an EMQX node name address (RPC bridge), is refused', () => {
  expect(() => readBridges(conf('bridge.mqtt.a.forwards = t/#\n'), 'n')).toThrow(/address is missing/);
  expect(() => readBridges(conf('bridge.mqtt.a.address = emqx@127.0.0.1\n'), 'n')).toThrow(/RPC is not supported/);
});

test('helpers: address forms, emqx_topic:prepend, string:tokens, ${node}', () => {
  expect(parseAddress('h')).toEqual({ host: 'h', port: 1883 });
  expect(parseAddress('[::1]:1999')).toEqual({ host: '::1', port: 1999 });
  expect(() => parseAddress('h:0')).toThrow();
  expect(prependTopic('a/', 't/1')).toBe('a/t/1');
  expect(prependTopic('a', 't/1')).toBe('a/t/1');
  expect(prependTopic(undefined, 't')).toBe('t');
  expect(tokens('a/#,,b/+ ,')).toEqual(['a/#', 'b/+ ']);
  expect(expandNode('x/${node}/${node}', 'e@h')).toBe('x/e@h/e@h');
});
