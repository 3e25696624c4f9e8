// Keys of etc/plugins/emqx_backend_mongo.conf: EMQX Enterprise's, plus nemq's buffer keys.
import type { ConfSchema } from '@nemq/sdk';

export const schema = {
  'backend.mongo.$pool.type': { type: 'enum', values: ['single', 'unknown', 'sharded', 'rs'], doc: 'topology type (default single)' },
  'backend.mongo.$pool.rs_set_name': { type: 'string', doc: 'replica set name when type = rs' },
  'backend.mongo.$pool.server': { type: 'string', doc: 'host:port, comma separated' },
  'backend.mongo.$pool.c_pool_size': { type: 'integer', doc: 'connections of the pool (default 8)' },
  'backend.mongo.$pool.database': { type: 'string', doc: 'database (default mqtt)' },
  'backend.mongo.$pool.login': { type: 'string', doc: 'MongoDB user' },
  'backend.mongo.$pool.password': { type: 'string', doc: 'MongoDB password' },
  'backend.mongo.$pool.auth_source': { type: 'string', doc: 'authentication database (default mqtt)' },
  'backend.mongo.$pool.ssl': { type: 'boolean', doc: 'TLS to the server (default false)' },
  'backend.mongo.$pool.keyfile': { type: 'string', doc: 'TLS key file' },
  'backend.mongo.$pool.certfile': { type: 'string', doc: 'TLS certificate file' },
  'backend.mongo.$pool.cacertfile': { type: 'string', doc: 'TLS CA file' },
  'backend.mongo.$pool.verify': { type: 'string', doc: 'nemq: true to check the server certificate' },
  'backend.mongo.$pool.w_mode': { type: 'enum', values: ['safe', 'unsafe'], doc: 'write concern: safe (w 1) | unsafe (w 0)' },
  'backend.mongo.$pool.r_mode': { type: 'enum', values: ['master', 'slave_ok'], doc: 'read preference' },
  'backend.mongo.topology.$opt': { type: 'integer', doc: 'pool_size, max_overflow, overflow_ttl, overflow_check_period (no effect); local_threshold_ms, connect_timeout_ms, socket_timeout_ms, server_selection_timeout_ms, wait_queue_timeout_ms, heartbeat_frequency_ms, min_heartbeat_frequency_ms' },
  // nemq
  'backend.mongo.$pool.query_timeout': { type: 'duration', doc: 'time limit of one write or lookup, server selection included (default 15s)' },
  'backend.mongo.$pool.batch_size': { type: 'integer', doc: 'most writes in one batch (default 100)' },
  'backend.mongo.$pool.max_buffer': { type: 'integer', doc: 'most writes held while MongoDB is slow or down; past it the oldest are dropped (default 100000)' },
  'backend.mongo.$pool.reconnect_min': { type: 'duration', doc: 'first wait before writing again after a failure (default 200ms)' },
  'backend.mongo.$pool.reconnect_max': { type: 'duration', doc: 'longest wait between retries (default 5s)' },
  'backend.mongo.max_returned_count': { type: 'string', doc: 'on_message_fetch: most offline messages per subscription; infinity = no limit' },
  'backend.mongo.time_range': { type: 'string', doc: 'on_message_fetch: only messages of the last 2h / 30m / 1d ...; infinity = no limit' },
  'backend.mongo.hook.$scope.$event.$n': { type: 'string', doc: '{"topic": "#", "action": {"function": "..."}, "pool": "pool1", "payload_format": "mongo_json"}' },
} as const satisfies ConfSchema;
