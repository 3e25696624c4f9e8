// Keys of etc/plugins/emqx_backend_mysql.conf: EMQX Enterprise's, plus nemq's buffer keys.
import type { ConfSchema } from '@nemq/sdk';

export const schema = {
  'backend.mysql.$pool.server': { type: 'string', doc: 'MySQL server: Port | IP:Port | Host:Port (one per pool)' },
  'backend.mysql.$pool.pool_size': { type: 'integer', doc: 'connections of the pool (default 8)' },
  'backend.mysql.$pool.user': { type: 'string', doc: 'MySQL user (default root)' },
  'backend.mysql.$pool.password': { type: 'string', doc: 'MySQL password' },
  'backend.mysql.$pool.database': { type: 'string', doc: 'database (default mqtt)' },
  'backend.mysql.$pool.ssl': { type: 'boolean', doc: 'TLS to the server (default off)' },
  'backend.mysql.$pool.ssl.$opt': { type: 'string', doc: 'cacertfile | certfile | keyfile | verify | server_name_indication' },
  // nemq
  'backend.mysql.$pool.query_timeout': { type: 'duration', doc: 'time limit of one batch or lookup (default 15s)' },
  'backend.mysql.$pool.batch_size': { type: 'integer', doc: 'most writes in one transaction (default 100)' },
  'backend.mysql.$pool.max_buffer': { type: 'integer', doc: 'most writes held while MySQL is slow or down; past it the oldest are dropped (default 100000)' },
  'backend.mysql.$pool.reconnect_min': { type: 'duration', doc: 'first wait before writing again after a failure (default 200ms)' },
  'backend.mysql.$pool.reconnect_max': { type: 'duration', doc: 'longest wait between retries (default 5s)' },
  'backend.mysql.max_returned_count': { type: 'string', doc: 'on_message_fetch: most offline messages per subscription; infinity = no limit' },
  'backend.mysql.time_range': { type: 'string', doc: 'on_message_fetch: only messages of the last 2h / 30m / 1d ...; infinity = no limit' },
  'backend.mysql.hook.$scope.$event.$n': { type: 'string', doc: '{"topic": "#", "action": {"function": "..."} | {"sql": ["..."]}, "pool": "pool1"}' },
} as const satisfies ConfSchema;
