import { parseServer } from '../src/server';

test('a backend server key: host:port, [ipv6]:port, host, ipv6, port', () => {
  expect(parseServer('127.0.0.1:5432', 'auth.pgsql.server', 5432)).toEqual({ host: '127.0.0.1', port: 5432 });
  expect(parseServer('db.example', 'auth.pgsql.server', 5432)).toEqual({ host: 'db.example', port: 5432 });
  expect(parseServer('5433', 'auth.pgsql.server', 5432)).toEqual({ host: '127.0.0.1', port: 5433 });
  expect(parseServer('[::1]:5434', 'auth.pgsql.server', 5432)).toEqual({ host: '::1', port: 5434 });
  expect(parseServer('[::1]', 'auth.pgsql.server', 5432)).toEqual({ host: '::1', port: 5432 });
  expect(parseServer('::1', 'auth.pgsql.server', 5432)).toEqual({ host: '::1', port: 5432 });
  expect(() => parseServer('a:b', 'auth.pgsql.server', 5432)).toThrow('auth.pgsql.server: bad address "a:b"');
  expect(() => parseServer(' ', 'auth.mysql.server', 3306)).toThrow('auth.mysql.server is empty');
});
