// emqx_auth_username (EMQX 3.x-4.2): users by username with salted hashes, added with
// `emqx_ctl users ...` or auth.user.N.* in the conf, kept in <node.data_dir>/emqx_auth_username.json.
// The store, the hashing, the taps and the ctl commands are emqx_auth_mnesia's (one copy), run
// with 4.2's keys, command name and answers.
import { definePlugin } from '@nemq/sdk';
// the package's built entry by path: jest maps bare @nemq/<name> imports to packages/<name>/src
import { startStore, type StoreSetup } from '@nemq/plugin-auth-mnesia/dist/index.js';

export const schema = {
  'auth.user.password_hash': { type: 'enum', values: ['plain', 'md5', 'sha', 'sha256'], default: 'sha256', doc: 'hash of stored passwords (salted with 4 random bytes per user): plain | md5 | sha | sha256' },
  'auth.user.$id.username': { type: 'string', doc: 'a username added at start when not stored yet' },
  'auth.user.$id.password': { type: 'string', doc: 'its password' },
} as const;

export const USERNAME_SETUP: StoreSetup = {
  file: 'emqx_auth_username.json',
  hashKey: 'auth.user.password_hash',
  hashes: ['plain', 'md5', 'sha', 'sha256'],
  logins: ['username'],
  // 4.2's emqx_auth_username refuses a wrong password with not_authorized (0x87 / v3 5)
  failure: 'not_authorized',
  commands: [{ name: 'users', type: 'username', style: '4.2' }],
  acl: false,
};

export default definePlugin({
  schema,
  async start(ctx) {
    await startStore(ctx, USERNAME_SETUP);
  },
});
