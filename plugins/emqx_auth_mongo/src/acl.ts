// ACL from documents { username, clientid, publish: [...], subscribe: [...], pubsub: [...] }
// (EMQX emqx_acl_mongo): allow-only lists. The documents every selector finds are merged;
// the topic must match one of their publish/pubsub (or subscribe/pubsub) filters, else deny.
import { checkRules, compileTopic, type AclAction, type AclRule, type ClientInfo, type Logger } from '@nemq/sdk';
import type { Document } from 'mongodb';
import type { Finder } from './db.js';
import { selectorFilter, type Selector } from './selector.js';

export interface AclOptions {
  readonly db: Finder;
  readonly collection: string;
  /** one or more selectors; several are joined with $or */
  readonly selectors: readonly Selector[];
  readonly logger: Logger;
  readonly backendError: (kind: 'auth' | 'acl', reason: string) => void;
}

export type AclClient = Pick<ClientInfo, 'clientid' | 'username' | 'peerhost' | 'cn' | 'dn'>;

export class AclDocError extends Error {}

const FIELDS = ['publish', 'subscribe', 'pubsub'] as const;

/** the documents' lists as allow rules; a list that is not an array of strings throws */
export function compileDocs(docs: readonly Document[]): AclRule[] {
  const rules: AclRule[] = [];
  for (const doc of docs) {
    for (const access of FIELDS) {
      const list: unknown = doc[access];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list) || !list.every((t) => typeof t === 'string')) {
        throw new AclDocError(`${access} of document ${String(doc._id)} is not a list of topic strings`);
      }
      // %u / %c as whole levels are the client's username / client ID, never wildcards
      if (list.length > 0) rules.push({ permission: 'allow', who: { type: 'all' }, access, topics: list.map((t: string) => compileTopic(t)) });
    }
  }
  return rules;
}

/**
 * `$`-usernames are not checked. No document: no opinion. Documents found: allow when a
 * filter matches, deny otherwise. A failed query: no opinion, reported as a backend error;
 * a malformed document: no opinion, logged.
 */
export async function checkAcl(o: AclOptions, ci: AclClient, pubsub: AclAction, topic: string): Promise<'allow' | 'deny' | undefined> {
  if (ci.username !== undefined && ci.username.startsWith('$')) return undefined;
  const filters = o.selectors.map((s) => selectorFilter(s, ci));
  let docs;
  try {
    docs = await o.db.find(o.collection, filters.length === 1 ? filters[0]! : { $or: filters });
  } catch (err) {
    o.backendError('acl', `MongoDB acl_query failed: ${(err as Error).message}`);
    return undefined;
  }
  if (docs.length === 0) return undefined;
  try {
    return checkRules(compileDocs(docs), ci, pubsub, topic) === 'allow' ? 'allow' : 'deny';
  } catch (err) {
    o.logger.error(`[MongoDB] check ${pubsub} ACL failed: ${(err as Error).message}`);
    return undefined;
  }
}
