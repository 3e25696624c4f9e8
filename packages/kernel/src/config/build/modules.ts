// modules.loaded_file, module.presence, module.subscription, module.rewrite
import type { ModuleSubscription, ModulesConfig } from '../types.js';
import { byId, compact, type Reader } from './read.js';

export function buildModules(r: Reader): ModulesConfig {
  const subIds = [...new Set(r.family('module.subscription.$id.topic').map((s) => s.vars['$id'] ?? ''))].sort(byId);
  const subscriptions: ModuleSubscription[] = subIds.map((id) => ({
    topic: r.str(`module.subscription.${id}.topic`),
    qos: r.num(`module.subscription.${id}.qos`) as 0 | 1 | 2,
    nl: r.num(`module.subscription.${id}.nl`) as 0 | 1,
    rap: r.num(`module.subscription.${id}.rap`) as 0 | 1,
    rh: r.num(`module.subscription.${id}.rh`) as 0 | 1 | 2,
  }));
  const rules = (pattern: string): string[] =>
    r
      .family(pattern)
      .sort((a, b) => byId(a.vars['$id'] ?? '', b.vars['$id'] ?? ''))
      .map((s) => s.value as string);
  return compact({
    loadedFile: r.optStr('modules.loaded_file'),
    presenceQos: r.num('module.presence.qos') as 0 | 1 | 2,
    subscriptions,
    rewrite: {
      rules: rules('module.rewrite.rule.$id'),
      pub: rules('module.rewrite.pub.rule.$id'),
      sub: rules('module.rewrite.sub.rule.$id'),
    },
  });
}
