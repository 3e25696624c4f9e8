// emqx_auth_redis end to end against a real redis-server (test/services `redis`), the plugin
// loaded from plugins/emqx_auth_redis/dist (build first), driven by real mqtt.js clients.
import { Redis } from 'ioredis';
import { runAuthKit, storedHash, suback } from '../../../test/authkit';
import { freePort, startService, type Service } from '../../../test/services/index';
import { KIT_HASHES_REDIS, kitCommands, seedKit } from './seed';
import { tlsFront } from './tls';

jest.setTimeout(60_000);

const TITLE = 'Redis single';
let svc: Service;
let admin: Redis;

const errors = (n: { metrics: { snapshot(): Record<string, number> } }, kind: 'auth' | 'acl'): number => n.metrics.snapshot()[`client.${kind}.backend_error`] ?? 0;

async function connectAdmin(): Promise<void> {
  admin?.disconnect();
  admin = new Redis({ host: svc.env.REDIS_HOST!, port: Number(svc.env.REDIS_PORT), maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined); // reconnect noise while the server is down
  await admin.ping();
}

runAuthKit({
  plugin: 'emqx_auth_redis',
  title: TITLE,
  services: ['redis'],
  hashes: KIT_HASHES_REDIS,
  acl: 'allows',
  placeholders: true,
  superuser: true,
  async setup() {
    svc = await startService('redis');
    await connectAdmin();
    await seedKit(admin);
  },
  async teardown() {
    admin?.disconnect();
    await svc?.stop();
  },
  conf: (hash) => ({
    'auth.redis.type': 'single',
    'auth.redis.server': `${svc.env.REDIS_HOST}:${svc.env.REDIS_PORT}`,
    'auth.redis.database': '0',
    ...kitCommands(hash),
  }),
  down: () => svc.down(),
  // the service keeps no data across a restart (save ''): seed again
  up: async () => {
    await svc.up();
    await connectAdmin();
    await seedKit(admin);
  },
  extra(kit) {
    beforeAll(async () => {
      await admin.hset('mqtt_user:bob smith', { password: storedHash('sha256', 'pw', ''), is_superuser: '1' });
      await admin.hset('mqtt_user:dave', { password: storedHash('sha256', 'pw', ''), is_superuser: 'true' });
      await admin.set('mqtt_user:garbage', 'a string, not a hash');
      await admin.hset('mqtt_user:carol', { password: storedHash('sha256', 'pw', '') });
      await admin.hset('mqtt_acl:carol', { 'carol/#': 'lots' });
      await admin.hset('mqtt_user:erin', { password: storedHash('sha256', 'pw', '') });
      await admin.hset('mqtt_acl:erin', { 'erin/none': '0', 'erin/sub': '5' });
    });

    test(`${TITLE}: a username with spaces is one argument: the hash "mqtt_user:bob smith" is read, nothing else`, async () => {
      const url = kit.strict().url;
      const bob = await kit.clients.connected(url, { protocolVersion: 5, username: 'bob smith', password: 'pw' });
      expect(await suback(bob, 'secret/x')).toBe(1); // its is_superuser is 1
      // EMQX would send HMGET mqtt_user:alice password password here
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'alice password', password: 'public' })).toBe(0x87);
      expect(await admin.exists('mqtt_user:root')).toBe(1);
    });

    test(`${TITLE}: a key of the wrong type (WRONGTYPE) → 0x87 even with allow_anonymous, counted; a garbled ACL value → no opinion, counted`, async () => {
      const open = kit.open();
      const before = errors(open.node, 'auth');
      expect(await kit.clients.code(open.url, { protocolVersion: 5, username: 'garbage', password: 'x' })).toBe(0x87);
      expect(await kit.clients.code(open.url, { protocolVersion: 4, username: 'garbage', password: 'x' })).toBe(5);
      expect(errors(open.node, 'auth')).toBe(before + 2);
      const acl = errors(open.node, 'acl');
      const carol = await kit.clients.connected(open.url, { protocolVersion: 5, username: 'carol', password: 'pw' });
      expect(await suback(carol, 'carol/x')).toBe(0x87); // no opinion, acl_nomatch = deny
      expect(errors(open.node, 'acl')).toBe(acl + 1);
    });

    test(`${TITLE}: access bits: 0 allows nothing (deny, not "no opinion"), 5 has the subscribe bit`, async () => {
      const erin = await kit.clients.connected(kit.strict().url, { protocolVersion: 5, username: 'erin', password: 'pw' });
      expect(await suback(erin, 'erin/sub')).toBe(1);
      expect(await suback(erin, 'erin/none')).toBe(0x87);
    });

    test(`${TITLE}: superuser only when super_cmd answers "1"`, async () => {
      const dave = await kit.clients.connected(kit.strict().url, { protocolVersion: 5, username: 'dave', password: 'pw' });
      expect(await suback(dave, 'secret/plans')).toBe(0x87);
    });

    test(`${TITLE}: auth_cmd HGET (one string answer); super_cmd set empty and acl_cmd unset are left out`, async () => {
      await kit.reconfigure({ 'auth.redis.auth_cmd': 'HGET mqtt_user:%u password', 'auth.redis.super_cmd': '""', 'auth.redis.acl_cmd': undefined });
      try {
        const url = kit.strict().url;
        expect(await kit.clients.code(url, { protocolVersion: 5, username: 'alice', password: 'public' })).toBe(0);
        expect(await kit.clients.code(url, { protocolVersion: 5, username: 'alice', password: 'publik' })).toBe(0x87);
        const root = await kit.clients.connected(url, { protocolVersion: 5, username: 'root', password: 'rootpw' });
        // no super_cmd: root is no superuser; no acl_cmd: acl_nomatch (deny) decides
        expect(await suback(root, 'news/today')).toBe(0x87);
      } finally {
        await kit.reconfigure({});
      }
    });

    test(`${TITLE}: a Redis that does not answer (CLIENT PAUSE) → 0x87 after query_timeout (1s), not later`, async () => {
      const open = kit.open();
      const before = errors(open.node, 'auth');
      const pauser = new Redis({ host: svc.env.REDIS_HOST!, port: Number(svc.env.REDIS_PORT) });
      try {
        await pauser.call('CLIENT', 'PAUSE', '3000', 'ALL');
        const t0 = Date.now();
        expect(await kit.clients.code(open.url, { protocolVersion: 5, username: 'alice', clientId: 'kit-alice', password: 'public' })).toBe(0x87);
        const took = Date.now() - t0;
        expect(took).toBeGreaterThanOrEqual(900);
        expect(took).toBeLessThan(2500);
        expect(errors(open.node, 'auth')).toBe(before + 1);
      } finally {
        await pauser.call('CLIENT', 'UNPAUSE').catch(() => undefined);
        pauser.disconnect();
      }
      expect(await kit.clients.code(open.url, { protocolVersion: 5, username: 'alice', clientId: 'kit-alice', password: 'public' })).toBe(0);
    });

    test(`${TITLE}: TLS (ssl = on) through a TLS front: the CA and the name are checked with verify = true`, async () => {
      const front = await tlsFront(Number(svc.env.REDIS_PORT));
      const alice = { protocolVersion: 5 as const, username: 'alice', clientId: 'kit-alice', password: 'public' };
      const tlsConf = { 'auth.redis.ssl': 'on', 'auth.redis.ssl.cacertfile': front.ca, 'auth.redis.ssl.verify': 'true' };
      try {
        await kit.reconfigure({ ...tlsConf, 'auth.redis.server': `localhost:${front.port}` });
        expect(await kit.clients.code(kit.strict().url, alice)).toBe(0);
        // the certificate is for localhost, not 127.0.0.1 ...
        await expect(kit.reconfigure({ ...tlsConf, 'auth.redis.server': `127.0.0.1:${front.port}` })).rejects.toThrow(/can't query Redis.*altnames/);
        // ... unless the name to check is given
        await kit.reconfigure({ ...tlsConf, 'auth.redis.server': `127.0.0.1:${front.port}`, 'auth.redis.ssl.server_name_indication': 'localhost' });
        expect(await kit.clients.code(kit.strict().url, alice)).toBe(0);
        // a CA that did not sign it
        await expect(kit.reconfigure({ ...tlsConf, 'auth.redis.ssl.cacertfile': front.otherCa, 'auth.redis.server': `localhost:${front.port}` })).rejects.toThrow(/can't query Redis.*certificate/);
        // verify = false takes any certificate
        await kit.reconfigure({ ...tlsConf, 'auth.redis.ssl.cacertfile': front.otherCa, 'auth.redis.ssl.verify': 'false', 'auth.redis.server': `localhost:${front.port}` });
        expect(await kit.clients.code(kit.strict().url, alice)).toBe(0);
        // plain TCP to a TLS port gets no answer: loading fails
        await expect(kit.reconfigure({ 'auth.redis.server': `127.0.0.1:${front.port}` })).rejects.toThrow(/can't query Redis/);
      } finally {
        await kit.reconfigure({}).catch(() => undefined);
        await kit.reconfigure({});
        await front.close();
      }
    });

    test(`${TITLE}: nothing listening → the reload fails within query_timeout (1s) and the running instance stays`, async () => {
      const port = await freePort();
      const t0 = Date.now();
      try {
        await expect(kit.reconfigure({ 'auth.redis.server': `127.0.0.1:${port}` })).rejects.toThrow(/can't query Redis \(single 127.0.0.1:\d+\): not ready within 1000 ms \(.*ECONNREFUSED/);
        expect(Date.now() - t0).toBeLessThan(3000);
        // the kernel keeps the previous instance: its auth and ACL taps still answer
        expect(kit.strict().node.registry.tapCount('emqx_auth_redis')).toBe(2);
        expect(await kit.clients.code(kit.strict().url, { protocolVersion: 5, username: 'alice', password: 'public' })).toBe(0);
      } finally {
        await kit.reconfigure({}).catch(() => undefined);
        await kit.reconfigure({});
      }
      expect(await kit.clients.code(kit.strict().url, { protocolVersion: 5, username: 'alice', password: 'public' })).toBe(0);
    });

    test(`${TITLE}: auth.redis.username + password log in as a Redis ACL user; a wrong one makes the reload fail`, async () => {
      try {
        await kit.reconfigure({ 'auth.redis.username': svc.env.REDIS_USER!, 'auth.redis.password': svc.env.REDIS_PASSWORD! });
        expect(await kit.clients.code(kit.strict().url, { protocolVersion: 5, username: 'alice', password: 'public' })).toBe(0);
        await expect(kit.reconfigure({ 'auth.redis.username': svc.env.REDIS_USER!, 'auth.redis.password': 'nope' })).rejects.toThrow(/can't query Redis.*WRONGPASS/);
      } finally {
        await kit.reconfigure({}).catch(() => undefined);
        await kit.reconfigure({});
      }
    });

    test(`${TITLE}: auth.redis.password wrong → the plugin does not load, with Redis's reason`, async () => {
      await admin.call('CONFIG', 'SET', 'requirepass', 's3cret');
      try {
        await expect(kit.reconfigure({ 'auth.redis.password': 'wrong' })).rejects.toThrow(/can't query Redis.*(WRONGPASS|invalid)/);
        await kit.reconfigure({ 'auth.redis.password': 's3cret' });
        expect(await kit.clients.code(kit.strict().url, { protocolVersion: 5, username: 'alice', password: 'public' })).toBe(0);
      } finally {
        await admin.call('AUTH', 's3cret').catch(() => undefined);
        await admin.call('CONFIG', 'SET', 'requirepass', '');
        await kit.reconfigure({}).catch(() => undefined);
        await kit.reconfigure({});
      }
    });
  },
});
