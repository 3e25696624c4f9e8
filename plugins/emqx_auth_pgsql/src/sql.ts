// Queries with placeholders: '%u' '%c' '%a' '%C' '%d' inside single quotes become
// $1, $2, ... bind parameters (the SDK's bindTemplate), never interpolated text.
import { bindTemplate, type BoundTemplate, type Placeholder } from '@nemq/sdk';

const PGSQL_PLACEHOLDERS: readonly Placeholder[] = ['%u', '%c', '%a', '%C', '%d'];

export type ParsedQuery = BoundTemplate;

/** bindTemplate writes `?`; PostgreSQL numbers its parameters */
export function parseQuery(sql: string): ParsedQuery {
  const t = bindTemplate(sql, PGSQL_PLACEHOLDERS);
  let n = 0;
  return { ...t, sql: t.sql.replace(/\?/g, () => `$${++n}`) };
}
