// emqx_auth_redis with auth.redis.type = cluster against three real `redis-server --cluster-enabled
// yes` masters (test/services `redis-cluster`). A user's mqtt_user:<name> and mqtt_acl:<name>
// hash to different slots, so one login and its ACL checks go to different nodes.
import { Cluster } from 'ioredis';
import { runAuthKit, suback } from '../../../test/authkit';
import { startService, type Service } from '../../../test/services/index';
import { KIT_HASHES_REDIS, kitCommands, seedKit } from './seed';

jest.setTimeout(60_000);

const TITLE = 'Redis Cluster';
let svc: Service;
let admin: Cluster;

const nodes = (): { host: string; port: number }[] =>
  svc.env.REDIS_CLUSTER_NODES!.split(',').map((s) => ({ host: s.split(':')[0]!, port: Number(s.split(':')[1]) }));

async function connectAdmin(): Promise<void> {
  admin?.disconnect();
  admin = new Cluster(nodes(), { redisOptions: { maxRetriesPerRequest: 1 } });
  admin.on('error', () => undefined); // reconnect noise while the cluster is down
  await admin.ping();
}

runAuthKit({
  plugin: 'emqx_auth_redis',
  title: TITLE,
  services: ['redis-cluster'],
  hashes: KIT_HASHES_REDIS,
  acl: 'allows',
  placeholders: true,
  superuser: true,
  async setup() {
    svc = await startService('redis-cluster');
    await connectAdmin();
    await seedKit(admin);
  },
  async teardown() {
    admin?.disconnect();
    await svc?.stop();
  },
  conf: (hash) => ({
    'auth.redis.type': 'cluster',
    'auth.redis.server': svc.env.REDIS_CLUSTER_NODES!,
    ...kitCommands(hash),
  }),
  down: () => svc.down(),
  // the nodes keep no data across a restart (save ''), only their cluster config: seed again
  up: async () => {
    await svc.up();
    await connectAdmin();
    await seedKit(admin);
  },
  extra(kit) {
    test(`${TITLE}: alice's user and ACL hashes live on different nodes, and both are read`, async () => {
      const slots = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const nodeOf = async (key: string): Promise<number> => {
        const slot = (await admin.call('CLUSTER', 'KEYSLOT', key)) as number;
        return slots.find(([lo, hi]) => slot >= lo && slot <= hi)![2][1];
      };
      expect(await nodeOf('mqtt_user:alice')).not.toBe(await nodeOf('mqtt_acl:alice'));
      const c = await kit.clients.connected(kit.strict().url, { protocolVersion: 5, username: 'alice', clientId: 'kit-alice', password: 'public' });
      expect(await suback(c, 'news/today')).toBe(1);
      expect(await suback(c, 'client/kit-alice/x')).toBe(1);
      expect(await suback(c, 'secret/plans')).toBe(0x87);
    });

    test(`${TITLE}: only the first seed node is given: the plugin finds the others`, async () => {
      await kit.reconfigure({ 'auth.redis.server': svc.env.REDIS_CLUSTER_NODES!.split(',')[0]! });
      try {
        const c = await kit.clients.connected(kit.strict().url, { protocolVersion: 5, username: 'alice', clientId: 'kit-alice', password: 'public' });
        expect(await suback(c, 'news/today')).toBe(1);
      } finally {
        await kit.reconfigure({});
      }
    });
  },
});
