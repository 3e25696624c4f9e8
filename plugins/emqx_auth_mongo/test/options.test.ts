// How auth.mongo.* becomes the driver's connection string and options. SCRAM login cannot be
// tested end to end here (the CongoDB stand-in has no auth), so these pin what the driver gets.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { readPluginConf } from '../../../packages/kernel/src/plugins/conf';
import { schema } from '../src/index';
import { clientSettings, DEFAULT_QUERY_TIMEOUT } from '../src/options';

describe('clientSettings', () => {
  test('defaults: one server, direct connection, pool 8, database mqtt, no credentials, 15 s', () => {
    const s = clientSettings({ 'auth.mongo.type': 'single', 'auth.mongo.server': '127.0.0.1:27017', 'auth.mongo.pool': 8 });
    expect(s.uri).toBe('mongodb://127.0.0.1:27017/');
    expect(s.database).toBe('mqtt');
    expect(s.queryTimeout).toBe(DEFAULT_QUERY_TIMEOUT);
    expect(s.options).toMatchObject({ directConnection: true, maxPoolSize: 8, serverSelectionTimeoutMS: 15_000 });
    expect(s.options.auth).toBeUndefined();
    expect(s.options.tls).toBeUndefined();
  });

  test('rs: every server of the comma list, the replica set name', () => {
    const s = clientSettings({ 'auth.mongo.type': 'rs', 'auth.mongo.rs_set_name': 'rs0', 'auth.mongo.server': '10.0.0.1:27017, 10.0.0.2:27018,[::1]:27019' });
    expect(s.uri).toBe('mongodb://10.0.0.1:27017,10.0.0.2:27018,[::1]:27019/');
    expect(s.options.replicaSet).toBe('rs0');
    expect(s.options.directConnection).toBeUndefined();
  });

  test('sharded: neither direct nor a replica set', () => {
    const s = clientSettings({ 'auth.mongo.type': 'sharded', 'auth.mongo.server': 'a:1,b:2' });
    expect(s.options.directConnection).toBeUndefined();
    expect(s.options.replicaSet).toBeUndefined();
  });

  test('SCRAM: username (or the older login), password, auth_source go to the driver, not the URI', () => {
    const s = clientSettings({ 'auth.mongo.server': 'h:1', 'auth.mongo.login': 'old', 'auth.mongo.username': 'emqx', 'auth.mongo.password': 'p@ss:/w', 'auth.mongo.auth_source': 'admin' });
    expect(s.options.auth).toEqual({ username: 'emqx', password: 'p@ss:/w' });
    expect(s.options.authSource).toBe('admin');
    expect(s.uri).not.toContain('p@ss');
    const old = clientSettings({ 'auth.mongo.server': 'h:1', 'auth.mongo.login': 'old', 'auth.mongo.password': 'x' });
    expect(old.options.auth).toEqual({ username: 'old', password: 'x' });
    expect(old.options.authSource).toBe('mqtt');
    // the driver accepts them: it builds its credentials (SCRAM chosen by the server's hello)
    const c = new MongoClient(s.uri, s.options);
    expect(c.options.credentials?.username).toBe('emqx');
    expect(c.options.credentials?.password).toBe('p@ss:/w');
    expect(c.options.credentials?.source).toBe('admin');
  });

  test('no username: no credentials even with a password', () => {
    expect(clientSettings({ 'auth.mongo.server': 'h:1', 'auth.mongo.password': 'x' }).options.auth).toBeUndefined();
  });

  test('query_timeout bounds server selection; topology options are renamed; unknown ones refused', () => {
    const s = clientSettings({
      'auth.mongo.server': 'h:1',
      'auth.mongo.query_timeout': 2000,
      'auth.mongo.topology.connect_timeout_ms': '20000',
      'auth.mongo.topology.heartbeat_frequency_ms': '10000',
      'auth.mongo.topology.pool_size': '1',
      'auth.mongo.topology.max_overflow': '0',
    });
    expect(s.queryTimeout).toBe(2000);
    expect(s.options).toMatchObject({ serverSelectionTimeoutMS: 2000, connectTimeoutMS: 20000, heartbeatFrequencyMS: 10000 });
    expect(Object.keys(s.options)).not.toContain('pool_size');
    const t = clientSettings({ 'auth.mongo.server': 'h:1', 'auth.mongo.topology.server_selection_timeout_ms': '300' });
    expect(t.options.serverSelectionTimeoutMS).toBe(300);
    expect(() => clientSettings({ 'auth.mongo.server': 'h:1', 'auth.mongo.topology.bogus': '1' })).toThrow(/unknown topology/);
  });

  test('w_mode / r_mode', () => {
    const s = clientSettings({ 'auth.mongo.server': 'h:1', 'auth.mongo.w_mode': 'safe', 'auth.mongo.r_mode': 'slave_ok' });
    expect(s.options.writeConcern).toEqual({ w: 1 });
    expect(s.options.readPreference).toBe('secondaryPreferred');
    const u = clientSettings({ 'auth.mongo.server': 'h:1', 'auth.mongo.w_mode': 'unsafe', 'auth.mongo.r_mode': 'master' });
    expect(u.options.writeConcern).toEqual({ w: 0 });
    expect(u.options.readPreference).toBe('primary');
    const n = clientSettings({ 'auth.mongo.server': 'h:1', 'auth.mongo.w_mode': 'undef', 'auth.mongo.r_mode': 'undef' });
    expect(n.options.writeConcern).toBeUndefined();
    expect(n.options.readPreference).toBeUndefined();
  });

  test('ssl = on: files read, verify and server_name_indication', () => {
    const d = mkdtempSync(join(tmpdir(), 'mongo-tls-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(d, f), `-- ${f} --`);
    const base = { 'auth.mongo.server': 'h:1', 'auth.mongo.ssl': 'on', 'auth.mongo.ssl.cacertfile': join(d, 'ca.pem'), 'auth.mongo.ssl.certfile': join(d, 'cert.pem'), 'auth.mongo.ssl.keyfile': join(d, 'key.pem') };
    const s = clientSettings({ ...base, 'auth.mongo.ssl.verify': true, 'auth.mongo.ssl.server_name_indication': 'db.example' });
    expect(s.options.tls).toBe(true);
    expect(String(s.options.ca)).toBe('-- ca.pem --');
    expect(String(s.options.cert)).toBe('-- cert.pem --');
    expect(String(s.options.key)).toBe('-- key.pem --');
    expect(s.options.rejectUnauthorized).toBe(true);
    expect(s.options.servername).toBe('db.example');
    const v = clientSettings({ ...base, 'auth.mongo.ssl.verify': false, 'auth.mongo.ssl.server_name_indication': 'disable' });
    expect(v.options.rejectUnauthorized).toBe(false);
    expect(v.options.checkServerIdentity).toBeInstanceOf(Function);
    expect(clientSettings(base).options.servername).toBeUndefined();
    // the driver takes them as its TLS options
    const m = new MongoClient(s.uri, s.options);
    expect(m.options.tls).toBe(true);
    expect((m.options as unknown as { rejectUnauthorized: boolean }).rejectUnauthorized).toBe(true);
    const mv = new MongoClient(v.uri, v.options).options as unknown as { rejectUnauthorized: boolean; checkServerIdentity: unknown };
    expect(mv.rejectUnauthorized).toBe(false);
    expect(mv.checkServerIdentity).toBeInstanceOf(Function);
    expect(clientSettings({ ...base, 'auth.mongo.ssl': 'off' }).options.tls).toBeUndefined();
    // the 4.0–4.2 form reads ssl_opts.*
    const old = clientSettings({ 'auth.mongo.server': 'h:1', 'auth.mongo.ssl': 'true', 'auth.mongo.ssl_opts.cacertfile': join(d, 'ca.pem') });
    expect(String(old.options.ca)).toBe('-- ca.pem --');
  });

  test('bad values are refused', () => {
    expect(() => clientSettings({ 'auth.mongo.server': '' })).toThrow(/empty/);
    expect(() => clientSettings({ 'auth.mongo.server': 'a b:1' })).toThrow(/bad host/);
    expect(() => clientSettings({ 'auth.mongo.server': 'h:1', 'auth.mongo.pool': 0 })).toThrow(/pool/);
  });
});

describe('the shipped etc/emqx_auth_mongo.conf', () => {
  test('reads without problems and gives the EMQX defaults', () => {
    const file = join(__dirname, '../etc/emqx_auth_mongo.conf');
    const { values, problems } = readPluginConf(readFileSync(file, 'utf8'), file, schema);
    expect(problems).toEqual([]);
    const s = clientSettings(values);
    expect(s.uri).toBe('mongodb://127.0.0.1:27017/');
    expect(s.options).toMatchObject({ directConnection: true, maxPoolSize: 8 });
    expect(values['auth.mongo.acl_query.collection']).toBe('mqtt_acl');
    expect(values['auth.mongo.auth_query.password_hash']).toBe('sha256');
  });
});
