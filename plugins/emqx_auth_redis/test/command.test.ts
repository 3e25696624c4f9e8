import { commandArgs, parseCommand } from '../src/command';

describe('parseCommand / commandArgs', () => {
  test('splits on spaces once; the name is upper-cased; placeholders are marked', () => {
    const c = parseCommand('hmget  mqtt_user:%u password salt', 'auth.redis.auth_cmd');
    expect(c.name).toBe('HMGET');
    expect(c.args).toEqual(['mqtt_user:%u', 'password', 'salt']);
    expect(c.dynamic).toEqual([0]);
  });

  test('a client value stays inside its argument, whatever it holds', () => {
    const c = parseCommand('HMGET mqtt_user:%u password', 'k');
    expect(commandArgs(c, { username: 'alice password' })).toEqual(['mqtt_user:alice password', 'password']);
    expect(commandArgs(c, { username: 'a\r\nFLUSHALL\r\n' })).toEqual(['mqtt_user:a\r\nFLUSHALL\r\n', 'password']);
    // a value that looks like a placeholder is not expanded again
    expect(commandArgs(parseCommand('HGET u:%u:%c f', 'k'), { username: '%c', clientid: 'c1' })).toEqual(['u:%c:c1', 'f']);
    // the template is not changed by a call
    expect(c.args).toEqual(['mqtt_user:%u', 'password']);
  });

  test('%c, %C, %d are filled; other placeholders (%P, %a) are text; a missing value stays as written', () => {
    const c = parseCommand('HMGET k:%c:%C:%d:%P:%a x', 'k');
    expect(commandArgs(c, { clientid: 'c', cn: 'CN', dn: 'DN', password: 'secret', peerhost: '1.2.3.4' })).toEqual(['k:c:CN:DN:%P:%a', 'x']);
    expect(commandArgs(parseCommand('HGET mqtt_user:%u p', 'k'), { clientid: 'c' })).toEqual(['mqtt_user:%u', 'p']);
  });

  test('an empty command or a placeholder / junk as the command name is refused', () => {
    expect(() => parseCommand('   ', 'auth.redis.auth_cmd')).toThrow(/auth.redis.auth_cmd is empty/);
    expect(() => parseCommand('%u mqtt_user', 'k')).toThrow(/command name/);
    expect(() => parseCommand('HGET\r\nFLUSHALL x', 'k')).toThrow(/bad command name/);
  });
});
