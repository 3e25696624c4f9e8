// auth.jwt.jwks: the key set fetched from a URL at start and every refresh_interval. A failed
// fetch (unreachable, not 2xx, not a JWKS) keeps the keys from the last good one, and is
// reported as an auth backend error; the next round tries again.
import type { Logger } from '@nemq/sdk';
import { parseJwks, type VerifyKey } from './keys.js';

export interface JwksOptions {
  readonly url: string;
  readonly intervalMs: number;
  /** one fetch, at most */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly backendError: (kind: 'auth', reason: string) => void;
}

/** the URL without user:password (fetch refuses them; they go as Basic authorization), and its headers */
function target(url: string): { href: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { accept: 'application/json' };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('auth.jwt.jwks is not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`auth.jwt.jwks: ${u.protocol} is not http: or https:`);
  if (u.username || u.password) {
    const cred = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
    headers.authorization = `Basic ${Buffer.from(cred).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  return { href: u.toString(), headers };
}

export class Jwks {
  /** undefined until a fetch succeeded (EMQX then checks tokens with a kid against the static keys) */
  keys: ReadonlyMap<string, readonly VerifyKey[]> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly where: string;
  private readonly headers: Record<string, string>;

  /** throws when the URL is not an http(s) URL */
  constructor(private readonly o: JwksOptions) {
    const t = target(o.url);
    this.where = t.href;
    this.headers = t.headers;
  }

  /** the first fetch (its failure does not fail the plugin), then the refresh rounds */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh().then(() => this.schedule());
    }, this.o.intervalMs);
    this.timer.unref();
  }

  /** one fetch; true when the keys were replaced */
  async refresh(): Promise<boolean> {
    let body: string;
    try {
      const res = await fetch(this.where, { signal: AbortSignal.any([this.o.signal, AbortSignal.timeout(this.o.timeoutMs)]), headers: this.headers });
      body = await res.text();
      if (res.status < 200 || res.status > 299) throw new Error(`HTTP status ${res.status}`);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return this.failed(cause ? `${(err as Error).message} (${cause.code ?? cause.message})` : (err as Error).message);
    }
    if (this.stopped) return false;
    try {
      const set = parseJwks(body);
      for (const s of set.skipped) this.o.logger.debug(`[emqx_auth_jwt] JWKS ${this.where}: ${s} left out`);
      this.keys = set.byKid;
      this.o.logger.debug(`[emqx_auth_jwt] JWKS ${this.where}: ${set.byKid.size} key id(s)`);
      return true;
    } catch (err) {
      return this.failed((err as Error).message);
    }
  }

  private failed(why: string): false {
    if (!this.stopped) {
      const kept = this.keys ? `keeping the ${this.keys.size} key id(s) of the last good fetch` : 'no JWKS keys yet';
      this.o.backendError('auth', `JWKS fetch from ${this.where} failed: ${why}; ${kept}`);
    }
    return false;
  }
}
