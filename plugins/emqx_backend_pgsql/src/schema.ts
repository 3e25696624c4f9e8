// Keys of etc/plugins/emqx_backend_pgsql.conf: EMQX Enterprise's, plus nemq's buffer keys.
import type { ConfSchema } from '@nemq/sdk';

export const schema = {
  'backend.pgsql.$pool.server': { type: 'string', doc: 'PostgreSQL server: Port | IP:Port | Host:Port (one per pool)' },
  'backend.pgsql.$pool.pool_size': { type: 'integer', doc: 'connections of the pool (default 8)' },
  'backend.pgsql.$pool.username': { type: 'string', doc: 'PostgreSQL user (default root)' },
  'backend.pgsql.$pool.password': { type: 'string', doc: 'PostgreSQL password' },
  'backend.pgsql.$pool.database': { type: 'string', doc: 'database (default mqtt)' },
  'backend.pgsql.$pool.ssl': { type: 'boolean', doc: 'TLS to the server (default off)' },
  'backend.pgsql.$pool.ssl.$opt': { type: 'string', doc: 'cacertfile | certfile | keyfile | verify | server_name_indication' },
  // nemq
  'backend.pgsql.$pool.query_timeout': { type: 'duration', doc: 'time limit of one batch or lookup (default 15s)' },
  'backend.pgsql.$pool.batch_size': { type: 'integer', doc: 'most writes in one transaction (default 100)' },
  'backend.pgsql.$pool.max_buffer': { type: 'integer', doc: 'most writes held while PostgreSQL is slow or down; past it the oldest are dropped (default 100000)' },
  'backend.pgsql.$pool.reconnect_min': { type: 'duration', doc: 'first wait before writing again after a failure (default 200ms)' },
  'backend.pgsql.$pool.reconnect_max': { type: 'duration', doc: 'longest wait between retries (default 5s)' },
  'backend.pgsql.max_returned_count': { type: 'string', doc: 'on_message_fetch: most offline messages per subscription; infinity = no limit' },
  'backend.pgsql.time_range': { type: 'string', doc: 'on_message_fetch: only messages of the last 2h / 30m / 1d ...; infinity = no limit' },
  'backend.pgsql.hook.$scope.$event.$n': { type: 'string', doc: '{"topic": "#", "action": {"function": "..."} | {"sql": ["..."]}, "pool": "pool1"}' },
} as const satisfies ConfSchema;
