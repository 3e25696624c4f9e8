/**
 * The emqx.conf schema: every key nemq accepts, with its type, default and a
 * one-line description. Key names, types and defaults follow EMQX 4.3's
 * `priv/emqx.schema`; the defaults are the schema's (what EMQX uses when a key
 * is absent), which sometimes differ from the value written in the shipped
 * etc/emqx.conf (e.g. `allow_anonymous`: schema `false`, shipped `true`).
 *
 * Pattern segments starting with `$` are variables: `$name` (zone, listener,
 * shared-subscription group), `$id` (rule number) and `$level` (a log level).
 * Many keys are accepted only so a stock EMQX emqx.conf loads (cluster.*,
 * rpc.*, most of node.*); nemq does not act on them.
 */
import { resolve } from 'node:path';
import { parseValue, type ValueType } from './values.js';

export interface SchemaEntry {
  /** Dotted key pattern, e.g. `zone.$name.idle_timeout`. */
  readonly key: string;
  readonly type: ValueType;
  /** Default in conf syntax; absent = unset unless configured. */
  readonly default?: string;
  readonly doc: string;
}

const str = (): ValueType => ({ kind: 'string' });
const path = (): ValueType => ({ kind: 'path' });
const int = (min?: number, max?: number): ValueType => ({
  kind: 'integer',
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
});
const float = (min?: number, max?: number): ValueType => ({
  kind: 'float',
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
});
const bool = (): ValueType => ({ kind: 'boolean' });
const en = (...values: string[]): ValueType => ({ kind: 'enum', values });
const ms = (): ValueType => ({ kind: 'duration', unit: 'ms' });
const sec = (): ValueType => ({ kind: 'duration', unit: 's' });
const bytes = (): ValueType => ({ kind: 'bytesize' });
const pct = (): ValueType => ({ kind: 'percent' });
const list = (values?: string[]): ValueType => ({ kind: 'list', ...(values ? { values } : {}) });
const rate = (): ValueType => ({ kind: 'rate' });

export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency', 'all'];
const SSL_LOG_LEVELS = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug', 'none', 'all'];
const SHARED_STRATEGIES = ['random', 'round_robin', 'sticky', 'local', 'hash', 'hash_clientid', 'hash_topic'];
const PEER_CERT_TLS = ['cn', 'dn', 'crt', 'pem', 'md5'];

/** Allowed values of pattern variables that are not free-form names. */
export const VARIABLE_VALUES: Readonly<Record<string, readonly string[]>> = { $level: LOG_LEVELS };

type Row = readonly [key: string, type: ValueType, def: string | undefined, doc: string];

const rows = (list: readonly Row[]): SchemaEntry[] =>
  list.map(([key, type, def, doc]) => (def === undefined ? { key, type, doc } : { key, type, default: def, doc }));

