/**
 * acl.conf: Erlang terms compiled into the SDK's ACL rules, and the per-connection ACL cache.
 * Rules are checked with `checkRules` from @nemq/sdk.
 */
export { parseAcl, type AclRule } from './acl.js';
export { AclCache, type AclCacheOptions } from './cache.js';
export { parseTerms, TermSyntaxError, type Term } from './terms.js';
