// authenticate / checkAcl decisions over a fake pool: what each kind of entry, and each failure, gives.
import { ldapPasswordHash, type AuthResult, type ClientInfo } from '@nemq/sdk';
import { checkAcl, literalTopic, type AclOptions } from '../src/acl';
import { authenticate, ldapBool, type AuthOptions } from '../src/auth';
import type { LookupOptions } from '../src/lookup';
import { LdapError, type LdapEntry, type Pool, type SearchRequest } from '../src/pool';

const lookup: LookupOptions = { customBaseDn: '${username_attr}=${user},${device_dn}', deviceDn: 'ou=device,dc=x', objectClass: 'mqttUser', usernameAttr: 'uid' };
const acc = { auth_result: 'not_authorized', anonymous: true } as AuthResult;
const ci = (username: string | undefined, password?: string, clientid = 'c1'): ClientInfo => ({
  zone: 'external', protocol: 'mqtt', peerhost: '127.0.0.1', sockport: 1883, clientid, username,
  password: password === undefined ? undefined : Buffer.from(password), is_bridge: false, is_superuser: false, mountpoint: undefined,
});

const entry = (uid: string, attrs: Record<string, string | string[]>): LdapEntry => ({
  dn: `uid=${uid},ou=device,dc=x`,
  attrs: new Map(Object.entries(attrs).map(([k, v]) => [k.toLowerCase(), (Array.isArray(v) ? v : [v]).map((s) => Buffer.from(s))])),
});

interface Fake {
  pool: Pool;
  searches: SearchRequest[];
  binds: [string, string][];
  errors: string[];
  logs: string[];
}

function fake(entries: Record<string, LdapEntry[]>, o: { fail?: Error; bind?: (dn: string, pw: string) => boolean | Error } = {}): Fake {
  const f: Fake = { searches: [], binds: [], errors: [], logs: [], pool: undefined as unknown as Pool };
  f.pool = {
    async search(req: SearchRequest) {
      f.searches.push(req);
      if (o.fail) throw o.fail;
      return entries[req.base] ?? [];
    },
    async checkBind(dn: string, pw: string) {
      f.binds.push([dn, pw]);
      const r = o.bind?.(dn, pw) ?? false;
      if (r instanceof Error) throw r;
      return r;
    },
  } as unknown as Pool;
  return f;
}

const logger = (f: Fake): AuthOptions['logger'] => ({ debug: () => undefined, info: () => undefined, warning: (m) => void f.logs.push(m), error: (m) => void f.logs.push(m) });
const authOpts = (f: Fake, bindAsUser = false): AuthOptions => ({ pool: f.pool, lookup, passwordAttr: 'userPassword', bindAsUser, logger: logger(f), backendError: (k, r) => void f.errors.push(`${k}: ${r}`) });
const aclOpts = (f: Fake): AclOptions => ({ pool: f.pool, lookup, logger: logger(f), backendError: (k, r) => void f.errors.push(`${k}: ${r}`) });
const base = (u: string): string => `uid=${u},ou=device,dc=x`;

const DIR = {
  [base('alice')]: [entry('alice', { userPassword: ldapPasswordHash('ssha', 'public', 'NaCl'), mqttSubscriptionTopic: ['news/#', 'private/%u/#'], mqttPublishTopic: 'open/#', mqttPubSubTopic: 'both/#' })],
  [base('root')]: [entry('root', { userPassword: 'rootpw', isSuperuser: 'TRUE' })],
  [base('off')]: [entry('off', { userPassword: 'public', isEnabled: 'FALSE' })],
  [base('on')]: [entry('on', { userPassword: 'public', isEnabled: 'true', isSuperuser: 'FALSE' })],
  [base('nopw')]: [entry('nopw', {})],
  [base('crypt')]: [entry('crypt', { userPassword: '{CRYPT}$6$x$y' })],
  [base('twice')]: [entry('twice', { userPassword: 'public' }), entry('twice', { userPassword: 'public' })],
};

