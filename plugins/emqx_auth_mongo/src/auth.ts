// Authentication and superuser check against auth_query / super_query (EMQX emqx_auth_mongo:check/3).
import { checkPassword, type AuthResult, type ClientInfo, type Logger } from '@nemq/sdk';
import type { Finder } from './db.js';
import { selectorFilter, type Selector } from './selector.js';

export interface Query {
  readonly collection: string;
  readonly selector: Selector;
}

export interface AuthOptions {
  readonly db: Finder;
  readonly auth: Query & { readonly passwordFields: readonly string[]; readonly passwordHash: string };
  readonly superQuery: (Query & { readonly field: string }) | undefined;
  readonly logger: Logger;
  readonly backendError: (kind: 'auth' | 'acl', reason: string) => void;
}

export type AuthClient = Pick<ClientInfo, 'clientid' | 'username' | 'password' | 'cn' | 'dn'>;

const EMPTY = Buffer.alloc(0);

function text(v: unknown): string | Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  // a BSON Binary
  if (typeof v === 'object' && v !== null && 'buffer' in v && (v as { buffer: unknown }).buffer instanceof Uint8Array) {
    return Buffer.from((v as { buffer: Uint8Array }).buffer);
  }
  return String(v);
}

/**
 * The first document the selector finds decides:
 * - none: no opinion (next backend, then allow_anonymous);
 * - its password (and salt) field match: success, is_superuser from super_query;
 * - no password field: `password_error`; a mismatch: `not_authorized` (both CONNACK 0x87 / 5);
 * - the query fails or times out: auth_result is the reason, and it is reported as a backend error.
 */
export async function authenticate(o: AuthOptions, ci: AuthClient, acc: AuthResult): Promise<AuthResult | undefined> {
  const { auth } = o;
  let doc;
  try {
    doc = await o.db.findOne(auth.collection, selectorFilter(auth.selector, ci), auth.passwordFields);
  } catch (err) {
    o.backendError('auth', `MongoDB auth_query failed: ${(err as Error).message}`);
    return { ...acc, auth_result: 'mongo_error', anonymous: false };
  }
  if (doc === null) return undefined;
  const stored = text(doc[auth.passwordFields[0]!]);
  if (stored === null) {
    o.logger.error(`[MongoDB] check auth fail: password_error (no ${auth.passwordFields[0]} field for username ${ci.username ?? 'undefined'})`);
    return { ...acc, auth_result: 'password_error', anonymous: false };
  }
  const password = ci.password ?? EMPTY;
  let ok: boolean;
  try {
    ok = auth.passwordFields.length > 1
      ? checkPassword(auth.passwordHash, password, stored, text(doc[auth.passwordFields[1]!]))
      : checkPassword(auth.passwordHash, password, stored);
  } catch (err) {
    o.logger.error(`[MongoDB] cannot check the password of ${ci.username ?? ci.clientid}: ${(err as Error).message}`);
    return { ...acc, auth_result: 'not_authorized', anonymous: false };
  }
  if (!ok) {
    o.logger.error(`[MongoDB] check auth fail: not_authorized (username ${ci.username ?? 'undefined'})`);
    return { ...acc, auth_result: 'not_authorized', anonymous: false };
  }
  return { ...acc, is_superuser: await isSuperuser(o, ci), anonymous: false, auth_result: 'success' };
}

/** the super field is the boolean true; anything else, no document or an error → false (EMQX) */
async function isSuperuser(o: AuthOptions, ci: AuthClient): Promise<boolean> {
  const q = o.superQuery;
  if (!q) return false;
  try {
    const doc = await o.db.findOne(q.collection, selectorFilter(q.selector, ci), [q.field]);
    return doc !== null && doc[q.field] === true;
  } catch (err) {
    o.logger.warning(`[MongoDB] super_query failed: ${(err as Error).message}`);
    return false;
  }
}
