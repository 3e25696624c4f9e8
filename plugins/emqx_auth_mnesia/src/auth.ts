// The client.authenticate and client.check_acl taps over a MnesiaStore.
import type { AclResult, AuthResult, ClientInfo, Logger, PubSub } from '@nemq/sdk';
import { matchSecret, type MnesiaHash } from './secret.js';
import type { LoginType, MnesiaStore } from './store.js';

export interface AuthOptions {
  readonly store: MnesiaStore;
  readonly hash: MnesiaHash;
  /** the logins looked up: emqx_auth_mnesia both (client ID first), the 3.x plugins one each */
  readonly byClientid: boolean;
  readonly byUsername: boolean;
  /**
   * auth_result of a wrong password: emqx_auth_mnesia answers password_error (CONNACK 0x86 on
   * v5, 4 on v3.1.1); emqx_auth_username / emqx_auth_clientid 4.2 answer not_authorized (0x87 / 5)
   */
  readonly failure: 'password_error' | 'not_authorized';
  readonly logger: Logger;
}

/**
 * No record for the client ID nor the username → undefined (not mine: the next plugin, then
 * allow_anonymous). A record whose secret fits the password → success; records that all refuse
 * it → `failure`. A client without a password is checked with the empty one, as EMQX does.
 */
export function authenticate(o: AuthOptions, ci: ClientInfo, acc: AuthResult): AuthResult | undefined {
  const byId = o.byClientid ? o.store.user('clientid', ci.clientid) : undefined;
  const byName = o.byUsername && ci.username !== undefined ? o.store.user('username', ci.username) : undefined;
  if (!byId && !byName) {
    o.logger.debug(`auth ignored: no user for clientid ${JSON.stringify(ci.clientid)} / username ${JSON.stringify(ci.username ?? null)}`);
    return undefined;
  }
  if ((byId && matchSecret(o.hash, ci.password, byId.secret)) || (byName && matchSecret(o.hash, ci.password, byName.secret))) {
    return { ...acc, auth_result: 'success', anonymous: false, is_superuser: false };
  }
  o.logger.info(`auth failed: wrong password for clientid ${JSON.stringify(ci.clientid)} / username ${JSON.stringify(ci.username ?? null)}`);
  return { ...acc, auth_result: o.failure, anonymous: false };
}

/** the stored rules decide, or undefined (no opinion: acl.conf, then acl_nomatch) */
export function checkAcl(store: MnesiaStore, ci: ClientInfo, pubsub: PubSub, topic: string): AclResult | undefined {
  const r = store.checkAcl(ci, pubsub, topic);
  return r === 'nomatch' ? undefined : r;
}

export type { LoginType };
