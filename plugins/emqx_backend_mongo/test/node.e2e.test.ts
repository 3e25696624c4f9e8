// emqx_backend_mongo in a real node (bin/emqx, the shipped conf, EMQX_BACKEND__MONGO__POOL1__*
// overrides, bin/emqx_ctl plugins load) against CongoDB, the MongoDB stand-in of test/services.
import { MongoClient } from 'mongodb';
import { runNodeCheck } from '../../../test/backendkit/node';

jest.setTimeout(60_000);

runNodeCheck({
  plugin: 'emqx_backend_mongo',
  command: 'backend_mongo',
  title: 'MongoDB (CongoDB stand-in)',
  service: 'mongo',
  env: (svc) => ({ EMQX_BACKEND__MONGO__POOL1__SERVER: `${svc.env.MONGO_HOST}:${svc.env.MONGO_PORT}`, EMQX_BACKEND__MONGO__POOL1__DATABASE: 'mqtt' }),
  async setup(svc) {
    const client = new MongoClient(svc.env.MONGO_URL!, { directConnection: true, serverSelectionTimeoutMS: 5000 });
    await client.connect();
    const db = client.db('mqtt');
    return {
      online: async (id) => (await db.collection('mqtt_client').countDocuments({ clientid: id, state: 1 })) === 1,
      // the shipped rules store with payload_format = mongo_json: this text payload is a string
      messages: async (t) => (await db.collection('mqtt_msg').find({ topic: t }).toArray()).map((d) => ({ sender: String(d.sender), qos: Number(d.qos), payload: String(d.payload) })),
      close: () => client.close(),
    };
  },
});