describe('authenticate', () => {
  test('right password: success, superuser from isSuperuser; wrong: bad_username_or_password (EMQX 4.3)', async () => {
    const f = fake(DIR);
    expect(await authenticate(authOpts(f), ci('alice', 'public'), acc)).toEqual({ ...acc, auth_result: 'success', anonymous: false, is_superuser: false });
    expect(await authenticate(authOpts(f), ci('root', 'rootpw'), acc)).toMatchObject({ auth_result: 'success', is_superuser: true });
    expect(await authenticate(authOpts(f), ci('on', 'public'), acc)).toMatchObject({ auth_result: 'success', is_superuser: false });
    expect(await authenticate(authOpts(f), ci('alice', 'wrong'), acc)).toEqual({ ...acc, auth_result: 'bad_username_or_password', anonymous: false });
    expect(await authenticate(authOpts(f), ci('alice'), acc)).toMatchObject({ auth_result: 'bad_username_or_password' });
    expect(f.searches[0]).toMatchObject({ base: base('alice'), attributes: ['userPassword', 'isEnabled', 'isSuperuser'] });
    expect(f.errors).toEqual([]);
    expect(f.logs.join('\n')).not.toMatch(/public|rootpw|wrong/);
  });

  test('no entry, no username, or no password attribute: undefined (not mine)', async () => {
    const f = fake(DIR);
    expect(await authenticate(authOpts(f), ci('nobody', 'x'), acc)).toBeUndefined();
    expect(await authenticate(authOpts(f), ci(undefined, 'x'), acc)).toBeUndefined();
    expect(await authenticate(authOpts(f), ci('', 'x'), acc)).toBeUndefined();
    expect(await authenticate(authOpts(f), ci('nopw', 'x'), acc)).toBeUndefined();
  });

  test('isEnabled FALSE: username_disabled even with the right password', async () => {
    expect(await authenticate(authOpts(fake(DIR)), ci('off', 'public'), acc)).toEqual({ ...acc, auth_result: 'username_disabled', anonymous: false });
  });

  test('a scheme it cannot check, or two entries for one username: refused / not mine, and logged', async () => {
    const f = fake(DIR);
    expect(await authenticate(authOpts(f), ci('crypt', '{CRYPT}$6$x$y'), acc)).toMatchObject({ auth_result: 'password_error', anonymous: false });
    expect(await authenticate(authOpts(f), ci('twice', 'public'), acc)).toBeUndefined();
    expect(f.logs.some((l) => l.includes('cannot check'))).toBe(true);
    expect(f.logs.some((l) => l.includes('more than one entry') && l.includes('(uid=twice)'))).toBe(true);
  });

  test('backend failure: ldap_error, not anonymous, backendError("auth")', async () => {
    const f = fake(DIR, { fail: new LdapError('connection closed') });
    expect(await authenticate(authOpts(f), ci('alice', 'public'), acc)).toEqual({ ...acc, auth_result: 'ldap_error', anonymous: false });
    expect(f.errors).toEqual(['auth: LDAP search failed: connection closed']);
  });

  test('bind_as_user: the password goes to a bind as the entry DN (refused: not_authorized); the attribute is not read', async () => {
    const f = fake(DIR, { bind: (dn, pw) => dn === base('alice') && pw === 'public' });
    expect(await authenticate(authOpts(f, true), ci('alice', 'public'), acc)).toMatchObject({ auth_result: 'success' });
    expect(await authenticate(authOpts(f, true), ci('alice', 'nope'), acc)).toMatchObject({ auth_result: 'not_authorized' });
    // an empty password would be an unauthenticated bind: refused without asking
    expect(await authenticate(authOpts(f, true), ci('alice', ''), acc)).toMatchObject({ auth_result: 'not_authorized' });
    expect(f.binds).toEqual([[base('alice'), 'public'], [base('alice'), 'nope']]);
    expect(f.searches[0]!.attributes).toEqual(['isEnabled', 'isSuperuser']);
    const g = fake(DIR, { bind: () => new LdapError('timeout') });
    expect(await authenticate(authOpts(g, true), ci('alice', 'public'), acc)).toMatchObject({ auth_result: 'ldap_error', anonymous: false });
    expect(g.errors[0]).toMatch(/^auth: LDAP bind as uid=alice,ou=device,dc=x failed/);
  });
});

describe('checkAcl (allow-only lists)', () => {
  test('publish: mqttPublishTopic + mqttPubSubTopic; subscribe: mqttSubscriptionTopic + mqttPubSubTopic', async () => {
    const f = fake(DIR);
    const o = aclOpts(f);
    const a = ci('alice');
    expect(await checkAcl(o, a, 'subscribe', 'news/today')).toBe('allow');
    expect(await checkAcl(o, a, 'subscribe', 'both/x')).toBe('allow');
    expect(await checkAcl(o, a, 'subscribe', 'open/x')).toBeUndefined();
    expect(await checkAcl(o, a, 'publish', 'open/x')).toBe('allow');
    expect(await checkAcl(o, a, 'publish', 'both/x')).toBe('allow');
    expect(await checkAcl(o, a, 'publish', 'news/today')).toBeUndefined();
    expect(f.searches[0]!.attributes).toEqual(['mqttSubscriptionTopic', 'mqttPubSubTopic']);
    expect(f.searches[3]!.attributes).toEqual(['mqttPublishTopic', 'mqttPubSubTopic']);
  });

  test('%u in a value is literal text, as in EMQX 4.3', async () => {
    const o = aclOpts(fake(DIR));
    expect(await checkAcl(o, ci('alice'), 'subscribe', 'private/alice/x')).toBeUndefined();
    expect(await checkAcl(o, ci('alice'), 'subscribe', 'private/%u/x')).toBe('allow');
  });

  test('no entry, no values, no username, or a $ username: no opinion, and $ users are not looked up', async () => {
    const f = fake(DIR);
    const o = aclOpts(f);
    expect(await checkAcl(o, ci('nobody'), 'subscribe', 'news/x')).toBeUndefined();
    expect(await checkAcl(o, ci('root'), 'subscribe', 'news/x')).toBeUndefined();
    expect(await checkAcl(o, ci(undefined), 'subscribe', 'news/x')).toBeUndefined();
    const n = f.searches.length;
    expect(await checkAcl(o, ci('$SYS'), 'subscribe', 'news/x')).toBeUndefined();
    expect(f.searches.length).toBe(n);
  });

  test('backend failure: no opinion and backendError("acl")', async () => {
    const f = fake(DIR, { fail: new LdapError('search timed out after 5000 ms') });
    expect(await checkAcl(aclOpts(f), ci('alice'), 'subscribe', 'news/x')).toBeUndefined();
    expect(f.errors).toEqual(['acl: LDAP search failed: search timed out after 5000 ms']);
  });
});

describe('helpers', () => {
  test('ldapBool: TRUE / FALSE in any case, anything else unknown', () => {
    const v = (s: string): Buffer[] => [Buffer.from(s)];
    expect(ldapBool(v('TRUE'))).toBe(true);
    expect(ldapBool(v('false'))).toBe(false);
    expect(ldapBool(v('1'))).toBeUndefined();
    expect(ldapBool([])).toBeUndefined();
    expect(ldapBool(undefined)).toBeUndefined();
  });

  test('literalTopic keeps %u / %c as words', () => {
    expect(literalTopic('a/%u/%c/#').hasPlaceholder).toBe(false);
    expect(literalTopic('a/%u/#').levels).toEqual(['a', '%u', { w: '#' }]);
  });
});
