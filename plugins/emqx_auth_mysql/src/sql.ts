// Queries with placeholders (EMQX emqx_auth_mysql_cli:parse_query/1 and replvar/2), through
// the SDK's bindTemplate (values: the SDK's bindValues; a missing one binds 'undefined'). Only '%u', '%c', '%a', '%C' and '%d' written inside
// single quotes are variables: each becomes a `?` bind parameter of a prepared statement.
import { bindTemplate, type BoundTemplate, type Placeholder } from '@nemq/sdk';

/** the placeholders EMQX's MySQL plugin replaces */
const MYSQL_PLACEHOLDERS: readonly Placeholder[] = ['%u', '%c', '%a', '%C', '%d'];

export type ParsedQuery = BoundTemplate;

export function parseQuery(sql: string): ParsedQuery {
  return bindTemplate(sql, MYSQL_PLACEHOLDERS);
}
