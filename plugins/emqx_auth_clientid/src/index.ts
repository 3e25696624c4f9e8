// emqx_auth_clientid (EMQX 3.x-4.2): users by client ID with salted hashes, added with
// `emqx_ctl clientid ...` or auth.client.N.* in the conf, kept in <node.data_dir>/emqx_auth_clientid.json.
// The store, the hashing, the taps and the ctl commands are emqx_auth_mnesia's (one copy), run
// with 4.2's keys, command name and answers.
import { definePlugin } from '@nemq/sdk';
// the package's built entry by path: jest maps bare @nemq/<name> imports to packages/<name>/src
import { startStore, type StoreSetup } from '@nemq/plugin-auth-mnesia/dist/index.js';

export const schema = {
  'auth.client.password_hash': { type: 'enum', values: ['plain', 'md5', 'sha', 'sha256'], default: 'sha256', doc: 'hash of stored passwords (salted with 4 random bytes per client): plain | md5 | sha | sha256' },
  'auth.client.$id.clientid': { type: 'string', doc: 'a client ID added at start when not stored yet' },
  'auth.client.$id.password': { type: 'string', doc: 'its password' },
} as const;

export const CLIENTID_SETUP: StoreSetup = {
  file: 'emqx_auth_clientid.json',
  hashKey: 'auth.client.password_hash',
  hashes: ['plain', 'md5', 'sha', 'sha256'],
  logins: ['clientid'],
  // 4.2's emqx_auth_clientid refuses a wrong password with not_authorized (0x87 / v3 5)
  failure: 'not_authorized',
  commands: [{ name: 'clientid', type: 'clientid', style: '4.2' }],
  acl: false,
};

export default definePlugin({
  schema,
  async start(ctx) {
    await startStore(ctx, CLIENTID_SETUP);
  },
});
