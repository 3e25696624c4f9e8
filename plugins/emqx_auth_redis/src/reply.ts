// Decoding the replies of auth_cmd, super_cmd and acl_cmd (EMQX emqx_auth_redis:check/3,
// emqx_acl_redis:check_acl/5). A reply of an unexpected shape throws ReplyShapeError, which the
// callers treat like a failed backend.
import { compileTopic, type AclRule } from '@nemq/sdk';

export class ReplyShapeError extends Error {}

type Bulk = string | Buffer;
const isBulk = (v: unknown): v is Bulk => typeof v === 'string' || Buffer.isBuffer(v);

const describe = (v: unknown): string =>
  v === null ? 'nil' : Array.isArray(v) ? 'an array' : Buffer.isBuffer(v) ? 'a string' : typeof v === 'object' ? 'a map' : `a ${typeof v}`;

/**
 * auth_cmd: `HGET` answers one string, `HMGET key password [salt]` an array.
 * nil (or a nil password) → undefined: the user is not here. `salt` is undefined when auth_cmd
 * asks for no salt, null when the salt field is nil.
 */
export function authReply(reply: unknown): { password: Bulk; salt: Bulk | null | undefined } | undefined {
  if (reply === null || reply === undefined) return undefined;
  if (isBulk(reply)) return { password: reply, salt: undefined };
  if (!Array.isArray(reply)) throw new ReplyShapeError(`auth_cmd answered ${describe(reply)}, not a string or an array`);
  const [password, salt] = reply as unknown[];
  if (password === null || password === undefined) return undefined;
  if (!isBulk(password)) throw new ReplyShapeError(`auth_cmd answered a password that is ${describe(password)}`);
  if (salt !== undefined && salt !== null && !isBulk(salt)) throw new ReplyShapeError(`auth_cmd answered a salt that is ${describe(salt)}`);
  // a salt asked for but nil is null: checkPassword refuses it
  return { password, salt: salt as Bulk | null | undefined };
}

/** super_cmd: superuser only when the answer is the string `1` (EMQX); anything else is not */
export function superReply(reply: unknown): boolean {
  return (typeof reply === 'string' && reply === '1') || (Buffer.isBuffer(reply) && reply.length === 1 && reply[0] === 0x31);
}

const ACCESS = [undefined, 'subscribe', 'publish', 'pubsub'] as const;

/**
 * acl_cmd (`HGETALL mqtt_acl:%u`): field = topic filter (may hold %u / %c levels), value =
 * access bits (1 subscribe, 2 publish, 3 both). The answer is the flat field/value array or,
 * from a client that maps it, an object. Each entry becomes an allow rule; an access of 0 allows
 * nothing. `entries` 0 → no opinion. A value that is not an integer throws.
 */
export function aclReply(reply: unknown): { entries: number; rules: AclRule[] } {
  const pairs: [unknown, unknown][] = [];
  if (Array.isArray(reply)) {
    if (reply.length % 2 !== 0) throw new ReplyShapeError(`acl_cmd answered ${reply.length} items, not field/value pairs`);
    for (let i = 0; i < reply.length; i += 2) pairs.push([reply[i], reply[i + 1]]);
  } else if (reply !== null && typeof reply === 'object' && !Buffer.isBuffer(reply)) {
    for (const [k, v] of Object.entries(reply)) pairs.push([k, v]);
  } else if (reply !== null && reply !== undefined) {
    throw new ReplyShapeError(`acl_cmd answered ${describe(reply)}, not a hash`);
  }
  const rules: AclRule[] = [];
  for (const [field, value] of pairs) {
    if (!isBulk(field) || !isBulk(value)) throw new ReplyShapeError('acl_cmd answered a field or value that is not a string');
    const text = value.toString().trim();
    if (!/^\d+$/.test(text)) throw new ReplyShapeError(`acl_cmd: access ${JSON.stringify(text.slice(0, 20))} of ${field.toString().slice(0, 100)} is not a number`);
    const access = ACCESS[Number(text) & 3];
    if (access === undefined) continue;
    rules.push({ permission: 'allow', who: { type: 'all' }, access, topics: [compileTopic(field.toString())] });
  }
  return { entries: pairs.length, rules };
}
