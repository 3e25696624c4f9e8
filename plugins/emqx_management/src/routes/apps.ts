// /apps (emqx_mgmt_api_apps): API credentials. EMQX serves these on the dashboard listener only.
import { ApiCode, fail, ok } from '@nemq/sdk';
import type { App, Apps } from '../apps.js';
import { bodyObject, type Env } from '../env.js';

const pub = (a: App): Record<string, unknown> => ({ app_id: a.app_id, name: a.name, desc: a.desc, status: a.status, expired: a.expired });

function expiredOf(v: unknown): number | 'undefined' | null {
  if (v === undefined || v === 'undefined' || v === null) return 'undefined';
  return typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : null;
}

export function appRoutes(env: Env, apps: Apps): void {
  const r = env.route;
  const dash = 'dashboard' as const;
  r({ name: 'list_apps', method: 'GET', path: '/apps', descr: 'List Applications', listener: dash }, () => ok(apps.list().map(pub)));
  r({ name: 'lookup_app', method: 'GET', path: '/apps/:appid', descr: 'Lookup Application', listener: dash }, (q) => {
    const a = apps.get(q.params.appid!);
    return ok(a ? { ...pub(a), secret: a.secret } : {});
  });
  r({ name: 'add_app', method: 'POST', path: '/apps', descr: 'Add Application', listener: dash }, (q) => {
    const p = bodyObject(q.body);
    if (!p) return fail(ApiCode.NOT_JSON, 'body must be a JSON object');
    if (typeof p.app_id !== 'string' || p.app_id === '') return fail(ApiCode.MISSING_PARAMETER, 'missing parameter: app_id');
    const expired = expiredOf(p.expired);
    if (expired === null) return fail(ApiCode.PARAMETER_TYPE_ERROR, 'expired must be seconds since the epoch');
    const res = apps.add({
      app_id: p.app_id, name: typeof p.name === 'string' ? p.name : p.app_id, desc: typeof p.desc === 'string' ? p.desc : '',
      status: p.status !== false, expired, secret: typeof p.secret === 'string' ? p.secret : undefined,
    });
    return typeof res === 'string' ? ok({ secret: res }) : fail(ApiCode.UNKNOWN_ERROR, res.error);
  });
  r({ name: 'update_app', method: 'PUT', path: '/apps/:appid', descr: 'Update Application', listener: dash }, (q) => {
    const p = bodyObject(q.body) ?? {};
    const change: Partial<App> = {};
    if (typeof p.name === 'string') change.name = p.name;
    if (typeof p.desc === 'string') change.desc = p.desc;
    if (typeof p.status === 'boolean') change.status = p.status;
    if (p.expired !== undefined) {
      const e = expiredOf(p.expired);
      if (e === null) return fail(ApiCode.PARAMETER_TYPE_ERROR, 'expired must be seconds since the epoch');
      change.expired = e;
    }
    return apps.update(q.params.appid!, change) ? ok() : fail(ApiCode.UNKNOWN_ERROR, 'not_found');
  });
  r({ name: 'del_app', method: 'DELETE', path: '/apps/:appid', descr: 'Delete Application', listener: dash }, (q) => {
    apps.delete(q.params.appid!);
    return ok();
  });
}
