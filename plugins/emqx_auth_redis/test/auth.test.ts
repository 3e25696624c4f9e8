import { hashPassword, type Logger } from '@nemq/sdk';
import { checkAcl } from '../src/acl';
import { authenticate, type AuthOptions } from '../src/auth';
import type { Runner } from '../src/client';
import { parseCommand } from '../src/command';

const logger: Logger = { debug: () => undefined, info: () => undefined, warning: () => undefined, error: () => undefined };

/** a fake Redis: answers by key (the first argument), records every call */
function fake(data: Record<string, unknown>, fail?: Error): Runner & { calls: [string, readonly string[]][] } {
  const calls: [string, readonly string[]][] = [];
  return {
    calls,
    run(name, args) {
      calls.push([name, args]);
      if (fail) return Promise.reject(fail);
      const v = data[`${name} ${args.join(' ')}`];
      return v instanceof Error ? Promise.reject(v) : Promise.resolve(v ?? null);
    },
  };
}

const acc = { auth_result: 'not_authorized', anonymous: true } as const;
const sha = (p: string): string => hashPassword('sha256', p);

function opts(redis: Runner, over: Partial<AuthOptions> = {}): AuthOptions & { errors: string[] } {
  const errors: string[] = [];
  return {
    redis,
    authCmd: parseCommand('HMGET mqtt_user:%u password', 'a'),
    superCmd: parseCommand('HGET mqtt_user:%u is_superuser', 's'),
    passwordHash: 'sha256',
    logger,
    backendError: (_k, r) => void errors.push(r),
    errors,
    ...over,
  };
}

describe('authenticate', () => {
  const redis = fake({
    'HMGET mqtt_user:alice password': [sha('public')],
    'HGET mqtt_user:alice is_superuser': '1',
    'HMGET mqtt_user:bob password': [sha('pw')],
  });
  test('right password → success with is_superuser; wrong → not_authorized; unknown → undefined', async () => {
    const o = opts(redis);
    expect(await authenticate(o, { clientid: 'c', username: 'alice', password: Buffer.from('public') }, acc)).toEqual({ auth_result: 'success', anonymous: false, is_superuser: true });
    expect(await authenticate(o, { clientid: 'c', username: 'bob', password: Buffer.from('pw') }, acc)).toMatchObject({ auth_result: 'success', is_superuser: false });
    expect(await authenticate(o, { clientid: 'c', username: 'alice', password: Buffer.from('x') }, acc)).toEqual({ auth_result: 'not_authorized', anonymous: false });
    expect(await authenticate(o, { clientid: 'c', username: 'nobody', password: Buffer.from('x') }, acc)).toBeUndefined();
    expect(o.errors).toEqual([]);
  });
  test('Redis fails → auth_result is the reason, anonymous false, reported (no password in it)', async () => {
    const o = opts(fake({}, new Error('Connection is closed.')));
    expect(await authenticate(o, { clientid: 'c', username: 'alice', password: Buffer.from('public') }, acc)).toEqual({ auth_result: 'redis_error', anonymous: false });
    expect(o.errors).toEqual(['Redis auth_cmd HMGET failed: Connection is closed.']);
  });
  test('a garbage reply is a backend error too', async () => {
    const o = opts(fake({ 'HMGET mqtt_user:alice password': 42 }));
    expect((await authenticate(o, { clientid: 'c', username: 'alice', password: Buffer.from('public') }, acc))?.auth_result).toBe('redis_error');
    expect(o.errors).toHaveLength(1);
  });
  test('a salted hash without a salt from auth_cmd → not_authorized; super_cmd failing → not superuser', async () => {
    const o = opts(fake({ 'HMGET mqtt_user:alice password': [sha('public')], 'HGET mqtt_user:alice is_superuser': new Error('down') }));
    expect((await authenticate({ ...o, passwordHash: 'salt,sha256' }, { clientid: 'c', username: 'alice', password: Buffer.from('public') }, acc))?.auth_result).toBe('not_authorized');
    expect(await authenticate(o, { clientid: 'c', username: 'alice', password: Buffer.from('public') }, acc)).toMatchObject({ auth_result: 'success', is_superuser: false });
    expect(o.errors).toEqual([]);
  });
});

describe('checkAcl', () => {
  const aclCmd = parseCommand('HGETALL mqtt_acl:%u', 'acl');
  test('allow on a match, deny when entries exist but none match, undefined without entries; $-users not asked', async () => {
    const redis = fake({ 'HGETALL mqtt_acl:alice': ['a/#', '1'] });
    const errors: string[] = [];
    const o = { redis, aclCmd, backendError: (_k: string, r: string) => void errors.push(r) };
    expect(await checkAcl(o, { clientid: 'c', username: 'alice' }, 'subscribe', 'a/b')).toBe('allow');
    expect(await checkAcl(o, { clientid: 'c', username: 'alice' }, 'publish', 'a/b')).toBe('deny');
    expect(await checkAcl(o, { clientid: 'c', username: 'bob' }, 'subscribe', 'a/b')).toBeUndefined();
    const n = redis.calls.length;
    expect(await checkAcl(o, { clientid: 'c', username: '$sys' }, 'subscribe', 'a/b')).toBeUndefined();
    expect(redis.calls.length).toBe(n);
    expect(errors).toEqual([]);
  });
  test('a failure or a garbled hash → undefined, reported', async () => {
    const errors: string[] = [];
    const o = { redis: fake({ 'HGETALL mqtt_acl:alice': ['a/#', 'x'] }), aclCmd, backendError: (_k: string, r: string) => void errors.push(r) };
    expect(await checkAcl(o, { clientid: 'c', username: 'alice' }, 'subscribe', 'a/b')).toBeUndefined();
    expect(await checkAcl({ ...o, redis: fake({}, new Error('timeout')) }, { clientid: 'c', username: 'alice' }, 'subscribe', 'a/b')).toBeUndefined();
    expect(errors).toHaveLength(2);
  });
});
