// The keys of etc/plugins/emqx_backend_redis.conf (EMQX Enterprise's), plus nemq's buffer keys.
import type { ConfSchema } from '@nemq/sdk';

export const schema: ConfSchema = {
  // one Redis per pool name: backend.redis.<pool>.server etc.
  'backend.redis.$pool.type': { type: 'string', doc: 'single | sentinel' },
  'backend.redis.$pool.server': { type: 'string', doc: 'host:port (sentinel: a comma list)' },
  'backend.redis.$pool.sentinel': { type: 'string', doc: 'sentinel master name' },
  'backend.redis.$pool.pool_size': { type: 'integer' },
  'backend.redis.$pool.database': { type: 'integer' },
  'backend.redis.$pool.password': { type: 'string' },
  'backend.redis.$pool.channel': { type: 'string', doc: 'Redis channel the backend listens on for subscribe/unsubscribe requests' },
  // stored messages (mqtt:msg:<id>) expire after this many seconds; <= 0: the default 3600
  'backend.redis.msg.expired_after': { type: 'integer', default: '3600' },
  // nemq: the in-memory buffer of each pool while Redis is slow or away
  'backend.redis.max_buffer_bytes': { type: 'bytesize', default: '32MB' },
  // nemq: commands sent in one pipeline
  'backend.redis.batch_size': { type: 'integer', default: '1000' },
  // backend.redis.hook.<hookpoint>.<N> = {"topic": ..., "action": {"function": ...} | {"commands": [...]}, "pool": "pool1"}
  'backend.redis.hook.$scope.$event.$n': { type: 'string' },
};
