// The conf schema (EMQX 4.3 apps/emqx_bridge_mqtt/priv/emqx_bridge_mqtt.schema, plus the
// older key names 3.x-4.1 used) and its translation into one BridgeConfig per bridge name.
import type { ConfSchema, ConfValues } from '@nemq/sdk';

const B = 'bridge.mqtt.$name.';

export const schema: ConfSchema = {
  [`${B}address`]: { type: 'string', doc: 'host:port of the remote broker (name@host, EMQX RPC, is not supported)' },
  [`${B}proto_ver`]: { type: 'enum', values: ['mqttv3', 'mqttv4', 'mqttv5'], default: 'mqttv4' },
  [`${B}bridge_mode`]: { type: 'boolean', default: 'false' },
  [`${B}start_type`]: { type: 'enum', values: ['manual', 'auto'], default: 'auto' },
  [`${B}clientid`]: { type: 'string', doc: '${node} is replaced by the node name' },
  [`${B}clean_start`]: { type: 'boolean', default: 'true' },
  [`${B}username`]: { type: 'string' },
  [`${B}password`]: { type: 'string' },
  [`${B}forwards`]: { type: 'string', default: '' },
  [`${B}forward_mountpoint`]: { type: 'string' },
  [`${B}subscription.$id.topic`]: { type: 'string' },
  [`${B}subscription.$id.qos`]: { type: 'integer' },
  [`${B}receive_mountpoint`]: { type: 'string' },
  [`${B}ssl`]: { type: 'boolean', default: 'off' },
  [`${B}cacertfile`]: { type: 'string' },
  [`${B}certfile`]: { type: 'string' },
  [`${B}keyfile`]: { type: 'string' },
  [`${B}verify`]: { type: 'boolean' },
  [`${B}server_name_indication`]: { type: 'string' },
  [`${B}ciphers`]: { type: 'string' },
  [`${B}psk_ciphers`]: { type: 'string' },
  [`${B}keepalive`]: { type: 'duration', default: '10s' },
  [`${B}tls_versions`]: { type: 'string', default: 'tlsv1.3,tlsv1.2,tlsv1.1,tlsv1' },
  [`${B}reconnect_interval`]: { type: 'duration', default: '30s' },
  [`${B}retry_interval`]: { type: 'duration', default: '20s' },
  [`${B}max_inflight_size`]: { type: 'integer', default: '0' },
  [`${B}batch_size`]: { type: 'integer', default: '0' },
  [`${B}queue.replayq_dir`]: { type: 'string' },
  [`${B}queue.replayq_seg_bytes`]: { type: 'bytesize' },
  [`${B}queue.max_total_size`]: { type: 'bytesize' },
  // names used by 3.2-4.1 confs, still read
  [`${B}client_id`]: { type: 'string', doc: '3.x name of clientid' },
  [`${B}mountpoint`]: { type: 'string', doc: '3.x-4.1 name of forward_mountpoint' },
  [`${B}max_inflight_batches`]: { type: 'integer', doc: '3.x name of max_inflight_size' },
  [`${B}queue.batch_count_limit`]: { type: 'integer', doc: '3.x; no effect on an MQTT transport' },
  [`${B}queue.batch_bytes_limit`]: { type: 'bytesize', doc: '3.x; no effect on an MQTT transport' },
};

export interface TlsConfig {
  cacertfile?: string | undefined;
  certfile?: string | undefined;
  keyfile?: string | undefined;
  /** undefined = not set (Erlang's default, no peer check) */
  verify?: boolean | undefined;
  /** 'disable' turns SNI off */
  serverNameIndication?: string | undefined;
  ciphers?: string[] | undefined;
  pskCiphers?: string[] | undefined;
  tlsVersions: string[];
}

export interface BridgeConfig {
  name: string;
  address: string;
  host: string;
  port: number;
  protoVer: 3 | 4 | 5;
  bridgeMode: boolean;
  startType: 'manual' | 'auto';
  /** ${node} already replaced; undefined = the client library picks one */
  clientid: string | undefined;
  cleanStart: boolean;
  username: string | undefined;
  password: string | undefined;
  forwards: string[];
  /** ${node} already replaced */
  forwardMountpoint: string | undefined;
  receiveMountpoint: string | undefined;
  /** sorted by topic, as EMQX lists them */
  subscriptions: Array<{ topic: string; qos: 0 | 1 | 2 }>;
  ssl: boolean;
  tls: TlsConfig;
  /** seconds */
  keepalive: number;
  /** ms */
  reconnectInterval: number;
  /** ms */
  retryInterval: number;
  /** messages on the wire without an ack; 0 = no limit */
  maxInflight: number;
  batchSize: number;
  queue: { dir: string | undefined; segBytes: number; maxTotalSize: number };
}

/** replayq's defaults when the queue keys are absent */
export const DEFAULT_SEG_BYTES = 1 << 20;
export const DEFAULT_MAX_TOTAL_SIZE = 2 ** 31;

export class BridgeConfigError extends Error {}

/** `${node}` → node name (EMQX does this for clientid and forward_mountpoint) */
export function expandNode(s: string, nodeName: string): string {
  return s.split('${node}').join(nodeName);
}

/** emqx_topic:prepend/2: `a/` + `t` = `a/t`, `a` + `t` = `a/t` */
export function prependTopic(prefix: string | undefined, topic: string): string {
  if (!prefix) return topic;
  return prefix.endsWith('/') ? prefix + topic : `${prefix}/${topic}`;
}

/** string:tokens(S, ","): split on commas, no empty tokens, no trimming */
export function tokens(s: string): string[] {
  return s.split(',').filter((t) => t.length > 0);
}

