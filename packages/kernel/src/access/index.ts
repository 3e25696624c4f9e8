/**
 * acl.conf: Erlang-term rules, EMQX-style evaluation, and the per-connection ACL cache.
 */
export {
  parseAcl,
  checkAcl,
  findRule,
  matchWho,
  type AclRule,
  type AclWho,
  type AclTopic,
  type AclClient,
  type AclAccess,
  type AclAction,
  type AclPermission,
  type AclCheckResult,
} from './acl.js';
export { AclCache, type AclCacheOptions } from './cache.js';
export { parseTerms, TermSyntaxError, type Term } from './terms.js';
export { parseCidr, parseIp, cidrMatch, type Cidr, type IpAddress } from '@nemq/sdk';
