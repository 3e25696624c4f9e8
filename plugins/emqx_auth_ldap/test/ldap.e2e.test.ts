// emqx_auth_ldap end to end: a real OpenLDAP slapd with the mqttUser schema (test/mqtt.schema), the
// plugin loaded from plugins/emqx_auth_ldap/dist (build first), the shared conformance kit and real
// mqtt.js clients.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as tlsServer, type Server as TlsServer } from 'node:tls';
import ldap from 'ldapjs';
import { createBroker, createLogger, defaultZone } from '@nemq/kernel';
import { ldapPasswordHash } from '@nemq/sdk';
import { KIT_ALLOWS, KIT_HASH_USERS, KIT_USERS, runAuthKit, suback } from '../../../test/authkit';
import { startService, type Service } from '../../../test/services/index';
import { poolOptions } from '../src/index';
import { Pool } from '../src/pool';

jest.setTimeout(60_000);

const SCHEMA = join(__dirname, 'mqtt.schema');
const ROOT = join(__dirname, '../../..');
const CERTS = join(ROOT, 'etc/certs');
let svc: Service;
let deviceDn: string;

/** users beside the kit's: one per userPassword scheme, and odd cases */
const EXTRA: ReadonlyArray<{ uid: string; password: string; attrs?: Record<string, string | string[]> }> = [
  { uid: 'h_ldap_sha', password: ldapPasswordHash('sha', 'public') },
  { uid: 'h_ldap_ssha', password: ldapPasswordHash('ssha', 'public', 'pepper12') },
  { uid: 'h_ldap_md5', password: ldapPasswordHash('md5', 'public') },
  { uid: 'h_ldap_ssha512', password: ldapPasswordHash('ssha512', 'public', 'salty') },
  { uid: 'h_ldap_crypt', password: '{CRYPT}$6$abc$xyz' },
  { uid: 'disabled', password: 'public', attrs: { isEnabled: 'FALSE' } },
  { uid: 'dev42', password: 'public42', attrs: { cn: 'Device 42' } },
  // characters that mean something in a DN or a filter: the user must still log in, as itself
  { uid: 'we(i)rd*,+=\\ "<name>;#', password: 'public', attrs: { mqttSubscriptionTopic: 'weird/#' } },
];

function admin(): Promise<ldap.Client> {
  return new Promise((resolve, reject) => {
    const c = ldap.createClient({ url: svc.env.LDAP_URL! });
    c.on('error', reject);
    c.bind(svc.env.LDAP_ADMIN_DN!, svc.env.LDAP_ADMIN_PASSWORD!, (err) => (err ? reject(err) : resolve(c)));
  });
}

const add = (c: ldap.Client, dn: string, entry: Record<string, string | string[]>): Promise<void> =>
  new Promise((resolve, reject) => c.add(dn, entry, (err) => (err ? reject(err) : resolve())));

/** an entry's DN, built with ldapjs's RDN (not the plugin's escaping) */
const userDn = (uid: string): string => `${new ldap.RDN({ uid }).toString()},${deviceDn}`;

async function seed(): Promise<void> {
  const c = await admin();
  try {
    await add(c, deviceDn, { objectClass: 'organizationalUnit', ou: 'device' });
    const topics = (a: string): string[] => KIT_ALLOWS.filter((x) => x.access === a).map((x) => x.topic);
    const [alice, root] = KIT_USERS as [(typeof KIT_USERS)[0], (typeof KIT_USERS)[0]];
    await add(c, userDn(alice.username), {
      objectClass: 'mqttUser',
      uid: alice.username,
      userPassword: ldapPasswordHash('ssha', alice.password, 'NaCl'),
      mqttSubscriptionTopic: topics('subscribe'),
      mqttPublishTopic: topics('publish'),
      mqttPubSubTopic: topics('pubsub'),
    });
    await add(c, userDn(root.username), { objectClass: 'mqttUser', uid: root.username, userPassword: ldapPasswordHash('sha', root.password), isSuperuser: 'TRUE' });
    const plain = KIT_HASH_USERS.find((u) => u.hash === 'plain')!;
    await add(c, userDn(plain.username), { objectClass: 'mqttUser', uid: plain.username, userPassword: plain.stored });
    for (const u of EXTRA) await add(c, userDn(u.uid), { objectClass: 'mqttUser', uid: u.uid, userPassword: u.password, ...u.attrs });
    // an entry of another objectClass: match_objectclass keeps it out
    await add(c, userDn('person1'), { objectClass: 'account', uid: 'person1', description: 'not an MQTT user' });
  } finally {
    c.destroy();
  }
}

