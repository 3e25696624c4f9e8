// emqx_ctl commands over a MnesiaStore, printing what EMQX prints:
// - 4.3 (emqx_auth_mnesia_cli, emqx_acl_mnesia_cli): `user` / `clientid` list|add|update|delete
//   (`del` too), answering `ok` or `Error: existed` / `Error: noexisted`; `acl` list|show|add|delete.
// - 4.2 (emqx_auth_username `users`, emqx_auth_clientid `clientid`): list|add|update|del,
//   answering `~p` of the result: `ok`, `{error,existed}`, ... (emqx_auth_clientid 4.2 spells
//   its errors `exitsted` / `noexitsted`; kept, as scripts may match on them).
import type { CtlHandler, CtlUsage } from '@nemq/sdk';
import { erlBinary } from './erl.js';
import { makeSecret, type MnesiaHash } from './secret.js';
import type { AclRecord, AclTarget, LoginType, MnesiaStore } from './store.js';

export type CliStyle = '4.3' | '4.2';

export interface UserCommand {
  /** the emqx_ctl command: user, clientid (4.3); users, clientid (4.2) */
  readonly name: string;
  readonly type: LoginType;
  readonly style: CliStyle;
}

const USAGE: Readonly<Record<string, CtlUsage>> = {
  '4.3:username': [
    ['user list', 'List username auth rules'],
    ['user add <Username> <Password>', 'Add username auth rule'],
    ['user update <Username> <NewPassword>', 'Update username auth rule'],
    ['user delete <Username>', 'Delete username auth rule'],
  ],
  // sic: EMQX 4.3 names the client ID <Username> here
  '4.3:clientid': [
    ['clientid list', 'List clientid auth rules'],
    ['clientid add <Username> <Password>', 'Add clientid auth rule'],
    ['clientid update <Username> <NewPassword>', 'Update clientid auth rule'],
    ['clientid delete <Username>', 'Delete clientid auth rule'],
  ],
  '4.2:username': [
    ['users list', 'List users'],
    ['users add <Username> <Password>', 'Add User'],
    ['users update <Username> <NewPassword>', 'Update User'],
    ['users del <Username>', 'Delete User'],
  ],
  '4.2:clientid': [
    ['clientid list', 'List ClientId'],
    ['clientid add <ClientId> <Password>', 'Add ClientId'],
    ['clientid update <Clientid> <NewPassword>', 'Update Clientid'],
    ['clientid del <ClientId>', 'Delete ClientId'],
  ],
};

export function userUsage(c: UserCommand): CtlUsage {
  return USAGE[`${c.style}:${c.type}`]!;
}

/** the `delete` sub-command as the usage names it (for hints in log lines) */
export function deleteCommand(c: UserCommand): string {
  return `${c.name} ${c.style === '4.3' ? 'delete' : 'del'}`;
}

function errorText(c: UserCommand, reason: 'existed' | 'noexisted'): string {
  if (c.style === '4.3') return `Error: ${reason}\n`;
  const r = c.type === 'clientid' ? (reason === 'existed' ? 'exitsted' : 'noexitsted') : reason;
  return `{error,${r}}\n`;
}

const lines = (xs: readonly string[]): string => xs.map((x) => x + '\n').join('');

/** the handler of a user command; `hash()` is the password_hash now in force */
export function userCli(store: MnesiaStore, c: UserCommand, hash: () => MnesiaHash): CtlHandler {
  return async (args) => {
    const [sub, id, pw, ...rest] = args;
    if (rest.length > 0) return undefined;
    if (sub === 'list' && id === undefined) {
      return lines((c.style === '4.3' ? store.listUsers(c.type) : store.usersInOrder(c.type)).map((u) => u.id));
    }
    if (sub === 'add' && id !== undefined && pw !== undefined) {
      const r = store.addUser(c.type, id, makeSecret(hash(), pw));
      await store.flush();
      return r === 'ok' ? 'ok\n' : errorText(c, r);
    }
    if (sub === 'update' && id !== undefined && pw !== undefined) {
      const r = store.updateUser(c.type, id, makeSecret(hash(), pw));
      await store.flush();
      return r === 'ok' ? 'ok\n' : errorText(c, r);
    }
    if ((sub === 'del' || (sub === 'delete' && c.style === '4.3')) && id !== undefined && pw === undefined) {
      store.removeUser(c.type, id);
      await store.flush();
      return 'ok\n';
    }
    return undefined;
  };
}

export const ACL_USAGE: CtlUsage = [
  ['acl list clientid', 'List clientid acls'],
  ['acl list username', 'List username acls'],
  ['acl list _all', 'List $all acls'],
  ['acl list', 'List all acls'],
  ['acl show clientid <Clientid>', 'Lookup clientid acl detail'],
  ['acl show username <Username>', 'Lookup username acl detail'],
  ['acl add clientid <Clientid> <Topic> <Action> <Access>', 'Add clientid acl'],
  ['acl add username <Username> <Topic> <Action> <Access>', 'Add username acl'],
  ['acl add _all <Topic> <Action> <Access>', 'Add $all acl'],
  ['acl delete clientid <Clientid> <Topic>', 'Delete clientid acl'],
  ['acl delete username <Username> <Topic>', 'Delete username acl'],
  ['acl delete _all <Topic>', 'Delete $all acl'],
];

/** one rule as emqx_acl_mnesia_cli prints it */
export function formatAcl(r: AclRecord): string {
  const t = r.target;
  const rest = `topic = ${erlBinary(r.topic)} action = ${r.action} access = ${r.access})`;
  return t.type === 'all' ? `Acl($all ${rest}` : `Acl(${t.type} = ${erlBinary(t.id)} ${rest}`;
}

const ACTIONS: ReadonlySet<string> = new Set(['pub', 'sub', 'pubsub']);
const ACCESSES: ReadonlySet<string> = new Set(['allow', 'deny']);

/** `clientid X` / `username X` / `_all` at the front of args → the target and the args after it */
function target(args: readonly string[]): [AclTarget, string[]] | undefined {
  const [kind, id, ...rest] = args;
  if (kind === '_all') return [{ type: 'all' }, args.slice(1)];
  if ((kind === 'clientid' || kind === 'username') && id !== undefined) return [{ type: kind, id }, rest];
  return undefined;
}

export function aclCli(store: MnesiaStore): CtlHandler {
  return async (args) => {
    const [sub, ...more] = args;
    if (sub === 'list') {
      if (more.length === 0) return lines(store.allAcls().map(formatAcl));
      if (more.length === 1) {
        const kind = more[0] === '_all' ? 'all' : more[0];
        if (kind === 'all' || kind === 'clientid' || kind === 'username') return lines(store.allAcls(kind).map(formatAcl));
      }
      return undefined;
    }
    if (sub === 'show' && more.length === 2 && (more[0] === 'clientid' || more[0] === 'username')) {
      return lines(store.lookupAcl({ type: more[0], id: more[1]! }).map(formatAcl));
    }
    const t = target(more);
    if (!t) return undefined;
    const [who, rest] = t;
    if (sub === 'add' && rest.length === 3) {
      const [topic, action, access] = rest as [string, string, string];
      if (!ACTIONS.has(action) || !ACCESSES.has(access)) return 'Error: Input is illegal\n';
      store.addAcl(who, topic, action as 'pub' | 'sub' | 'pubsub', access as 'allow' | 'deny');
      await store.flush();
      return 'ok\n';
    }
    if ((sub === 'del' || sub === 'delete') && rest.length === 1) {
      store.removeAcl(who, rest[0]!);
      await store.flush();
      return 'ok\n';
    }
    return undefined;
  };
}
