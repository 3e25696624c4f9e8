// The SDK's generic SQL auth/ACL flow (sqlauth.ts) over a fake database: ACL rows → rules,
// authenticate and checkAcl outcomes. Each SQL plugin's real-server behaviour is in its e2e test.
import { bindTemplate, checkRules, compileRows, QueryError, sqlAuthenticate, sqlCheckAcl, type AclAction, type AuthClient, type AuthResult, type Querier, type QueryResult, type SqlAclOptions, type SqlAuthOptions } from '../src/index';

const silent = { debug() {}, info() {}, warning() {}, error() {} };
const parseQuery = (sql: string) => bindTemplate(sql, ['%u', '%c', '%a', '%C', '%d']);
type Opts<T> = Omit<T, 'backend'>;
const authenticate = (o: Opts<SqlAuthOptions>, ci: AuthClient, acc: AuthResult) => sqlAuthenticate({ backend: 'MySQL', ...o }, ci, acc);
const checkAcl = (o: Opts<SqlAclOptions>, ci: AuthClient, pubsub: AclAction, topic: string) => sqlCheckAcl({ backend: 'MySQL', ...o }, ci, pubsub, topic);

describe('ACL rows → rules (emqx_acl_mysql compile, emqx_access_rule match)', () => {
  const alice = { clientid: 'c-alice', username: 'alice', peerhost: '127.0.0.1' };

  test('the last row returned is tried first, and the first match wins', () => {
    const rows = [
      [1, null, 'alice', null, 1, 't/#'],
      [0, null, 'alice', null, 1, 't/secret'],
    ];
    expect(checkRules(compileRows(rows), alice, 'subscribe', 't/secret')).toBe('deny');
    expect(checkRules(compileRows([...rows].reverse()), alice, 'subscribe', 't/secret')).toBe('allow');
  });

  test('access 1 = subscribe, 2 = publish, 3 = both; strings as well as numbers', () => {
    const r = compileRows([
      [0, null, '$all', null, '1', 'sub/only'],
      ['0', null, '$all', null, 2, 'pub/only'],
      [0, null, '$all', null, 3, 'both'],
    ]);
    expect(checkRules(r, alice, 'subscribe', 'sub/only')).toBe('deny');
    expect(checkRules(r, alice, 'publish', 'sub/only')).toBe('nomatch');
    expect(checkRules(r, alice, 'publish', 'pub/only')).toBe('deny');
    expect(checkRules(r, alice, 'subscribe', 'pub/only')).toBe('nomatch');
    expect(checkRules(r, alice, 'publish', 'both')).toBe('deny');
    expect(checkRules(r, alice, 'subscribe', 'both')).toBe('deny');
  });

  test('$all matches everyone; username/clientid/ipaddr that are set must all match', () => {
    const r = compileRows([[0, '10.0.0.0/8', 'bob', 'c-bob', 2, 'x']]);
    expect(checkRules(r, { clientid: 'c-bob', username: 'bob', peerhost: '10.9.8.7' }, 'publish', 'x')).toBe('deny');
    expect(checkRules(r, { clientid: 'c-bob', username: 'bob', peerhost: '11.0.0.1' }, 'publish', 'x')).toBe('nomatch');
    expect(checkRules(r, { clientid: 'other', username: 'bob', peerhost: '10.0.0.1' }, 'publish', 'x')).toBe('nomatch');
    expect(checkRules(compileRows([[1, null, '$all', 'ignored', 2, 'x']]), { clientid: 'z', username: undefined, peerhost: '1.1.1.1' }, 'publish', 'x')).toBe('allow');
    // empty strings count as unset; none set at all (but not NULL) matches everyone
    expect(checkRules(compileRows([[0, '', '', 'c-alice', 2, 'x']]), alice, 'publish', 'x')).toBe('deny');
    expect(checkRules(compileRows([[0, '', '', '', 2, 'x']]), alice, 'publish', 'x')).toBe('deny');
  });

  test('a client without username never matches a username row', () => {
    const r = compileRows([[0, null, 'undefined', null, 2, 'x']]);
    expect(checkRules(r, { clientid: 'c', username: undefined, peerhost: '1.1.1.1' }, 'publish', 'x')).toBe('nomatch');
  });

  test('wildcards: + one level, # the rest (also the parent), $-topics are not special in ACL rules', () => {
    const r = compileRows([[0, null, '$all', null, 3, 'a/+/c'], [0, null, '$all', null, 3, 'b/#'], [0, null, '$all', null, 3, '#']].slice(0, 2));
    expect(checkRules(r, alice, 'publish', 'a/x/c')).toBe('deny');
    expect(checkRules(r, alice, 'publish', 'a/x/y/c')).toBe('nomatch');
    expect(checkRules(r, alice, 'publish', 'b')).toBe('deny');
    expect(checkRules(r, alice, 'publish', 'b/1/2')).toBe('deny');
    expect(checkRules(compileRows([[0, null, '$all', null, 1, '#']]), alice, 'subscribe', '$SYS/brokers')).toBe('deny');
  });

  test('a subscription filter is compared level by level: a/# is covered by a/+ and by a/#', () => {
    const sub = (topic: string) => compileRows([[0, null, '$all', null, 1, topic]]);
    expect(checkRules(sub('a/+'), alice, 'subscribe', 'a/#')).toBe('deny');
    expect(checkRules(sub('a/#'), alice, 'subscribe', 'a/+')).toBe('deny');
    expect(checkRules(sub('a/x/b'), alice, 'subscribe', 'a/+/b')).toBe('nomatch');
  });

  test('eq topics match only the identical filter', () => {
    const r = compileRows([[0, null, '$all', null, 1, 'eq #']]);
    expect(checkRules(r, alice, 'subscribe', '#')).toBe('deny');
    expect(checkRules(r, alice, 'subscribe', 'a/b')).toBe('nomatch');
    expect(checkRules(compileRows([[0, null, '$all', null, 1, 'eq t/+']]), alice, 'subscribe', 't/1')).toBe('nomatch');
    expect(checkRules(compileRows([[0, null, '$all', null, 1, 'eq t/+']]), alice, 'subscribe', 't/+')).toBe('deny');
  });

  test('%u and %c levels take the client\'s username and clientid (as text, never as wildcards)', () => {
    const r = compileRows([[1, null, '$all', null, 3, 'users/%u/#'], [1, null, '$all', null, 3, 'clients/%c']]);
    expect(checkRules(r, alice, 'publish', 'users/alice/x')).toBe('allow');
    expect(checkRules(r, alice, 'publish', 'users/bob/x')).toBe('nomatch');
    expect(checkRules(r, alice, 'publish', 'clients/c-alice')).toBe('allow');
    expect(checkRules(r, { clientid: 'c', username: undefined, peerhost: '1.1.1.1' }, 'publish', 'users/undefined/x')).toBe('nomatch');
    const hash = { clientid: '+', username: '#', peerhost: '1.1.1.1' };
    expect(checkRules(r, hash, 'publish', 'users/x/y')).toBe('nomatch');
    expect(checkRules(r, hash, 'publish', 'clients/zzz')).toBe('nomatch');
  });

  test('ipaddr is a CIDR (host bits cleared) or an address; IPv4-mapped peers are IPv4', () => {
    const from = (ipaddr: string, peerhost: string) => checkRules(compileRows([[0, ipaddr, null, null, 2, 'x']]), { ...alice, peerhost }, 'publish', 'x');
    expect(from('192.168.1.77/24', '192.168.1.5')).toBe('deny');
    expect(from('192.168.1.0/24', '192.168.2.5')).toBe('nomatch');
    expect(from('127.0.0.1', '::ffff:127.0.0.1')).toBe('deny');
    expect(from('fe80::/10', 'fe80::1')).toBe('deny');
    expect(from('::1', '127.0.0.1')).toBe('nomatch');
    expect(from('0.0.0.0/0', '8.8.8.8')).toBe('deny');
    expect(() => compileRows([[0, '10.0.0.0/33', null, null, 2, 'x']])).toThrow(/ipaddr/);
    expect(() => compileRows([[0, 'nope', null, null, 2, 'x']])).toThrow(/ipaddr/);
  });

  test('rows EMQX cannot compile throw (the check then has no opinion)', () => {
    expect(() => compileRows([[null, null, '$all', null, 1, 't']])).toThrow(/allow/);
    expect(() => compileRows([[1, null, '$all', null, 4, 't']])).toThrow(/access/);
    expect(() => compileRows([[1, null, null, null, 1, 't']])).toThrow(/NULL/);
    expect(() => compileRows([[1, 'not-an-ip', null, null, 1, 't']])).toThrow(/ipaddr/);
    expect(() => compileRows([[1, null, '$all', null, 1]])).toThrow(/columns/);
  });
});

