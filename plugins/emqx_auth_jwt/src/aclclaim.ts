// The ACL a token carries (EMQX 4.3 emqx_auth_jwt:check_acl): the claim named by
// auth.jwt.acl_claim_name, `{"pub": [filters], "sub": [filters], "all": [filters]}`. Each filter
// allows that action on the topics it matches (`%u` / `%c` levels are the client's); anything
// else is denied. The filters become SDK ACL rules once, when the client logs in.
import { checkRules, compileTopic, type AclAccess, type AclAction, type AclClient, type AclRule } from '@nemq/sdk';
import { numericDate, type Claims } from './claims.js';

export interface TokenAcl {
  readonly rules: readonly AclRule[];
  /** the token's `exp` in seconds: NaN when it is there but not a NumericDate, undefined when absent */
  readonly exp: number | undefined;
}

const KEYS: ReadonlyArray<readonly [string, AclAccess]> = [
  ['all', 'pubsub'],
  ['pub', 'publish'],
  ['sub', 'subscribe'],
];

const ALL = { type: 'all' } as const;

/**
 * The token's ACL, or undefined when it has none (no claim, or a claim that is not an object:
 * then this plugin has no opinion). A list that is not an array, and entries that are not
 * strings, are left out.
 */
export function compileAclClaim(claims: Claims, claimName: string): TokenAcl | undefined {
  const acl = claims[claimName];
  if (acl === null || typeof acl !== 'object' || Array.isArray(acl)) return undefined;
  const rules: AclRule[] = [];
  for (const [key, access] of KEYS) {
    const list = (acl as Record<string, unknown>)[key];
    if (!Array.isArray(list)) continue;
    const topics = list.filter((t): t is string => typeof t === 'string' && t !== '').map(compileTopic);
    if (topics.length > 0) rules.push({ permission: 'allow', who: ALL, access, topics });
  }
  const exp = claims.exp === undefined ? undefined : numericDate(claims.exp) ?? NaN;
  return { rules, exp };
}

/**
 * allow when a filter of the action (or of `all`) matches the topic, deny otherwise; deny too
 * once the token has expired (`now` > exp, whole seconds) or when its exp is not a number.
 */
export function checkTokenAcl(acl: TokenAcl, client: AclClient, action: AclAction, topic: string, now: number): 'allow' | 'deny' {
  if (acl.exp !== undefined && !(now <= acl.exp)) return 'deny';
  return checkRules(acl.rules, client, action, topic) === 'allow' ? 'allow' : 'deny';
}
