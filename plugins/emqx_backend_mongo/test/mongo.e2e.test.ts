// emqx_backend_mongo end to end through the shared data persistence kit (test/backendkit),
// against CongoDB, the MongoDB wire-protocol stand-in of test/services (no real mongod can run
// here). The plugin is loaded from plugins/emqx_backend_mongo/dist (build first).
import { Binary, MongoClient, type Db, type Document } from 'mongodb';
import { runBackendKit, type KitDb } from '../../../test/backendkit/index';
import type { Service } from '../../../test/services/index';

jest.setTimeout(60_000);

const COLLECTIONS = ['mqtt_client', 'mqtt_sub', 'mqtt_msg', 'mqtt_retain', 'mqtt_acked', 'rule_out'];
const bytes = (v: unknown): Buffer => (v instanceof Binary ? Buffer.from(v.buffer) : typeof v === 'string' ? Buffer.from(v) : Buffer.from(JSON.stringify(v)));
const msg = (d: Document, retain?: boolean) => ({ msgid: String(d.msgid), topic: String(d.topic), sender: String(d.sender), qos: Number(d.qos), retain: retain ?? d.retain === true, payload: bytes(d.payload) });

class MongoKitDb implements KitDb {
  constructor(private readonly mc: MongoClient, private readonly db: Db) {}
  async reset(): Promise<void> {
    for (const c of COLLECTIONS) await this.db.collection(c).deleteMany({});
  }
  async client(clientid: string) {
    const d = await this.db.collection('mqtt_client').findOne({ clientid });
    return d ? { state: Number(d.state), node: String(d.node), online: typeof d.online_at === 'number', offline: typeof d.offline_at === 'number' } : undefined;
  }
  async messages(topic: string) {
    return (await this.db.collection('mqtt_msg').find({ topic }).sort({ _id: 1 }).toArray()).map((d) => msg(d));
  }
  async retained(topic: string) {
    const d = await this.db.collection('mqtt_retain').findOne({ topic });
    return d ? msg(d, true) : undefined;
  }
  async acked(clientid: string, topic: string) {
    const a = await this.db.collection('mqtt_acked').findOne({ clientid, topic });
    if (!a) return undefined;
    return typeof a.msgid === 'string' ? a.msgid : '';
  }
  async addSub(clientid: string, topic: string, qos: number): Promise<void> {
    await this.db.collection('mqtt_sub').insertOne({ clientid, topic, qos });
  }
  async subs(clientid: string) {
    return (await this.db.collection('mqtt_sub').find({ clientid }).toArray()).map((d) => ({ topic: String(d.topic), qos: Number(d.qos) }));
  }
  async ruleRows() {
    return (await this.db.collection('rule_out').find({}).sort({ _id: 1 }).toArray()).map((d) => ({ clientid: String(d.clientid), x: Number(d.x) }));
  }
  async close(): Promise<void> {
    await this.mc.close();
  }
}

runBackendKit({
  plugin: 'emqx_backend_mongo',
  prefix: 'backend.mongo',
  command: 'backend_mongo',
  title: 'MongoDB (CongoDB stand-in)',
  service: 'mongo',
  sql: false,
  // CongoDB hands BSON binary back as base64 text: binary payloads are unit-tested only
  binary: false,
  forgetsOnRestart: 'CongoDB saves its files lazily and replaces integer _ids, so around its restart it can lose documents it took and keep a batch written again twice',
  rule: {
    resourceType: 'backend_mongo_single',
    action: 'data_to_mongo',
    resource: (svc: Service) => ({ server: `${svc.env.MONGO_HOST}:${svc.env.MONGO_PORT}`, database: 'mqtt', pool_size: 2 }),
    params: { collection: 'rule_out', payload_tmpl: '{"clientid": "${clientid}", "x": ${x}}' },
  },
  pool: (svc: Service) => ({
    type: 'single',
    server: `${svc.env.MONGO_HOST}:${svc.env.MONGO_PORT}`,
    c_pool_size: '4',
    database: 'mqtt',
  }),
  connect: async (svc: Service) => {
    const client = new MongoClient(svc.env.MONGO_URL!, { directConnection: true, serverSelectionTimeoutMS: 5000 });
    await client.connect();
    return new MongoKitDb(client, client.db('mqtt'));
  },
});
