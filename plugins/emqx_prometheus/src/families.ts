// EMQX 4.3's metric families: the exported name, where its value comes from, and the JSON
// group it belongs to. Counters are the node's metrics with dots as underscores, plus the
// few irregular names EMQX has.

export type Group = 'stats' | 'metrics' | 'packets' | 'messages' | 'delivery' | 'client' | 'session' | 'cluster';

export interface Family {
  name: string;
  type: 'gauge' | 'counter';
  group: Group;
  /** the node's metric or stat names, first one present wins; absent everywhere reads 0 */
  from: readonly string[];
}

const STATS = ['connections', 'sessions', 'topics', 'suboptions', 'subscribers', 'subscriptions', 'subscriptions.shared', 'retained'];

const PACKETS = [
  'bytes.received', 'bytes.sent', 'packets.received', 'packets.sent',
  'packets.connect', 'packets.connack.sent', 'packets.connack.error', 'packets.connack.auth_error',
  'packets.publish.received', 'packets.publish.sent', 'packets.publish.inuse', 'packets.publish.error', 'packets.publish.auth_error', 'packets.publish.dropped',
  'packets.puback.received', 'packets.puback.sent', 'packets.puback.inuse', 'packets.puback.missed',
  'packets.pubrec.received', 'packets.pubrec.sent', 'packets.pubrec.inuse', 'packets.pubrec.missed',
  'packets.pubrel.received', 'packets.pubrel.sent', 'packets.pubrel.missed',
  'packets.pubcomp.received', 'packets.pubcomp.sent', 'packets.pubcomp.inuse', 'packets.pubcomp.missed',
  'packets.subscribe.received', 'packets.subscribe.error', 'packets.subscribe.auth_error', 'packets.suback.sent',
  'packets.unsubscribe.received', 'packets.unsubscribe.error', 'packets.unsuback.sent',
  'packets.pingreq.received', 'packets.pingresp.sent',
  'packets.disconnect.received', 'packets.disconnect.sent', 'packets.auth.received', 'packets.auth.sent',
];

const MESSAGES = [
  'messages.received', 'messages.sent', 'messages.qos0.received', 'messages.qos0.sent', 'messages.qos1.received', 'messages.qos1.sent',
  'messages.qos2.received', 'messages.qos2.sent', 'messages.publish', 'messages.dropped', 'messages.dropped.expired',
  'messages.dropped.no_subscribers', 'messages.forward', 'messages.retained', 'messages.delayed', 'messages.delivered', 'messages.acked',
];

const DELIVERY = ['delivery.dropped', 'delivery.dropped.no_local', 'delivery.dropped.too_large', 'delivery.dropped.qos0_msg', 'delivery.dropped.queue_full', 'delivery.dropped.expired'];

const CLIENT = ['client.connected', 'client.authenticate', 'client.auth.success.anonymous', 'client.check_acl', 'client.subscribe', 'client.unsubscribe', 'client.disconnected'];

const SESSION = ['session.created', 'session.resumed', 'session.takeovered', 'session.discarded', 'session.terminated'];

/** metrics named otherwise here than in EMQX's family name */
const SOURCES: Record<string, readonly string[]> = {
  // the one irregular family name: emqx_packets_connect counts packets.connect.received
  'packets.connect': ['packets.connect.received'],
  'client.auth.success.anonymous': ['client.auth.success.anonymous', 'client.auth.anonymous'],
};

const promName = (metric: string): string => `emqx_${metric.replace(/\./g, '_')}`;

function counters(group: Group, names: readonly string[]): Family[] {
  return names.map((m) => ({ name: promName(m), type: 'counter', group, from: SOURCES[m] ?? [m] }));
}

export const FAMILIES: readonly Family[] = [
  ...STATS.flatMap((s): Family[] => [
    { name: promName(`${s}.count`), type: 'gauge', group: 'stats', from: [`${s}.count`] },
    { name: promName(`${s}.max`), type: 'gauge', group: 'stats', from: [`${s}.max`, `${s}.count.max`] },
  ]),
  ...['cpu_use', 'cpu_idle', 'run_queue', 'process_messages_in_queues', 'total_memory', 'used_memory'].map((v): Family => ({ name: `emqx_vm_${v}`, type: 'gauge', group: 'metrics', from: [v] })),
  { name: 'emqx_cluster_nodes_running', type: 'gauge', group: 'cluster', from: ['nodes_running'] },
  { name: 'emqx_cluster_nodes_stopped', type: 'gauge', group: 'cluster', from: ['nodes_stopped'] },
  ...counters('packets', PACKETS),
  ...counters('messages', MESSAGES),
  ...counters('delivery', DELIVERY),
  ...counters('client', CLIENT),
  ...counters('session', SESSION),
];