const baseConf = (): Record<string, string> => ({
  'auth.ldap.servers': svc.env.LDAP_HOST!,
  'auth.ldap.port': svc.env.LDAP_PORT!,
  'auth.ldap.pool': '4',
  'auth.ldap.bind_dn': svc.env.LDAP_ADMIN_DN!,
  'auth.ldap.bind_password': svc.env.LDAP_ADMIN_PASSWORD!,
  'auth.ldap.timeout': '5s',
  'auth.ldap.device_dn': deviceDn,
  'auth.ldap.match_objectclass': 'mqttUser',
  'auth.ldap.username.attributetype': 'uid',
  'auth.ldap.password.attributetype': 'userPassword',
});

runAuthKit({
  plugin: 'emqx_auth_ldap',
  title: 'OpenLDAP',
  services: ['slapd'],
  // userPassword holds clear text or {SCHEME}base64 values; the kit's hex digests are not LDAP's
  hashes: ['plain'],
  acl: 'allows',
  // EMQX 4.3 compares mqtt*Topic values literally
  placeholders: false,
  superuser: true,
  // EMQX 4.3 answers a compared password that differs with bad_username_or_password
  wrongPassword: [4, 0x86],
  async setup() {
    svc = await startService('slapd', { env: { SLAPD_SCHEMAS: SCHEMA } });
    deviceDn = `ou=device,${svc.env.LDAP_BASE_DN}`;
    await seed();
  },
  async teardown() {
    await svc?.stop();
  },
  conf: () => baseConf(),
  down: () => svc.down(),
  up: () => svc.up(),
  extra(kit) {
    const code = (username: string, password: string): Promise<number> => kit.clients.code(kit.strict().url, { protocolVersion: 5, username, password });

    test.each([['h_ldap_sha'], ['h_ldap_ssha'], ['h_ldap_md5'], ['h_ldap_ssha512']])('userPassword scheme of %s: right → 0, wrong → 0x86', async (u) => {
      expect(await code(u, 'public')).toBe(0);
      expect(await code(u, 'publik')).toBe(0x86);
      expect(await code(u, '')).toBe(0x86);
    });

    test('a userPassword scheme the plugin cannot check ({CRYPT}) refuses with password_error', async () => {
      expect(await code('h_ldap_crypt', 'public')).toBe(0x86);
      expect(await code('h_ldap_crypt', '{CRYPT}$6$abc$xyz')).toBe(0x86);
    });

    test('isEnabled FALSE refuses the right password, also with allow_anonymous = true', async () => {
      expect(await code('disabled', 'public')).toBe(0x87);
      expect(await kit.clients.code(kit.open().url, { protocolVersion: 5, username: 'disabled', password: 'public' })).toBe(0x87);
    });

    test('an entry without objectClass mqttUser is not a user', async () => {
      expect(await kit.clients.code(kit.open().url, { protocolVersion: 5, username: 'person1', password: 'x' })).toBe(0);
      expect(await code('person1', 'x')).toBe(0x87);
    });

    test('a username full of DN and filter syntax logs in as itself, with its own ACL', async () => {
      const weird = EXTRA.find((u) => u.uid.startsWith('we('))!.uid;
      expect(await code(weird, 'public')).toBe(0);
      expect(await code(weird, 'publik')).toBe(0x86);
      const c = await kit.clients.connected(kit.strict().url, { protocolVersion: 5, username: weird, password: 'public' });
      expect(await suback(c, 'weird/x')).toBe(1);
      expect(await suback(c, 'news/today')).toBe(0x87);
    });

    // (a NUL never gets this far: the broker refuses it as a malformed UTF-8 string, MQTT-1.5.4-2;
    // lookup.test.ts shows it would be escaped)
    test.each([['*'], ['*)(uid=*'], ['alice)(|(uid=*'], ['\\2a'], ['al*'], ['alice,ou=device'], ['uid=alice'], ['alice\\'], ['*)(objectClass=*'], ['*)(|(objectClass=*']])(
      'LDAP injection username %j with alice\'s and root\'s passwords gets nobody in, even with allow_anonymous = true it is nobody',
      async (inj) => {
        for (const pw of ['public', 'rootpw', 'wrong']) expect(await code(inj, pw)).toBe(0x87);
        // with allow_anonymous = true it is let in as an unknown user, never as alice: alice's ACL is not its
        const c = await kit.clients.connected(kit.open().url, { protocolVersion: 5, username: inj, password: 'public' });
        expect(await suback(c, 'news/today')).toBe(0x87);
      },
    );

    test('bind_as_user: the server checks the password by a bind as the entry', async () => {
      await kit.reconfigure({ 'auth.ldap.bind_as_user': 'true' });
      try {
        expect(await code('alice', 'public')).toBe(0);
        expect(await code('alice', 'wrong')).toBe(0x87);
        // an empty password would be an anonymous bind, which slapd accepts: refused before asking
        expect(await code('alice', '')).toBe(0x87);
        // slapd checks {SSHA} itself ({SSHA512} needs its pw-sha2 module)
        expect(await code('h_ldap_ssha', 'public')).toBe(0);
        expect(await code('h_ldap_ssha', 'publik')).toBe(0x87);
        expect(await code('*', 'public')).toBe(0x87);
      } finally {
        await kit.reconfigure({});
      }
    });

    describe('ssl (ldaps:// through a TLS front with etc/certs, localhost / 127.0.0.1)', () => {
      let front: TlsServer;
      let port: number;
      let handshakes = 0;
      beforeAll(async () => {
        front = tlsServer({ cert: readFileSync(join(CERTS, 'cert.pem')), key: readFileSync(join(CERTS, 'key.pem')) }, (tls) => {
          handshakes++;
          const up = netConnect(Number(svc.env.LDAP_PORT), svc.env.LDAP_HOST!);
          tls.pipe(up).pipe(tls);
          const end = (): void => {
            tls.destroy();
            up.destroy();
          };
          tls.on('error', end).on('close', end);
          up.on('error', end).on('close', end);
        });
        await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
        port = (front.address() as AddressInfo).port;
      });
      afterAll(() => new Promise<void>((r) => front.close(() => r())));
      const ssl = (over: Record<string, string>): Record<string, string> => ({ 'auth.ldap.port': String(port), 'auth.ldap.ssl.enable': 'true', ...over });

      test('verify_peer with the CA: the plugin logs users in over TLS', async () => {
        const before = handshakes;
        await kit.reconfigure(ssl({ 'auth.ldap.ssl.verify': 'verify_peer', 'auth.ldap.ssl.cacertfile': join(CERTS, 'cacert.pem') }));
        try {
          expect(await code('alice', 'public')).toBe(0);
          expect(await code('alice', 'wrong')).toBe(0x86);
          expect(handshakes).toBeGreaterThan(before);
        } finally {
          await kit.reconfigure({});
        }
      });

      test('verify_peer checks the CA and the name; verify_none and server_name_indication = disable do not', async () => {
        // typed conf values, as the kernel hands them to the plugin
        const open = async (over: Record<string, string | boolean>): Promise<void> => {
          const pool = new Pool(poolOptions({ ...baseConf(), 'auth.ldap.pool': 1, 'auth.ldap.timeout': 5000, 'auth.ldap.port': port, 'auth.ldap.ssl.enable': true, ...over }));
          try {
            await pool.open();
          } finally {
            await pool.close();
          }
        };
        const ca = join(CERTS, 'cacert.pem');
        await expect(open({ 'auth.ldap.ssl.verify': 'verify_peer' })).rejects.toThrow(/self.signed|unable to verify|certificate/i);
        await expect(open({ 'auth.ldap.ssl.verify': 'verify_peer', 'auth.ldap.ssl.cacertfile': ca, 'auth.ldap.ssl.server_name_indication': 'ldap.example.com' })).rejects.toThrow(/altnames|ldap\.example\.com/i);
        await expect(open({ 'auth.ldap.ssl.verify': 'verify_peer', 'auth.ldap.ssl.cacertfile': ca, 'auth.ldap.ssl.server_name_indication': 'disable' })).resolves.toBeUndefined();
        await expect(open({ 'auth.ldap.ssl.verify': 'verify_peer', 'auth.ldap.ssl.cacertfile': ca })).resolves.toBeUndefined();
        await expect(open({})).resolves.toBeUndefined();
        // plain LDAP to the TLS port does not bind
        await expect(open({ 'auth.ldap.ssl.enable': false })).rejects.toThrow();
      });
    });

    test('a server that stops answering (SIGSTOP): refused within the timeout, counted; answering again (SIGCONT): accepted', async () => {
      await kit.reconfigure({ 'auth.ldap.timeout': '1s' });
      const node = kit.strict().node;
      const errors = (): number => node.metrics.snapshot()['client.auth.backend_error'] ?? 0;
      const pids = svc.pids();
      expect(pids.length).toBeGreaterThan(0);
      try {
        expect(await code('alice', 'public')).toBe(0);
        const before = errors();
        for (const pid of pids) process.kill(pid, 'SIGSTOP');
        try {
          // kill() returns before the process has stopped: wait until /proc says so
          for (const pid of pids) {
            const state = (): string => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]!;
            for (let i = 0; i < 200 && state() !== 'T'; i++) await new Promise((r) => setTimeout(r, 10));
            expect(state()).toBe('T');
          }
          const t0 = Date.now();
          expect(await code('alice', 'public')).toBe(0x87);
          expect(Date.now() - t0).toBeLessThan(5000);
          expect(errors()).toBeGreaterThan(before);
        } finally {
          for (const pid of pids) process.kill(pid, 'SIGCONT');
        }
        let rc = -1;
        for (let i = 0; i < 50 && rc !== 0; i++) {
          rc = await code('alice', 'public');
          if (rc !== 0) await new Promise((r) => setTimeout(r, 200));
        }
        expect(rc).toBe(0);
      } finally {
        await kit.reconfigure({});
      }
    });

    test('auth.ldap.filters: uid = ${user} or cn = ${user} under the device OU', async () => {
      await kit.reconfigure({
        'auth.ldap.custom_base_dn': '${device_dn}',
        'auth.ldap.filters.1.key': '${username_attr}',
        'auth.ldap.filters.1.value': '${user}',
        'auth.ldap.filters.1.op': 'or',
        'auth.ldap.filters.2.key': 'cn',
        'auth.ldap.filters.2.value': '${user}',
      });
      try {
        expect(await code('dev42', 'public42')).toBe(0);
        expect(await code('Device 42', 'public42')).toBe(0);
        expect(await code('Device 42', 'public')).toBe(0x86);
        expect(await code('alice', 'public')).toBe(0);
        // still values, never filter text
        for (const inj of ['*', 'Device*', '*)(cn=*', 'dev42)(|(uid=*']) expect(await code(inj, 'public42')).toBe(0x87);
      } finally {
        await kit.reconfigure({});
      }
    });

    test('auth.ldap.filters that cannot be built: the plugin does not load, and says which key', async () => {
      await expect(kit.reconfigure({ 'auth.ldap.filters.1.key': 'uid', 'auth.ldap.filters.1.value': '${user}', 'auth.ldap.filters.1.op': 'and' })).rejects.toThrow(/auth\.ldap\.filters\.1\.op/);
      await kit.reconfigure({});
      expect(await code('alice', 'public')).toBe(0);
    });

    test('custom_base_dn: the device OU as base, the filter picks the user', async () => {
      await kit.reconfigure({ 'auth.ldap.custom_base_dn': '${device_dn}' });
      try {
        expect(await code('alice', 'public')).toBe(0);
        expect(await code('alice', 'wrong')).toBe(0x86);
        expect(await code('*', 'public')).toBe(0x87);
        expect(await code('al*', 'public')).toBe(0x87);
      } finally {
        await kit.reconfigure({});
      }
    });
  },
});

