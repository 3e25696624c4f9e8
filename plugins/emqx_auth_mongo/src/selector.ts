// Selectors: `username=%u, clientid=%c` → a MongoDB filter document (EMQX emqx_auth_mongo replvars).
//
// Parsed once at start into field/value pairs. A value that is exactly %u, %c, %C or %d is the
// client's username, client ID, certificate common name or subject; anything else is a literal
// string (`username=$all`). Client data only ever becomes a string VALUE of the document, never
// a key and never parsed: `{"$ne": null}` or `$where` as a username is compared as that text.
import { placeholderValue, type PlaceholderClient } from '@nemq/sdk';

export type SelectorValue = { readonly placeholder: '%u' | '%c' | '%C' | '%d' } | { readonly literal: string };

export interface SelectorPair {
  readonly field: string;
  readonly value: SelectorValue;
}

export type Selector = readonly SelectorPair[];

const PLACEHOLDERS = new Set(['%u', '%c', '%C', '%d']);
/** EMQX's default selector */
export const DEFAULT_SELECTOR: Selector = [{ field: 'username', value: { placeholder: '%u' } }];

/**
 * EMQX splits on commas and spaces, then each piece on `=`; a piece that is not exactly
 * `field=value` becomes `username=%u`. An empty selector is `username=%u` too (EMQX would
 * send an empty filter, which matches the first document of the collection).
 * A field starting with `$` (an operator such as `$where`) is refused.
 */
export function parseSelector(text: string, key = 'selector'): Selector {
  const pairs: SelectorPair[] = [];
  for (const piece of text.split(/[, ]+/)) {
    if (piece === '') continue;
    const parts = piece.split('=').filter((p) => p !== '');
    if (parts.length !== 2) {
      pairs.push(DEFAULT_SELECTOR[0]!);
      continue;
    }
    const [field, value] = parts as [string, string];
    if (field.startsWith('$')) throw new Error(`${key}: field ${field} is an operator, not a document field`);
    pairs.push({ field, value: PLACEHOLDERS.has(value) ? { placeholder: value as '%u' } : { literal: value } });
  }
  return pairs.length > 0 ? pairs : DEFAULT_SELECTOR;
}

/**
 * The filter for one client. A placeholder the client has no value for (no username, no
 * certificate) is `[]`, which no string field equals (EMQX 4.3's "unmatchable").
 */
export function selectorFilter(sel: Selector, ci: PlaceholderClient): Record<string, string | never[]> {
  const doc: Record<string, string | never[]> = Object.create(null) as Record<string, string | never[]>;
  for (const { field, value } of sel) {
    if ('literal' in value) doc[field] = value.literal;
    else doc[field] = placeholderValue(value.placeholder, ci) ?? [];
  }
  return { ...doc };
}
