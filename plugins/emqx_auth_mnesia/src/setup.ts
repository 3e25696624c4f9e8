// What emqx_auth_mnesia, emqx_auth_username and emqx_auth_clientid do at start, with their
// differences as options: open the store file under node.data_dir, add the conf file's users,
// tap client.authenticate (and client.check_acl), register the emqx_ctl commands.
import { join } from 'node:path';
import type { PluginContext } from '@nemq/sdk';
import { authenticate, checkAcl } from './auth.js';
import { aclCli, ACL_USAGE, deleteCommand, userCli, userUsage, type UserCommand } from './cli.js';
import { applySeeds, seedUsers } from './seed.js';
import { parseMnesiaHash, type MnesiaHash } from './secret.js';
import { MnesiaStore, type LoginType } from './store.js';

export interface StoreSetup {
  /** file name under node.data_dir */
  readonly file: string;
  /** conf key of password_hash and the values it takes */
  readonly hashKey: string;
  readonly hashes: readonly MnesiaHash[];
  /** the logins authenticate looks up, and the seed users read from the conf */
  readonly logins: readonly LoginType[];
  readonly failure: 'password_error' | 'not_authorized';
  readonly commands: readonly UserCommand[];
  /** the `acl` command and the client.check_acl tap (emqx_auth_mnesia) */
  readonly acl: boolean;
}

export async function startStore(ctx: PluginContext, s: StoreSetup): Promise<MnesiaStore> {
  const hash = parseMnesiaHash(ctx.config[s.hashKey] ?? 'sha256', s.hashKey, s.hashes);
  const file = join(ctx.dataDir, s.file);
  const store = await MnesiaStore.open(file);
  store.onWriteError = (err) => ctx.logger.error(err.message);
  // the last changes reach the disk before a reload's new instance reads the file
  ctx.onDispose(() => store.flush().catch(() => undefined));

  for (const type of s.logins) {
    const cmd = s.commands.find((c) => c.type === type);
    const added = applySeeds(store, hash, seedUsers(ctx.config, type), ctx.logger, cmd ? deleteCommand(cmd) : type);
    if (added > 0) ctx.logger.info(`added ${added} ${type} user(s) from the conf file`);
  }
  await store.flush();
  // in a cluster every node has every user and rule, as EMQX's replicated tables
  store.table = ctx.cluster.table(`auth:${s.file}`, {
    changed: (k, v) => store.applyRow(k, v),
    loaded: (rows) => rows.forEach((v, k) => store.applyRow(k, v)),
    rows: () => store.rows(),
  });

  const o = {
    store,
    hash,
    byClientid: s.logins.includes('clientid'),
    byUsername: s.logins.includes('username'),
    failure: s.failure,
    logger: ctx.logger,
  };
  ctx.hooks.tap('client.authenticate', (ci, acc) => authenticate(o, ci, acc));
  if (s.acl) ctx.hooks.tap('client.check_acl', (ci, pubsub, topic) => checkAcl(store, ci, pubsub, topic));

  for (const c of s.commands) ctx.ctl(c.name, userUsage(c), userCli(store, c, () => hash));
  if (s.acl) ctx.ctl('acl', ACL_USAGE, aclCli(store));
  return store;
}
