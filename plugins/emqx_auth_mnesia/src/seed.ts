// Users written in the conf file (EMQX: auth.user.<N>.username / auth.user.<N>.password and
// auth.client.<N>.clientid / auth.client.<N>.password) are added to the store at start. A login
// that is already stored keeps its stored password (it may have been changed with emqx_ctl since);
// a conf password that no longer fits it is warned about, as EMQX 4.3 does.
import type { ConfValues, Logger } from '@nemq/sdk';
import { makeSecret, matchSecret, type MnesiaHash } from './secret.js';
import type { LoginType, MnesiaStore } from './store.js';

export interface SeedUser {
  readonly type: LoginType;
  readonly id: string;
  readonly password: string;
  /** conf key prefix, e.g. auth.user.1 */
  readonly key: string;
}

const PREFIX: Readonly<Record<LoginType, readonly [string, string]>> = {
  username: ['auth.user', 'username'],
  clientid: ['auth.client', 'clientid'],
};

/** the seed users of one kind in the conf values, by their <N> (numbers in numeric order) */
export function seedUsers(conf: ConfValues, type: LoginType): SeedUser[] {
  const [prefix, field] = PREFIX[type];
  const out: { n: string; u: SeedUser }[] = [];
  for (const [k, v] of Object.entries(conf)) {
    if (!k.startsWith(prefix + '.') || !k.endsWith('.' + field)) continue;
    const n = k.slice(prefix.length + 1, -field.length - 1);
    if (n === '' || n.includes('.') || v === undefined) continue;
    const pw = conf[`${prefix}.${n}.password`];
    if (pw === undefined) throw new Error(`${prefix}.${n}.password is missing (${k} is set)`);
    out.push({ n, u: { type, id: String(v), password: String(pw), key: `${prefix}.${n}` } });
  }
  const num = (s: string): number => (/^\d+$/.test(s) ? Number(s) : Number.NaN);
  out.sort((a, b) => (Number.isNaN(num(a.n)) || Number.isNaN(num(b.n)) ? a.n.localeCompare(b.n) : num(a.n) - num(b.n)));
  return out.map((x) => x.u);
}

/** adds the seed users that are not stored yet; returns how many were added */
export function applySeeds(store: MnesiaStore, hash: MnesiaHash, seeds: readonly SeedUser[], logger: Logger, deleteCmd: string): number {
  let added = 0;
  for (const s of seeds) {
    const cur = store.user(s.type, s.id);
    if (!cur) {
      store.addUser(s.type, s.id, makeSecret(hash, s.password));
      added++;
    } else if (!matchSecret(hash, s.password, cur.secret)) {
      logger.warning(
        `${s.key}.${s.type === 'username' ? 'username' : 'clientid'} = ${s.id}: its password in the conf file does not fit the stored one; ` +
          `the stored one stays (it may have been changed with emqx_ctl). To apply the conf file's, run \`emqx_ctl ${deleteCmd} ${s.id}\` and restart.`,
      );
    }
  }
  return added;
}
