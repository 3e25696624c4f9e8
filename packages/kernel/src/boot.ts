// From a loaded emqx.conf to broker options: zones, listeners, ACL file, logger.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, ListenerConfig } from './config/index.js';
import { checkRules } from '@nemq/sdk';
import { parseAcl } from './access/index.js';
import type { ListenerSpec } from './listener/listeners.js';
import { createLogger, type LogLevel } from './logger.js';
import type { BrokerOptions } from './node.js';
import type { ClusterConfig } from './cluster/cluster.js';
import { parseServer } from '@nemq/sdk';

export function listenerFromConfig(l: ListenerConfig): ListenerSpec {
  const spec: ListenerSpec = {
    proto: l.proto,
    name: l.name,
    host: l.host,
    port: l.port,
    zone: l.zone,
    maxConnections: l.maxConnections,
    backlog: l.tcp.backlog,
    nodelay: l.tcp.nodelay,
    access: l.access,
  };
  if (l.proxyProtocol) {
    spec.proxyProtocol = true;
    if (l.proxyProtocolTimeout !== undefined) spec.proxyProtocolTimeout = l.proxyProtocolTimeout;
  }
  if (l.maxConnRate !== undefined) spec.maxConnRate = l.maxConnRate;
  if (l.proto === 'ssl' || l.proto === 'wss') {
    if (l.ssl.keyfile) spec.keyfile = l.ssl.keyfile;
    if (l.ssl.certfile) spec.certfile = l.ssl.certfile;
    if (l.ssl.cacertfile) spec.cacertfile = l.ssl.cacertfile;
    spec.verify = l.ssl.verify === 'verify_peer';
    spec.failIfNoPeerCert = l.ssl.failIfNoPeerCert === true;
    if (l.peerCertAsUsername) spec.peerCertAsUsername = l.peerCertAsUsername;
    if (l.peerCertAsClientid) spec.peerCertAsClientid = l.peerCertAsClientid;
    if (l.ssl.tlsVersions) spec.tlsVersions = l.ssl.tlsVersions;
    if (l.ssl.ciphers) spec.ciphers = l.ssl.ciphers;
    if (l.ssl.pskCiphers) spec.pskCiphers = l.ssl.pskCiphers;
    if (l.ssl.honorCipherOrder) spec.honorCipherOrder = true;
  }
  if (l.proto === 'ws' || l.proto === 'wss') {
    spec.mqttPath = l.ws.mqttPath;
    if (l.ws.maxFrameSize) spec.maxFrameSize = l.ws.maxFrameSize;
    if (l.ws.proxyAddressHeader) spec.proxyAddressHeader = l.ws.proxyAddressHeader;
    if (l.ws.proxyPortHeader) spec.proxyPortHeader = l.ws.proxyPortHeader;
  }
  return spec;
}

