import { Binary } from 'mongodb';
import { backend } from '@nemq/sdk';
import { mongoSettings, payloadValue } from '../src/index';
import { duplicateAt, nextMsgId, toStoreError } from '../src/store';

describe('emqx_backend_mongo payloads', () => {
  test('mongo_json: a JSON object or array payload is stored as a document; other text as a string', () => {
    expect(payloadValue(Buffer.from('{"t": 21.5, "ok": true}'), true)).toEqual({ t: 21.5, ok: true });
    expect(payloadValue(Buffer.from('[1, 2]'), true)).toEqual([1, 2]);
    expect(payloadValue(Buffer.from('{"broken'), true)).toBe('{"broken');
    expect(payloadValue(Buffer.from('42'), true)).toBe('42');
  });

  test('plain_text: the text as a string', () => {
    expect(payloadValue(Buffer.from('{"t": 1}'), false)).toBe('{"t": 1}');
    expect(payloadValue(Buffer.from('h\u00e9llo'), false)).toBe('h\u00e9llo');
  });

  test('bytes that are not UTF-8 are stored as BSON binary, byte for byte', () => {
    const bytes = Buffer.from([0x00, 0xff, 0x80, 0x41]);
    const v = payloadValue(bytes, true);
    expect(v).toBeInstanceOf(Binary);
    expect(Buffer.from((v as Binary).buffer)).toEqual(bytes);
  });
});

describe('emqx_backend_mongo ids and errors', () => {
  test('mqtt_msg _id: integers that only grow', () => {
    const a = nextMsgId();
    const b = nextMsgId();
    expect(Number.isSafeInteger(a)).toBe(true);
    expect(b).toBeGreaterThan(a);
  });

  test('an ordered insert stopped by a duplicate _id (a batch written again) is found; other failures are not duplicates', () => {
    expect(duplicateAt({ code: 11000, writeErrors: [{ code: 11000, index: 3 }] })).toBe(3);
    expect(duplicateAt({ writeErrors: { err: { code: 11000, index: 0 } } })).toBe(0);
    expect(duplicateAt({ writeErrors: [{ code: 121, index: 0 }] })).toBeUndefined();
    expect(duplicateAt(new Error('connect ECONNREFUSED'))).toBeUndefined();
  });

  test('network failures are retried; a refused write is not', () => {
    expect(toStoreError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'MongoServerSelectionError' })).retry).toBe(true);
    expect(toStoreError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'MongoBulkWriteError' })).retry).toBe(true);
    expect(toStoreError(Object.assign(new Error('E11000 duplicate key'), { name: 'MongoServerError' })).retry).toBe(false);
    expect(toStoreError(new backend.StoreError('x', false)).retry).toBe(false);
  });
});

describe('emqx_backend_mongo options', () => {
  const keys = (o: Record<string, string | number | boolean>): Map<string, string | number | boolean> => new Map(Object.entries(o));

  test('single server, pool size, login, auth_source, modes, topology options', () => {
    const s = mongoSettings('pool1', keys({ server: '10.0.0.1:27017', c_pool_size: 4, database: 'iot', login: 'emqtt', password: 'pw', auth_source: 'admin', w_mode: 'unsafe', r_mode: 'master' }), { 'backend.mongo.topology.connect_timeout_ms': 2000, 'backend.mongo.topology.pool_size': 1 }, 3000);
    expect(s.uri).toBe('mongodb://10.0.0.1:27017/');
    expect(s.database).toBe('iot');
    expect(s.options).toMatchObject({ maxPoolSize: 4, directConnection: true, auth: { username: 'emqtt', password: 'pw' }, authSource: 'admin', writeConcern: { w: 0 }, readPreference: 'primary', connectTimeoutMS: 2000, serverSelectionTimeoutMS: 3000 });
  });

  test('replica set; bad hosts and unknown topology options are refused', () => {
    const rs = mongoSettings('pool2', keys({ type: 'rs', rs_set_name: 'r0', server: 'a:1,b:2' }), {}, 1000);
    expect(rs.uri).toBe('mongodb://a:1,b:2/');
    expect(rs.options.replicaSet).toBe('r0');
    expect(() => mongoSettings('pool1', keys({ server: 'mongodb://x' }), {}, 1000)).toThrow('backend.mongo.pool1.server: bad host');
    expect(() => mongoSettings('pool1', keys({ server: 'a:1' }), { 'backend.mongo.topology.nope': 1 }, 1000)).toThrow('backend.mongo.topology.nope: unknown topology option');
  });
});