// ---------------------------------------------------------------- cluster
const CLUSTER: Row[] = [
  ['cluster.name', str(), 'emqxcl', 'Cluster name.'],
  // nemq's own: the cluster's control plane. Unset = one node, no Redis.
  ['cluster.redis.server', list(), undefined, 'Redis holding the cluster state (host:port; several for sentinel or cluster). Unset: no cluster.'],
  ['cluster.redis.type', en('single', 'sentinel', 'cluster'), 'single', 'Redis deployment: single, sentinel or cluster.'],
  ['cluster.redis.sentinel', str(), 'mymaster', 'Sentinel master name.'],
  ['cluster.redis.username', str(), undefined, 'Redis ACL user.'],
  ['cluster.redis.password', str(), undefined, 'Redis password.'],
  ['cluster.redis.database', int(0), '0', 'Redis database (single and sentinel).'],
  ['cluster.redis.heartbeat', ms(), '2s', 'How often a node tells Redis it is alive.'],
  ['cluster.redis.node_timeout', ms(), '6s', 'A node without a heartbeat this long is down: its routes and registry rows are removed.'],
  ['cluster.proto_dist', en('inet_tcp', 'inet6_tcp', 'inet_tls'), 'inet_tcp', 'Erlang distribution protocol (not used by nemq).'],
  ['cluster.discovery', en('manual', 'static', 'mcast', 'dns', 'etcd', 'k8s'), 'manual', 'How nodes find each other.'],
  ['cluster.autoheal', bool(), 'off', 'Heal network partitions automatically.'],
  ['cluster.autoclean', ms(), undefined, 'Remove nodes that stay down this long.'],
  ['cluster.static.seeds', list(), undefined, 'Node names for static discovery.'],
  ['cluster.mcast.addr', str(), '239.192.0.1', 'Multicast discovery address.'],
  ['cluster.mcast.ports', list(), '4369', 'Multicast discovery ports.'],
  ['cluster.mcast.iface', str(), '0.0.0.0', 'Multicast interface.'],
  ['cluster.mcast.ttl', int(0, 255), '255', 'Multicast TTL.'],
  ['cluster.mcast.loop', bool(), 'on', 'Loop multicast back to this host.'],
  ['cluster.mcast.sndbuf', bytes(), '16KB', 'Multicast socket send buffer.'],
  ['cluster.mcast.recbuf', bytes(), '16KB', 'Multicast socket receive buffer.'],
  ['cluster.mcast.buffer', bytes(), '32KB', 'Multicast socket user buffer.'],
  ['cluster.dns.name', str(), undefined, 'DNS name to look up for discovery.'],
  ['cluster.dns.app', str(), undefined, 'Node name prefix for DNS discovery.'],
  ['cluster.etcd.server', list(), undefined, 'etcd server URLs.'],
  ['cluster.etcd.prefix', str(), undefined, 'etcd key prefix.'],
  ['cluster.etcd.node_ttl', ms(), '1m', 'TTL of this node in etcd.'],
  ['cluster.etcd.ssl.keyfile', path(), undefined, 'Client key for etcd over TLS.'],
  ['cluster.etcd.ssl.certfile', path(), undefined, 'Client certificate for etcd over TLS.'],
  ['cluster.etcd.ssl.cacertfile', path(), undefined, 'CA certificate for etcd over TLS.'],
  ['cluster.k8s.apiserver', str(), undefined, 'Kubernetes API server URL.'],
  ['cluster.k8s.service_name', str(), undefined, 'Kubernetes service name.'],
  ['cluster.k8s.address_type', en('ip', 'dns', 'hostname'), undefined, 'Address type of peers in Kubernetes.'],
  ['cluster.k8s.app_name', str(), undefined, 'Node name prefix in Kubernetes.'],
  ['cluster.k8s.namespace', str(), undefined, 'Kubernetes namespace.'],
  ['cluster.k8s.suffix', str(), '', 'Kubernetes DNS suffix.'],
];

// ---------------------------------------------------------------- node
const NODE: Row[] = [
  ['node.name', { kind: 'string', pattern: /^[^@\s]+@[^@\s]+$/, expected: 'a node name like emqx@127.0.0.1' }, 'emqx@127.0.0.1', 'Node name, name@host.'],
  ['node.cookie', str(), 'emqxsecretcookie', 'Shared secret between cluster nodes.'],
  ['node.data_dir', path(), 'data', 'Directory for persistent data (loaded_plugins, mnesia…).'],
  ['node.ssl_dist_optfile', path(), undefined, 'TLS options file for distribution.'],
  ['node.heartbeat', bool(), undefined, 'Restart the VM when it stops responding.'],
  ['node.async_threads', int(0, 1024), undefined, 'Async thread pool size.'],
  ['node.process_limit', int(1), undefined, 'Max number of processes.'],
  ['node.max_ports', int(1), undefined, 'Max number of ports (sockets, files).'],
  ['node.dist_buffer_size', bytes(), undefined, 'Distribution buffer busy limit.'],
  ['node.max_ets_tables', int(1), '256000', 'Max number of ETS tables.'],
  ['node.global_gc_interval', sec(), undefined, 'Run a global garbage collection this often.'],
  ['node.fullsweep_after', int(0), '1000', 'Generational GC tuning.'],
  ['node.crash_dump', path(), 'log/crash.dump', 'Crash dump file.'],
  ['node.dist_net_ticktime', int(1), undefined, 'Net tick time, seconds.'],
  ['node.dist_use_interface', str(), undefined, 'Interface for distribution.'],
  ['node.dist_listen_min', int(0, 65535), undefined, 'Lowest distribution port.'],
  ['node.dist_listen_max', int(0, 65535), undefined, 'Highest distribution port.'],
  ['node.backtrace_depth', int(0), '16', 'Stack trace depth in logs.'],
];

// ---------------------------------------------------------------- rpc
const RPC: Row[] = [
  ['rpc.mode', en('sync', 'async'), 'async', 'RPC mode between nodes.'],
  ['rpc.async_batch_size', int(1), '256', 'Max messages per async RPC batch.'],
  ['rpc.port_discovery', en('manual', 'stateless'), 'stateless', 'How RPC ports are found.'],
  ['rpc.tcp_server_port', int(0, 65535), '5369', 'RPC listen port (manual discovery).'],
  ['rpc.tcp_server_ip', str(), '0.0.0.0', 'RPC listen address.'],
  ['rpc.tcp_client_num', int(0, 255), '0', 'RPC connections per peer (0 = auto).'],
  ['rpc.connect_timeout', ms(), '5s', 'RPC connect timeout.'],
  ['rpc.send_timeout', ms(), '5s', 'RPC send timeout.'],
  ['rpc.authentication_timeout', ms(), '5s', 'RPC authentication timeout.'],
  ['rpc.call_receive_timeout', ms(), '15s', 'RPC call timeout.'],
  ['rpc.socket_keepalive_idle', sec(), '7200s', 'TCP keepalive idle time.'],
  ['rpc.socket_keepalive_interval', sec(), '75s', 'TCP keepalive probe interval.'],
  ['rpc.socket_keepalive_count', int(0), '9', 'TCP keepalive probes before drop.'],
  ['rpc.socket_sndbuf', bytes(), '1MB', 'RPC socket send buffer.'],
  ['rpc.socket_recbuf', bytes(), '1MB', 'RPC socket receive buffer.'],
  ['rpc.socket_buffer', bytes(), '1MB', 'RPC socket user buffer.'],
];

