// The user and ACL tables of emqx_auth_mnesia (EMQX 4.3: emqx_user, emqx_acl) kept in memory and
// in one JSON file under node.data_dir. Every change is written atomically (a temp file in the
// same directory, then rename), one write at a time; the file is read once, at start.
//
// Users: one record per login, {username, X} or {clientid, X}, holding salt ++ hash (secret.ts).
// ACL: rules per target (a client ID, a username, or $all), each with a topic, an action
// (pub or sub: `pubsub` is stored as both, as EMQX 4.3.x stores it) and allow/deny. A target's
// rules are tried newest first; adding a rule for a (topic, action) the target has replaces it.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkRules, compileTopic, type AclAction, type AclCheckResult, type AclClient, type AclRule, type ClusterTable } from '@nemq/sdk';

export type LoginType = 'username' | 'clientid';

export interface UserRecord {
  readonly type: LoginType;
  readonly id: string;
  /** salt ++ hash */
  readonly secret: Buffer;
  /** ms since the epoch */
  readonly created_at: number;
}

export type AclTarget = { readonly type: LoginType; readonly id: string } | { readonly type: 'all' };
export type AclTargetType = AclTarget['type'];
export type MnesiaAction = 'pub' | 'sub';
export type MnesiaAccess = 'allow' | 'deny';

export interface AclRecord {
  readonly target: AclTarget;
  readonly topic: string;
  readonly action: MnesiaAction;
  readonly access: MnesiaAccess;
  readonly created_at: number;
  /** the rule as the SDK's engine runs it (compiled once) */
  readonly rule: AclRule;
}

/** the file's shape (version 1) */
interface FileV1 {
  version: 1;
  users: { type: LoginType; id: string; password: string; created_at: number }[];
  acl: { target: AclTargetType; id?: string; topic: string; action: MnesiaAction; access: MnesiaAccess; created_at: number }[];
}

const ALL: AclTarget = { type: 'all' };
// rows of the cluster's table: `u\0<type>\0<id>` and `a\0<target>\0<action>\0<topic>` (\0 is in no topic or id)
const userRow = (type: LoginType, id: string): string => `u\0${type}\0${id}`;
const aclRow = (t: AclTarget, action: MnesiaAction, topic: string): string => `a\0${targetKey(t)}\0${action}\0${topic}`;
const targetKey = (t: AclTarget): string => (t.type === 'all' ? 'all' : `${t.type}:${t.id}`);
const newestFirst = (a: { created_at: number }, b: { created_at: number }): number => b.created_at - a.created_at;

function compileRule(access: MnesiaAccess, action: MnesiaAction, topic: string): AclRule {
  // who is already decided by the list the rule sits in
  return { permission: access, who: { type: 'all' }, access: action === 'pub' ? 'publish' : 'subscribe', topics: [compileTopic(topic)] };
}

export class MnesiaStore {
  private readonly users = { username: new Map<string, UserRecord>(), clientid: new Map<string, UserRecord>() };
  /** target key → its rules, newest first */
  private readonly acls = new Map<string, AclRecord[]>();
  /** target key → the same rules as the SDK's engine runs them */
  private readonly rules = new Map<string, AclRule[]>();
  private lastStamp = 0;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  /** in a cluster, the table every node shares (EMQX's replicated emqx_user / emqx_acl) */
  table: ClusterTable | undefined = undefined;

  private constructor(readonly file: string) {}

