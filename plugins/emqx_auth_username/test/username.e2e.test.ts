// emqx_auth_username (3.x-4.2) end to end: the shared auth kit with the users given the 3.x way,
// as auth.user.N.username / auth.user.N.password in the conf file (added at start, hashed with
// auth.user.password_hash), then `emqx_ctl users` as EMQX 4.2 prints it. Loaded from dist.
import { KIT_HASH_USERS, runAuthKit, type KitHandle } from '../../../test/authkit';

jest.setTimeout(60_000);

const TITLE = 'username store (3.x conf auth.user.N.*)';
const ctl = async (kit: KitHandle, ...argv: string[]): Promise<string> => (await kit.strict().node.ctl.run(argv)).output;

runAuthKit({
  plugin: 'emqx_auth_username',
  title: TITLE,
  hashes: ['plain', 'md5', 'sha', 'sha256'],
  acl: 'none',
  superuser: false,
  // 4.2's emqx_auth_username answers not_authorized: the kit's default [5, 0x87]
  async setup() {},
  async teardown() {},
  // the kit users, and the one user of this hash: a seed is hashed with the hash in force when it is added
  conf: (hash) => ({
    'auth.user.password_hash': hash,
    'auth.user.1.username': 'alice',
    'auth.user.1.password': 'public',
    'auth.user.2.username': 'root',
    'auth.user.2.password': 'rootpw',
    'auth.user.3.username': KIT_HASH_USERS.find((u) => u.hash === hash)!.username,
    'auth.user.3.password': 'public',
  }),
  extra(kit) {
    test(`${TITLE}: users add / update / del / list print what EMQX 4.2 prints, and clients see the change`, async () => {
      const url = kit.strict().url;
      expect(await ctl(kit, 'users', 'add', 'gina', 'pw1')).toBe('ok\n');
      expect(await ctl(kit, 'users', 'add', 'gina', 'pw1')).toBe('{error,existed}\n');
      expect(await kit.clients.code(url, { protocolVersion: 4, username: 'gina', password: 'pw1' })).toBe(0);
      expect(await ctl(kit, 'users', 'update', 'gina', 'pw2')).toBe('ok\n');
      expect(await ctl(kit, 'users', 'update', 'nobody-here', 'pw2')).toBe('{error,noexisted}\n');
      expect(await kit.clients.code(url, { protocolVersion: 4, username: 'gina', password: 'pw1' })).toBe(5);
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'gina', password: 'pw2' })).toBe(0);
      expect((await ctl(kit, 'users', 'list')).split('\n')).toEqual(expect.arrayContaining(['alice', 'root', 'gina']));
      // the users survive a reload (they are in the data file)
      await kit.reconfigure({});
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'gina', password: 'pw2' })).toBe(0);
      expect(await ctl(kit, 'users', 'del', 'gina')).toBe('ok\n');
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'gina', password: 'pw2' })).toBe(0x87);
      expect(await ctl(kit, 'users')).toBe(
        'users list                            # List users\n' +
          'users add <Username> <Password>       # Add User\n' +
          'users update <Username> <NewPassword> # Update User\n' +
          'users del <Username>                  # Delete User\n',
      );
    });

    test(`${TITLE}: the client ID is not looked up, and no ACL is given`, async () => {
      const url = kit.strict().url;
      expect(await kit.clients.code(url, { protocolVersion: 5, clientId: 'alice', username: 'someone', password: 'public' })).toBe(0x87);
      expect(kit.strict().node.registry.tapCount('emqx_auth_username')).toBe(1);
    });
  },
});
