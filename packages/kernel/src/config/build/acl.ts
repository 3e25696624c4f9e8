// Global access control: allow_anonymous, acl_*, auth_order, flapping policy.
import type { AclConfig, AclDenyAction, AclResult, FlappingPolicy } from '../types.js';
import { compact, type Reader } from './read.js';

export function buildAcl(r: Reader): AclConfig {
  const allowAnon = r.str('allow_anonymous');
  return compact({
    allowAnonymous: allowAnon === 'true',
    allowAnonymousQuickDeny: allowAnon === 'false_quick_deny',
    aclNomatch: r.str('acl_nomatch') as AclResult,
    aclFile: r.optStr('acl_file'),
    aclDenyAction: r.str('acl_deny_action') as AclDenyAction,
    cache: { enable: r.bool('enable_acl_cache'), maxSize: r.num('acl_cache_max_size'), ttl: r.num('acl_cache_ttl') },
    flappingDetectPolicy: r.val('flapping_detect_policy') as FlappingPolicy,
    authOrder: r.strs('auth_order'),
    aclOrder: r.strs('acl_order'),
  });
}