  /** the store in `file`; a missing file is an empty store, an unreadable one an error */
  static async open(file: string): Promise<MnesiaStore> {
    const s = new MnesiaStore(file);
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) s.load(text);
    return s;
  }

  /** an empty store writing to `file` (tests and seeding) */
  static empty(file: string): MnesiaStore {
    return new MnesiaStore(file);
  }

  private load(text: string): void {
    let data: FileV1;
    try {
      data = JSON.parse(text) as FileV1;
    } catch (err) {
      throw new Error(`${this.file} is not JSON (${(err as Error).message}); not touching it`);
    }
    const bad = (why: string): Error => new Error(`${this.file}: ${why}; not touching it`);
    if (data === null || typeof data !== 'object' || data.version !== 1 || !Array.isArray(data.users) || !Array.isArray(data.acl)) {
      throw bad('expected {"version": 1, "users": [...], "acl": [...]}');
    }
    for (const u of data.users) {
      if ((u.type !== 'username' && u.type !== 'clientid') || typeof u.id !== 'string' || typeof u.password !== 'string' || typeof u.created_at !== 'number') {
        throw bad(`bad user record ${JSON.stringify(u?.id)}`);
      }
      this.users[u.type].set(u.id, { type: u.type, id: u.id, secret: Buffer.from(u.password, 'base64'), created_at: u.created_at });
      this.lastStamp = Math.max(this.lastStamp, u.created_at);
    }
    const loaded = new Map<string, AclRecord[]>();
    const seen = new Set<string>();
    for (const a of data.acl) {
      const okTarget = a.target === 'all' || ((a.target === 'username' || a.target === 'clientid') && typeof a.id === 'string');
      if (!okTarget || typeof a.topic !== 'string' || (a.action !== 'pub' && a.action !== 'sub') || (a.access !== 'allow' && a.access !== 'deny') || typeof a.created_at !== 'number') {
        throw bad(`bad ACL record for topic ${JSON.stringify(a?.topic)}`);
      }
      const target: AclTarget = a.target === 'all' ? ALL : { type: a.target, id: a.id! };
      const k = targetKey(target);
      let list = loaded.get(k);
      if (!list) loaded.set(k, (list = []));
      // the file lists a target's rules newest first; a repeated (topic, action) keeps the first
      const id = `${k}\0${a.action}\0${a.topic}`;
      if (!seen.has(id)) {
        seen.add(id);
        list.push({ target, topic: a.topic, action: a.action, access: a.access, created_at: a.created_at, rule: compileRule(a.access, a.action, a.topic) });
      }
      this.lastStamp = Math.max(this.lastStamp, a.created_at);
    }
    // a stable sort: rules stamped alike (the two halves of a pubsub) keep the file's order
    for (const [k, list] of loaded) this.setAcls(k, list.sort(newestFirst));
  }

  private setAcls(k: string, list: AclRecord[]): void {
    if (list.length === 0) {
      this.acls.delete(k);
      this.rules.delete(k);
    } else {
      this.acls.set(k, list);
      this.rules.set(k, list.map((r) => r.rule));
    }
  }

  /** ms since the epoch, strictly increasing, so "newest first" is the order of the changes */
  private stamp(): number {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return this.lastStamp;
  }

  // ---- users

  user(type: LoginType, id: string): UserRecord | undefined {
    return this.users[type].get(id);
  }

  /** `existed` when the login has a record already */
  addUser(type: LoginType, id: string, secret: Buffer): 'ok' | 'existed' {
    if (this.users[type].has(id)) return 'existed';
    const u = { type, id, secret, created_at: this.stamp() };
    this.users[type].set(id, u);
    this.table?.set(userRow(type, id), JSON.stringify({ p: secret.toString('base64'), c: u.created_at }));
    this.changed();
    return 'ok';
  }

  /** `noexisted` when the login has no record */
  updateUser(type: LoginType, id: string, secret: Buffer): 'ok' | 'noexisted' {
    const cur = this.users[type].get(id);
    if (!cur) return 'noexisted';
    this.users[type].set(id, { ...cur, secret });
    this.table?.set(userRow(type, id), JSON.stringify({ p: secret.toString('base64'), c: cur.created_at }));
    this.changed();
    return 'ok';
  }

  /** true when there was one (EMQX answers ok either way) */
  removeUser(type: LoginType, id: string): boolean {
    const had = this.users[type].delete(id);
    this.table?.delete(userRow(type, id));
    if (had) this.changed();
    return had;
  }

  /** newest first */
  listUsers(type: LoginType): UserRecord[] {
    return [...this.users[type].values()].sort(newestFirst);
  }

  /** in the order they were added */
  usersInOrder(type: LoginType): UserRecord[] {
    return [...this.users[type].values()];
  }

  // ---- ACL

  /** adds (or replaces) the rule; `pubsub` adds a pub and a sub rule */
  addAcl(target: AclTarget, topic: string, action: MnesiaAction | 'pubsub', access: MnesiaAccess): void {
    const at = this.stamp();
    for (const a of action === 'pubsub' ? (['pub', 'sub'] as const) : [action]) this.put(target, topic, a, access, at);
    this.changed();
  }

  private put(target: AclTarget, topic: string, action: MnesiaAction, access: MnesiaAccess, created_at: number): void {
    const k = targetKey(target);
    const list = (this.acls.get(k) ?? []).filter((r) => r.topic !== topic || r.action !== action);
    list.unshift({ target, topic, action, access, created_at, rule: compileRule(access, action, topic) });
    this.setAcls(k, list);
    this.table?.set(aclRow(target, action, topic), JSON.stringify({ access, c: created_at }));
  }

  /** removes every rule of the target for that topic */
  removeAcl(target: AclTarget, topic: string): boolean {
    const k = targetKey(target);
    const list = this.acls.get(k);
    if (!list) return false;
    const rest = list.filter((r) => r.topic !== topic);
    if (rest.length === list.length) return false;
    for (const r of list) if (r.topic === topic) this.table?.delete(aclRow(target, r.action, topic));
    this.setAcls(k, rest);
    this.changed();
    return true;
  }

  /** one target's rules, newest first */
  lookupAcl(target: AclTarget): readonly AclRecord[] {
    return this.acls.get(targetKey(target)) ?? [];
  }

  /** every rule of one kind of target, newest first; no kind: username, clientid, then $all rules */
  allAcls(type?: AclTargetType): AclRecord[] {
    if (type === undefined) return [...this.allAcls('username'), ...this.allAcls('clientid'), ...this.allAcls('all')];
    const out: AclRecord[] = [];
    for (const list of this.acls.values()) if (list[0]!.target.type === type) out.push(...list);
    return out.sort(newestFirst);
  }

  /**
   * emqx_acl_mnesia:check_acl: the client ID's rules, then the username's, then $all's, each
   * newest first; the first rule whose action and topic match decides.
   */
  checkAcl(client: AclClient, action: AclAction, topic: string): AclCheckResult {
    const byClient = this.rules.get(`clientid:${client.clientid}`);
    if (byClient) {
      const r = checkRules(byClient, client, action, topic);
      if (r !== 'nomatch') return r;
    }
    if (client.username !== undefined) {
      const byUser = this.rules.get(`username:${client.username}`);
      if (byUser) {
        const r = checkRules(byUser, client, action, topic);
        if (r !== 'nomatch') return r;
      }
    }
    const all = this.rules.get('all');
    return all ? checkRules(all, client, action, topic) : 'nomatch';
  }

  // ---- the cluster's table

  /** every record as a row of the cluster's table */
  rows(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const type of ['username', 'clientid'] as const) {
      for (const u of this.users[type].values()) out.push([userRow(type, u.id), JSON.stringify({ p: u.secret.toString('base64'), c: u.created_at })]);
    }
    for (const list of this.acls.values()) for (const r of list) out.push([aclRow(r.target, r.action, r.topic), JSON.stringify({ access: r.access, c: r.created_at })]);
    return out;
  }

  /** another node's change (value undefined: deleted); written to our file too */
  applyRow(key: string, value: string | undefined): void {
    const table = this.table;
    this.table = undefined;
    try {
      const parts = key.split('\0');
      const v = value === undefined ? undefined : (JSON.parse(value) as { p?: string; c?: number; access?: MnesiaAccess });
      if (parts[0] === 'u' && (parts[1] === 'username' || parts[1] === 'clientid') && parts.length === 3) {
        const [, type, id] = parts as [string, LoginType, string];
        if (v?.p === undefined) this.users[type].delete(id);
        else this.users[type].set(id, { type, id, secret: Buffer.from(v.p, 'base64'), created_at: v.c ?? Date.now() });
      } else if (parts[0] === 'a' && parts.length >= 4) {
        // target keys are `all` or `<type>:<id>`; the topic is the rest
        const [, tk, action] = parts as [string, string, MnesiaAction];
        const topic = parts.slice(3).join('\0');
        const target: AclTarget = tk === 'all' ? ALL : { type: tk.slice(0, tk.indexOf(':')) as LoginType, id: tk.slice(tk.indexOf(':') + 1) };
        const k = targetKey(target);
        if (v?.access === undefined) this.setAcls(k, (this.acls.get(k) ?? []).filter((r) => r.topic !== topic || r.action !== action));
        else {
          this.put(target, topic, action, v.access, v.c ?? this.stamp());
          this.setAcls(k, [...this.acls.get(k)!].sort(newestFirst));
        }
      } else return;
      this.changed();
    } catch {
      /* not a row we wrote */
    } finally {
      this.table = table;
    }
  }

  // ---- the file

  /** called when writing the file failed (the change stays in memory; the next change retries) */
  onWriteError: (err: Error) => void = () => undefined;

  private changed(): void {
    this.dirty = true;
    const p = this.writing.catch(() => undefined).then(() => this.write());
    p.catch((err: Error) => this.onWriteError(err));
    this.writing = p;
  }

  /** resolves when every change made so far is on disk; rejects when the last write failed */
  flush(): Promise<void> {
    return this.writing;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return; // a later write of an earlier change already wrote this state
    this.dirty = false;
    const text = this.serialize();
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.file);
    } catch (err) {
      this.dirty = true;
      await unlink(tmp).catch(() => undefined);
      // the next change tries again; this one's caller hears of it through flush()
      throw new Error(`cannot write ${this.file} (${(err as Error).message}); the change holds in memory only`);
    }
  }

  serialize(): string {
    const data: FileV1 = { version: 1, users: [], acl: [] };
    for (const type of ['username', 'clientid'] as const) {
      for (const u of this.users[type].values()) data.users.push({ type, id: u.id, password: u.secret.toString('base64'), created_at: u.created_at });
    }
    for (const list of this.acls.values()) {
      for (const r of list) {
        const t = r.target;
        data.acl.push({ target: t.type, ...(t.type === 'all' ? {} : { id: t.id }), topic: r.topic, action: r.action, access: r.access, created_at: r.created_at });
      }
    }
    return JSON.stringify(data, null, 1) + '\n';
  }
}
