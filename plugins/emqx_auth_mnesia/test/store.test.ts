// Unit tests of the pure parts: the salted secrets, the store and its file, the ctl handlers,
// the conf seeds and Erlang's ~p of binaries.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aclCli, formatAcl, userCli } from '../src/cli';
import { erlBinary } from '../src/erl';
import { makeSecret, matchSecret, parseMnesiaHash } from '../src/secret';
import { applySeeds, seedUsers } from '../src/seed';
import { MnesiaStore } from '../src/store';

const SALT = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
const hex = (alg: string, data: Buffer): string => createHash(alg).update(data).digest('hex');
const silent = { debug: () => undefined, info: () => undefined, warning: jest.fn(), error: () => undefined };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-mnesia-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('secrets (salt ++ hash(salt ++ password), as EMQX stores them)', () => {
  test.each([
    ['md5', 'md5'],
    ['sha', 'sha1'],
    ['sha256', 'sha256'],
    ['sha512', 'sha512'],
  ] as const)('%s: 4 salt bytes, then the hex digest of salt ++ password', (hash, alg) => {
    const s = makeSecret(hash, 'public', SALT);
    expect(s.subarray(0, 4)).toEqual(SALT);
    expect(s.subarray(4).toString('latin1')).toBe(hex(alg, Buffer.concat([SALT, Buffer.from('public')])));
    expect(matchSecret(hash, Buffer.from('public'), s)).toBe(true);
    expect(matchSecret(hash, Buffer.from('publik'), s)).toBe(false);
    expect(matchSecret(hash, undefined, s)).toBe(false);
  });

  test('plain keeps salt ++ salt ++ password (bytes, the salt is random)', () => {
    const s = makeSecret('plain', 'pw', SALT);
    expect(s).toEqual(Buffer.concat([SALT, SALT, Buffer.from('pw')]));
    expect(matchSecret('plain', 'pw', s)).toBe(true);
    expect(matchSecret('plain', 'px', s)).toBe(false);
  });

  test('an absent password is the empty one; fresh salts differ', () => {
    const s = makeSecret('sha256', undefined);
    expect(matchSecret('sha256', undefined, s)).toBe(true);
    expect(matchSecret('sha256', Buffer.alloc(0), s)).toBe(true);
    expect(makeSecret('sha256', 'x').subarray(0, 4)).not.toEqual(makeSecret('sha256', 'x').subarray(0, 4));
  });

  test('a secret exactly as long as an unsalted digest is compared unsalted (EMQX)', () => {
    const unsalted = Buffer.from(hex('sha256', Buffer.from('public')), 'latin1');
    expect(matchSecret('sha256', 'public', unsalted)).toBe(true);
    expect(matchSecret('sha256', 'x', unsalted)).toBe(false);
    expect(matchSecret('sha256', 'x', Buffer.from('ab'))).toBe(false);
  });

  test('the hash under another password_hash does not fit', () => {
    expect(matchSecret('md5', 'public', makeSecret('sha256', 'public'))).toBe(false);
  });

  test('password_hash values', () => {
    expect(parseMnesiaHash('sha512', 'k')).toBe('sha512');
    expect(() => parseMnesiaHash('bcrypt', 'auth.mnesia.password_hash')).toThrow(/auth.mnesia.password_hash must be one of plain, md5, sha, sha256, sha512/);
    expect(() => parseMnesiaHash('sha512', 'auth.user.password_hash', ['plain', 'md5', 'sha', 'sha256'])).toThrow();
  });
});

