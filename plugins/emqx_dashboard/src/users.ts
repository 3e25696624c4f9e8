// Dashboard users (EMQX's mqtt_admin table): name, salted sha256 password hash, tags. Kept in
// <data_dir>/dashboard_users.json; in a cluster every node holds the same rows.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { hashPassword } from '@nemq/sdk';

/** sha256 over salt ++ password, hex (the SDK's `salt,sha256`) */
const HASH = 'salt,sha256';
/** the password EMQX ships for the default user */
export const DEFAULT_PASSWORD = 'public';

export interface UserRow {
  username: string;
  /** hex sha256(salt ++ password) */
  hash: string;
  salt: string;
  tags: string;
}

/** why a change was refused, with the EMQX message */
export class UserError extends Error {
  constructor(readonly reason: 'exists' | 'not_found' | 'bad_name' | 'bad_password', message: string) {
    super(message);
  }
}

function makeRow(username: string, password: string, tags: string): UserRow {
  const salt = randomBytes(8).toString('hex');
  return { username, hash: hashPassword(HASH, password, salt), salt, tags };
}

function matches(row: UserRow, password: string): boolean {
  const a = Buffer.from(hashPassword(HASH, password, row.salt));
  const b = Buffer.from(row.hash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** a name EMQX would take: 1..256 characters, none of them blank or control characters */
export function saneName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= 256 && !/[\s\u0000-\u001f\u007f]/.test(name);
}

export interface UserStoreOptions {
  file: string;
  /** logs file problems */
  warn(msg: string): void;
  /** every change, for the cluster table (row undefined: deleted) */
  changed?(username: string, row: UserRow | undefined): void;
}

export class UserStore {
  private readonly rows = new Map<string, UserRow>();

  constructor(private readonly o: UserStoreOptions) {}

  /** reads the file; a missing file is an empty table, a broken one is logged and kept aside */
  load(): void {
    let text: string;
    try {
      text = readFileSync(this.o.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.o.warn(`cannot read ${this.o.file}: ${(err as Error).message}`);
      return;
    }
    try {
      const data = JSON.parse(text) as { users?: unknown };
      for (const r of Array.isArray(data.users) ? data.users : []) {
        const row = toRow(r);
        if (row) this.rows.set(row.username, row);
        else this.o.warn(`${this.o.file}: skipped a malformed user row`);
      }
    } catch (err) {
      this.o.warn(`${this.o.file} is not valid JSON (${(err as Error).message}); it is kept as ${this.o.file}.bad and a new table is started`);
      try {
        renameSync(this.o.file, `${this.o.file}.bad`);
      } catch {
        // nothing more to do
      }
    }
  }

  private save(): void {
    mkdirSync(dirname(this.o.file), { recursive: true });
    const tmp = `${this.o.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ users: [...this.rows.values()] }, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.o.file);
  }

  private put(row: UserRow): void {
    this.rows.set(row.username, row);
    this.save();
    this.o.changed?.(row.username, row);
  }

  list(): Array<{ username: string; tags: string }> {
    return [...this.rows.values()].map((r) => ({ username: r.username, tags: r.tags }));
  }

  has(username: string): boolean {
    return this.rows.has(username);
  }

  /** the default user, created with `password` when it is missing */
  ensure(username: string, password: string): void {
    if (!this.rows.has(username)) this.put(makeRow(username, password, 'administrator'));
  }

  check(username: unknown, password: unknown): boolean {
    if (typeof username !== 'string' || typeof password !== 'string') return false;
    const row = this.rows.get(username);
    return row !== undefined && matches(row, password);
  }

  add(username: unknown, password: unknown, tags: unknown): void {
    if (!saneName(username)) throw new UserError('bad_name', 'Bad username');
    if (typeof password !== 'string' || password === '') throw new UserError('bad_password', 'Username or password undefined');
    if (this.rows.has(username)) throw new UserError('exists', 'Username Already Exist');
    this.put(makeRow(username, password, typeof tags === 'string' ? tags : ''));
  }

  update(username: string, tags: unknown): void {
    const row = this.rows.get(username);
    if (!row) throw new UserError('not_found', 'Username Not Found');
    this.put({ ...row, tags: typeof tags === 'string' ? tags : '' });
  }

  passwd(username: string, password: unknown): void {
    const row = this.rows.get(username);
    if (!row) throw new UserError('not_found', 'Username Not Found');
    if (typeof password !== 'string' || password === '') throw new UserError('bad_password', 'Password undefined');
    this.put({ ...makeRow(username, password, row.tags) });
  }

  remove(username: string): void {
    if (!this.rows.delete(username)) throw new UserError('not_found', 'Username Not Found');
    this.save();
    this.o.changed?.(username, undefined);
  }

  /** true while `username` still logs in with the shipped password */
  isDefault(username: string): boolean {
    const row = this.rows.get(username);
    return row !== undefined && matches(row, DEFAULT_PASSWORD);
  }

  // ---- cluster table

  rowsForCluster(): Array<readonly [string, string]> {
    return [...this.rows.values()].map((r) => [r.username, JSON.stringify(r)] as const);
  }

  /** another node changed a row; kept without telling the cluster back */
  applyRemote(username: string, value: string | undefined): void {
    const row = value === undefined ? undefined : toRow(safeParse(value));
    if (row) this.rows.set(username, row);
    else if (value === undefined) this.rows.delete(username);
    else return this.o.warn(`ignored a malformed user row for ${username} from the cluster`);
    this.saveQuietly();
  }

  /** for changes that come from the cluster: a write error is logged, the row is kept in memory */
  private saveQuietly(): void {
    try {
      this.save();
    } catch (err) {
      this.o.warn(`cannot write ${this.o.file}: ${(err as Error).message}`);
    }
  }

  /** joined a cluster: its table replaces ours (the cluster's rows won the merge) */
  applyAll(rows: ReadonlyMap<string, string>): void {
    this.rows.clear();
    for (const [name, v] of rows) {
      const row = toRow(safeParse(v));
      if (row && row.username === name) this.rows.set(name, row);
    }
    this.saveQuietly();
  }
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function toRow(r: unknown): UserRow | undefined {
  if (typeof r !== 'object' || r === null) return undefined;
  const o = r as Record<string, unknown>;
  if (!saneName(o.username) || typeof o.hash !== 'string' || typeof o.salt !== 'string') return undefined;
  return { username: o.username, hash: o.hash, salt: o.salt, tags: typeof o.tags === 'string' ? o.tags : '' };
}
