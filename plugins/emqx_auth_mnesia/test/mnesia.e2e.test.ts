// emqx_auth_mnesia end to end: the shared auth kit over the built-in store (seeded through the
// store file in each broker's node.data_dir), then the emqx_ctl commands as EMQX prints them,
// their effect on real mqtt.js clients, and the file surviving a reload. The plugin is loaded
// from plugins/emqx_auth_mnesia/dist (build first).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KIT_ACL, KIT_HASH_USERS, KIT_USERS, puback, runAuthKit, suback, type KitHandle } from '../../../test/authkit';
import { makeSecret, type MnesiaHash } from '../src/secret';
import { MnesiaStore, type AclTarget } from '../src/store';

jest.setTimeout(60_000);

const TITLE = 'built-in store (JSON file in node.data_dir)';
const HASHES = ['plain', 'md5', 'sha', 'sha256', 'sha512'] as const;
const FILE = 'emqx_auth_mnesia.json';

/** the kit's users and rules, written as the plugin writes them */
async function seed(dataDir: string): Promise<void> {
  const store = MnesiaStore.empty(join(dataDir, FILE));
  for (const u of KIT_USERS) store.addUser('username', u.username, makeSecret('sha256', u.password));
  for (const u of KIT_HASH_USERS) {
    if ((HASHES as readonly string[]).includes(u.hash)) store.addUser('username', u.username, makeSecret(u.hash as MnesiaHash, u.password));
  }
  // a target's rules are tried newest first: add the kit's list from its end
  for (const r of [...KIT_ACL].reverse()) {
    const t: AclTarget = r.who === 'all' ? { type: 'all' } : 'username' in r.who ? { type: 'username', id: r.who.username } : { type: 'clientid', id: r.who.clientid };
    store.addAcl(t, r.topic, r.access === 'publish' ? 'pub' : r.access === 'subscribe' ? 'sub' : 'pubsub', r.permission);
  }
  await store.flush();
}

const ctl = async (kit: KitHandle, ...argv: string[]): Promise<string> => (await kit.strict().node.ctl.run(argv)).output;