class FakeDb implements Querier {
  calls: Array<{ sql: string; params: readonly string[] }> = [];
  constructor(private readonly answer: (sql: string, params: readonly string[]) => QueryResult | Error) {}
  async query(sql: string, params: readonly string[]): Promise<QueryResult> {
    this.calls.push({ sql, params });
    const a = this.answer(sql, params);
    if (a instanceof Error) throw a;
    return a;
  }
}

describe('authenticate (emqx_auth_mysql:check/3) over a fake database', () => {
  const sha = 'efa1f375d76194fa51a3556a97e641e61685f914d446979da50a551a4333ffd7'; // sha256("public")
  const acc = { auth_result: 'success', anonymous: true };
  const ci = (username: string | undefined, password?: string): AuthClient => ({
    clientid: 'c1',
    username,
    peerhost: '127.0.0.1',
    password: password === undefined ? undefined : Buffer.from(password),
  });
  const opts = (db: Querier, hash = 'sha256', superq: string | null = "select is_superuser from mqtt_user where username = '%u' limit 1") => ({
    db,
    authQuery: parseQuery("select password from mqtt_user where username = '%u' limit 1"),
    superQuery: superq ? parseQuery(superq) : undefined,
    passwordHash: hash,
    logger: silent,
    backendError: () => undefined,
  });
  const users = (sql: string, p: readonly string[]): QueryResult => {
    if (sql.includes('is_superuser')) return { columns: ['is_superuser'], rows: p[0] === 'root' ? [[1]] : [[0]] };
    return p[0] === 'alice' || p[0] === 'root' ? { columns: ['password'], rows: [[sha]] } : { columns: ['password'], rows: [] };
  };

  test('right password: success, not anonymous, is_superuser from the super query', async () => {
    const db = new FakeDb(users);
    expect(await authenticate(opts(db), ci('alice', 'public'), acc)).toEqual({ auth_result: 'success', anonymous: false, is_superuser: false });
    expect(await authenticate(opts(db), ci('root', 'public'), acc)).toMatchObject({ auth_result: 'success', is_superuser: true });
    expect(db.calls[0]).toEqual({ sql: 'select password from mqtt_user where username = ? limit 1', params: ['alice'] });
  });

  test('no super query: nobody is superuser; a failing super query means false', async () => {
    expect(await authenticate(opts(new FakeDb(users), 'sha256', null), ci('root', 'public'), acc)).toMatchObject({ is_superuser: false });
    const failing = new FakeDb((sql, p) => (sql.includes('is_superuser') ? new QueryError('disconnected', 'x') : users(sql, p)));
    expect(await authenticate(opts(failing), ci('root', 'public'), acc)).toMatchObject({ auth_result: 'success', is_superuser: false });
  });

  test('wrong password: not_authorized; unknown user: no opinion', async () => {
    const db = new FakeDb(users);
    expect(await authenticate(opts(db), ci('alice', 'nope'), acc)).toEqual({ auth_result: 'not_authorized', anonymous: false });
    expect(await authenticate(opts(db), ci('mallory', 'x'), acc)).toBeUndefined();
  });

  test('no password in CONNECT is checked as the empty password (not a pass-through)', async () => {
    expect(await authenticate(opts(new FakeDb(users)), ci('alice'), acc)).toMatchObject({ auth_result: 'not_authorized' });
  });

  test('a database error ends the chain with the error as auth_result (EMQX: CONNACK 0x87)', async () => {
    const db = new FakeDb(() => new QueryError('disconnected', 'connect ECONNREFUSED'));
    expect(await authenticate(opts(db), ci('alice', 'public'), acc)).toEqual({ auth_result: 'disconnected', anonymous: false });
  });

  test('password plus salt columns are checked with the salted hash', async () => {
    const salted = 'f2ef7f9aedb2c3b5040bc16691a1177758a92ad91e1ee77770215a332bf6099f'; // sha256("salt" ++ "public")
    const db = new FakeDb(() => ({ columns: ['password', 'salt'], rows: [[salted, 'salt']] }));
    expect(await authenticate(opts(db, 'salt,sha256', null), ci('alice', 'public'), acc)).toMatchObject({ auth_result: 'success' });
    expect(await authenticate(opts(db, 'salt,sha256', null), ci('alice', 'x'), acc)).toMatchObject({ auth_result: 'not_authorized' });
    // an unsalted hash with a salt column never matches (EMQX password_error)
    expect(await authenticate(opts(db, 'sha256', null), ci('alice', 'public'), acc)).toMatchObject({ auth_result: 'not_authorized' });
  });

  test('a salted hash without a salt column, other column names or several rows: no opinion', async () => {
    const one = new FakeDb(() => ({ columns: ['password'], rows: [['x']] }));
    expect(await authenticate(opts(one, 'salt,sha256', null), ci('alice', 'public'), acc)).toBeUndefined();
    const named = new FakeDb(() => ({ columns: ['password_hash'], rows: [[sha]] }));
    expect(await authenticate(opts(named), ci('alice', 'public'), acc)).toBeUndefined();
    const two = new FakeDb(() => ({ columns: ['password'], rows: [[sha], [sha]] }));
    expect(await authenticate(opts(two), ci('alice', 'public'), acc)).toBeUndefined();
  });

  test('a NULL password never matches; a binary column is compared as bytes', async () => {
    const nul = new FakeDb(() => ({ columns: ['password'], rows: [[null]] }));
    expect(await authenticate(opts(nul, 'plain', null), ci('alice', ''), acc)).toMatchObject({ auth_result: 'not_authorized' });
    const bin = new FakeDb(() => ({ columns: ['password'], rows: [[Buffer.from(sha)]] }));
    expect(await authenticate(opts(bin), ci('alice', 'public'), acc)).toMatchObject({ auth_result: 'success' });
  });
});

