// EMQX password hashing (reference §2.6). Placeholder signatures; implemented with the MySQL plugin.
export type PasswordHash = string;

/** hashes `password` as `password_hash` says (`plain`, `sha256`, `salt,sha256`, `bcrypt`, `pbkdf2,sha256,1000,20`, …) */
export function hashPassword(_hash: PasswordHash, _password: string, _salt?: string): string {
  throw new Error('not implemented');
}

/** true when `password` hashed as `hash` with `salt` equals `stored` */
export function checkPassword(_hash: PasswordHash, _password: string, _stored: string, _salt?: string): boolean {
  throw new Error('not implemented');
}
