// What one auth/superuser/ACL request sends (EMQX's emqx_auth_http_cli:request/7 and feedvar/2):
// GET puts the params in the query string; POST sends them as a form or a JSON object.
import { expandPlaceholders, placeholderValue, type Placeholder, type PlaceholderClient, type PlaceholderTarget } from '@nemq/sdk';
import type { Param, RequestSpec } from './options.js';

export interface BuiltRequest {
  /** path with the query string */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** undefined for GET */
  readonly body: string | undefined;
}

// A value the client lacks is sent as EMQX writes it: `undefined` for the fields its ClientInfo
// always has (username, password, mountpoint...), `null` for those it only has sometimes (the
// certificate's CN and subject without TLS, topic and access outside the ACL request).
const MISSING = 'undefined';
const EXPAND = { missing: MISSING } as const;
const missing = (p: Placeholder): string => (p === '%C' || p === '%d' || p === '%A' || p === '%t' ? 'null' : MISSING);

/** the value of one param for this client (and topic/access, for the ACL request) */
export function paramValue(p: Param, ci: PlaceholderClient, target?: PlaceholderTarget): string {
  switch (p.kind) {
    case 'text':
      return p.text;
    case 'var':
      return placeholderValue(p.var, ci, target) ?? missing(p.var);
    case 'template':
      return expandPlaceholders(p.text, ci, target ? { ...target, missing: MISSING } : EXPAND);
  }
}

/** application/x-www-form-urlencoded: space as `+`, everything but `A-Za-z0-9*-._` percent-encoded */
export function formEncode(keys: readonly string[], values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += '&';
    out += formComponent(keys[i]!) + '=' + formComponent(values[i]!);
  }
  return out;
}

function formComponent(s: string): string {
  return encodeURIComponent(s).replace(/[!'()~]|%20/g, (m) => (m === '%20' ? '+' : `%${m.charCodeAt(0).toString(16).toUpperCase()}`));
}

/** path, headers and body of `spec` for this client; client data is only ever encoded as values */
export function buildRequest(spec: RequestSpec, ci: PlaceholderClient, target?: PlaceholderTarget): BuiltRequest {
  const ps = spec.params;
  const keys = new Array<string>(ps.length);
  const values = new Array<string>(ps.length);
  for (let i = 0; i < ps.length; i++) {
    keys[i] = ps[i]!.key;
    values[i] = paramValue(ps[i]!, ci, target);
  }
  switch (spec.encoding) {
    case 'query': {
      if (ps.length === 0) return { path: spec.path, headers: spec.headers, body: undefined };
      const qs = formEncode(keys, values);
      return { path: spec.path + (spec.path.includes('?') ? '&' : '?') + qs, headers: spec.headers, body: undefined };
    }
    case 'form':
      return { path: spec.path, headers: spec.headers, body: formEncode(keys, values) };
    case 'json': {
      const o: Record<string, string> = {};
      for (let i = 0; i < keys.length; i++) o[keys[i]!] = values[i]!;
      return { path: spec.path, headers: spec.headers, body: JSON.stringify(o) };
    }
  }
}
