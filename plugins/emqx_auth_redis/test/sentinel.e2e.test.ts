// emqx_auth_redis with auth.redis.type = sentinel against real Redis processes (test/services
// `redis-sentinel`: a master, its replica, three `redis-server --sentinel`). The plugin asks the
// sentinels for master `mymaster`; killing the master makes them promote the replica, and
// logins work again without touching the broker.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runAuthKit, suback } from '../../../test/authkit';
import { startService, type Service } from '../../../test/services/index';
import { KIT_HASHES_REDIS, kitCommands, seedKit } from './seed';

jest.setTimeout(90_000);

const TITLE = 'Redis Sentinel';
let svc: Service;
let admin: Redis;

async function seed(): Promise<void> {
  admin?.disconnect();
  admin = new Redis({ host: svc.env.REDIS_HOST!, port: Number(svc.env.REDIS_MASTER_PORT), maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  await seedKit(admin);
  // the replica has it all before anything can fail over to it
  expect(await admin.call('WAIT', '1', '5000')).toBe(1);
}

runAuthKit({
  plugin: 'emqx_auth_redis',
  title: TITLE,
  services: ['redis-sentinel'],
  hashes: KIT_HASHES_REDIS,
  acl: 'allows',
  placeholders: true,
  superuser: true,
  async setup() {
    svc = await startService('redis-sentinel');
    await seed();
  },
  async teardown() {
    admin?.disconnect();
    await svc?.stop();
  },
  conf: (hash) => ({
    'auth.redis.type': 'sentinel',
    'auth.redis.server': svc.env.REDIS_SENTINELS!,
    'auth.redis.sentinel': svc.env.REDIS_MASTER_NAME!,
    ...kitCommands(hash),
  }),
  // all five processes stop; they start again as master, replica and sentinels, without data
  down: () => svc.down(),
  up: async () => {
    await svc.up();
    await seed();
  },
  extra(kit) {
    test(`${TITLE}: a wrong master name → the plugin does not load`, async () => {
      await expect(kit.reconfigure({ 'auth.redis.sentinel': 'nosuchmaster' })).rejects.toThrow(/can't query Redis/);
      await kit.reconfigure({});
      expect(await kit.clients.code(kit.strict().url, { protocolVersion: 5, username: 'alice', password: 'public' })).toBe(0);
    });

    test(`${TITLE}: the master is killed → sentinels promote the replica → logins work again, ACL too`, async () => {
      const url = kit.strict().url;
      const alice = { protocolVersion: 5 as const, username: 'alice', clientId: 'kit-alice', password: 'public' };
      expect(await kit.clients.code(url, alice)).toBe(0);
      const sentinel = new Redis({ host: svc.env.REDIS_HOST!, port: Number(svc.env.REDIS_SENTINELS!.split(',')[0]!.split(':')[1]) });
      try {
        const masterPid = Number(readFileSync(join(svc.dir, 'redis-sentinel.pid'), 'utf8').trim());
        admin.disconnect();
        process.kill(masterPid, 'SIGKILL');
        // while there is no master, logins fail (0x87), never succeed without a check
        let code = await kit.clients.code(url, alice);
        const t0 = Date.now();
        while (code !== 0 && Date.now() - t0 < 30_000) {
          expect(code).toBe(0x87);
          await new Promise((r) => setTimeout(r, 200));
          code = await kit.clients.code(url, alice);
        }
        expect(code).toBe(0);
        const addr = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) as string[];
        expect(addr[1]).toBe(svc.env.REDIS_REPLICA_PORT);
        expect(await kit.clients.code(url, { ...alice, password: 'publik' })).toBe(0x87);
        const c = await kit.clients.connected(url, alice);
        expect(await suback(c, 'news/today')).toBe(1);
        expect(await suback(c, 'secret/plans')).toBe(0x87);
      } finally {
        sentinel.disconnect();
      }
    });
  },
});
