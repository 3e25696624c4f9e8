// The connections to the LDAP servers (EMQX: an ecpool of `auth.ldap.pool` eldap2 connections, each
// bound as auth.ldap.bind_dn). A connection that closes is dropped and made again on its next use,
// so the plugin finds a server that comes back by itself. ldapjs's own reconnect and queue are off:
// a request on a dead connection fails at once instead of waiting.
import type { ConnectionOptions } from 'node:tls';
import ldap from 'ldapjs';

export interface PoolOptions {
  /** ldap:// or ldaps:// URLs, tried in order */
  urls: string[];
  size: number;
  bindDn: string;
  bindPassword: string;
  /** ms, for connecting and for each request */
  timeout: number;
  tls?: ConnectionOptions | undefined;
}

export interface LdapEntry {
  readonly dn: string;
  /** attribute values by lower-case attribute type */
  readonly attrs: ReadonlyMap<string, readonly Buffer[]>;
}

/** why a request failed: `code` is the LDAP result code when the server answered one */
export class LdapError extends Error {
  constructor(message: string, readonly code?: number) {
    super(message);
  }
}

export const NO_SUCH_OBJECT = 32;
export const INVALID_DN_SYNTAX = 34;
export const INVALID_CREDENTIALS = 49;

function toLdapError(err: unknown): LdapError {
  if (err instanceof LdapError) return err;
  const e = err as { code?: unknown; message?: string; lde_message?: string; name?: string };
  const msg = e?.lde_message || e?.message || String(err);
  return new LdapError(`${e?.name ?? 'Error'}: ${msg}`, typeof e?.code === 'number' ? e.code : undefined);
}

/** a connected ldapjs client, bound as `dn` when dn is given */
export function connect(o: PoolOptions, dn: string | undefined, password: string): Promise<ldap.Client> {
  return new Promise((resolve, reject) => {
    const c = ldap.createClient({
      url: o.urls,
      timeout: o.timeout,
      connectTimeout: o.timeout,
      queueDisable: true,
      ...(o.tls ? { tlsOptions: o.tls } : {}),
    });
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      c.destroy();
      reject(toLdapError(err));
    };
    // after `connect`, errors reach the owner through `close`; keep a listener so none is unhandled
    c.on('error', fail);
    c.on('connectError', fail);
    c.on('connectRefused', fail);
    c.on('connectTimeout', fail);
    c.on('setupError', fail);
    c.on('close', () => fail(new LdapError('connection closed')));
    c.once('connect', () => {
      if (dn === undefined) {
        settled = true;
        return resolve(c);
      }
      c.bind(dn, password, (err) => {
        if (err) return fail(err);
        settled = true;
        resolve(c);
      });
    });
  });
}

class Conn {
  private client: Promise<ldap.Client> | undefined;

  constructor(private readonly o: PoolOptions) {}

  get(): Promise<ldap.Client> {
    if (!this.client) {
      const p = connect(this.o, this.o.bindDn, this.o.bindPassword);
      this.client = p;
      p.then(
        (c) => {
          const drop = (): void => {
            if (this.client === p) this.client = undefined;
          };
          c.on('close', drop);
          c.on('error', drop);
        },
        () => {
          if (this.client === p) this.client = undefined;
        },
      );
    }
    return this.client;
  }

  async close(): Promise<void> {
    const p = this.client;
    this.client = undefined;
    if (!p) return;
    try {
      (await p).destroy();
    } catch {
      /* never connected */
    }
  }
}

export interface SearchRequest {
  base: string;
  filter: ldap.Filter;
  attributes: string[];
}

export class Pool {
  private readonly conns: Conn[];
  private next = 0;
  private closed = false;

  constructor(readonly o: PoolOptions) {
    this.conns = Array.from({ length: o.size }, () => new Conn(o));
  }

  /** connects and binds every connection; throws the first failure (EMQX: the plugin does not start) */
  async open(): Promise<void> {
    await Promise.all(this.conns.map((c) => c.get()));
  }

  /**
   * The entries under `base` (whole subtree) that match `filter`, at most 2 (the caller wants one).
   * A base that does not exist gives none.
   */
  async search(req: SearchRequest): Promise<LdapEntry[]> {
    if (this.closed) throw new LdapError('pool is closed');
    const conn = this.conns[this.next++ % this.conns.length]!;
    if (this.next >= this.conns.length) this.next = 0;
    let client: ldap.Client;
    try {
      client = await conn.get();
    } catch (err) {
      throw toLdapError(err);
    }
    return new Promise((resolve, reject) => {
      const out: LdapEntry[] = [];
      let done = false;
      const timer = setTimeout(() => finish(new LdapError(`search timed out after ${this.o.timeout} ms`)), this.o.timeout + 1000);
      const finish = (err?: unknown): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const e = err === undefined ? undefined : toLdapError(err);
        if (e && e.code !== NO_SUCH_OBJECT && e.code !== INVALID_DN_SYNTAX) reject(e);
        else resolve(out);
      };
      client.search(req.base, { scope: 'sub', filter: req.filter, attributes: req.attributes, sizeLimit: 2, timeLimit: Math.ceil(this.o.timeout / 1000) }, (err, res) => {
        if (err) return finish(err);
        res.on('searchEntry', (e) => {
          const attrs = new Map<string, Buffer[]>();
          for (const a of e.attributes) attrs.set(a.type.toLowerCase(), a.buffers);
          out.push({ dn: String(e.objectName), attrs });
        });
        res.on('error', (e) => {
          // sizeLimitExceeded: more than one entry, which the caller reports
          if ((e as { code?: number }).code === 4) finish();
          else finish(e);
        });
        res.on('end', (r) => {
          const status = r?.status ?? 0;
          if (status === 0 || status === 4) finish();
          else finish(new LdapError(`search failed with LDAP result ${status}`, status));
        });
      });
    });
  }

  /**
   * bind_as_user: binds as `dn` with `password` on a connection of its own, closed afterwards.
   * true: the server accepted; false: invalid credentials. Other failures throw.
   */
  async checkBind(dn: string, password: string): Promise<boolean> {
    if (this.closed) throw new LdapError('pool is closed');
    let c: ldap.Client;
    try {
      c = await connect(this.o, dn, password);
    } catch (err) {
      const e = toLdapError(err);
      if (e.code === INVALID_CREDENTIALS) return false;
      throw e;
    }
    c.destroy();
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.conns.map((c) => c.close()));
  }
}
