// listener.<proto>.<name>.*, in file order.
import type {
  DeflateOptions,
  ListenerAccessRule,
  ListenerConfig,
  ListenerProto,
  RateLimit,
  TcpSocketOptions,
  TlsOptions,
  TlsVersion,
  WsOptions,
} from '../types.js';
import type { Bind } from '../values.js';
import { byId, compact, type Reader } from './read.js';
import { DEFAULT_ZONE } from './zones.js';

export function buildListeners(r: Reader): ListenerConfig[] {
  const listeners: ListenerConfig[] = [];
  for (const bindSetting of r.all().filter((s) => /^listener\.[a-z]+\.\$name$/.test(s.entry.key))) {
    const proto = bindSetting.entry.key.split('.')[1] as ListenerProto;
    const name = bindSetting.vars['$name'] ?? '';
    const p = `listener.${proto}.${name}`;
    const bind = bindSetting.value as Bind;

    const access: ListenerAccessRule[] = r
      .family(`listener.${proto}.$name.access.$id`)
      .filter((s) => s.vars['$name'] === name)
      .sort((a, b) => byId(a.vars['$id'] ?? '', b.vars['$id'] ?? ''))
      .map((s) => s.value as ListenerAccessRule);

    const tcp: TcpSocketOptions = compact({
      backlog: r.num(`${p}.backlog`),
      sendTimeout: r.num(`${p}.send_timeout`),
      sendTimeoutClose: r.bool(`${p}.send_timeout_close`),
      recbuf: r.optNum(`${p}.recbuf`),
      sndbuf: r.optNum(`${p}.sndbuf`),
      buffer: r.optNum(`${p}.buffer`),
      tuneBuffer: r.optBool(`${p}.tune_buffer`),
      highWatermark: r.optNum(`${p}.high_watermark`),
      nodelay: r.optBool(`${p}.nodelay`) ?? true,
      reuseaddr: r.optBool(`${p}.reuseaddr`),
    });

    const base = compact({
      name,
      id: `mqtt:${proto}:${name}`,
      bind: bindSetting.text,
      host: bind.host,
      port: bind.port,
      zone: r.optStr(`${p}.zone`) ?? DEFAULT_ZONE,
      acceptors: r.num(`${p}.acceptors`),
      maxConnections: r.num(`${p}.max_connections`),
      maxConnRate: r.optNum(`${p}.max_conn_rate`),
      activeN: r.num(`${p}.active_n`),
      access,
      proxyProtocol: r.optBool(`${p}.proxy_protocol`),
      proxyProtocolTimeout: r.optNum(`${p}.proxy_protocol_timeout`),
      rateLimit: r.val(`${p}.rate_limit`) as RateLimit | undefined,
      peerCertAsUsername: r.optStr(`${p}.peer_cert_as_username`) as ListenerConfig['peerCertAsUsername'],
      peerCertAsClientid: r.optStr(`${p}.peer_cert_as_clientid`) as ListenerConfig['peerCertAsClientid'],
      tcp,
    });

    switch (proto) {
      case 'tcp':
        listeners.push({ ...base, proto });
        break;
      case 'ssl':
        listeners.push({ ...base, proto, ssl: tlsOf(r, p) });
        break;
      case 'ws':
        listeners.push({ ...base, proto, ws: wsOf(r, p) });
        break;
      case 'wss':
        listeners.push({ ...base, proto, ssl: tlsOf(r, p), ws: wsOf(r, p) });
        break;
    }
  }

  // two listeners on the same address cannot both start
  const seen = new Map<string, string>();
  for (const l of listeners) {
    const addr = `${l.host}:${l.port}`;
    const other = seen.get(addr);
    if (other !== undefined && l.port !== 0) {
      r.problem(`listener.${l.proto}.${l.name}`, `${addr} is already used by ${other}`);
    } else {
      seen.set(addr, `listener.${l.proto}.${l.name}`);
    }
  }
  return listeners;
}

