// /data/export and /data/import (emqx_mgmt_api_data): what this broker keeps that EMQX's backup holds
// (the banned table and the API applications), in EMQX's file layout.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ApiCode, fail, ok, type BanRow } from '@nemq/sdk';
import type { App, Apps } from '../apps.js';
import { bodyObject, call, datetime, type Env } from '../env.js';

const FILE = /^emqx-export-.*\.json$/;

export function dataRoutes(env: Env, apps: Apps): void {
  const r = env.route;
  const dir = env.ctx.dataDir;
  const self = (): string => env.ctx.admin.nodes().running[0]!;
  const info = (name: string): Record<string, unknown> => {
    const st = statSync(join(dir, name));
    return { filename: name, size: st.size, created_at: datetime(st.mtimeMs), node: self() };
  };
  r({ name: 'export', method: 'POST', path: '/data/export', descr: 'Export data' }, async () => {
    const d = new Date();
    const name = `emqx-export-${datetime(d).replace(/[ :]/g, '-')}.json`;
    const content = {
      version: '4.3',
      rules: [], resources: [],
      blacklist: await call(env, self(), 'banned', {}),
      apps: apps.list(),
      users: [], auth_mnesia: [], acl_mnesia: [],
      date: datetime(d.getTime()),
    };
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), JSON.stringify(content));
    return ok(info(name));
  });
  r({ name: 'get_list_exported', method: 'GET', path: '/data/export', descr: 'List exported file' },
    () => ok(existsSync(dir) ? readdirSync(dir).filter((f) => FILE.test(f)).sort().map(info) : []));
  r({ name: 'import', method: 'POST', path: '/data/import', descr: 'Import data' }, async (q) => {
    const p = bodyObject(q.body);
    if (!p) return fail(ApiCode.NOT_JSON, 'body must be a JSON object');
    let content: Record<string, unknown> | undefined = p;
    if (typeof p.filename === 'string') {
      const f = join(dir, basename(p.filename));
      if (!existsSync(f)) return fail(ApiCode.UNKNOWN_ERROR, 'not_found');
      try {
        content = bodyObject(JSON.parse(readFileSync(f, 'utf8')));
      } catch {
        content = undefined;
      }
    }
    if (!content || typeof content.version !== 'string') return fail(ApiCode.PARAMETER_TYPE_ERROR, 'not an export file');
    for (const b of (Array.isArray(content.blacklist) ? content.blacklist : []) as BanRow[]) {
      if (b && typeof b.who === 'string' && typeof b.as === 'string') await call(env, self(), 'ban', b);
    }
    for (const a of (Array.isArray(content.apps) ? content.apps : []) as App[]) {
      if (a && typeof a.app_id === 'string' && !apps.get(a.app_id)) apps.add(a);
    }
    return ok();
  });
}
