// /banned (emqx_mgmt_api_banned): the replicated banned table.
import { ApiCode, fail, ok, paginate, type BanRow } from '@nemq/sdk';
import { bodyObject, call, type Env } from '../env.js';

const KINDS = ['clientid', 'username', 'peerhost'];

export function bannedRoutes(env: Env): void {
  const r = env.route;
  const self = (): string => env.ctx.admin.nodes().running[0]!;
  r({ name: 'list_banned', method: 'GET', path: '/banned', descr: 'List banned' }, async (q) => {
    const p = paginate(await call(env, self(), 'banned', {}), q.query, env.maxRows);
    return ok(p.data, p.meta);
  });
  r({ name: 'create_banned', method: 'POST', path: '/banned', descr: 'Create banned' }, async (q) => {
    const p = bodyObject(q.body);
    if (!p) return fail(ApiCode.NOT_JSON, 'body must be a JSON object');
    for (const k of ['who', 'as']) if (p[k] === undefined) return fail(ApiCode.MISSING_PARAMETER, `missing parameter: ${k}`);
    if (typeof p.who !== 'string' || p.who === '') return fail(ApiCode.PARAMETER_TYPE_ERROR, 'who must be a string');
    if (!KINDS.includes(p.as as string)) return fail(ApiCode.PARAMETER_TYPE_ERROR, 'as must be clientid, username or peerhost');
    const now = Math.floor(Date.now() / 1000);
    const num = (v: unknown, d: number): number | undefined => (v === undefined ? d : typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : undefined);
    const at = num(p.at, now);
    const until = num(p.until, (at ?? now) + 300);
    if (at === undefined || until === undefined) return fail(ApiCode.PARAMETER_TYPE_ERROR, 'at and until must be seconds since the epoch');
    const row: BanRow = { who: p.who, as: p.as as BanRow['as'], reason: typeof p.reason === 'string' ? p.reason : '', by: typeof p.by === 'string' ? p.by : (q.user ?? 'user'), at, until };
    await call(env, self(), 'ban', row);
    return ok(row);
  });
  r({ name: 'delete_banned', method: 'DELETE', path: '/banned/:as/:who', descr: 'Delete banned' }, async (q) => {
    const as = q.params.as!;
    if (!KINDS.includes(as)) return fail(ApiCode.PARAMETER_TYPE_ERROR, 'as must be clientid, username or peerhost');
    await call(env, self(), 'unban', { as: as as BanRow['as'], who: q.params.who! });
    return ok();
  });
}