describe('the store', () => {
  test('users: add once, update only existing, remove, list newest first, by login type', () => {
    const s = MnesiaStore.empty(join(dir, 'f.json'));
    expect(s.addUser('username', 'a', makeSecret('sha256', '1'))).toBe('ok');
    expect(s.addUser('username', 'a', makeSecret('sha256', '2'))).toBe('existed');
    expect(s.addUser('username', 'b', makeSecret('sha256', '1'))).toBe('ok');
    expect(s.addUser('clientid', 'a', makeSecret('sha256', '3'))).toBe('ok');
    expect(s.listUsers('username').map((u) => u.id)).toEqual(['b', 'a']);
    expect(s.usersInOrder('username').map((u) => u.id)).toEqual(['a', 'b']);
    expect(s.listUsers('clientid').map((u) => u.id)).toEqual(['a']);
    expect(matchSecret('sha256', '1', s.user('username', 'a')!.secret)).toBe(true);
    expect(s.updateUser('username', 'a', makeSecret('sha256', '9'))).toBe('ok');
    expect(matchSecret('sha256', '9', s.user('username', 'a')!.secret)).toBe(true);
    expect(s.updateUser('username', 'zz', makeSecret('sha256', '9'))).toBe('noexisted');
    expect(s.removeUser('username', 'a')).toBe(true);
    expect(s.removeUser('username', 'a')).toBe(false);
    expect(s.user('username', 'a')).toBeUndefined();
    expect(s.user('clientid', 'a')).toBeDefined();
  });

  test('ACL: client ID rules, then username rules, then $all, each newest first; same topic+action replaces', () => {
    const s = MnesiaStore.empty(join(dir, 'f.json'));
    s.addAcl({ type: 'all' }, 't/#', 'sub', 'deny');
    s.addAcl({ type: 'username', id: 'u' }, 't/#', 'sub', 'allow');
    s.addAcl({ type: 'username', id: 'u' }, 't/x', 'sub', 'deny'); // newer: tried first
    s.addAcl({ type: 'clientid', id: 'c' }, 't/x', 'pubsub', 'allow');
    const u = { clientid: 'other', username: 'u' };
    expect(s.checkAcl(u, 'subscribe', 't/x')).toBe('deny');
    expect(s.checkAcl(u, 'subscribe', 't/y')).toBe('allow');
    expect(s.checkAcl(u, 'publish', 't/y')).toBe('nomatch');
    expect(s.checkAcl({ clientid: 'c', username: 'u' }, 'subscribe', 't/x')).toBe('allow');
    expect(s.checkAcl({ clientid: 'c', username: 'u' }, 'publish', 't/x')).toBe('allow');
    expect(s.checkAcl({ clientid: 'x', username: undefined }, 'subscribe', 't/y')).toBe('deny');
    // pubsub is a pub and a sub rule; re-adding the sub one replaces only it
    expect(s.lookupAcl({ type: 'clientid', id: 'c' }).map((r) => r.action).sort()).toEqual(['pub', 'sub']);
    s.addAcl({ type: 'clientid', id: 'c' }, 't/x', 'sub', 'deny');
    expect(s.lookupAcl({ type: 'clientid', id: 'c' }).map((r) => `${r.action}:${r.access}`)).toEqual(['sub:deny', 'pub:allow']);
    // remove takes every action of the topic
    expect(s.removeAcl({ type: 'clientid', id: 'c' }, 't/x')).toBe(true);
    expect(s.lookupAcl({ type: 'clientid', id: 'c' })).toEqual([]);
    expect(s.removeAcl({ type: 'clientid', id: 'c' }, 't/x')).toBe(false);
    expect(s.allAcls().map((r) => r.target.type)).toEqual(['username', 'username', 'all']);
  });

  test('ACL placeholders %u / %c are levels of the client, never wildcards', () => {
    const s = MnesiaStore.empty(join(dir, 'f.json'));
    s.addAcl({ type: 'all' }, 'home/%u/#', 'sub', 'allow');
    s.addAcl({ type: 'all' }, 'dev/%c', 'pub', 'allow');
    expect(s.checkAcl({ clientid: 'c1', username: 'bob' }, 'subscribe', 'home/bob/x')).toBe('allow');
    expect(s.checkAcl({ clientid: 'c1', username: 'bob' }, 'subscribe', 'home/eve/x')).toBe('nomatch');
    expect(s.checkAcl({ clientid: 'c1', username: '#' }, 'subscribe', 'home/bob/x')).toBe('nomatch');
    expect(s.checkAcl({ clientid: 'c1', username: undefined }, 'publish', 'dev/c1')).toBe('allow');
    expect(s.checkAcl({ clientid: 'c1', username: undefined }, 'subscribe', 'home/%u/x')).toBe('nomatch');
  });

  test('the file: written whole through a temp file, read back the same; missing = empty; garbage = an error', async () => {
    const file = join(dir, 'sub', 'store.json');
    const s = MnesiaStore.empty(file);
    s.addUser('username', 'alice', makeSecret('sha256', 'public', SALT));
    s.addUser('clientid', 'dev', makeSecret('plain', 'pw', SALT));
    s.addAcl({ type: 'username', id: 'alice' }, 'a/#', 'pubsub', 'deny');
    s.addAcl({ type: 'all' }, 'b/#', 'sub', 'allow');
    await s.flush();
    expect(readdirSync(join(dir, 'sub'))).toEqual(['store.json']);
    const back = await MnesiaStore.open(file);
    expect(back.serialize()).toBe(s.serialize());
    expect(matchSecret('plain', 'pw', back.user('clientid', 'dev')!.secret)).toBe(true);
    expect(back.checkAcl({ clientid: 'x', username: 'alice' }, 'publish', 'a/1')).toBe('deny');
    // new stamps after the loaded ones keep "newest first" across restarts
    back.addAcl({ type: 'all' }, 'c/#', 'sub', 'deny');
    expect(back.lookupAcl({ type: 'all' })[0]!.topic).toBe('c/#');

    expect((await MnesiaStore.open(join(dir, 'none.json'))).listUsers('username')).toEqual([]);
    writeFileSync(join(dir, 'bad.json'), '{"version": 1, "users": [');
    await expect(MnesiaStore.open(join(dir, 'bad.json'))).rejects.toThrow(/not JSON/);
    writeFileSync(join(dir, 'bad2.json'), '{"version": 2}');
    await expect(MnesiaStore.open(join(dir, 'bad2.json'))).rejects.toThrow(/expected/);
    writeFileSync(join(dir, 'bad3.json'), '{"version": 1, "users": [], "acl": [{"target": "all", "topic": "x", "action": "both", "access": "allow", "created_at": 1}]}');
    await expect(MnesiaStore.open(join(dir, 'bad3.json'))).rejects.toThrow(/bad ACL record/);
  });

  test('many quick changes end in one file holding the last state', async () => {
    const file = join(dir, 'f.json');
    const s = MnesiaStore.empty(file);
    for (let i = 0; i < 50; i++) s.addUser('username', `u${i}`, makeSecret('md5', 'x'));
    s.removeUser('username', 'u0');
    await s.flush();
    const data = JSON.parse(readFileSync(file, 'utf8')) as { users: { id: string }[] };
    expect(data.users).toHaveLength(49);
    expect(data.users.some((u) => u.id === 'u0')).toBe(false);
  });

  test('a failed write is reported by flush and retried by the next change', async () => {
    const blocker = join(dir, 'file-not-dir');
    writeFileSync(blocker, '');
    const s = MnesiaStore.empty(join(blocker, 'store.json'));
    const errors: string[] = [];
    s.onWriteError = (e) => errors.push(e.message);
    s.addUser('username', 'a', makeSecret('md5', 'x'));
    await expect(s.flush()).rejects.toThrow(/cannot write .*store.json .*in memory only/);
    expect(errors).toHaveLength(1);
    expect(s.user('username', 'a')).toBeDefined();
  });
});

