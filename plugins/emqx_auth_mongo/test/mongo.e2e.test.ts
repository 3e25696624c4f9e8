// emqx_auth_mongo end to end against CongoDB, the MongoDB wire-protocol stand-in of
// test/services (no real mongod can run here; CongoDB has no SCRAM auth and no unique indexes,
// so MongoDB login is covered by the unit tests of the driver options only). The plugin is
// loaded from plugins/emqx_auth_mongo/dist (build first), driven by real mqtt.js clients.
import { MongoClient, type Db } from 'mongodb';
import { KIT_ALLOWS, KIT_HASH_USERS, KIT_USERS, runAuthKit, storedHash, suback } from '../../../test/authkit';
import { startService, type Service } from '../../../test/services/index';

jest.setTimeout(60_000);

const TITLE = 'MongoDB (CongoDB stand-in: no SCRAM auth)';
const salted = (hash: string): boolean => hash.includes('salt') || hash.startsWith('pbkdf2');
const ACCESS = { subscribe: 'subscribe', publish: 'publish', pubsub: 'pubsub' } as const;

let svc: Service;
let client: MongoClient;
let db: Db;

async function connectAdmin(): Promise<void> {
  client = new MongoClient(svc.env.MONGO_URL!, { directConnection: true, serverSelectionTimeoutMS: 5000 });
  await client.connect();
  db = client.db('mqtt');
}