describe('checkAcl (emqx_acl_mysql:check_acl/5) over a fake database', () => {
  const aclQuery = parseQuery("select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'");
  const rows = [[0, null, 'alice', null, 2, 'secret/#']];
  const ok = (db: Querier) => ({ db, aclQuery, logger: silent, backendError: () => undefined });

  test('a matching row decides; binds %a, %u, %c', async () => {
    const db = new FakeDb(() => ({ columns: ['allow', 'ipaddr', 'username', 'clientid', 'access', 'topic'], rows }));
    expect(await checkAcl(ok(db), { clientid: 'c', username: 'alice', peerhost: '::ffff:127.0.0.1' }, 'publish', 'secret/x')).toBe('deny');
    expect(await checkAcl(ok(db), { clientid: 'c', username: 'alice', peerhost: '127.0.0.1' }, 'publish', 'open')).toBeUndefined();
    expect(db.calls[0]!.params).toEqual(['127.0.0.1', 'alice', 'c']);
  });

  test('usernames starting with $ are not checked; no rows, errors and bad rows: no opinion', async () => {
    const db = new FakeDb(() => ({ columns: [], rows }));
    expect(await checkAcl(ok(db), { clientid: 'c', username: '$bridge', peerhost: '1.1.1.1' }, 'publish', 'secret/x')).toBeUndefined();
    expect(db.calls).toHaveLength(0);
    expect(await checkAcl(ok(new FakeDb(() => ({ columns: [], rows: [] }))), { clientid: 'c', username: 'alice', peerhost: '1.1.1.1' }, 'publish', 'x')).toBeUndefined();
    expect(await checkAcl(ok(new FakeDb(() => new QueryError('timeout', 't'))), { clientid: 'c', username: 'alice', peerhost: '1.1.1.1' }, 'publish', 'x')).toBeUndefined();
    const bad = new FakeDb(() => ({ columns: [], rows: [...rows, [1, null, null, null, 2, 'x']] }));
    expect(await checkAcl(ok(bad), { clientid: 'c', username: 'alice', peerhost: '1.1.1.1' }, 'publish', 'secret/x')).toBeUndefined();
  });
});