// ---------------------------------------------------------------- log
const LOG: Row[] = [
  ['log.to', en('off', 'file', 'console', 'both'), 'file', 'Where logs go: file, console, both (off: 3.x value, still accepted).'],
  ['log.level', en(...LOG_LEVELS), 'warning', 'Lowest level written.'],
  ['log.primary_log_level', en(...LOG_LEVELS), 'warning', 'Primary logger level.'],
  ['log.dir', path(), 'log', 'Log directory.'],
  ['log.file', str(), 'emqx.log', 'Log file name inside log.dir.'],
  ['log.chars_limit', int(-1), '-1', 'Truncate a log message to this many characters (-1 = no limit).'],
  ['log.supervisor_reports', en('error', 'progress'), 'error', 'Which supervisor reports to log.'],
  ['log.max_depth', { kind: 'union', of: [int(0), en('unlimited')] }, '100', 'Max depth when printing terms.'],
  ['log.formatter', en('text', 'json'), 'text', 'Log line format.'],
  ['log.formatter.text.date.format', str(), 'rfc3339', 'Timestamp format for text logs.'],
  ['log.single_line', bool(), 'true', 'Print each message on one line.'],
  ['log.rotation', bool(), 'on', 'Rotate log files.'],
  ['log.rotation.size', bytes(), '10MB', 'Rotate when a file reaches this size.'],
  ['log.rotation.count', int(1), '5', 'Number of rotated files kept.'],
  ['log.size', { kind: 'union', of: [bytes(), en('infinity')] }, 'infinity', 'Max log file size when rotation is off.'],
  ['log.$level.file', str(), undefined, 'Extra file (inside log.dir) for messages of this level.'],
  ['log.sync_mode_qlen', int(0), '100', 'Switch to synchronous logging above this queue length.'],
  ['log.drop_mode_qlen', int(0), '3000', 'Drop log events above this queue length.'],
  ['log.flush_qlen', int(0), '8000', 'Flush the log queue above this length.'],
  ['log.overload_kill', bool(), 'on', 'Restart the log handler when overloaded.'],
  ['log.overload_kill_mem_size', bytes(), '30MB', 'Handler memory that counts as overload.'],
  ['log.overload_kill_qlen', int(0), '20000', 'Handler queue length that counts as overload.'],
  ['log.overload_kill_restart_after', { kind: 'union', of: [ms(), en('infinity')] }, '5s', 'Restart delay after an overload kill.'],
  ['log.burst_limit', str(), 'disabled', 'Max events per period, e.g. "20000, 1s", or disabled.'],
  ['log.error_logger', en('silent'), 'silent', 'Legacy error_logger (always silent).'],
];

// ---------------------------------------------------------------- access control (global)
const ACCESS: Row[] = [
  ['auth_order', { kind: 'list', noneIsEmpty: true }, 'none', 'Order of auth plugins, e.g. jwt,http,mysql; none = registration order.'],
  ['acl_order', { kind: 'list', noneIsEmpty: true }, 'none', 'Order of ACL plugins; none = registration order.'],
  ['allow_anonymous', en('true', 'false', 'false_quick_deny'), 'false', 'Initial auth result for clients; false_quick_deny rejects anonymous clients at once.'],
  ['acl_nomatch', en('allow', 'deny'), 'deny', 'ACL result when no rule or plugin decides.'],
  ['acl_file', path(), undefined, 'Rules file of the built-in ACL module.'],
  ['enable_acl_cache', bool(), 'on', 'Cache ACL results per connection.'],
  ['acl_cache_ttl', ms(), '1m', 'Lifetime of an ACL cache entry.'],
  ['acl_cache_max_size', int(1), '32', 'ACL cache entries per connection.'],
  ['acl_deny_action', en('ignore', 'disconnect'), 'ignore', 'What to do on an ACL denial.'],
  ['flapping_detect_policy', { kind: 'flapping' }, '30, 1m, 5m', 'Threshold, window and ban time of flapping detection.'],
];

