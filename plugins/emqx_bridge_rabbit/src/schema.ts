// The keys of etc/plugins/emqx_bridge_rabbit.conf: EMQX Enterprise's, plus a few nemq keys
// for the in-memory buffer and reconnecting.
import type { ConfSchema } from '@nemq/sdk';

export const schema: ConfSchema = {
  // one RabbitMQ server per N: bridge.rabbit.<N>.server etc.
  'bridge.rabbit.$n.server': { type: 'string', doc: 'host:port' },
  'bridge.rabbit.$n.pool_size': { type: 'integer', doc: 'connections (each with one confirm channel)' },
  'bridge.rabbit.$n.username': { type: 'string' },
  'bridge.rabbit.$n.password': { type: 'string' },
  'bridge.rabbit.$n.virtual_host': { type: 'string' },
  'bridge.rabbit.$n.heartbeat': { type: 'string', doc: 'seconds (or a duration); 0 = off' },
  // nemq: longest pause between reconnect attempts while the server is unreachable
  'bridge.rabbit.$n.reconnect_wait': { type: 'string', doc: 'duration, default 2s' },
  // nemq: the in-memory buffer of each server while it is slow or away
  'bridge.rabbit.max_buffer_bytes': { type: 'bytesize', default: '64MB' },
  // nemq: messages published on one channel before waiting for their confirms
  'bridge.rabbit.batch_size': { type: 'integer', default: '500' },
  // bridge.rabbit.hook.<hookpoint>.<N> = {"topic": ..., "action": ..., "rabbit": 1, "exchange": "type:name"}
  'bridge.rabbit.hook.$scope.$event.$n': { type: 'string' },
};