describe('ctl handlers', () => {
  const store = (): MnesiaStore => MnesiaStore.empty(join(dir, 'f.json'));

  test('4.3 user: ok / Error: existed / Error: noexisted; list newest first; delete and del', async () => {
    const s = store();
    const cli = userCli(s, { name: 'user', type: 'username', style: '4.3' }, () => 'sha256');
    expect(await cli(['add', 'a', 'p'])).toBe('ok\n');
    expect(await cli(['add', 'a', 'p'])).toBe('Error: existed\n');
    expect(await cli(['add', 'b', 'p'])).toBe('ok\n');
    expect(await cli(['list'])).toBe('b\na\n');
    expect(await cli(['update', 'c', 'p'])).toBe('Error: noexisted\n');
    expect(await cli(['delete', 'a'])).toBe('ok\n');
    expect(await cli(['del', 'nobody'])).toBe('ok\n');
    expect(await cli(['list'])).toBe('b\n');
    expect(await cli(['add', 'x'])).toBeUndefined(); // → usage
    expect(await cli([])).toBeUndefined();
  });

  test('4.2 users and clientid print ~p of the result (clientid keeps its own spelling)', async () => {
    const s = store();
    const users = userCli(s, { name: 'users', type: 'username', style: '4.2' }, () => 'md5');
    expect(await users(['add', 'a', 'p'])).toBe('ok\n');
    expect(await users(['add', 'a', 'p'])).toBe('{error,existed}\n');
    expect(await users(['update', 'b', 'p'])).toBe('{error,noexisted}\n');
    expect(await users(['delete', 'a'])).toBeUndefined(); // 4.2 has only del
    expect(await users(['del', 'a'])).toBe('ok\n');
    const ids = userCli(s, { name: 'clientid', type: 'clientid', style: '4.2' }, () => 'md5');
    expect(await ids(['add', 'c', 'p'])).toBe('ok\n');
    expect(await ids(['add', 'c', 'p'])).toBe('{error,exitsted}\n');
    expect(await ids(['update', 'd', 'p'])).toBe('{error,noexitsted}\n');
    expect(await ids(['list'])).toBe('c\n');
    expect(matchSecret('md5', 'p', s.user('clientid', 'c')!.secret)).toBe(true);
  });

  test('acl: add / show / list / delete, illegal input, usage', async () => {
    const s = store();
    const acl = aclCli(s);
    expect(await acl(['add', 'clientid', 'c1', 't/1', 'pub', 'allow'])).toBe('ok\n');
    expect(await acl(['add', 'username', 'u1', 't/2', 'sub', 'deny'])).toBe('ok\n');
    expect(await acl(['add', '_all', 't/#', 'pubsub', 'deny'])).toBe('ok\n');
    expect(await acl(['add', '_all', 't/#', 'write', 'deny'])).toBe('Error: Input is illegal\n');
    expect(await acl(['show', 'clientid', 'c1'])).toBe('Acl(clientid = <<"c1">> topic = <<"t/1">> action = pub access = allow)\n');
    expect(await acl(['list', 'username'])).toBe('Acl(username = <<"u1">> topic = <<"t/2">> action = sub access = deny)\n');
    expect((await acl(['list', '_all']))!.split('\n').filter(Boolean)).toHaveLength(2);
    expect((await acl(['list']))!.split('\n')[0]).toContain('username = <<"u1">>');
    expect(await acl(['delete', '_all', 't/#'])).toBe('ok\n');
    expect(await acl(['list', '_all'])).toBe('');
    expect(await acl(['list', 'nobody'])).toBeUndefined();
    expect(await acl(['add', 'clientid', 'c1', 't/1', 'pub'])).toBeUndefined();
    expect(await acl(['frob'])).toBeUndefined();
    expect(formatAcl(s.lookupAcl({ type: 'clientid', id: 'c1' })[0]!)).toBe('Acl(clientid = <<"c1">> topic = <<"t/1">> action = pub access = allow)');
  });
});

