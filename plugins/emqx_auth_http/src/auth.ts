// client.authenticate and client.check_acl through the HTTP requests
// (EMQX 4.3 emqx_auth_http:check/3 and emqx_acl_http:check_acl/5).
import type { AclResult, AuthResult, ClientInfo, PubSub } from '@nemq/sdk';
import type { Pool } from './client.js';
import { buildRequest } from './request.js';
import { aclVerdict, authVerdict, bodyMountpoint, superVerdict, type Outcome } from './status.js';

type BackendError = (kind: 'auth' | 'acl', reason: string) => void;

export interface AuthDeps {
  readonly auth: Pool;
  readonly super: Pool | undefined;
  readonly backendError: BackendError;
  readonly warn: (msg: string) => void;
}

export interface AclDeps {
  readonly acl: Pool;
  readonly backendError: BackendError;
  readonly warn: (msg: string) => void;
}

const why = (o: Outcome): string => (o.ok ? `HTTP status ${o.status}` : o.error);

/** the username as logs show it (never the password) */
const who = (ci: Pick<ClientInfo, 'username' | 'clientid'>): string => `username ${JSON.stringify(ci.username ?? null)}, clientid ${JSON.stringify(ci.clientid)}`;

/**
 * 200 `ignore` → no opinion; 200 → success (superuser when super_req answers 200, mountpoint
 * from a JSON body); other answers → refused as status.ts maps them; no answer → refused and
 * reported as a backend error. Nobody ever gets in because the server failed.
 */
export async function authenticate(d: AuthDeps, ci: ClientInfo, acc: AuthResult): Promise<AuthResult | undefined> {
  const spec = d.auth.spec;
  const o = await d.auth.send(buildRequest(spec, ci));
  const v = authVerdict(o);
  switch (v.kind) {
    case 'ignore':
      return undefined;
    case 'refuse':
      if (v.backend) d.backendError('auth', `${spec.method.toUpperCase()} ${spec.url} for ${who(ci)}: ${why(o)}`);
      else d.warn(`auth refused by ${spec.url} for ${who(ci)}: HTTP status ${(o as { status: number }).status}`);
      return { ...acc, auth_result: v.result, anonymous: false };
    case 'success': {
      const r: AuthResult = { ...acc, auth_result: 'success', anonymous: false, is_superuser: await isSuperuser(d, ci) };
      const mp = bodyMountpoint((o as { body: string }).body, undefined);
      if (mp !== undefined) r.mountpoint = mp;
      return r;
    }
  }
}

async function isSuperuser(d: AuthDeps, ci: ClientInfo): Promise<boolean> {
  const p = d.super;
  if (!p) return false;
  const o = await p.send(buildRequest(p.spec, ci));
  if (!o.ok) d.backendError('auth', `superuser request ${p.spec.url} for ${who(ci)}: ${o.error} (not a superuser)`);
  return superVerdict(o);
}

/** usernames starting with `$` are not asked (EMQX); 200 `ignore` / no answer → no opinion; 200 → allow; else deny */
export async function checkAcl(d: AclDeps, ci: ClientInfo, pubsub: PubSub, topic: string): Promise<AclResult | undefined> {
  if (ci.username !== undefined && ci.username.startsWith('$')) return undefined;
  const spec = d.acl.spec;
  const o = await d.acl.send(buildRequest(spec, ci, { topic, access: pubsub }));
  const v = aclVerdict(o);
  if (v.backend) d.backendError('acl', `${spec.method.toUpperCase()} ${spec.url} for ${who(ci)} ${pubsub} ${JSON.stringify(topic)}: ${why(o)}`);
  return v.result;
}