/** "host:port", "host" (port 1883), "[v6]:port" */
export function parseAddress(addr: string): { host: string; port: number } {
  const a = addr.trim();
  if (/^[^@:]+@[^@]+$/.test(a)) throw new BridgeConfigError(`address ${a}: bridging to an EMQX node name over RPC is not supported, use host:port`);
  let host: string;
  let port = 1883;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(a);
  if (v6) {
    host = v6[1]!;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else {
    const parts = a.split(':');
    if (parts.length > 2 || parts[0] === '') throw new BridgeConfigError(`address ${a}: expected host:port`);
    host = parts[0]!;
    if (parts[1] !== undefined) port = Number(parts[1]);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BridgeConfigError(`address ${a}: bad port`);
  return { host, port };
}

/** bridge names found in the conf, sorted */
export function bridgeNames(values: ConfValues): string[] {
  const names = new Set<string>();
  for (const k of Object.keys(values)) {
    const p = k.split('.');
    if (p[0] === 'bridge' && p[1] === 'mqtt' && p.length >= 4 && p[2] !== '$name') names.add(p[2]!);
  }
  return [...names].sort();
}

/** One BridgeConfig per `bridge.mqtt.<name>` in the conf (sorted by name). */
export function readBridges(values: ConfValues, nodeName: string): BridgeConfig[] {
  return bridgeNames(values).map((n) => readBridge(values, n, nodeName));
}

function readBridge(values: ConfValues, name: string, nodeName: string): BridgeConfig {
  const p = `bridge.mqtt.${name}.`;
  const get = (k: string): ConfValues[string] => values[p + k];
  const str = (k: string): string | undefined => {
    const v = get(k);
    return typeof v === 'string' ? v : undefined;
  };
  const num = (k: string): number | undefined => {
    const v = get(k);
    return typeof v === 'number' ? v : undefined;
  };
  const bool = (k: string): boolean | undefined => {
    const v = get(k);
    return typeof v === 'boolean' ? v : undefined;
  };
  const address = str('address');
  if (address === undefined) throw new BridgeConfigError(`bridge.mqtt.${name}.address is missing`);
  const { host, port } = parseAddress(address);
  const protoVer = (({ mqttv3: 3, mqttv4: 4, mqttv5: 5 }) as const)[(str('proto_ver') ?? 'mqttv4') as 'mqttv3' | 'mqttv4' | 'mqttv5'] ?? 4;

  // subscription.<N>.topic / .qos: sorted by {Topic, N}; a missing qos is 0
  const subs = new Map<string, { topic: string; id: string; qos: 0 | 1 | 2 }>();
  for (const [k, v] of Object.entries(values)) {
    if (!k.startsWith(`${p}subscription.`) || !k.endsWith('.topic') || typeof v !== 'string') continue;
    const id = k.slice(`${p}subscription.`.length, -'.topic'.length);
    const q = values[`${p}subscription.${id}.qos`];
    const qos = typeof q === 'number' ? q : 0;
    if (qos !== 0 && qos !== 1 && qos !== 2) throw new BridgeConfigError(`bridge.mqtt.${name}.subscription.${id}.qos must be 0, 1 or 2`);
    subs.set(`${v}\u0000${id}`, { topic: v, id, qos });
  }
  const subscriptions: BridgeConfig['subscriptions'] = [];
  for (const key of [...subs.keys()].sort()) {
    const s = subs.get(key)!;
    // the worker keeps one entry per topic
    if (!subscriptions.some((x) => x.topic === s.topic)) subscriptions.push({ topic: s.topic, qos: s.qos });
  }

  const clientid = str('clientid') ?? str('client_id');
  const mountpoint = str('forward_mountpoint') ?? str('mountpoint');
  const split = (k: string): string[] | undefined => {
    const v = str(k);
    return v === undefined ? undefined : tokens(v);
  };
  const maxInflight = num('max_inflight_size') ?? num('max_inflight_batches') ?? 0;
  const dir = str('queue.replayq_dir');
  return {
    name,
    address,
    host,
    port,
    protoVer,
    bridgeMode: bool('bridge_mode') ?? false,
    startType: str('start_type') === 'manual' ? 'manual' : 'auto',
    clientid: clientid === undefined ? undefined : expandNode(clientid, nodeName),
    cleanStart: bool('clean_start') ?? true,
    username: str('username'),
    password: str('password'),
    forwards: tokens(str('forwards') ?? ''),
    forwardMountpoint: mountpoint === undefined || mountpoint === '' ? undefined : expandNode(mountpoint, nodeName),
    receiveMountpoint: str('receive_mountpoint') || undefined,
    subscriptions,
    ssl: bool('ssl') ?? false,
    tls: {
      cacertfile: str('cacertfile'),
      certfile: str('certfile'),
      keyfile: str('keyfile'),
      verify: bool('verify'),
      serverNameIndication: str('server_name_indication') || undefined,
      ciphers: split('ciphers'),
      pskCiphers: split('psk_ciphers'),
      tlsVersions: split('tls_versions') ?? ['tlsv1.3', 'tlsv1.2', 'tlsv1.1', 'tlsv1'],
    },
    keepalive: Math.round((num('keepalive') ?? 10_000) / 1000),
    reconnectInterval: num('reconnect_interval') ?? 30_000,
    retryInterval: num('retry_interval') ?? 20_000,
    maxInflight: maxInflight < 0 ? 0 : maxInflight,
    batchSize: num('batch_size') ?? 0,
    queue: {
      dir: dir === undefined || dir === '' || dir === 'undefined' ? undefined : dir,
      segBytes: num('queue.replayq_seg_bytes') ?? DEFAULT_SEG_BYTES,
      maxTotalSize: num('queue.max_total_size') ?? DEFAULT_MAX_TOTAL_SIZE,
    },
  };
}