runAuthKit({
  plugin: 'emqx_auth_mnesia',
  title: TITLE,
  hashes: HASHES,
  acl: 'rules',
  placeholders: true,
  superuser: false,
  wrongPassword: [4, 0x86],
  async setup(env) {
    for (const d of env.dataDirs) await seed(d);
  },
  async teardown() {},
  conf: (hash) => ({ 'auth.mnesia.password_hash': hash }),
  extra(kit) {
    test(`${TITLE}: user add / update / delete / list print what EMQX 4.3 prints, and clients see the change`, async () => {
      const url = kit.strict().url;
      expect(await ctl(kit, 'user', 'add', 'carol', 'pw1')).toBe('ok\n');
      expect(await ctl(kit, 'user', 'add', 'carol', 'other')).toBe('Error: existed\n');
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'carol', password: 'pw1' })).toBe(0);
      expect(await ctl(kit, 'user', 'update', 'carol', 'pw2')).toBe('ok\n');
      expect(await ctl(kit, 'user', 'update', 'nobody-here', 'x')).toBe('Error: noexisted\n');
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'carol', password: 'pw1' })).toBe(0x86);
      expect(await kit.clients.code(url, { protocolVersion: 4, username: 'carol', password: 'pw1' })).toBe(4);
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'carol', password: 'pw2' })).toBe(0);
      // newest first
      const list = (await ctl(kit, 'user', 'list')).split('\n');
      expect(list[0]).toBe('carol');
      expect(list).toEqual(expect.arrayContaining(['alice', 'root', 'h_sha256']));
      expect(await ctl(kit, 'user', 'delete', 'carol')).toBe('ok\n');
      expect(await ctl(kit, 'user', 'del', 'carol')).toBe('ok\n'); // EMQX answers ok for a missing one too
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'carol', password: 'pw2' })).toBe(0x87); // unknown again
      expect(await ctl(kit, 'user', 'list')).not.toContain('carol');
    });

    test(`${TITLE}: usage lines of user, clientid and acl`, async () => {
      expect(await ctl(kit, 'user')).toBe(
        'user list                            # List username auth rules\n' +
          'user add <Username> <Password>       # Add username auth rule\n' +
          'user update <Username> <NewPassword> # Update username auth rule\n' +
          'user delete <Username>               # Delete username auth rule\n',
      );
      expect(await ctl(kit, 'clientid', 'nope')).toContain('clientid add <Username> <Password>       # Add clientid auth rule\n');
      expect(await ctl(kit, 'user', 'add', 'only-one-arg')).toContain('user list');
      const acl = await ctl(kit, 'acl');
      expect(acl).toContain('acl add clientid <Clientid> <Topic> <Action> <Access> # Add clientid acl\n');
      expect(acl).toContain('acl delete _all <Topic>');
    });

    test(`${TITLE}: a client ID user logs in whatever its username; a wrong password is password_error`, async () => {
      const url = kit.strict().url;
      expect(await ctl(kit, 'clientid', 'add', 'dev-1', 'devpw')).toBe('ok\n');
      expect(await ctl(kit, 'clientid', 'add', 'dev-1', 'devpw')).toBe('Error: existed\n');
      expect(await ctl(kit, 'clientid', 'list')).toBe('dev-1\n');
      expect(await kit.clients.code(url, { protocolVersion: 5, clientId: 'dev-1', username: 'someone', password: 'devpw' })).toBe(0);
      expect(await kit.clients.code(url, { protocolVersion: 4, clientId: 'dev-1', username: 'anyone', password: 'devpw' })).toBe(0);
      expect(await kit.clients.code(url, { protocolVersion: 5, clientId: 'dev-1', username: 'someone', password: 'nope' })).toBe(0x86);
      // the username record fits although the client ID record does not: in (EMQX: any record that fits)
      expect(await kit.clients.code(url, { protocolVersion: 5, clientId: 'dev-1', username: 'alice', password: 'public' })).toBe(0);
      expect(await ctl(kit, 'clientid', 'update', 'dev-2', 'x')).toBe('Error: noexisted\n');
      expect(await ctl(kit, 'clientid', 'delete', 'dev-1')).toBe('ok\n');
      expect(await kit.clients.code(url, { protocolVersion: 5, clientId: 'dev-1', username: 'someone', password: 'devpw' })).toBe(0x87);
    });

    test(`${TITLE}: acl add / show / list / delete: EMQX's lines, and the rules apply at once (clientid, then username, then $all; newest first)`, async () => {
      const url = kit.strict().url;
      expect(await ctl(kit, 'user', 'add', 'dana', 'pw')).toBe('ok\n');
      expect(await ctl(kit, 'acl', 'add', 'username', 'dana', 'lab/#', 'sub', 'allow')).toBe('ok\n');
      expect(await ctl(kit, 'acl', 'add', 'username', 'dana', 'lab/secret', 'sub', 'deny')).toBe('ok\n');
      expect(await ctl(kit, 'acl', 'add', 'clientid', 'dana-1', 'lab/secret', 'pubsub', 'allow')).toBe('ok\n');
      expect(await ctl(kit, 'acl', 'add', 'username', 'dana', 'lab/x', 'both', 'allow')).toBe('Error: Input is illegal\n');
      expect(await ctl(kit, 'acl', 'add', 'username', 'dana', 'lab/x', 'sub', 'maybe')).toBe('Error: Input is illegal\n');
      expect(await ctl(kit, 'acl', 'show', 'username', 'dana')).toBe(
        'Acl(username = <<"dana">> topic = <<"lab/secret">> action = sub access = deny)\n' +
          'Acl(username = <<"dana">> topic = <<"lab/#">> action = sub access = allow)\n',
      );
      // pubsub is kept as a pub and a sub rule (EMQX 4.3.x)
      const shown = (await ctl(kit, 'acl', 'show', 'clientid', 'dana-1')).split('\n').filter(Boolean).sort();
      expect(shown).toEqual([
        'Acl(clientid = <<"dana-1">> topic = <<"lab/secret">> action = pub access = allow)',
        'Acl(clientid = <<"dana-1">> topic = <<"lab/secret">> action = sub access = allow)',
      ]);
      expect(await ctl(kit, 'acl', 'list', '_all')).toContain('Acl($all topic = <<"secret/#">> action = sub access = deny)\n');
      expect(await ctl(kit, 'acl', 'list', 'username')).toContain('Acl(username = <<"alice">> topic = <<"readonly/#">> action = pub access = deny)\n');
      const all = await ctl(kit, 'acl', 'list');
      expect(all.indexOf('username = <<"dana">>')).toBeLessThan(all.indexOf('clientid = <<"dana-1">>'));
      expect(all.indexOf('clientid = <<"dana-1">>')).toBeLessThan(all.indexOf('Acl($all'));

      const other = await kit.clients.connected(url, { protocolVersion: 5, clientId: 'dana-2', username: 'dana', password: 'pw' });
      expect(await suback(other, 'lab/secret')).toBe(0x87); // the newer username rule denies
      expect(await suback(other, 'lab/notes')).toBe(1);
      const one = await kit.clients.connected(url, { protocolVersion: 5, clientId: 'dana-1', username: 'dana', password: 'pw' });
      expect(await suback(one, 'lab/secret')).toBe(1); // the client ID's rules come first
      expect(await puback(one, 'lab/secret', 'x')).toBe(0);

      expect(await ctl(kit, 'acl', 'delete', 'username', 'dana', 'lab/secret')).toBe('ok\n');
      expect(await ctl(kit, 'acl', 'del', 'clientid', 'dana-1', 'lab/secret')).toBe('ok\n');
      expect(await ctl(kit, 'acl', 'show', 'clientid', 'dana-1')).toBe('');
      // the ACL cache of a connected client may still hold the verdict: a new client sees the change
      const after = await kit.clients.connected(url, { protocolVersion: 5, clientId: 'dana-3', username: 'dana', password: 'pw' });
      expect(await suback(after, 'lab/secret')).toBe(1);
      // adding the same (topic, action) again replaces the rule
      expect(await ctl(kit, 'acl', 'add', '_all', 'lab/#', 'sub', 'deny')).toBe('ok\n');
      expect(await ctl(kit, 'acl', 'add', '_all', 'lab/#', 'sub', 'allow')).toBe('ok\n');
      expect((await ctl(kit, 'acl', 'list', '_all')).match(/lab\/#/g)).toHaveLength(1);
      expect(await ctl(kit, 'acl', 'delete', '_all', 'lab/#')).toBe('ok\n');
      expect(await ctl(kit, 'user', 'delete', 'dana')).toBe('ok\n');
    });

    test(`${TITLE}: changes are in the data file at once (written whole, no temp file left), and a reload reads them back`, async () => {
      const dir = kit.strict().node.plugins!.opts.dataDir;
      expect(await ctl(kit, 'user', 'add', 'erin', 'pw')).toBe('ok\n');
      expect(await ctl(kit, 'acl', 'add', 'username', 'erin', 'erin/#', 'pub', 'deny')).toBe('ok\n');
      const file = join(String(dir), FILE);
      expect(existsSync(file)).toBe(true);
      const data = JSON.parse(readFileSync(file, 'utf8')) as { users: { id: string; password: string }[]; acl: { topic: string }[] };
      const erin = data.users.find((u) => u.id === 'erin')!;
      expect(Buffer.from(erin.password, 'base64')).toHaveLength(4 + 64); // 4-byte salt + hex sha256
      expect(readFileSync(file, 'utf8')).not.toContain('"pw"');
      expect(data.acl.some((a) => a.topic === 'erin/#')).toBe(true);
      expect(readdirSync(String(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

      await kit.reconfigure({});
      expect(await kit.clients.code(kit.strict().url, { protocolVersion: 5, username: 'erin', password: 'pw' })).toBe(0);
      const c = await kit.clients.connected(kit.strict().url, { protocolVersion: 5, username: 'erin', password: 'pw' });
      expect(await puback(c, 'erin/x', 'x')).toBe(0x87);
      expect(await ctl(kit, 'user', 'delete', 'erin')).toBe('ok\n');
    });

    test(`${TITLE}: auth.user.N / auth.client.N in the conf add users at start; a stored password is not overwritten`, async () => {
      await kit.reconfigure({
        'auth.user.1.username': 'seeded',
        'auth.user.1.password': 'seedpw',
        'auth.client.1.clientid': 'seeded-dev',
        'auth.client.1.password': 'devseed',
        // EMQX's shipped example: a quoted value may hold '#' and the like
        'auth.user.2.username': '"name~!@#$%^&*()_+"',
        'auth.user.2.password': '"pwsswd~!@#$%^&*()_+"',
      });
      const url = kit.strict().url;
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'seeded', password: 'seedpw' })).toBe(0);
      expect(await kit.clients.code(url, { protocolVersion: 5, clientId: 'seeded-dev', username: 'someone', password: 'devseed' })).toBe(0);
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'name~!@#$%^&*()_+', password: 'pwsswd~!@#$%^&*()_+' })).toBe(0);
      expect(await ctl(kit, 'user', 'delete', 'name~!@#$%^&*()_+')).toBe('ok\n');
      expect(await ctl(kit, 'user', 'update', 'seeded', 'changed')).toBe('ok\n');
      await kit.reconfigure({ 'auth.user.1.username': 'seeded', 'auth.user.1.password': 'seedpw' });
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'seeded', password: 'changed' })).toBe(0);
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'seeded', password: 'seedpw' })).toBe(0x86);
      await ctl(kit, 'user', 'delete', 'seeded');
      await ctl(kit, 'clientid', 'delete', 'seeded-dev');
      await kit.reconfigure({});
    });

    test(`${TITLE}: password_hash outside plain|md5|sha|sha256|sha512 fails the load`, async () => {
      await expect(kit.reconfigure({ 'auth.mnesia.password_hash': 'bcrypt' })).rejects.toThrow();
      await kit.reconfigure({});
      expect(await kit.clients.code(kit.strict().url, { protocolVersion: 5, username: 'alice', password: 'public' })).toBe(0);
    });
  },
});
