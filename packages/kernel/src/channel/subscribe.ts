// SUBSCRIBE and UNSUBSCRIBE: per-filter checks, ACL, client.subscribe /
// client.unsubscribe, then the broker's one subscribe path (broker/subscriptions.ts).
import type { QoS, SubscribePacket, UnsubscribePacket } from '@nemq/codec';
import { aclApplies, aclAsync, aclSync } from '../access/authorize.js';
import type { Subscribed } from '../broker/subscriptions.js';
import type { TopicFilters } from '../hooks/hookpoints.js';
import { parseShare, validTopicFilter } from '@nemq/sdk';
import type { AclResult, SubOpts } from '../types.js';
import type { ChannelCore } from './core.js';
import { RC } from './reason-codes.js';

export function onSubscribe(ch: ChannelCore, p: SubscribePacket): void {
  const env = ch.env;
  env.metrics['packets.subscribe.received']++;
  env.metrics['client.subscribe']++;
  const zone = ch.zone;
  const subid = p.properties?.subscriptionIdentifier;
  const codes: number[] = new Array(p.subscriptions.length).fill(0);
  const filters: TopicFilters = [];
  const idx: number[] = [];
  for (let i = 0; i < p.subscriptions.length; i++) {
    const s = p.subscriptions[i]!;
    const share = parseShare(s.topic);
    if (!share || !validTopicFilter(share.filter, zone.maxTopicLevels)) {
      codes[i] = RC.TOPIC_FILTER_INVALID;
      continue;
    }
    if (share.group !== undefined) {
      if (!zone.sharedSubscription) { codes[i] = RC.SHARED_SUB_NOT_SUPPORTED; continue; }
      // [MQTT-3.8.3-4] no local on a shared subscription is a protocol error
      if (s.nl) return ch.disconnect(RC.PROTOCOL_ERROR, 'protocol_error');
    }
    if (!zone.wildcardSubscription && (share.filter.includes('+') || share.filter.includes('#'))) {
      codes[i] = RC.WILDCARD_SUB_NOT_SUPPORTED;
      continue;
    }
    const opts: SubOpts = { qos: Math.min(s.qos, zone.maxQosAllowed) as QoS, nl: s.nl ? 1 : 0, rap: s.rap ? 1 : 0, rh: (s.rh ?? 0) as 0 | 1 | 2 };
    if (share.group !== undefined) opts.share = share.group;
    if (subid !== undefined) opts.subid = subid;
    filters.push([s.topic, opts]);
    idx.push(i);
  }
  const finish = (acl: AclResult[]): void => {
    const allowed: TopicFilters = [];
    const allowedIdx: number[] = [];
    for (let k = 0; k < filters.length; k++) {
      if (acl[k] === 'deny') {
        codes[idx[k]!] = RC.NOT_AUTHORIZED;
        env.metrics['packets.subscribe.auth_error']++;
      } else {
        allowed.push(filters[k]!);
        allowedIdx.push(idx[k]!);
      }
    }
    if (allowed.length < filters.length && zone.aclDenyAction === 'disconnect') return ch.disconnect(RC.NOT_AUTHORIZED, 'not_authorized');
    let list = allowed;
    const hook = env.registry.hooks['client.subscribe'];
    if (hook.isUsed()) list = hook.call(allowed, ch.clientinfo, (p.properties ?? {}) as Record<string, unknown>) ?? allowed;
    const session = ch.session!;
    const subs = env.subscriptions;
    const done: Subscribed[] = [];
    for (let k = 0; k < list.length; k++) {
      const [topic, opts] = list[k]!;
      const at = allowedIdx[allowed.indexOf(list[k]!)] ?? -1;
      if (opts.deny_subscription) {
        if (at >= 0) codes[at] = RC.NOT_AUTHORIZED;
        continue;
      }
      if (zone.maxSubscriptions > 0 && !session.subscriptions.has(topic) && session.subscriptions.size >= zone.maxSubscriptions) {
        if (at >= 0) codes[at] = RC.QUOTA_EXCEEDED;
        continue;
      }
      done.push(subs.add(session, ch.clientinfo.mountpoint, topic, opts));
      if (at >= 0) codes[at] = opts.qos;
    }
    ch.sendPacket({ cmd: 'suback', messageId: p.messageId, granted: ch.version === 5 ? codes : codes.map((c) => (c >= 0x80 ? 0x80 : c)) });
    env.metrics['packets.suback.sent']++;
    // after SUBACK, so retained messages follow it [MQTT-3.3.1-9]
    for (const d of done) subs.announce(ch.clientinfo, d);
  };
  if (!aclApplies(ch)) return finish(filters.map(() => 'allow'));
  const results: AclResult[] = [];
  const next = (k: number): void => {
    for (; k < filters.length; k++) {
      const topic = parseShare(filters[k]![0])!.filter;
      const r = aclSync(ch, 'subscribe', topic);
      if (r === undefined) {
        ch.busy = true;
        aclAsync(ch, 'subscribe', topic, (res) => {
          results[k] = res;
          next(k + 1);
          if (k + 1 >= filters.length) ch.runPending();
        });
        return;
      }
      results[k] = r;
    }
    finish(results);
  };
  next(0);
}

export function onUnsubscribe(ch: ChannelCore, p: UnsubscribePacket): void {
  const env = ch.env;
  env.metrics['packets.unsubscribe.received']++;
  env.metrics['client.unsubscribe']++;
  let list: TopicFilters = p.unsubscriptions.map((t) => [t, { qos: 0, nl: 0, rap: 0, rh: 0 }]);
  const hook = env.registry.hooks['client.unsubscribe'];
  if (hook.isUsed()) list = hook.call(list, ch.clientinfo, (p.properties ?? {}) as Record<string, unknown>) ?? list;
  const session = ch.session!;
  const subs = env.subscriptions;
  const codes = p.unsubscriptions.map((topic) => {
    if (!list.some(([t]) => t === topic)) return RC.NO_SUBSCRIPTION_EXISTED;
    return subs.unsubscribe(session, ch.clientinfo, topic) ? 0 : RC.NO_SUBSCRIPTION_EXISTED;
  });
  ch.sendPacket(ch.version === 5 ? { cmd: 'unsuback', messageId: p.messageId, granted: codes } : { cmd: 'unsuback', messageId: p.messageId });
  env.metrics['packets.unsuback.sent']++;
}
