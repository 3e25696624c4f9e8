// client.authenticate and client.check_acl: the SDK's generic SQL auth flow
// (packages/sdk/src/sqlauth.ts) with the MySQL log prefix.
import { sqlAuthenticate, sqlCheckAcl, type AclAction, type AuthClient, type AuthResult, type SqlAclOptions, type SqlAuthOptions } from '@nemq/sdk';

export type { AuthClient };
type Opts<T> = Omit<T, 'backend'> & { backend?: string };

export const authenticate = (o: Opts<SqlAuthOptions>, ci: AuthClient, acc: AuthResult): Promise<AuthResult | undefined> =>
  sqlAuthenticate({ backend: 'MySQL', ...o }, ci, acc);

export const checkAcl = (o: Opts<SqlAclOptions>, ci: AuthClient, pubsub: AclAction, topic: string): Promise<'allow' | 'deny' | undefined> =>
  sqlCheckAcl({ backend: 'MySQL', ...o }, ci, pubsub, topic);
