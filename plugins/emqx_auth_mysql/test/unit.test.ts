// The pure parts of emqx_auth_mysql: query placeholders, ACL rows, auth outcomes over a fake
// database, conf schema and pool settings. The real-MariaDB behaviour is in mysql.e2e.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bindValues } from '@nemq/sdk';
import { parseServer } from '../src/db';
import plugin, { dbOptions, schema, DEFAULT_QUERY_TIMEOUT } from '../src/index';
import { parseQuery } from '../src/sql';


describe("placeholders: only '%x' inside single quotes become ? bind parameters (parse_query)", () => {
  test('the shipped queries', () => {
    expect(parseQuery("select password from mqtt_user where username = '%u' limit 1")).toEqual({
      sql: 'select password from mqtt_user where username = ? limit 1',
      params: ['%u'],
    });
    const acl = parseQuery(
      "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'",
    );
    expect(acl.sql).toBe("select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = ? or username = ? or username = '$all' or clientid = ?");
    expect(acl.params).toEqual(['%a', '%u', '%c']);
  });

  test('%C and %d; unquoted or double-quoted placeholders and %P stay as written', () => {
    const q = parseQuery(`select password from t where cn = '%C' and dn = '%d' and x = "%u" and y = %c and p = '%P'`);
    expect(q.sql).toBe(`select password from t where cn = ? and dn = ? and x = "%u" and y = %c and p = '%P'`);
    expect(q.params).toEqual(['%C', '%d']);
  });

  test('values come from clientinfo; a missing username, cn or dn binds the string "undefined"', () => {
    const ci = { clientid: 'c1', username: undefined, peerhost: '::ffff:10.1.2.3' };
    expect(bindValues(['%u', '%c', '%a', '%C', '%d'], ci)).toEqual(['undefined', 'c1', '10.1.2.3', 'undefined', 'undefined']);
    expect(bindValues(['%u', '%C', '%d', '%a'], { clientid: 'c', username: "x' or '1'='1", cn: 'CN', dn: 'DN', peerhost: '::1' })).toEqual([
      "x' or '1'='1",
      'CN',
      'DN',
      '::1',
    ]);
  });
});

describe('conf: every key of EMQX priv/emqx_auth_mysql.schema with its default', () => {
  test('keys and defaults', () => {
    expect(Object.keys(schema).sort()).toEqual(
      [
        'auth.mysql.server', 'auth.mysql.pool', 'auth.mysql.username', 'auth.mysql.password', 'auth.mysql.database', 'auth.mysql.query_timeout',
        'auth.mysql.auth_query', 'auth.mysql.password_hash', 'auth.mysql.super_query', 'auth.mysql.acl_query', 'auth.mysql.ssl', 'auth.mysql.ssl.cafile',
        'auth.mysql.ssl.cacertfile', 'auth.mysql.ssl.certfile', 'auth.mysql.ssl.keyfile', 'auth.mysql.ssl.verify', 'auth.mysql.ssl.server_name_indication',
      ].sort(),
    );
    expect(schema['auth.mysql.server']!.default).toBe('127.0.0.1:3306');
    expect(schema['auth.mysql.pool']!.default).toBe('8');
    expect(schema['auth.mysql.database']!.default).toBe('mqtt');
    expect(schema['auth.mysql.ssl']!.default).toBe('off');
    expect(schema['auth.mysql.ssl.verify']!.default).toBe('false');
    // a query left out of the conf file is off, as in EMQX
    expect(schema['auth.mysql.auth_query']!.default).toBeUndefined();
    expect(schema['auth.mysql.acl_query']!.default).toBeUndefined();
    expect(plugin.schema).toBe(schema);
  });

  test('the shipped conf file and its copy in etc/plugins are the same', () => {
    const own = readFileSync(join(__dirname, '../etc/emqx_auth_mysql.conf'), 'utf8');
    expect(readFileSync(join(__dirname, '../../../etc/plugins/emqx_auth_mysql.conf'), 'utf8')).toBe(own);
    expect(own).toContain("auth.mysql.auth_query = select password from mqtt_user where username = '%u' limit 1");
    expect(own).toContain('auth.mysql.password_hash = sha256');
  });

  test('auth.mysql.server: ip:port, host:port, host, port, [v6]:port', () => {
    expect(parseServer('127.0.0.1:3306')).toEqual({ host: '127.0.0.1', port: 3306 });
    expect(parseServer('localhost:3307')).toEqual({ host: 'localhost', port: 3307 });
    expect(parseServer('db.example')).toEqual({ host: 'db.example', port: 3306 });
    expect(parseServer('3308')).toEqual({ host: '127.0.0.1', port: 3308 });
    expect(parseServer('[::1]:3309')).toEqual({ host: '::1', port: 3309 });
    expect(() => parseServer('a:b')).toThrow(/bad address/);
  });

  test('pool settings: unset query_timeout is 5 minutes; ssl files and verify', () => {
    const o = dbOptions({ 'auth.mysql.server': 'h:1', 'auth.mysql.pool': 3, 'auth.mysql.username': 'u', 'auth.mysql.password': 'p', 'auth.mysql.database': 'd' });
    expect(o).toEqual({ host: 'h', port: 1, user: 'u', password: 'p', database: 'd', size: 3, queryTimeout: DEFAULT_QUERY_TIMEOUT });
    const s = dbOptions({ 'auth.mysql.server': 'h:1', 'auth.mysql.query_timeout': 5000, 'auth.mysql.ssl': true, 'auth.mysql.ssl.cafile': '/ca', 'auth.mysql.ssl.verify': true });
    expect(s.queryTimeout).toBe(5000);
    expect(s.ssl).toEqual({ cacertfile: '/ca', certfile: undefined, keyfile: undefined, verify: true, serverNameIndication: undefined });
    expect(() => dbOptions({ 'auth.mysql.pool': 0 })).toThrow(/pool/);
  });
});