// ---------------------------------------------------------------- mqtt (global)
const MQTT: Row[] = [
  ['mqtt.max_packet_size', bytes(), '1MB', 'Largest MQTT packet accepted.'],
  ['mqtt.max_clientid_len', int(1, 65535), '65535', 'Longest client id accepted.'],
  ['mqtt.max_topic_levels', int(0), '128', 'Max topic levels (0 = unlimited).'],
  ['mqtt.max_qos_allowed', int(0, 2), '2', 'Highest QoS accepted.'],
  ['mqtt.max_topic_alias', int(0, 65535), '65535', 'Max MQTT 5 topic alias.'],
  ['mqtt.retain_available', bool(), 'true', 'Whether retained messages are supported.'],
  ['mqtt.wildcard_subscription', bool(), 'true', 'Whether wildcard subscriptions are allowed.'],
  ['mqtt.shared_subscription', bool(), 'true', 'Whether shared subscriptions are allowed.'],
  ['mqtt.exclusive_subscription', bool(), 'false', 'Whether $exclusive/ subscriptions are allowed.'],
  ['mqtt.ignore_loop_deliver', bool(), 'true', 'Do not deliver a message back to its publisher (v3 "no local").'],
  ['mqtt.strict_mode', bool(), 'false', 'Validate topics and UTF-8 strictly.'],
  ['mqtt.response_information', str(), undefined, 'MQTT 5 Response Information sent in CONNACK.'],
];

// ---------------------------------------------------------------- zones
const ZONE: Row[] = [
  ['idle_timeout', ms(), '15s', 'Close a connection that sends no CONNECT within this time.'],
  ['allow_anonymous', en('true', 'false', 'false_quick_deny'), undefined, 'Per-zone allow_anonymous.'],
  ['acl_nomatch', en('allow', 'deny'), undefined, 'Per-zone acl_nomatch.'],
  ['enable_acl', bool(), 'off', 'Run ACL checks for this zone.'],
  ['acl_deny_action', en('ignore', 'disconnect'), 'ignore', 'What to do on an ACL denial.'],
  ['enable_ban', bool(), 'off', 'Check the banned table.'],
  ['enable_stats', bool(), 'off', 'Collect per-connection statistics.'],
  ['publish_limit', rate(), undefined, 'Deprecated message rate limit (4.0-4.2).'],
  ['max_packet_size', bytes(), undefined, 'Per-zone mqtt.max_packet_size.'],
  ['max_clientid_len', int(1, 65535), undefined, 'Per-zone mqtt.max_clientid_len.'],
  ['max_topic_levels', int(0), undefined, 'Per-zone mqtt.max_topic_levels.'],
  ['max_qos_allowed', int(0, 2), undefined, 'Per-zone mqtt.max_qos_allowed.'],
  ['max_topic_alias', int(0, 65535), undefined, 'Per-zone mqtt.max_topic_alias.'],
  ['retain_available', bool(), undefined, 'Per-zone mqtt.retain_available.'],
  ['wildcard_subscription', bool(), undefined, 'Per-zone mqtt.wildcard_subscription.'],
  ['shared_subscription', bool(), undefined, 'Per-zone mqtt.shared_subscription.'],
  ['exclusive_subscription', bool(), undefined, 'Per-zone mqtt.exclusive_subscription.'],
  ['server_keepalive', int(0, 65535), undefined, 'MQTT 5 server keepalive, seconds.'],
  ['keepalive_backoff', float(0), '0.75', 'Close after keepalive × backoff × 2 of silence.'],
  ['max_subscriptions', int(0), '0', 'Max subscriptions per client (0 = unlimited).'],
  ['upgrade_qos', bool(), 'off', 'Deliver at the subscription QoS even when higher than the message QoS.'],
  ['max_inflight', int(0, 65535), '0', 'Unacknowledged QoS 1/2 messages per client (0 = unlimited).'],
  ['retry_interval', sec(), '30s', 'Resend unacknowledged QoS 1/2 messages after this time.'],
  ['max_awaiting_rel', int(0), '0', 'Incoming QoS 2 messages waiting for PUBREL (0 = unlimited).'],
  ['await_rel_timeout', sec(), '300s', 'Drop an incoming QoS 2 message not released within this time.'],
  ['ignore_loop_deliver', bool(), undefined, 'Per-zone mqtt.ignore_loop_deliver.'],
  ['session_expiry_interval', sec(), '2h', 'Session lifetime for MQTT 3 clients with clean_session = false.'],
  ['max_mqueue_len', int(0), '1000', 'Queued messages per session (0 = unlimited).'],
  ['mqueue_priorities', { kind: 'priorities' }, 'none', 'Topic priorities in the message queue.'],
  ['mqueue_default_priority', en('highest', 'lowest'), 'lowest', 'Priority of topics not in mqueue_priorities.'],
  ['mqueue_store_qos0', bool(), 'true', 'Queue QoS 0 messages too.'],
  ['backpressure', bool(), 'on', 'Stop reading publishers while an online subscriber\'s queue is over high-water, instead of dropping (nemq; off = EMQX 4.3).'],
  ['backpressure_high_watermark', int(0), '0', 'Queue length that holds the publishers feeding an online session (0 = half of max_mqueue_len, 1000 if unlimited).'],
  ['backpressure_low_watermark', int(0), '0', 'Queue length that releases them (0 = half the high-water mark).'],
  ['enable_flapping_detect', bool(), 'off', 'Ban clients that connect and disconnect too often.'],
  ['rate_limit.conn_messages_in', rate(), undefined, 'Incoming messages per connection, e.g. 100,10s.'],
  ['rate_limit.conn_bytes_in', rate(), undefined, 'Incoming bytes per connection, e.g. 100KB,10s.'],
  ['conn_congestion.alarm', bool(), 'off', 'Raise an alarm when a connection is congested.'],
  ['conn_congestion.min_alarm_sustain_duration', ms(), '1m', 'Keep a congestion alarm at least this long.'],
  ['quota.conn_messages_routing', rate(), undefined, 'Messages routed per connection, e.g. 100,1s.'],
  ['quota.overall_messages_routing', rate(), undefined, 'Messages routed by all connections of the zone, e.g. 200000,1s.'],
  ['force_gc_policy', { kind: 'gcPolicy' }, undefined, 'Force a GC after this many messages or bytes, e.g. 16000|16MB.'],
  ['force_shutdown_policy', { kind: 'shutdownPolicy' }, 'default', 'Kill a connection over this mailbox length or heap size.'],
  ['mountpoint', str(), undefined, 'Topic prefix for clients of the zone; %c and %u are expanded.'],
  ['use_username_as_clientid', bool(), 'false', 'Replace the client id with the username.'],
  ['strict_mode', bool(), 'false', 'Per-zone mqtt.strict_mode.'],
  ['response_information', str(), undefined, 'Per-zone mqtt.response_information.'],
  ['bypass_auth_plugins', bool(), 'false', 'Skip auth plugins; the result is allow_anonymous.'],
];