/** TLS options of listener `p` (ssl, wss). */
function tlsOf(r: Reader, p: string): TlsOptions {
  const versions = r.val(`${p}.tls_versions`) as TlsVersion[] | undefined;
  const ciphers = r.val(`${p}.ciphers`) as string[] | undefined;
  const psk = r.val(`${p}.psk_ciphers`) as string[] | undefined;
  if (ciphers && psk) r.problem(`${p}.psk_ciphers`, `cannot be set together with ${p}.ciphers`);
  else if (psk && (!versions || versions.includes('tlsv1.3'))) {
    r.problem(`${p}.psk_ciphers`, `needs ${p}.tls_versions without tlsv1.3`);
  }
  return compact({
    keyfile: r.optStr(`${p}.keyfile`),
    certfile: r.optStr(`${p}.certfile`),
    cacertfile: r.optStr(`${p}.cacertfile`),
    dhfile: r.optStr(`${p}.dhfile`),
    keyPassword: r.optStr(`${p}.key_password`),
    tlsVersions: versions,
    ciphers,
    pskCiphers: psk,
    handshakeTimeout: r.num(`${p}.handshake_timeout`),
    depth: r.num(`${p}.depth`),
    verify: r.optStr(`${p}.verify`) as TlsOptions['verify'],
    failIfNoPeerCert: r.optBool(`${p}.fail_if_no_peer_cert`),
    secureRenegotiate: r.optBool(`${p}.secure_renegotiate`),
    reuseSessions: r.bool(`${p}.reuse_sessions`),
    honorCipherOrder: r.optBool(`${p}.honor_cipher_order`),
    logLevel: r.optStr(`${p}.log_level`),
    gcAfterHandshake: r.optBool(`${p}.gc_after_handshake`) ?? false,
    hibernateAfter: r.optNum(`${p}.hibernate_after`),
  });
}

/** WebSocket options of listener `p` (ws, wss). */
function wsOf(r: Reader, p: string): WsOptions {
  const deflateOpts: DeflateOptions = compact({
    level: r.optStr(`${p}.deflate_opts.level`) as DeflateOptions['level'],
    memLevel: r.optNum(`${p}.deflate_opts.mem_level`),
    strategy: r.optStr(`${p}.deflate_opts.strategy`) as DeflateOptions['strategy'],
    serverContextTakeover: r.optStr(`${p}.deflate_opts.server_context_takeover`) as DeflateOptions['serverContextTakeover'],
    clientContextTakeover: r.optStr(`${p}.deflate_opts.client_context_takeover`) as DeflateOptions['clientContextTakeover'],
    serverMaxWindowBits: r.optNum(`${p}.deflate_opts.server_max_window_bits`),
    clientMaxWindowBits: r.optNum(`${p}.deflate_opts.client_max_window_bits`),
  });
  const mqttPath = r.str(`${p}.mqtt_path`);
  if (!mqttPath.startsWith('/')) r.problem(`${p}.mqtt_path`, `must start with "/", got ${JSON.stringify(mqttPath)}`);
  return compact({
    mqttPath,
    mqttPiggyback: r.str(`${p}.mqtt_piggyback`) as WsOptions['mqttPiggyback'],
    compress: r.optBool(`${p}.compress`),
    deflateOpts,
    idleTimeout: r.optNum(`${p}.idle_timeout`),
    maxFrameSize: r.optNum(`${p}.max_frame_size`),
    failIfNoSubprotocol: r.bool(`${p}.fail_if_no_subprotocol`),
    supportedSubprotocols: r.strs(`${p}.supported_subprotocols`),
    proxyAddressHeader: r.str(`${p}.proxy_address_header`).toLowerCase(),
    proxyPortHeader: r.str(`${p}.proxy_port_header`).toLowerCase(),
    checkOriginEnable: r.bool(`${p}.check_origin_enable`),
    allowOriginAbsence: r.bool(`${p}.allow_origin_absence`),
    checkOrigins: r.strs(`${p}.check_origins`),
  });
}
