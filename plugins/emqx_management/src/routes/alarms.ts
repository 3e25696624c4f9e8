// /alarms (emqx_mgmt_api_alarms): activated and deactivated, per node or all.
import { ApiCode, fail, ok, type AlarmRow } from '@nemq/sdk';
import { bodyObject, call, everyNode, runningNode, type Env } from '../env.js';

const json = (a: AlarmRow): Record<string, unknown> => ({
  node: a.node, name: a.name, message: a.message, details: a.details, activated: a.activated,
  activate_at: a.activate_at * 1000, duration: (a.deactivate_at ?? Date.now()) - a.activate_at,
  ...(a.deactivate_at !== undefined ? { deactivate_at: a.deactivate_at * 1000 } : {}),
});

export function alarmRoutes(env: Env): void {
  const r = env.route;
  const views: Array<[string, boolean | undefined]> = [['', undefined], ['/activated', true], ['/deactivated', false]];
  for (const [suffix, activated] of views) {
    const args = activated === undefined ? {} : { activated };
    r({ name: `get_alarms${suffix.replace('/', '_')}`, method: 'GET', path: `/alarms${suffix}`, descr: 'List alarms in the cluster' },
      async () => ok((await everyNode(env, 'alarms', args)).map(([node, alarms]) => ({ node, alarms: alarms.map(json) }))));
    r({ name: `get_node_alarms${suffix.replace('/', '_')}`, method: 'GET', path: `/nodes/:node/alarms${suffix}`, descr: 'List alarms of a node' },
      async (q) => ok((await call(env, runningNode(env, q.params.node!), 'alarms', args)).map(json)));
  }
  r({ name: 'deactivate_alarm', method: 'POST', path: '/alarms/deactivated', descr: 'Deactivate an alarm' }, async (q) => {
    const p = bodyObject(q.body);
    if (!p || typeof p.name !== 'string') return fail(ApiCode.MISSING_PARAMETER, 'missing name');
    const nodes = typeof p.node === 'string' ? [runningNode(env, p.node)] : env.ctx.admin.nodes().running;
    let done = false;
    for (const n of nodes) done = (await call(env, n, 'alarm_deactivate', { name: p.name })) || done;
    return done ? ok() : fail(ApiCode.UNKNOWN_ERROR, 'not_found');
  });
  r({ name: 'delete_deactivated_alarms', method: 'DELETE', path: '/alarms/deactivated', descr: 'Delete all deactivated alarms in the cluster' }, async () => {
    await everyNode(env, 'alarms_clear', {});
    return ok();
  });
  r({ name: 'delete_node_deactivated_alarms', method: 'DELETE', path: '/nodes/:node/alarms/deactivated', descr: 'Delete deactivated alarms of a node' }, async (q) => {
    await call(env, runningNode(env, q.params.node!), 'alarms_clear', {});
    return ok();
  });
}
