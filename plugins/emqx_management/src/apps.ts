// API applications (EMQX's mqtt_app table): AppID and secret for Basic auth on 8081. The
// default one comes from management.default_application.*; the rest are kept in
// <data_dir>/mgmt_apps.json and, in a cluster, in a table every node shares.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClusterTable } from '@nemq/sdk';

export interface App {
  app_id: string;
  secret: string;
  name: string;
  desc: string;
  status: boolean;
  /** seconds since the epoch, or 'undefined' (EMQX's never) */
  expired: number | 'undefined';
}

export class Apps {
  private readonly apps = new Map<string, App>();
  table: ClusterTable | undefined;

  constructor(private readonly file: string, private readonly onError: (m: string) => void) {
    if (!existsSync(file)) return;
    try {
      for (const a of JSON.parse(readFileSync(file, 'utf8')) as App[]) this.apps.set(a.app_id, a);
    } catch (err) {
      onError(`${file}: ${(err as Error).message}`);
    }
  }

  /** the default application from the conf (kept as configured; not saved) */
  ensureDefault(id: string, secret: string): void {
    if (id === '') return;
    const cur = this.apps.get(id);
    this.apps.set(id, { app_id: id, secret, name: cur?.name ?? 'Default', desc: cur?.desc ?? 'Application user', status: true, expired: 'undefined' });
  }

  /** Basic auth: an enabled, unexpired app with this secret */
  check(id: string, secret: string): boolean {
    const a = this.apps.get(id);
    if (!a || !a.status || a.secret !== secret) return false;
    return a.expired === 'undefined' || a.expired * 1000 > Date.now();
  }

  list(): App[] {
    return [...this.apps.values()];
  }

  get(id: string): App | undefined {
    return this.apps.get(id);
  }

  /** returns the secret; `already_existed` when taken */
  add(a: Omit<App, 'secret'> & { secret?: string | undefined }): string | { error: string } {
    if (this.apps.has(a.app_id)) return { error: 'already_existed' };
    const app: App = { ...a, secret: a.secret || randomBytes(24).toString('base64url') };
    this.put(app);
    return app.secret;
  }

  update(id: string, change: Partial<Omit<App, 'app_id' | 'secret'>>): boolean {
    const a = this.apps.get(id);
    if (!a) return false;
    this.put({ ...a, ...change });
    return true;
  }

  delete(id: string): boolean {
    if (!this.apps.delete(id)) return false;
    this.table?.delete(id);
    this.save();
    return true;
  }

  /** a row another node changed */
  apply(id: string, json: string | undefined): void {
    if (json === undefined) this.apps.delete(id);
    else this.apps.set(id, JSON.parse(json) as App);
    this.save();
  }

  private put(a: App): void {
    this.apps.set(a.app_id, a);
    this.table?.set(a.app_id, JSON.stringify(a));
    this.save();
  }

  private save(): void {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(this.file + '.tmp', JSON.stringify(this.list(), null, 1));
      renameSync(this.file + '.tmp', this.file);
    } catch (err) {
      this.onError(`${this.file}: ${(err as Error).message}`);
    }
  }
}