describe('seed users from the conf', () => {
  test('auth.user.N.* and auth.client.N.*, numbers in numeric order; a missing password is an error', () => {
    const conf = {
      'auth.user.10.username': 'ten',
      'auth.user.10.password': 'p10',
      'auth.user.2.username': 'two',
      'auth.user.2.password': 'p2',
      'auth.user.password_hash': 'sha256',
      'auth.client.1.clientid': 'dev:1',
      'auth.client.1.password': 'pc',
    };
    expect(seedUsers(conf, 'username').map((u) => [u.id, u.password, u.key])).toEqual([
      ['two', 'p2', 'auth.user.2'],
      ['ten', 'p10', 'auth.user.10'],
    ]);
    expect(seedUsers(conf, 'clientid').map((u) => u.id)).toEqual(['dev:1']);
    expect(() => seedUsers({ 'auth.user.1.username': 'x' }, 'username')).toThrow(/auth.user.1.password is missing/);
  });

  test('a stored login keeps its password; a conf password that no longer fits is warned about', () => {
    const s = MnesiaStore.empty(join(dir, 'f.json'));
    const seeds = seedUsers({ 'auth.user.1.username': 'a', 'auth.user.1.password': 'pw-secret-1' }, 'username');
    expect(applySeeds(s, 'sha256', seeds, silent, 'user delete')).toBe(1);
    expect(applySeeds(s, 'sha256', seeds, silent, 'user delete')).toBe(0);
    expect(silent.warning).not.toHaveBeenCalled();
    s.updateUser('username', 'a', makeSecret('sha256', 'changed'));
    expect(applySeeds(s, 'sha256', seeds, silent, 'user delete')).toBe(0);
    expect(matchSecret('sha256', 'changed', s.user('username', 'a')!.secret)).toBe(true);
    expect(silent.warning).toHaveBeenCalledTimes(1);
    expect(String(silent.warning.mock.calls[0][0])).toContain('emqx_ctl user delete a');
    expect(String(silent.warning.mock.calls[0][0])).not.toContain('pw-secret-1');
  });
});

test("erlBinary is Erlang's ~p of a binary", () => {
  expect(erlBinary('t/1')).toBe('<<"t/1">>');
  expect(erlBinary('a"b\\c')).toBe('<<"a\\"b\\\\c">>');
  expect(erlBinary('')).toBe('<<>>');
  expect(erlBinary(Buffer.from([1, 2, 200]))).toBe('<<1,2,200>>');
  expect(erlBinary(Buffer.from([0x41, 0xe9]))).toBe('<<"Aé">>'); // printable latin-1
});
