// Seeding Redis with the conformance kit's users and allow lists, as EMQX's docs lay them out:
// hash mqtt_user:<username> {password, salt, is_superuser}, hash mqtt_acl:<username> {filter: access}.
import type { Cluster, Redis } from 'ioredis';
import { KIT_ALLOWS, KIT_HASH_USERS, KIT_USERS, storedHash } from '../../../test/authkit';

const BITS = { subscribe: '1', publish: '2', pubsub: '3' } as const;

export async function seedKit(r: Redis | Cluster): Promise<void> {
  for (const u of KIT_USERS) {
    await r.hset(`mqtt_user:${u.username}`, { password: storedHash('sha256', u.password, ''), is_superuser: u.superuser ? '1' : '0' });
  }
  for (const u of KIT_HASH_USERS) await r.hset(`mqtt_user:${u.username}`, { password: u.stored, salt: u.salt });
  await r.hset('mqtt_acl:alice', Object.fromEntries(KIT_ALLOWS.map((a) => [a.topic, BITS[a.access]])));
}

const salted = (hash: string): boolean => hash.includes('salt') || hash.startsWith('pbkdf2');

/** the commands of the kit's conf for one password_hash */
export function kitCommands(hash: string): Record<string, string> {
  return {
    'auth.redis.auth_cmd': salted(hash) ? 'HMGET mqtt_user:%u password salt' : 'HMGET mqtt_user:%u password',
    'auth.redis.password_hash': hash,
    'auth.redis.super_cmd': 'HGET mqtt_user:%u is_superuser',
    'auth.redis.acl_cmd': 'HGETALL mqtt_acl:%u',
    'auth.redis.query_timeout': '1s',
    'auth.redis.pool': '2',
  };
}

export const KIT_HASHES_REDIS = ['plain', 'md5', 'sha', 'sha256', 'sha512', 'bcrypt', 'salt,sha256', 'sha256,salt', 'salt,md5', 'pbkdf2,sha256,1000,20'] as const;