// ---------------------------------------------------------------- listeners
const PROTOS = ['tcp', 'ssl', 'ws', 'wss'] as const;
type Proto = (typeof PROTOS)[number];

function listenerRows(proto: Proto): Row[] {
  const tls = proto === 'ssl' || proto === 'wss';
  const ws = proto === 'ws' || proto === 'wss';
  const out: Row[] = [
    ['', { kind: 'bind' }, undefined, 'Listener bind, [ip:]port.'],
    ['acceptors', int(1), '8', 'Acceptor count.'],
    ['max_connections', int(1), '1024', 'Max concurrent connections.'],
    ['max_conn_rate', int(1), undefined, 'Max accepted connections per second.'],
    ['active_n', int(1), '100', 'Packets read per socket activation.'],
    ['zone', str(), undefined, 'Zone of the listener.'],
    ['rate_limit', rate(), undefined, 'Deprecated byte rate limit (4.0-4.2), e.g. 100KB,10s.'],
    ['access.$id', { kind: 'access' }, undefined, 'Connection access rule, tried in order of $id.'],
    ['proxy_protocol', bool(), undefined, 'Expect a PROXY protocol header.'],
    ['proxy_protocol_timeout', ms(), undefined, 'Wait this long for the PROXY header.'],
    ['peer_cert_as_username', en(...(tls ? PEER_CERT_TLS : ['cn'])), undefined, 'Use this client-certificate field as username.'],
    ['peer_cert_as_clientid', en(...(tls ? PEER_CERT_TLS : ['cn'])), undefined, 'Use this client-certificate field as client id.'],
    ['backlog', int(1), '1024', 'TCP accept backlog.'],
    ['send_timeout', ms(), '15s', 'Socket send timeout.'],
    ['send_timeout_close', bool(), 'on', 'Close the socket on a send timeout.'],
    ['recbuf', bytes(), undefined, 'Kernel receive buffer.'],
    ['sndbuf', bytes(), undefined, 'Kernel send buffer.'],
    ['buffer', bytes(), undefined, 'User-space socket buffer.'],
    ['tune_buffer', bool(), undefined, 'Grow the user buffer to the kernel buffers.'],
    ['high_watermark', bytes(), proto === 'tcp' || proto === 'ssl' ? '1MB' : undefined, 'Mark the socket busy above this many queued bytes.'],
    ['nodelay', bool(), undefined, 'TCP_NODELAY (EMQX default true).'],
    ['reuseaddr', bool(), undefined, 'SO_REUSEADDR.'],
  ];
  if (tls) {
    out.push(
      ['tls_versions', list(['tlsv1', 'tlsv1.1', 'tlsv1.2', 'tlsv1.3']), undefined, 'Allowed TLS versions.'],
      ['ciphers', list(), undefined, 'Allowed cipher suites (OpenSSL names).'],
      ['psk_ciphers', list(), undefined, 'Allowed PSK cipher suites (instead of ciphers).'],
      ['handshake_timeout', ms(), '15s', 'TLS handshake timeout.'],
      ['depth', int(0), '10', 'Max certificate chain depth.'],
      ['key_password', str(), undefined, 'Password of the key file.'],
      ['dhfile', path(), undefined, 'Diffie-Hellman parameters file.'],
      ['keyfile', path(), undefined, 'Server private key (PEM).'],
      ['certfile', path(), undefined, 'Server certificate (PEM).'],
      ['cacertfile', path(), undefined, 'CA certificates (PEM) for client verification.'],
      ['verify', en('verify_peer', 'verify_none'), undefined, 'Verify client certificates.'],
      ['fail_if_no_peer_cert', bool(), undefined, 'Reject clients without a certificate (with verify_peer).'],
      ['secure_renegotiate', bool(), undefined, 'Allow only secure renegotiation.'],
      ['reuse_sessions', bool(), 'on', 'Allow TLS session resumption.'],
      ['honor_cipher_order', bool(), undefined, 'Prefer the server cipher order.'],
      ['log_level', en(...SSL_LOG_LEVELS), undefined, 'TLS library log level.'],
      ['gc_after_handshake', bool(), proto === 'ssl' ? 'false' : undefined, 'Garbage-collect after the handshake.'],
      ['hibernate_after', ms(), undefined, 'Hibernate an idle TLS connection after this time.'],
    );
  }
  if (ws) {
    out.push(
      ['mqtt_path', str(), '/mqtt', 'HTTP path of the MQTT WebSocket endpoint.'],
      ['fail_if_no_subprotocol', bool(), 'true', 'Reject handshakes without a Sec-WebSocket-Protocol.'],
      ['supported_subprotocols', { kind: 'list', spaces: true }, 'mqtt, mqtt-v3, mqtt-v3.1.1, mqtt-v5', 'Accepted WebSocket subprotocols.'],
      ['proxy_address_header', str(), 'X-Forwarded-For', 'Header carrying the real client address.'],
      ['proxy_port_header', str(), 'X-Forwarded-Port', 'Header carrying the real client port.'],
      ['compress', bool(), undefined, 'Enable permessage-deflate.'],
      ['deflate_opts.level', en('none', 'default', 'best_compression', 'best_speed'), undefined, 'Compression level.'],
      ['deflate_opts.mem_level', int(1, 9), undefined, 'Compression memory level.'],
      ['deflate_opts.strategy', en('default', 'filtered', 'huffman_only', 'rle'), undefined, 'Compression strategy.'],
      ['deflate_opts.server_context_takeover', en('takeover', 'no_takeover'), undefined, 'Server context takeover.'],
      ['deflate_opts.client_context_takeover', en('takeover', 'no_takeover'), undefined, 'Client context takeover.'],
      ['deflate_opts.server_max_window_bits', int(8, 15), undefined, 'Server max window bits.'],
      ['deflate_opts.client_max_window_bits', int(8, 15), undefined, 'Client max window bits.'],
      ['idle_timeout', ms(), undefined, 'Close an idle WebSocket connection after this time.'],
      ['max_frame_size', int(0), undefined, 'Largest WebSocket frame accepted, bytes (0 = unlimited).'],
      ['mqtt_piggyback', en('single', 'multiple'), 'multiple', 'One or several MQTT packets per WebSocket frame.'],
      ['check_origin_enable', bool(), 'false', 'Check the Origin header.'],
      ['allow_origin_absence', bool(), 'true', 'Accept handshakes without an Origin header.'],
      ['check_origins', list(), undefined, 'Accepted origins, comma-separated.'],
    );
  }
  return out.map(([opt, type, def, doc]) => [opt === '' ? `listener.${proto}.$name` : `listener.${proto}.$name.${opt}`, type, def, doc]);
}

