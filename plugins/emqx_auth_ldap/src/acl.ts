// client.check_acl (EMQX 4.3 emqx_acl_ldap): the entry's mqttPublishTopic (publish) or
// mqttSubscriptionTopic (subscribe) values and its mqttPubSubTopic values are allow-only topic
// filters. A match allows; no match, no entry, or a username starting with `$` is no opinion
// (acl_nomatch decides). As in EMQX, `%u` and `%c` in these values are literal text.
import { checkRules, compileTopic, type AclResult, type AclRule, type AclTopic, type ClientInfo, type Logger, type PluginContext, type PubSub } from '@nemq/sdk';
import { findUser } from './auth.js';
import type { LookupOptions } from './lookup.js';
import type { Pool } from './pool.js';

export interface AclOptions {
  pool: Pool;
  lookup: LookupOptions;
  logger: Logger;
  backendError: PluginContext['backendError'];
}

const ATTRS: Readonly<Record<PubSub, [string, string]>> = {
  publish: ['mqttPublishTopic', 'mqttPubSubTopic'],
  subscribe: ['mqttSubscriptionTopic', 'mqttPubSubTopic'],
};

/** a topic filter whose `%u` / `%c` levels are plain words, as emqx_topic:match sees them */
export function literalTopic(filter: string): AclTopic {
  const t = compileTopic(filter);
  if (!t.hasPlaceholder) return t;
  const words = filter.split('/');
  return { ...t, hasPlaceholder: false, levels: t.levels.map((l, i) => (typeof l === 'object' && 'p' in l ? words[i]! : l)) };
}

/** the allow rule of an entry's topic values */
export function allowRule(filters: readonly string[]): AclRule {
  return { permission: 'allow', who: { type: 'all' }, access: 'pubsub', topics: filters.map(literalTopic) };
}

export async function checkAcl(o: AclOptions, ci: ClientInfo, pubsub: PubSub, topic: string): Promise<AclResult | undefined> {
  const username = ci.username;
  if (username === undefined || username === '' || username.startsWith('$')) return undefined;
  const [own, both] = ATTRS[pubsub];
  let entry;
  try {
    entry = await findUser(o, username, [own, both]);
  } catch (err) {
    o.backendError('acl', `LDAP search failed: ${(err as Error).message}`);
    return undefined;
  }
  if (!entry) return undefined;
  const filters = [...(entry.attrs.get(own.toLowerCase()) ?? []), ...(entry.attrs.get(both.toLowerCase()) ?? [])].map((b) => b.toString('utf8'));
  if (filters.length === 0) return undefined;
  return checkRules([allowRule(filters)], ci, pubsub, topic) === 'allow' ? 'allow' : undefined;
}
