// ACL with acl_cmd (EMQX emqx_acl_redis:check_acl/5): a hash of topic filter → access bits,
// allow-only. No entry: no opinion; an entry matches: allow; entries but none match: deny.
import { checkRules, type AclAction, type ClientInfo } from '@nemq/sdk';
import type { Runner } from './client.js';
import { commandArgs, type RedisCommand } from './command.js';
import { aclReply } from './reply.js';

export interface AclOptions {
  readonly redis: Runner;
  readonly aclCmd: RedisCommand;
  readonly backendError: (kind: 'auth' | 'acl', reason: string) => void;
}

export type AclClient = Pick<ClientInfo, 'clientid' | 'username' | 'peerhost' | 'cn' | 'dn'>;

/** `$`-usernames are not checked (EMQX). A failed command or a garbled hash: no opinion, reported. */
export async function checkAcl(o: AclOptions, ci: AclClient, pubsub: AclAction, topic: string): Promise<'allow' | 'deny' | undefined> {
  if (ci.username !== undefined && ci.username.startsWith('$')) return undefined;
  let acl;
  try {
    acl = aclReply(await o.redis.run(o.aclCmd.name, commandArgs(o.aclCmd, ci)));
  } catch (err) {
    o.backendError('acl', `Redis acl_cmd ${o.aclCmd.name} failed: ${(err as Error).message}`);
    return undefined;
  }
  if (acl.entries === 0) return undefined;
  // %u / %c levels of the filters are the client's username / client ID, never wildcards
  return checkRules(acl.rules, ci, pubsub, topic) === 'allow' ? 'allow' : 'deny';
}