// ---------------------------------------------------------------- modules / plugins / broker / monitors
const MODULES: Row[] = [
  ['modules.loaded_file', path(), undefined, 'File listing the modules to load.'],
  ['module.presence.qos', int(0, 2), '1', 'QoS of client connected/disconnected events.'],
  ['module.subscription.$id.topic', str(), undefined, 'Topic subscribed for every client on connect; %c and %u are expanded.'],
  ['module.subscription.$id.qos', int(0, 2), '1', 'QoS of that subscription.'],
  ['module.subscription.$id.nl', int(0, 1), '0', 'No Local flag of that subscription.'],
  ['module.subscription.$id.rap', int(0, 1), '0', 'Retain As Published flag of that subscription.'],
  ['module.subscription.$id.rh', int(0, 2), '0', 'Retain Handling of that subscription.'],
  ['module.rewrite.rule.$id', str(), undefined, 'Topic rewrite rule: filter regex replacement.'],
  ['module.rewrite.pub.rule.$id', str(), undefined, 'Rewrite rule for PUBLISH topics.'],
  ['module.rewrite.sub.rule.$id', str(), undefined, 'Rewrite rule for SUBSCRIBE/UNSUBSCRIBE filters.'],
];

const PLUGINS: Row[] = [
  ['plugins.etc_dir', path(), 'etc/plugins/', 'Directory of plugin .conf files.'],
  ['plugins.loaded_file', path(), undefined, 'File recording which plugins are loaded; default <node.data_dir>/loaded_plugins.'],
  ['plugins.expand_plugins_dir', path(), 'plugins/', 'Directory of extra (third-party) plugins.'],
];

