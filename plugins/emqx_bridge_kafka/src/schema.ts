// Every key of etc/plugins/emqx_bridge_kafka.conf (EMQX Enterprise docs, bridge-kafka.md)
// with EMQX's defaults, plus four nemq keys for the in-memory buffer and batching.
import type { ConfSchema } from '@nemq/sdk';

/** EMQX writes these durations with an upper-case unit (`5S`), so they are read as strings here. */
export const DURATION_KEYS = [
  'bridge.kafka.min_metadata_refresh_interval',
  'bridge.kafka.produce.sync_timeout',
  'bridge.kafka.producer.ack_timeout',
  'bridge.kafka.producer.max_linger_time',
] as const;

export const schema: ConfSchema = {
  'bridge.kafka.servers': { type: 'list', default: '127.0.0.1:9092', doc: 'bootstrap brokers, host:port,...' },
  'bridge.kafka.query_api_versions': { type: 'boolean', default: 'true' },
  'bridge.kafka.connection_strategy': { type: 'enum', values: ['per_partition', 'per_broker'], default: 'per_partition' },
  'bridge.kafka.min_metadata_refresh_interval': { type: 'string', default: '5S' },
  'bridge.kafka.produce': { type: 'enum', values: ['sync', 'async'], default: 'sync' },
  'bridge.kafka.produce.sync_timeout': { type: 'string', default: '3S' },
  'bridge.kafka.replayq_dir': { type: 'string', doc: 'disk queue directory (not supported: nemq buffers in memory)' },
  'bridge.kafka.producer.replayq_seg_bytes': { type: 'bytesize', default: '10MB' },
  'bridge.kafka.producer.required_acks': { type: 'enum', values: ['all_isr', 'leader_only', 'none'], default: 'none' },
  'bridge.kafka.producer.ack_timeout': { type: 'string', default: '10S' },
  'bridge.kafka.producer.max_batch_bytes': { type: 'bytesize', default: '1024KB' },
  'bridge.kafka.producer.min_batch_bytes': { type: 'bytesize', default: '0' },
  'bridge.kafka.producer.max_send_ahead': { type: 'integer', default: '0' },
  'bridge.kafka.producer.compression': { type: 'enum', values: ['no_compression', 'gzip', 'snappy'], default: 'no_compression' },
  'bridge.kafka.encode_payload_type': { type: 'enum', values: ['base64', 'plain'], default: 'base64' },
  'bridge.kafka.sock.buffer': { type: 'bytesize', default: '32KB' },
  'bridge.kafka.sock.recbuf': { type: 'bytesize', default: '32KB' },
  'bridge.kafka.sock.sndbuf': { type: 'bytesize', default: '1MB' },
  'bridge.kafka.sock.read_packets': { type: 'integer', default: '20' },
  // nemq: the in-memory buffer between the hooks and Kafka (wolff's replayq_max_total_bytes)
  'bridge.kafka.producer.replayq_max_total_bytes': { type: 'bytesize', default: '64MB' },
  // nemq: records per produce request (the Pulsar bridge's producer.batch_size)
  'bridge.kafka.producer.batch_size': { type: 'integer', default: '1000' },
  // nemq: how long a batch smaller than min_batch_bytes may wait for more records (wolff's max_linger_ms)
  'bridge.kafka.producer.max_linger_time': { type: 'string', default: '0ms' },
  // nemq: connect and retry back-off ceiling while Kafka is unreachable
  'bridge.kafka.reconnect_interval': { type: 'duration', default: '2s' },
  // bridge.kafka.hook.<hookpoint>.<N> = {"topic": "...", "filter": "...", "key": "${clientid}", "strategy": "random"}
  'bridge.kafka.hook.$scope.$event.$n': { type: 'string' },
};
