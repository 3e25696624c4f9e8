// Queries with placeholders (EMQX emqx_auth_mysql_cli:parse_query/1 and replvar/2).
// Only a placeholder written inside single quotes ('%u', '%c', '%a', '%C', '%d') is a
// variable: it becomes a `?` bind parameter of a prepared statement, so client data never
// becomes SQL text. Anything else (an unquoted %u, "%u") stays as written.

export type Placeholder = '%u' | '%c' | '%a' | '%C' | '%d';

export interface ParsedQuery {
  /** the SQL with every quoted placeholder replaced by `?` */
  readonly sql: string;
  /** the placeholders, in the order of the `?` they stand for */
  readonly params: readonly Placeholder[];
}

const QUOTED = /'(%[ucCad])'/g;

export function parseQuery(sql: string): ParsedQuery {
  const params: Placeholder[] = [];
  const out = sql.replace(QUOTED, (_m, p: Placeholder) => {
    params.push(p);
    return '?';
  });
  return { sql: out, params };
}

/** what the plugin reads from the kernel's clientinfo */
export interface ClientFields {
  readonly clientid: string;
  readonly username?: string | undefined;
  readonly peerhost: string;
  readonly cn?: string | undefined;
  readonly dn?: string | undefined;
}

/**
 * `%a`: the peer address as text. A dual-stack socket reports IPv4 peers as `::ffff:a.b.c.d`;
 * EMQX (IPv4 listener) writes `a.b.c.d`.
 */
export function peerAddress(peerhost: string): string {
  return peerhost.startsWith('::ffff:') && peerhost.includes('.') ? peerhost.slice(7) : peerhost;
}

/** the bind values for `params`; a missing username, cn or dn binds the string `undefined`, as EMQX */
export function bindParams(params: readonly Placeholder[], ci: ClientFields): string[] {
  const out = new Array<string>(params.length);
  for (let i = 0; i < params.length; i++) {
    switch (params[i]) {
      case '%u':
        out[i] = ci.username ?? 'undefined';
        break;
      case '%c':
        out[i] = ci.clientid;
        break;
      case '%a':
        out[i] = peerAddress(ci.peerhost);
        break;
      case '%C':
        out[i] = ci.cn ?? 'undefined';
        break;
      default:
        out[i] = ci.dn ?? 'undefined';
    }
  }
  return out;
}