const BROKER: Row[] = [
  ['broker.sys_interval', ms(), '1m', 'Publish $SYS stats and metrics this often (0 = off).'],
  ['broker.sys_heartbeat', ms(), '30s', 'Publish $SYS uptime and datetime this often (0 = off).'],
  ['broker.enable_session_registry', bool(), 'on', 'Keep a cluster-wide session registry.'],
  ['broker.session_locking_strategy', en('local', 'leader', 'quorum', 'all'), 'quorum', 'Lock used when a session is taken over.'],
  ['broker.shared_subscription_strategy', en(...SHARED_STRATEGIES), 'round_robin', 'How a shared-subscription message picks a subscriber.'],
  ['broker.$name.shared_subscription_strategy', en(...SHARED_STRATEGIES), 'round_robin', 'Strategy for one shared-subscription group.'],
  ['broker.shared_dispatch_ack_enabled', bool(), 'false', 'Redispatch a QoS 1/2 shared message when the chosen subscriber is gone.'],
  ['broker.route_batch_clean', bool(), 'on', 'Clean routes of a dead node in batches.'],
  ['broker.perf.route_lock_type', en('key', 'tab', 'global'), 'key', 'Lock used when updating wildcard routes.'],
  ['broker.perf.trie_compaction', bool(), 'true', 'Compact the wildcard trie.'],
  ['broker.client_disconnect_discarded', bool(), 'off', 'Run client.disconnected for discarded sessions.'],
  ['broker.client_disconnect_takeovered', bool(), 'off', 'Run client.disconnected for taken-over sessions.'],
];

const MONITORS: Row[] = [
  ['sysmon.long_gc', ms(), '0', 'Report GCs longer than this (0 = off).'],
  ['sysmon.long_schedule', ms(), '240', 'Report a process running longer than this without yielding (0 = off).'],
  ['sysmon.large_heap', bytes(), '8MB', 'Report processes with a heap above this.'],
  ['sysmon.busy_port', bool(), 'false', 'Report busy ports.'],
  ['sysmon.busy_dist_port', bool(), 'true', 'Report busy distribution ports.'],
  ['os_mon.memsup_improved_system_memory_data', bool(), 'true', 'Detailed system memory data.'],
  ['os_mon.cpu_check_interval', sec(), '60s', 'CPU check period.'],
  ['os_mon.cpu_high_watermark', pct(), '80%', 'Raise the CPU alarm above this load.'],
  ['os_mon.cpu_low_watermark', pct(), '60%', 'Clear the CPU alarm below this load.'],
  ['os_mon.mem_check_interval', sec(), '60s', 'Memory check period.'],
  ['os_mon.sysmem_high_watermark', pct(), '70%', 'Raise the memory alarm above this share of system memory.'],
  ['os_mon.procmem_high_watermark', pct(), '5%', 'Raise an alarm for a process above this share of memory.'],
  ['vm_mon.check_interval', sec(), '30s', 'Process-count check period.'],
  ['vm_mon.process_high_watermark', pct(), '80%', 'Raise the alarm above this share of the process limit.'],
  ['vm_mon.process_low_watermark', pct(), '60%', 'Clear the alarm below this share of the process limit.'],
  ['alarm.actions', list(['log', 'publish']), 'log,publish', 'What to do when an alarm is raised.'],
  ['alarm.size_limit', int(1), '1000', 'Max deactivated alarms kept.'],
  ['alarm.validity_period', sec(), '24h', 'Keep deactivated alarms this long.'],
  ['telemetry.enabled', bool(), 'false', 'Send anonymous usage data (never sent by nemq).'],
  ['telemetry.url', str(), 'https://telemetry-emqx-io.bigpar.vercel.app/api/telemetry', 'Telemetry endpoint.'],
  ['telemetry.report_interval', sec(), '7d', 'Telemetry period.'],
];

