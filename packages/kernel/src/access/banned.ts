// The banned table (EMQX's emqx_banned): clients refused at CONNECT by client id,
// username or peer address until a time. Kept in memory, saved to a JSON file
// (written to a temporary file, then renamed) so it survives a restart.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClusterTable } from '@nemq/sdk';

export type BanKind = 'clientid' | 'username' | 'peerhost';
export const BAN_KINDS: readonly BanKind[] = ['clientid', 'username', 'peerhost'];

export interface BanEntry {
  as: BanKind;
  who: string;
  by: string;
  reason: string;
  /** seconds since the epoch, as EMQX keeps them */
  at: number;
  until: number;
}

const nowSec = (): number => Math.floor(Date.now() / 1000);

export class Banned {
  private readonly entries = new Map<string, BanEntry>();
  /** in a cluster, the table every node shares (EMQX's replicated emqx_banned) */
  table: ClusterTable | undefined = undefined;

  /** `file` unset: memory only */
  constructor(private readonly file?: string, private readonly onError: (err: Error) => void = () => undefined) {
    if (file) this.load(file);
  }

  get size(): number {
    return this.entries.size;
  }

  /** banned now by any of the three (expired entries do not count) */
  check(ci: { clientid?: string; username?: string; peerhost?: string }): boolean {
    if (this.entries.size === 0) return false;
    const now = nowSec();
    return this.hit('clientid', ci.clientid, now) || this.hit('username', ci.username, now) || this.hit('peerhost', ci.peerhost, now);
  }

  add(e: BanEntry): void {
    this.entries.set(`${e.as}:${e.who}`, e);
    this.table?.set(`${e.as}:${e.who}`, JSON.stringify(e));
    this.save();
  }

  delete(as: BanKind, who: string): boolean {
    const had = this.entries.delete(`${as}:${who}`);
    this.table?.delete(`${as}:${who}`);
    if (had) this.save();
    return had;
  }

  /** a row of the cluster's table (another node banned or lifted it; or joining) */
  applyRow(key: string, value: string | undefined): void {
    if (value === undefined) {
      if (this.entries.delete(key)) this.save();
      return;
    }
    try {
      const e = JSON.parse(value) as BanEntry;
      if (!BAN_KINDS.includes(e.as) || typeof e.who !== 'string' || typeof e.until !== 'number') return;
      this.entries.set(`${e.as}:${e.who}`, e);
      this.save();
    } catch {
      /* not a row we wrote */
    }
  }

  /** the rows for the cluster's table */
  rows(): Array<[string, string]> {
    return this.list().map((e) => [`${e.as}:${e.who}`, JSON.stringify(e)]);
  }

  list(): BanEntry[] {
    return [...this.entries.values()];
  }

  /** drops expired entries; returns how many */
  sweep(now = nowSec()): number {
    let n = 0;
    for (const [k, e] of this.entries) if (e.until <= now) {
      this.entries.delete(k);
      n++;
    }
    if (n > 0) this.save();
    return n;
  }

  private hit(as: BanKind, who: string | undefined, now: number): boolean {
    if (who === undefined) return false;
    const e = this.entries.get(`${as}:${who}`);
    return e !== undefined && e.until > now;
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // none yet
    }
    try {
      for (const e of JSON.parse(text) as BanEntry[]) {
        if (BAN_KINDS.includes(e.as) && typeof e.who === 'string' && typeof e.until === 'number') this.entries.set(`${e.as}:${e.who}`, e);
      }
    } catch (err) {
      this.onError(new Error(`banned table ${file} unreadable: ${(err as Error).message}`));
    }
  }

  private save(): void {
    const file = this.file;
    if (!file) return;
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.list()));
      renameSync(tmp, file);
    } catch (err) {
      this.onError(err as Error);
    }
  }
}
