// mqtt_acl rows → rules → a decision (EMQX emqx_acl_mysql + emqx_access_rule, reference §2.8).
//
// A row is (allow, ipaddr, username, clientid, access, topic), by position:
//   allow   1 allow | 0 deny
//   access  1 subscribe | 2 publish | 3 both
//   topic   a filter ('+', '#', '%u', '%c' levels) or `eq <topic>` for an exact match
//   who     username `$all` → everyone; else the non-empty ones of ipaddr (CIDR),
//           username, clientid, all of which must match
// Rows are tried last row first (EMQX's compile loop reverses them); the first rule whose
// who and topic match decides. A row EMQX cannot compile (NULL allow, access 4, all of
// ipaddr/username/clientid NULL, a bad CIDR) throws, and the whole check has no opinion.
import { isIPv4, isIPv6 } from 'node:net';
import { peerAddress } from './sql.js';

export type PubSub = 'publish' | 'subscribe';
type Access = PubSub | 'pubsub';

/** a wildcard level, distinct from any text (a username `#` fed into `%u` is text) */
const PLUS: unique symbol = Symbol('+');
const HASH: unique symbol = Symbol('#');
const USER: unique symbol = Symbol('%u');
const CLIENT: unique symbol = Symbol('%c');
type Word = string | typeof PLUS | typeof HASH;
type PatternWord = Word | typeof USER | typeof CLIENT;

type Who =
  | { readonly kind: 'all' }
  | { readonly kind: 'ipaddr'; readonly cidr: Cidr }
  | { readonly kind: 'user'; readonly name: string }
  | { readonly kind: 'client'; readonly id: string }
  | { readonly kind: 'and'; readonly conds: readonly Who[] };

type TopicRule =
  | { readonly kind: 'eq'; readonly words: readonly Word[] }
  | { readonly kind: 'filter'; readonly words: readonly Word[] }
  | { readonly kind: 'pattern'; readonly words: readonly PatternWord[] };

export interface Rule {
  readonly allow: boolean;
  readonly who: Who;
  readonly access: Access;
  readonly topic: TopicRule;
}

export interface AclClient {
  readonly clientid: string;
  readonly username?: string | undefined;
  readonly peerhost: string;
}

export class AclRowError extends Error {}

/** topic levels; `+` and `#` levels are wildcards (also in the client's own topic, as EMQX) */
export function words(topic: string): Word[] {
  return topic.split('/').map((w) => (w === '+' ? PLUS : w === '#' ? HASH : w));
}

function compileTopic(t: unknown): TopicRule {
  const s = text(t);
  if (s === undefined) throw new AclRowError(`topic ${String(t)} is not text`);
  if (s.startsWith('eq ')) return { kind: 'eq', words: words(s.slice(3)) };
  const w = words(s);
  if (!w.includes('%u') && !w.includes('%c')) return { kind: 'filter', words: w };
  return { kind: 'pattern', words: w.map((x) => (x === '%u' ? USER : x === '%c' ? CLIENT : x)) };
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return undefined;
}

const empty = (v: unknown): boolean => v === null || v === undefined || v === '' || (Buffer.isBuffer(v) && v.length === 0);

function compileWho(ipaddr: unknown, username: unknown, clientid: unknown): Who {
  if (text(username) === '$all') return { kind: 'all' };
  if (ipaddr === null && username === null && clientid === null) throw new AclRowError('ipaddr, username and clientid are all NULL');
  const conds: Who[] = [];
  if (!empty(ipaddr)) {
    const s = text(ipaddr);
    const cidr = s === undefined ? undefined : parseCidr(s);
    if (!cidr) throw new AclRowError(`bad ipaddr ${String(ipaddr)}`);
    conds.push({ kind: 'ipaddr', cidr });
  }
  if (!empty(username)) conds.push({ kind: 'user', name: text(username) ?? String(username) });
  if (!empty(clientid)) conds.push({ kind: 'client', id: text(clientid) ?? String(clientid) });
  return conds.length === 1 ? conds[0]! : { kind: 'and', conds };
}

function compileAllow(v: unknown): boolean {
  if (v === 1 || v === '1') return true;
  if (v === 0 || v === '0') return false;
  throw new AclRowError(`allow ${String(v)} is not 0 or 1`);
}

function compileAccess(v: unknown): Access {
  if (v === 1 || v === '1') return 'subscribe';
  if (v === 2 || v === '2') return 'publish';
  if (v === 3 || v === '3') return 'pubsub';
  throw new AclRowError(`access ${String(v)} is not 1, 2 or 3`);
}

