// Authentication and the superuser check with auth_cmd / super_cmd (EMQX emqx_auth_redis:check/3).
import { checkPassword, type AuthResult, type ClientInfo, type Logger } from '@nemq/sdk';
import type { Runner } from './client.js';
import { commandArgs, type RedisCommand } from './command.js';
import { authReply, superReply } from './reply.js';

export interface AuthOptions {
  readonly redis: Runner;
  readonly authCmd: RedisCommand;
  readonly superCmd: RedisCommand | undefined;
  readonly passwordHash: string;
  readonly logger: Logger;
  readonly backendError: (kind: 'auth' | 'acl', reason: string) => void;
}

export type AuthClient = Pick<ClientInfo, 'clientid' | 'username' | 'password' | 'cn' | 'dn'>;

const EMPTY = Buffer.alloc(0);

/**
 * - nil (no such hash, or no password field): no opinion (next backend, then allow_anonymous);
 * - the password (with the salt auth_cmd also returned) matches: success, is_superuser from super_cmd;
 * - a mismatch: `not_authorized` (CONNACK 0x87 / 5);
 * - Redis down, too slow or answering something else than strings: auth_result is the reason
 *   (CONNACK 0x87 / 5, never allow_anonymous), reported as a backend error. EMQX would ignore
 *   the error and let allow_anonymous decide.
 */
export async function authenticate(o: AuthOptions, ci: AuthClient, acc: AuthResult): Promise<AuthResult | undefined> {
  let found;
  try {
    found = authReply(await o.redis.run(o.authCmd.name, commandArgs(o.authCmd, ci)));
  } catch (err) {
    o.backendError('auth', `Redis auth_cmd ${o.authCmd.name} failed: ${(err as Error).message}`);
    return { ...acc, auth_result: 'redis_error', anonymous: false };
  }
  if (found === undefined) return undefined;
  let ok: boolean;
  try {
    ok = checkPassword(o.passwordHash, ci.password ?? EMPTY, found.password, found.salt);
  } catch (err) {
    // e.g. a salted hash but auth_cmd gave no salt, or a stored bcrypt hash that is not one
    o.logger.error(`[Redis] cannot check the password of ${ci.username ?? ci.clientid}: ${(err as Error).message}`);
    ok = false;
  }
  if (!ok) {
    o.logger.error(`[Redis] check auth fail: not_authorized (username ${ci.username ?? 'undefined'})`);
    return { ...acc, auth_result: 'not_authorized', anonymous: false };
  }
  return { ...acc, is_superuser: await isSuperuser(o, ci), anonymous: false, auth_result: 'success' };
}

/** `1` → superuser; nil, anything else or an error → not (EMQX) */
async function isSuperuser(o: AuthOptions, ci: AuthClient): Promise<boolean> {
  const cmd = o.superCmd;
  if (!cmd) return false;
  try {
    return superReply(await o.redis.run(cmd.name, commandArgs(cmd, ci)));
  } catch (err) {
    o.logger.warning(`[Redis] super_cmd ${cmd.name} failed: ${(err as Error).message}`);
    return false;
  }
}