/** The whole schema, in emqx.conf section order. */
export const SCHEMA: readonly SchemaEntry[] = Object.freeze([
  ...rows(CLUSTER),
  ...rows(NODE),
  ...rows(RPC),
  ...rows(LOG),
  ...rows(ACCESS),
  ...rows(MQTT),
  ...rows(ZONE.map(([k, t, d, doc]): Row => [`zone.$name.${k}`, t, d, doc])),
  ...PROTOS.flatMap((p) => rows(listenerRows(p))),
  ...rows(MODULES),
  ...rows(PLUGINS),
  ...rows(BROKER),
  ...rows(MONITORS),
]);

/** Zone keys (without `zone.<name>.`) that fall back to a global key of the same name. */
export const ZONE_GLOBAL_FALLBACK: Readonly<Record<string, string>> = {
  allow_anonymous: 'allow_anonymous',
  acl_nomatch: 'acl_nomatch',
  acl_deny_action: 'acl_deny_action',
  max_packet_size: 'mqtt.max_packet_size',
  max_clientid_len: 'mqtt.max_clientid_len',
  max_topic_levels: 'mqtt.max_topic_levels',
  max_qos_allowed: 'mqtt.max_qos_allowed',
  max_topic_alias: 'mqtt.max_topic_alias',
  retain_available: 'mqtt.retain_available',
  wildcard_subscription: 'mqtt.wildcard_subscription',
  shared_subscription: 'mqtt.shared_subscription',
  exclusive_subscription: 'mqtt.exclusive_subscription',
  ignore_loop_deliver: 'mqtt.ignore_loop_deliver',
  strict_mode: 'mqtt.strict_mode',
  response_information: 'mqtt.response_information',
};

// ---------------------------------------------------------------- pattern lookup

export interface KeyMatch {
  readonly entry: SchemaEntry;
  /** Variable bindings, e.g. `{ $name: 'external' }`. */
  readonly vars: Readonly<Record<string, string>>;
}

const NAME_RE = /^[A-Za-z0-9_-]+$/;

interface Compiled {
  readonly entry: SchemaEntry;
  readonly segments: readonly string[];
  readonly literals: number;
}

const EXACT = new Map<string, SchemaEntry>();
const FUZZY: Compiled[] = [];
for (const entry of SCHEMA) {
  const segments = entry.key.split('.');
  const literals = segments.filter((s) => !s.startsWith('$')).length;
  if (literals === segments.length) EXACT.set(entry.key, entry);
  else FUZZY.push({ entry, segments, literals });
}
// most specific first: more literal segments win
FUZZY.sort((a, b) => b.literals - a.literals);

function matchSegments(segments: readonly string[], parts: readonly string[], caseInsensitive: boolean): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const vars: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] ?? '';
    const part = parts[i] ?? '';
    if (seg.startsWith('$')) {
      if (!NAME_RE.test(part)) return undefined;
      const allowed = VARIABLE_VALUES[seg];
      if (allowed && !allowed.includes(caseInsensitive ? part.toLowerCase() : part)) return undefined;
      vars[seg] = part;
    } else if (caseInsensitive ? seg !== part.toLowerCase() : seg !== part) {
      return undefined;
    }
  }
  return vars;
}

/** Find the schema entry for a concrete key. */
export function lookupKey(key: string, caseInsensitive = false): KeyMatch | undefined {
  const exact = EXACT.get(caseInsensitive ? key.toLowerCase() : key);
  if (exact) return { entry: exact, vars: {} };
  const parts = key.split('.');
  for (const c of FUZZY) {
    const vars = matchSegments(c.segments, parts, caseInsensitive);
    if (vars) return { entry: c.entry, vars };
  }
  return undefined;
}

/** Substitute variables into a pattern: (`zone.$name.x`, {$name:'a'}) → `zone.a.x`. */
export function instantiate(pattern: string, vars: Readonly<Record<string, string>>): string {
  return pattern
    .split('.')
    .map((s) => (s.startsWith('$') ? (vars[s] ?? s) : s))
    .join('.');
}

/** Typed default for a key that matches the schema, or `undefined`. */
export function schemaDefault(key: string): unknown {
  const match = lookupKey(key);
  if (!match || match.entry.default === undefined) return undefined;
  return parseValue(match.entry.type, match.entry.default);
}

/** Resolve a path key's value against the install root, keeping a trailing slash (`etc/plugins/`). */
export function resolvePath(baseDir: string, p: string): string {
  const abs = resolve(baseDir, p);
  return /[\\/]$/.test(p) && !abs.endsWith('/') ? `${abs}/` : abs;
}