export function optionsFromConfig(cfg: Config): BrokerOptions {
  const level = cfg.log.level === 'all' ? 'debug' : cfg.log.level;
  const opts: BrokerOptions = {
    nodeName: cfg.node.name,
    zones: { ...cfg.zones },
    listeners: cfg.listeners.map(listenerFromConfig),
    sharedStrategy: cfg.broker.sharedSubscriptionStrategy,
    groupStrategies: { ...cfg.broker.sharedSubscriptionStrategyPerGroup },
    sysInterval: cfg.broker.sysInterval,
    sysHeartbeat: cfg.broker.sysHeartbeat,
    presenceQos: cfg.modules.presenceQos,
    logger: createLogger(cfg.log.to === 'off' ? 'none' : (level as LogLevel)),
    plugins: {
      dirs: [cfg.plugins.expandPluginsDir],
      etcDir: cfg.plugins.etcDir,
      loadedFile: cfg.plugins.loadedFile,
      dataDir: cfg.node.dataDir,
      // EMQX writes these when data/loaded_plugins is missing (only installed ones are kept)
      defaults: { emqx_management: true, emqx_dashboard: true, emqx_retainer: true, emqx_recon: true, emqx_telemetry: true, emqx_rule_engine: true, emqx_bridge_mqtt: false },
    },
    ctlSocket: join(cfg.node.dataDir, 'ctl.sock'),
    bannedFile: join(cfg.node.dataDir, 'banned.json'),
    flappingPolicy: cfg.acl.flappingDetectPolicy,
    authOrder: cfg.acl.authOrder,
    aclOrder: cfg.acl.aclOrder,
    sysmon: {
      ...cfg.osMon,
      vmCheckInterval: cfg.vmMon.checkInterval,
      processHighWatermark: cfg.vmMon.processHighWatermark,
      processLowWatermark: cfg.vmMon.processLowWatermark,
      // EMQX's +P default
      processLimit: cfg.node.processLimit ?? 2097152,
    },
    traceRoot: cfg.baseDir,
    alarm: { actions: cfg.alarm.actions, sizeLimit: cfg.alarm.sizeLimit, validityPeriod: cfg.alarm.validityPeriod },
  };
  const cluster = clusterFromConfig(cfg);
  if (cluster) opts.cluster = cluster;
  if (cfg.acl.aclFile) {
    const file = cfg.acl.aclFile;
    const rules = parseAcl(readFileSync(file, 'utf8'), file);
    opts.fileAcl = (ci, action, topic) => checkRules(rules, ci, action, topic);
  }
  return opts;
}

/** `cluster.redis.server` set: the cluster's settings (cluster.*, rpc.*, node.cookie) */
export function clusterFromConfig(cfg: Config): ClusterConfig | undefined {
  const servers = cfg.get('cluster.redis.server') as string[] | undefined;
  if (!servers || servers.length === 0) return undefined;
  const g = <T>(k: string): T => cfg.get(k) as T;
  const name = cfg.node.name;
  const host = name.slice(name.indexOf('@') + 1);
  // rpc.port_discovery = stateless: emqxN@host listens on 5370 + N, a name without N on 5369 (gen_rpc)
  const n = /(\d+)$/.exec(name.slice(0, name.indexOf('@')));
  const port = g<string>('rpc.port_discovery') === 'manual' ? g<number>('rpc.tcp_server_port') : n ? 5370 + Number(n[1]) : 5369;
  const password = g<string | undefined>('cluster.redis.password');
  const username = g<string | undefined>('cluster.redis.username');
  return {
    name: g<string>('cluster.name'),
    cookie: cfg.node.cookie,
    discovery: g<string>('cluster.discovery'),
    seeds: g<string[] | undefined>('cluster.static.seeds') ?? [],
    ...(g<string | undefined>('cluster.dns.name') ? { dns: { name: g<string>('cluster.dns.name'), app: g<string | undefined>('cluster.dns.app') ?? 'emqx' } } : {}),
    autoclean: g<number | undefined>('cluster.autoclean'),
    redis: {
      type: g<'single' | 'sentinel' | 'cluster'>('cluster.redis.type'),
      servers: servers.map((s) => parseServer(s, 'cluster.redis.server', 6379)),
      sentinel: g<string>('cluster.redis.sentinel'),
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      database: g<number>('cluster.redis.database'),
    },
    heartbeat: g<number>('cluster.redis.heartbeat'),
    nodeTimeout: g<number>('cluster.redis.node_timeout'),
    rpc: {
      clients: g<number>('rpc.tcp_client_num') || 1,
      batchSize: g<number>('rpc.async_batch_size'),
      connectTimeout: g<number>('rpc.connect_timeout'),
      authTimeout: g<number>('rpc.authentication_timeout'),
      callTimeout: g<number>('rpc.call_receive_timeout'),
      keepaliveIdle: g<number>('rpc.socket_keepalive_idle') * 1000,
      listenHost: g<string>('rpc.tcp_server_ip'),
      port,
      advertiseHost: host,
    },
  };
}