/** rows as the query returns them (arrays, by position) → rules in the order they are tried */
export function compileRows(rows: readonly (readonly unknown[])[]): Rule[] {
  const rules: Rule[] = [];
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i]!;
    if (row.length !== 6) throw new AclRowError(`a row has ${row.length} columns; the ACL query must select allow, ipaddr, username, clientid, access, topic`);
    rules.push({ allow: compileAllow(row[0]), who: compileWho(row[1], row[2], row[3]), access: compileAccess(row[4]), topic: compileTopic(row[5]) });
  }
  return rules;
}

/** the first rule for `pubsub` that matches decides; undefined when none does */
export function decide(rules: readonly Rule[], client: AclClient, pubsub: PubSub, topic: string): 'allow' | 'deny' | undefined {
  let tw: Word[] | undefined;
  let ip: IpAddress | null | undefined;
  for (const r of rules) {
    if (r.access !== pubsub && r.access !== 'pubsub') continue;
    if (!matchWho(r.who, client, () => (ip === undefined ? (ip = parseIp(client.peerhost) ?? null) : ip))) continue;
    if (!matchTopic(r.topic, client, (tw ??= words(topic)))) continue;
    return r.allow ? 'allow' : 'deny';
  }
  return undefined;
}

function matchWho(who: Who, c: AclClient, ip: () => IpAddress | null): boolean {
  switch (who.kind) {
    case 'all':
      return true;
    case 'user':
      return c.username === who.name;
    case 'client':
      return c.clientid === who.id;
    case 'ipaddr': {
      const a = ip();
      return a !== null && cidrMatch(who.cidr, a);
    }
    case 'and':
      // EMQX folds over every condition: an empty list matches everyone
      return who.conds.every((w) => matchWho(w, c, ip));
  }
}

function matchTopic(t: TopicRule, c: AclClient, topic: Word[]): boolean {
  switch (t.kind) {
    case 'eq':
      return topic.length === t.words.length && topic.every((w, i) => w === t.words[i]);
    case 'filter':
      return matchWords(topic, t.words);
    case 'pattern': {
      const fed: Word[] = [];
      for (const w of t.words) {
        if (w === USER) {
          // a client without username never matches a %u rule
          if (c.username === undefined) return false;
          fed.push(c.username);
        } else if (w === CLIENT) {
          fed.push(c.clientid);
        } else fed.push(w);
      }
      return matchWords(topic, fed);
    }
  }
}

/** emqx_topic:match/2 over level lists */
export function matchWords(t: readonly Word[], f: readonly Word[]): boolean {
  for (let i = 0; ; i++) {
    if (i === t.length && i === f.length) return true;
    const fw = f[i];
    if (i < t.length && i < f.length && (t[i] === fw || fw === PLUS)) continue;
    return fw === HASH && i === f.length - 1;
  }
}

// ---- addresses (esockd_cidr with host bits cleared) -------------------------------------

interface IpAddress {
  readonly v6: boolean;
  readonly bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  readonly prefix: number;
}

/** an address; IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is taken as IPv4 */
export function parseIp(s: string): IpAddress | undefined {
  const a = peerAddress(s.trim());
  if (isIPv4(a)) return { v6: false, bytes: Uint8Array.from(a.split('.').map(Number)) };
  if (!isIPv6(a)) return undefined;
  const bytes = v6Bytes(a);
  if (!bytes) return undefined;
  return bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff ? { v6: false, bytes: bytes.slice(12) } : { v6: true, bytes };
}

function v6Bytes(s: string): Uint8Array | undefined {
  let str = s;
  const tail = str.slice(str.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    const q = tail.split('.').map(Number);
    str = `${str.slice(0, str.length - tail.length)}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const [head, rest] = str.split('::') as [string, string | undefined];
  const hex = (p: string | undefined): number[] => (p ? p.split(':').map((h) => parseInt(h, 16)) : []);
  const h = hex(head);
  const r = hex(rest);
  const groups = rest === undefined ? h : [...h, ...new Array<number>(8 - h.length - r.length).fill(0), ...r];
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** `a.b.c.d`, `a.b.c.d/n`, `v6`, `v6/n`; host bits are cleared */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!addr) return undefined;
  const max = addr.v6 ? 128 : 32;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1).trim();
    if (!/^\d+$/.test(p) || Number(p) > max) return undefined;
    prefix = Number(p);
  }
  const bytes = Uint8Array.from(addr.bytes);
  for (let bit = prefix; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { v6: addr.v6, bytes, prefix };
}

export function cidrMatch(c: Cidr, a: IpAddress): boolean {
  if (c.v6 !== a.v6) return false;
  for (let bit = 0; bit < c.prefix; bit += 8) {
    const n = Math.min(8, c.prefix - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((a.bytes[bit >> 3]! & mask) !== c.bytes[bit >> 3]) return false;
  }
  return true;
}
