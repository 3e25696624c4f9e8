// Every key of etc/plugins/emqx_modules.conf (EMQX 4.3's module settings).
import type { ConfSchema } from '@nemq/sdk';

export const schema: ConfSchema = {
  // emqx_mod_presence: the node reads this from etc/emqx.conf; here it is checked against it
  'module.presence.qos': { type: 'integer', default: '1' },
  // emqx_mod_subscription: module.subscription.<N>.topic with %c / %u, and its options
  'module.subscription.$n.topic': { type: 'string' },
  'module.subscription.$n.qos': { type: 'integer' },
  'module.subscription.$n.nl': { type: 'integer' },
  'module.subscription.$n.rap': { type: 'integer' },
  'module.subscription.$n.rh': { type: 'integer' },
  // emqx_mod_rewrite: "<topic filter> <regex> <destination with $1..$N>"
  'module.rewrite.pub.rule.$n': { type: 'string' },
  'module.rewrite.sub.rule.$n': { type: 'string' },
  // 4.0-4.2 form: applies to both
  'module.rewrite.rule.$n': { type: 'string' },
  // emqx_mod_topic_metrics: how many topics may be registered (EMQX: 512)
  'module.topic_metrics.max_topics': { type: 'integer', default: '512' },
};
