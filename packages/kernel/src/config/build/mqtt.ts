// mqtt.* (the globals zones fall back to)
import type { MqttConfig } from '../types.js';
import { compact, type Reader } from './read.js';

export function buildMqtt(r: Reader): MqttConfig {
  return compact({
    maxPacketSize: r.num('mqtt.max_packet_size'),
    maxClientidLen: r.num('mqtt.max_clientid_len'),
    maxTopicLevels: r.num('mqtt.max_topic_levels'),
    maxQosAllowed: r.num('mqtt.max_qos_allowed') as 0 | 1 | 2,
    maxTopicAlias: r.num('mqtt.max_topic_alias'),
    retainAvailable: r.bool('mqtt.retain_available'),
    wildcardSubscription: r.bool('mqtt.wildcard_subscription'),
    sharedSubscription: r.bool('mqtt.shared_subscription'),
    exclusiveSubscription: r.bool('mqtt.exclusive_subscription'),
    ignoreLoopDeliver: r.bool('mqtt.ignore_loop_deliver'),
    strictMode: r.bool('mqtt.strict_mode'),
    responseInformation: r.optStr('mqtt.response_information'),
  });
}