describe('emqx_auth_ldap start', () => {
  let s: Service;
  let dir: string;
  beforeAll(async () => {
    s = await startService('slapd', { env: { SLAPD_SCHEMAS: SCHEMA } });
    dir = mkdtempSync(join(tmpdir(), 'nemq-ldap-start-'));
  });
  afterAll(async () => {
    await s?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a wrong bind_password: the pool does not open, with the server\'s reason', async () => {
    const pool = new Pool({ urls: [s.env.LDAP_URL!], size: 2, bindDn: s.env.LDAP_ADMIN_DN!, bindPassword: 'wrong', timeout: 5000 });
    await expect(pool.open()).rejects.toThrow(/InvalidCredentials/);
    await pool.close();
  });

  test('a wrong bind_password: the plugin does not load and says why', async () => {
    const conf = { 'auth.ldap.servers': '127.0.0.1', 'auth.ldap.port': s.env.LDAP_PORT!, 'auth.ldap.bind_dn': s.env.LDAP_ADMIN_DN!, 'auth.ldap.bind_password': 'wrong', 'auth.ldap.pool': '2' };
    writeFileSync(join(dir, 'emqx_auth_ldap.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
    const zone = defaultZone('external', { allowAnonymous: false });
    const node = await createBroker({
      logger: createLogger('error', () => undefined),
      sysInterval: 0,
      sysHeartbeat: 0,
      zones: { external: zone, default: zone },
      listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100 }],
      plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
    });
    try {
      await expect(node.plugins!.load('emqx_auth_ldap')).rejects.toThrow(/can't bind to LDAP server ldap:\/\/127\.0\.0\.1:\d+ as cn=admin,dc=example,dc=com: .*InvalidCredentials/);
      expect(node.registry.tapCount('emqx_auth_ldap')).toBe(0);
    } finally {
      await node.stop();
    }
  });

  test('no server listening: the plugin does not load', async () => {
    const pool = new Pool({ urls: ['ldap://127.0.0.1:1'], size: 1, bindDn: 'cn=x', bindPassword: 'x', timeout: 2000 });
    await expect(pool.open()).rejects.toThrow();
    await pool.close();
  });
});
