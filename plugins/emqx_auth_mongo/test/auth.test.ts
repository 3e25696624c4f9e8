import { hashPassword, type AuthResult } from '@nemq/sdk';
import type { Document } from 'mongodb';
import { checkAcl } from '../src/acl';
import { authenticate, type AuthOptions } from '../src/auth';
import type { Finder } from '../src/db';
import { parseSelector } from '../src/selector';

const logger = { debug: () => undefined, info: () => undefined, warning: () => undefined, error: () => undefined } as unknown as AuthOptions['logger'];
const acc = { auth_result: 'not_authorized', anonymous: true } as unknown as AuthResult;

function fake(docs: Record<string, Document[]>, fail?: Error): Finder & { calls: [string, Document][] } {
  const calls: [string, Document][] = [];
  const match = (d: Document, f: Document): boolean => Object.entries(f).every(([k, v]) => d[k] === v);
  return {
    calls,
    async findOne(coll, filter) {
      calls.push([coll, filter]);
      if (fail) throw fail;
      return (docs[coll] ?? []).find((d) => match(d, filter)) ?? null;
    },
    async find(coll, filter) {
      calls.push([coll, filter]);
      if (fail) throw fail;
      const fs = (filter.$or as Document[] | undefined) ?? [filter];
      return (docs[coll] ?? []).filter((d) => fs.some((f) => match(d, f)));
    },
  };
}

function opts(db: Finder, errors: string[] = [], over: Partial<AuthOptions['auth']> = {}): AuthOptions {
  return {
    db,
    auth: { collection: 'mqtt_user', selector: parseSelector('username=%u'), passwordFields: ['password'], passwordHash: 'sha256', ...over },
    superQuery: { collection: 'mqtt_user', selector: parseSelector('username=%u'), field: 'is_superuser' },
    logger,
    backendError: (kind, reason) => void errors.push(`${kind}: ${reason}`),
  };
}

const users = {
  mqtt_user: [
    { username: 'a', password: hashPassword('sha256', 'pw'), is_superuser: true },
    { username: 'b', password: hashPassword('sha256', 'pw'), is_superuser: 1 },
    { username: 's', password: hashPassword('sha256,salt', 'pw', 'NaCl'), salt: 'NaCl' },
    { username: 'n' },
  ],
};

describe('authenticate', () => {
  test('right password: success; superuser only for the boolean true', async () => {
    const db = fake(users);
    expect(await authenticate(opts(db), { clientid: 'c', username: 'a', password: Buffer.from('pw') }, acc)).toMatchObject({ auth_result: 'success', is_superuser: true, anonymous: false });
    expect(await authenticate(opts(db), { clientid: 'c', username: 'b', password: Buffer.from('pw') }, acc)).toMatchObject({ auth_result: 'success', is_superuser: false });
    expect(db.calls[0]).toEqual(['mqtt_user', { username: 'a' }]);
  });
  test('wrong: not_authorized; unknown: no opinion; no password field: password_error', async () => {
    const db = fake(users);
    expect(await authenticate(opts(db), { clientid: 'c', username: 'a', password: Buffer.from('x') }, acc)).toMatchObject({ auth_result: 'not_authorized', anonymous: false });
    expect(await authenticate(opts(db), { clientid: 'c', username: 'zz', password: Buffer.from('pw') }, acc)).toBeUndefined();
    expect(await authenticate(opts(db), { clientid: 'c', username: 'n', password: Buffer.from('pw') }, acc)).toMatchObject({ auth_result: 'password_error' });
  });
  test('password,salt', async () => {
    const o = opts(fake(users), [], { passwordFields: ['password', 'salt'], passwordHash: 'sha256,salt' });
    expect(await authenticate(o, { clientid: 'c', username: 's', password: Buffer.from('pw') }, acc)).toMatchObject({ auth_result: 'success' });
    expect(await authenticate(o, { clientid: 'c', username: 's', password: Buffer.from('NaCl') }, acc)).toMatchObject({ auth_result: 'not_authorized' });
  });
  test('a failing backend: a refusal and a backend error without the password', async () => {
    const errors: string[] = [];
    const r = await authenticate(opts(fake(users, new Error('connect ECONNREFUSED')), errors), { clientid: 'c', username: 'a', password: Buffer.from('s3cret') }, acc);
    expect(r).toMatchObject({ auth_result: 'mongo_error', anonymous: false });
    expect(errors).toEqual(['auth: MongoDB auth_query failed: connect ECONNREFUSED']);
  });
});

describe('checkAcl', () => {
  const docs = { mqtt_acl: [{ username: 'a', subscribe: ['s/#'] }, { username: '$all', publish: ['all/#'] }] };
  const o = (db: Finder, errors: string[] = []) => ({ db, collection: 'mqtt_acl', selectors: [parseSelector('username=%u'), parseSelector('username=$all')], logger, backendError: (k: 'auth' | 'acl', r: string) => void errors.push(`${k}: ${r}`) });
  test('selectors joined with $or; a document found and no filter matching → deny', async () => {
    const db = fake(docs);
    expect(await checkAcl(o(db), { clientid: 'c', username: 'a' }, 'subscribe', 's/x')).toBe('allow');
    expect(db.calls[0]).toEqual(['mqtt_acl', { $or: [{ username: 'a' }, { username: '$all' }] }]);
    expect(await checkAcl(o(db), { clientid: 'c', username: 'a' }, 'publish', 'all/x')).toBe('allow');
    expect(await checkAcl(o(db), { clientid: 'c', username: 'a' }, 'publish', 's/x')).toBe('deny');
  });
  test('no document: no opinion; $-username: not asked; failure: no opinion and a backend error', async () => {
    const db = fake({ mqtt_acl: [] });
    expect(await checkAcl(o(db), { clientid: 'c', username: 'a' }, 'subscribe', 's/x')).toBeUndefined();
    expect(await checkAcl(o(db), { clientid: 'c', username: '$sys' }, 'subscribe', 's/x')).toBeUndefined();
    expect(db.calls).toHaveLength(1);
    const errors: string[] = [];
    expect(await checkAcl(o(fake(docs, new Error('timeout')), errors), { clientid: 'c', username: 'a' }, 'subscribe', 's/x')).toBeUndefined();
    expect(errors).toEqual(['acl: MongoDB acl_query failed: timeout']);
  });
});
