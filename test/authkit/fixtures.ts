// The users and ACL every auth plugin's backend is seeded with for the conformance kit.
import { hashPassword } from '@nemq/sdk';

export interface KitUser {
  readonly username: string;
  readonly password: string;
  readonly clientid?: string;
  readonly superuser?: boolean;
}

/** stored with password_hash = sha256 (hex, no salt) */
export const KIT_USERS: readonly KitUser[] = [
  { username: 'alice', password: 'public', clientid: 'kit-alice' },
  { username: 'root', password: 'rootpw', superuser: true },
];

/** every password_hash the kit can test; a backend lists the ones it stores */
export const KIT_HASHES = ['plain', 'md5', 'sha', 'sha256', 'sha512', 'bcrypt', 'salt,sha256', 'sha256,salt', 'salt,md5', 'pbkdf2,sha256,1000,20'] as const;
export type KitHash = (typeof KIT_HASHES)[number];

const BCRYPT_SALT = '$2b$04$abcdefghijklmnopqrstuu';

export interface KitHashUser extends KitUser {
  readonly hash: KitHash;
  readonly salt: string;
  /** what the backend stores as the password */
  readonly stored: string;
}

export function storedHash(hash: string, password: string, salt: string): string {
  return hashPassword(hash, password, salt);
}

const slug = (h: string): string => h.replace(/[^a-z0-9]+/g, '_');

/** one user per hash, password `public`, username `h_<hash with _ for punctuation>` */
export const KIT_HASH_USERS: readonly KitHashUser[] = KIT_HASHES.map((hash) => {
  const salt = hash === 'bcrypt' ? BCRYPT_SALT : 'salt';
  return { username: `h_${slug(hash)}`, password: 'public', hash, salt, stored: storedHash(hash, 'public', salt) };
});

export type KitAccess = 'publish' | 'subscribe' | 'pubsub';

export interface KitRule {
  readonly permission: 'allow' | 'deny';
  /** `all`, or the username or clientid the rule is for */
  readonly who: 'all' | { readonly username: string } | { readonly clientid: string };
  readonly access: KitAccess;
  readonly topic: string;
}

/** allow/deny rules, the first tried first; acl_nomatch = allow */
export const KIT_ACL: readonly KitRule[] = [
  { permission: 'allow', who: 'all', access: 'subscribe', topic: 'private/%u/#' },
  { permission: 'allow', who: 'all', access: 'subscribe', topic: 'client/%c/#' },
  { permission: 'deny', who: 'all', access: 'subscribe', topic: 'private/#' },
  { permission: 'deny', who: 'all', access: 'subscribe', topic: 'client/#' },
  { permission: 'deny', who: 'all', access: 'subscribe', topic: 'secret/#' },
  { permission: 'deny', who: { username: 'alice' }, access: 'publish', topic: 'readonly/#' },
];

export interface KitAllow {
  readonly access: KitAccess;
  readonly topic: string;
}

/** allow-only lists for username alice; acl_nomatch = deny */
export const KIT_ALLOWS: readonly KitAllow[] = [
  { access: 'subscribe', topic: 'news/#' },
  { access: 'subscribe', topic: 'private/%u/#' },
  { access: 'subscribe', topic: 'client/%c/#' },
  { access: 'publish', topic: 'open/#' },
  { access: 'pubsub', topic: 'both/#' },
];

/** usernames and client IDs that try SQL, NoSQL and LDAP-filter injection; none may get in */
export const KIT_INJECTIONS: readonly string[] = [
  "x' or '1'='1",
  "alice' -- ",
  "alice'; DROP TABLE mqtt_user; -- ",
  '*',
  '*)(uid=*',
  'alice)(|(uid=*',
  '\\2a',
  '{"$ne": null}',
  '$where',
  'alice\r\nHGETALL mqtt_user:root',
  'alice password',
  '%u',
];
