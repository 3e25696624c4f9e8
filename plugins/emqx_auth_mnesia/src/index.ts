// emqx_auth_mnesia: EMQX 4.3's built-in user store. Users by username and by client ID (salted
// hashes), and ACL rules per client ID, per username and for $all, kept in
// <node.data_dir>/emqx_auth_mnesia.json and managed with `emqx_ctl user|clientid|acl`.
// emqx_auth_username and emqx_auth_clientid (3.x-4.2) are built from the same parts (exported below).
import { definePlugin } from '@nemq/sdk';
import { startStore, type StoreSetup } from './setup.js';

export const schema = {
  'auth.mnesia.password_hash': { type: 'enum', values: ['plain', 'md5', 'sha', 'sha256', 'sha512'], default: 'sha256', doc: 'hash of stored passwords (salted with 4 random bytes per user): plain | md5 | sha | sha256 | sha512' },
  'auth.client.$id.clientid': { type: 'string', doc: 'a client ID added at start when not stored yet' },
  'auth.client.$id.password': { type: 'string', doc: 'its password' },
  'auth.user.$id.username': { type: 'string', doc: 'a username added at start when not stored yet' },
  'auth.user.$id.password': { type: 'string', doc: 'its password' },
} as const;

export const MNESIA_SETUP: StoreSetup = {
  file: 'emqx_auth_mnesia.json',
  hashKey: 'auth.mnesia.password_hash',
  hashes: ['plain', 'md5', 'sha', 'sha256', 'sha512'],
  logins: ['clientid', 'username'],
  failure: 'password_error',
  commands: [
    { name: 'clientid', type: 'clientid', style: '4.3' },
    { name: 'user', type: 'username', style: '4.3' },
  ],
  acl: true,
};

export default definePlugin({
  schema,
  async start(ctx) {
    await startStore(ctx, MNESIA_SETUP);
  },
});

export { startStore, type StoreSetup } from './setup.js';
export { MnesiaStore, type UserRecord, type AclRecord, type AclTarget, type LoginType, type MnesiaAction, type MnesiaAccess } from './store.js';
export { makeSecret, matchSecret, parseMnesiaHash, MNESIA_HASHES, type MnesiaHash } from './secret.js';
export { authenticate, checkAcl, type AuthOptions } from './auth.js';
export { userCli, aclCli, formatAcl, userUsage, ACL_USAGE, type UserCommand, type CliStyle } from './cli.js';
export { seedUsers, applySeeds, type SeedUser } from './seed.js';
export { erlBinary } from './erl.js';
