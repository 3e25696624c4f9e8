// Subscribing a client's session from outside (emqx_ctl subscriptions add|del, /mqtt/subscribe,
// emqx_mod_subscription): as SUBSCRIBE does, without its checks: mountpoint, session, router,
// session.subscribed.
import { parseShare, validTopicFilter } from '@nemq/sdk';
import type { QoS } from '@nemq/codec';
import type { CtlPort } from '../ports.js';
import type { ClientInfo, SubOpts } from '../types.js';

type Port = Pick<CtlPort, 'cm' | 'subscriptions'>;

/** the connected client's info (mountpoint); an offline session has only its id */
function clientOf(node: Port, clientid: string): ClientInfo {
  return node.cm.channels.get(clientid)?.clientinfo ?? ({ clientid } as ClientInfo);
}

export function subscribeFor(node: Port, clientid: string, topic: string, o: { qos: QoS; nl?: 0 | 1; rap?: 0 | 1; rh?: 0 | 1 | 2 }): 'ok' | 'no_session' | 'bad_topic' {
  const s = node.cm.sessions.get(clientid);
  if (!s) return 'no_session';
  const share = parseShare(topic);
  if (!share || !validTopicFilter(share.filter)) return 'bad_topic';
  const opts: SubOpts = { qos: o.qos, nl: o.nl ?? 0, rap: o.rap ?? 0, rh: o.rh ?? 0 };
  if (share.group !== undefined) opts.share = share.group;
  node.subscriptions.subscribe(s, clientOf(node, clientid), topic, opts);
  return 'ok';
}

/** false: no session, or it had no such subscription */
export function unsubscribeFor(node: Port, clientid: string, topic: string): boolean {
  const s = node.cm.sessions.get(clientid);
  return s !== undefined && node.subscriptions.unsubscribe(s, clientOf(node, clientid), topic) !== undefined;
}