runAuthKit({
  plugin: 'emqx_auth_mongo',
  title: TITLE,
  services: ['mongo'],
  hashes: ['plain', 'md5', 'sha', 'sha256', 'sha512', 'bcrypt', 'salt,sha256', 'sha256,salt', 'salt,md5', 'pbkdf2,sha256,1000,20'],
  acl: 'allows',
  placeholders: true,
  superuser: true,
  async setup() {
    svc = await startService('mongo');
    await connectAdmin();
    const users = db.collection('mqtt_user');
    for (const u of KIT_USERS) {
      await users.insertOne({ username: u.username, password: storedHash('sha256', u.password, ''), is_superuser: u.superuser === true });
    }
    for (const u of KIT_HASH_USERS) await users.insertOne({ username: u.username, password: u.stored, salt: u.salt });
    // KIT_ALLOWS for alice, as one document with the three lists
    const lists: Record<string, string[]> = { publish: [], subscribe: [], pubsub: [] };
    for (const a of KIT_ALLOWS) lists[ACCESS[a.access]]!.push(a.topic);
    await db.collection('mqtt_acl').insertOne({ username: 'alice', ...lists });
  },
  async teardown() {
    await client?.close().catch(() => undefined);
    await svc?.stop();
  },
  conf: (hash) => ({
    'auth.mongo.type': 'single',
    'auth.mongo.server': `${svc.env.MONGO_HOST}:${svc.env.MONGO_PORT}`,
    'auth.mongo.pool': '4',
    'auth.mongo.database': 'mqtt',
    'auth.mongo.query_timeout': '1s',
    'auth.mongo.auth_query.collection': 'mqtt_user',
    'auth.mongo.auth_query.password_field': salted(hash) ? 'password,salt' : 'password',
    'auth.mongo.auth_query.password_hash': hash,
    'auth.mongo.auth_query.selector': 'username=%u',
    'auth.mongo.super_query.collection': 'mqtt_user',
    'auth.mongo.super_query.super_field': 'is_superuser',
    'auth.mongo.super_query.selector': 'username=%u',
    'auth.mongo.acl_query.collection': 'mqtt_acl',
    'auth.mongo.acl_query.selector': 'username=%u',
  }),
  down: () => svc.down(),
  up: () => svc.up(),
  extra(kit) {
    beforeAll(async () => {
      // the backend-failure test restarted the server: a fresh admin connection
      await client.close().catch(() => undefined);
      await connectAdmin();
      await db.collection('mqtt_user').insertMany([
        { username: 'carol', clientid: 'carol-1', password: storedHash('sha256', 'pw', ''), is_superuser: false },
        { username: 'dave', password: storedHash('sha256', 'pw', ''), is_superuser: 'true' },
        { username: 'nopass' },
        // documents whose username is an injection attempt, stored as the literal text
        { username: '{"$ne": null}', password: storedHash('sha256', 'literal', '') },
        { username: '$where', password: storedHash('sha256', 'literal', '') },
      ]);
      await db.collection('mqtt_acl').insertMany([
        { username: 'carol', clientid: 'carol-1', subscribe: ['carol/%c/#'] },
        { username: '$all', publish: ['everyone/#'] },
        { username: 'bad', subscribe: 'not-a-list', pubsub: ['not-a-list'] },
      ]);
    });

    test(`${TITLE}: selector username=%u, clientid=%c matches only that pair`, async () => {
      await kit.reconfigure({ 'auth.mongo.auth_query.selector': 'username=%u, clientid=%c' });
      const url = kit.strict().url;
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'carol', clientId: 'carol-1', password: 'pw' })).toBe(0);
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'carol', clientId: 'carol-2', password: 'pw' })).toBe(0x87);
      // alice's document has no clientid field: with this selector she is unknown
      expect(await kit.clients.code(url, { protocolVersion: 4, username: 'alice', clientId: 'kit-alice', password: 'public' })).toBe(5);
      await kit.reconfigure({});
    });

    test(`${TITLE}: ACL selectors .selector.1 (username=%u, clientid=%c) and .selector.2 (username=$all) are joined`, async () => {
      await kit.reconfigure({
        'auth.mongo.acl_query.selector': undefined,
        'auth.mongo.acl_query.selector.1': 'username=%u,clientid=%c',
        'auth.mongo.acl_query.selector.2': 'username=$all',
      });
      try {
        const c = await kit.clients.connected(kit.strict().url, { protocolVersion: 5, username: 'carol', clientId: 'carol-1', password: 'pw' });
        expect(await suback(c, 'carol/carol-1/x')).toBe(1);
        expect(await suback(c, 'carol/other/x')).toBe(0x87);
        // everyone/# is a publish list of the $all document: not a subscribe permission
        expect(await suback(c, 'everyone/x')).toBe(0x87);
      } finally {
        await kit.reconfigure({});
      }
    });

    test(`${TITLE}: password_field = password,salt reads the salt from the document`, async () => {
      await db.collection('mqtt_user').insertOne({ username: 'salty', password: storedHash('salt,sha256', 'pw', 'pepper'), pwsalt: 'pepper' });
      await kit.reconfigure({ 'auth.mongo.auth_query.password_field': 'password,pwsalt', 'auth.mongo.auth_query.password_hash': 'salt,sha256' });
      try {
        const url = kit.strict().url;
        expect(await kit.clients.code(url, { protocolVersion: 5, username: 'salty', password: 'pw' })).toBe(0);
        expect(await kit.clients.code(url, { protocolVersion: 5, username: 'salty', password: 'pepper' })).toBe(0x87);
      } finally {
        await kit.reconfigure({});
      }
    });

    test(`${TITLE}: injection usernames are compared as literal strings, never as operators`, async () => {
      const url = kit.strict().url;
      // {"$ne": null} is not parsed: it finds only the document with that literal username
      expect(await kit.clients.code(url, { protocolVersion: 5, username: '{"$ne": null}', password: 'public' })).toBe(0x87);
      expect(await kit.clients.code(url, { protocolVersion: 5, username: '{"$ne": null}', password: 'literal' })).toBe(0);
      expect(await kit.clients.code(url, { protocolVersion: 5, username: '$where', password: 'rootpw' })).toBe(0x87);
      expect(await kit.clients.code(url, { protocolVersion: 5, username: '$where', password: 'literal' })).toBe(0);
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'this.username == "root" || true', password: 'rootpw' })).toBe(0x87);
      // the collections are untouched
      expect(await db.collection('mqtt_user').countDocuments({ username: 'root' })).toBe(1);
    });

    test(`${TITLE}: superuser only when the field is the boolean true; a document without password → refused`, async () => {
      const url = kit.strict().url;
      const dave = await kit.clients.connected(url, { protocolVersion: 5, username: 'dave', password: 'pw' });
      expect(await suback(dave, 'secret/plans')).toBe(0x87); // is_superuser "true" (a string) is not true
      // EMQX's password_error: 0x86 bad user name or password on v5, 4 on v3.1.1, even with allow_anonymous
      expect(await kit.clients.code(url, { protocolVersion: 5, username: 'nopass', password: 'x' })).toBe(0x86);
      expect(await kit.clients.code(url, { protocolVersion: 4, username: 'nopass', password: 'x' })).toBe(4);
      expect(await kit.clients.code(kit.open().url, { protocolVersion: 5, username: 'nopass', password: 'x' })).toBe(0x86);
    });

    test(`${TITLE}: a malformed ACL document gives no opinion (acl_nomatch = deny decides); a $-username is not checked`, async () => {
      await db.collection('mqtt_acl').insertOne({ username: '$bridge', subscribe: ['news/#'] });
      const dollar = await kit.clients.connected(kit.open().url, { protocolVersion: 5, username: '$bridge' });
      expect(await suback(dollar, 'news/today')).toBe(0x87); // its document would allow it: not asked, acl_nomatch = deny
      // the document's pubsub list would allow the topic, but its subscribe field is garbage: no opinion
      const bad = await kit.clients.connected(kit.open().url, { protocolVersion: 5, username: 'bad' });
      expect(await suback(bad, 'not-a-list')).toBe(0x87);
    });
  },
});
