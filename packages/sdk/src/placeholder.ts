// EMQX placeholders in plugin settings (queries, URLs, topics, mountpoints):
//   %u username   %c clientid   %a peer IP     %C cert common name   %d cert subject DN
//   %P password   %p sockport   %r protocol    %t topic              %A access (1 subscribe, 2 publish)
//   %m mountpoint

export type Placeholder = '%u' | '%c' | '%a' | '%C' | '%d' | '%P' | '%p' | '%r' | '%t' | '%A' | '%m';

export const PLACEHOLDERS: readonly Placeholder[] = ['%u', '%c', '%a', '%C', '%d', '%P', '%p', '%r', '%t', '%A', '%m'];

/** Client info fields, as EMQX names them. */
export interface PlaceholderClient {
  readonly clientid?: string | undefined;
  readonly username?: string | undefined;
  readonly peerhost?: string | undefined;
  readonly cn?: string | undefined;
  readonly dn?: string | undefined;
  readonly password?: string | Buffer | undefined;
  readonly sockport?: number | undefined;
  readonly protocol?: string | undefined;
  readonly mountpoint?: string | undefined;
}

/** What is being checked, for `%t` and `%A`. */
export interface PlaceholderTarget {
  readonly topic?: string | undefined;
  readonly access?: 'subscribe' | 'publish' | undefined;
}

/**
 * The peer address as text. A dual-stack socket reports IPv4 peers as `::ffff:a.b.c.d`;
 * EMQX (IPv4 listener) writes `a.b.c.d`.
 */
export function peerAddress(peerhost: string): string {
  return peerhost.startsWith('::ffff:') && peerhost.includes('.') ? peerhost.slice(7) : peerhost;
}

/** The value of one placeholder, undefined when the client has none. */
export function placeholderValue(p: Placeholder, ci: PlaceholderClient, target?: PlaceholderTarget): string | undefined {
  switch (p) {
    case '%u':
      return ci.username;
    case '%c':
      return ci.clientid;
    case '%a':
      return ci.peerhost === undefined ? undefined : peerAddress(ci.peerhost);
    case '%C':
      return ci.cn;
    case '%d':
      return ci.dn;
    case '%P':
      return ci.password === undefined ? undefined : typeof ci.password === 'string' ? ci.password : ci.password.toString('utf8');
    case '%p':
      return ci.sockport === undefined ? undefined : String(ci.sockport);
    case '%r':
      return ci.protocol;
    case '%t':
      return target?.topic;
    case '%A':
      return target?.access === 'subscribe' ? '1' : target?.access === 'publish' ? '2' : undefined;
    case '%m':
      return ci.mountpoint;
  }
}

export interface ExpandOptions extends PlaceholderTarget {
  /** the placeholders to expand; others stay as written (default: all) */
  readonly only?: readonly Placeholder[];
  /** text for a missing value (default: the placeholder stays as written) */
  readonly missing?: string;
}

const ANY = /%[ucaCdPprtAm]/g;

/** Plain text substitution of every placeholder in `text`. */
export function expandPlaceholders(text: string, ci: PlaceholderClient, opts: ExpandOptions = {}): string {
  if (!text.includes('%')) return text;
  return text.replace(ANY, (m) => {
    const p = m as Placeholder;
    if (opts.only !== undefined && !opts.only.includes(p)) return m;
    return placeholderValue(p, ci, opts) ?? opts.missing ?? m;
  });
}

/** A SQL-like template with its quoted placeholders turned into bind parameters. */
export interface BoundTemplate {
  /** the template with every `'%x'` replaced by `?` */
  readonly sql: string;
  /** the placeholders, in the order of the `?` they stand for */
  readonly params: readonly Placeholder[];
}

/**
 * Finds `'%x'` (a placeholder alone inside single quotes) for each allowed placeholder and
 * makes it a `?` bind parameter, so client data never becomes query text. Anything else
 * (an unquoted %u, "%u", a placeholder not allowed) stays as written.
 */
export function bindTemplate(sql: string, allowed: readonly Placeholder[] = PLACEHOLDERS): BoundTemplate {
  const params: Placeholder[] = [];
  const out = sql.replace(/'(%[ucaCdPprtAm])'/g, (m, p: Placeholder) => {
    if (!allowed.includes(p)) return m;
    params.push(p);
    return '?';
  });
  return { sql: out, params };
}

/** The bind values for `params`; a missing value binds the string `undefined`, as EMQX. */
export function bindValues(params: readonly Placeholder[], ci: PlaceholderClient, target?: PlaceholderTarget): string[] {
  const out = new Array<string>(params.length);
  for (let i = 0; i < params.length; i++) out[i] = placeholderValue(params[i]!, ci, target) ?? 'undefined';
  return out;
}
