// /trace: `emqx_ctl trace` over HTTP (not in EMQX 4.3's API): list, start, stop on one node or all.
import { ApiCode, fail, ok } from '@nemq/sdk';
import { bodyObject, call, everyNode, runningNode, type Env } from '../env.js';

type Kind = 'client' | 'topic';
const kindOf = (v: unknown): Kind | undefined => (v === 'client' || v === 'clientid' ? 'client' : v === 'topic' ? 'topic' : undefined);

export function traceRoutes(env: Env): void {
  const r = env.route;
  r({ name: 'list_traces', method: 'GET', path: '/trace', descr: 'List the traces of every node' },
    async () => ok((await everyNode(env, 'traces', {})).map(([node, traces]) => ({ node, traces }))));
  r({ name: 'start_trace', method: 'POST', path: '/trace', descr: 'Start a client or topic trace' }, async (q) => {
    const p = bodyObject(q.body);
    if (!p) return fail(ApiCode.NOT_JSON, 'body must be a JSON object');
    const type = kindOf(p.type);
    if (!type) return fail(ApiCode.PARAMETER_TYPE_ERROR, 'type must be client or topic');
    for (const k of ['name', 'file']) if (typeof p[k] !== 'string' || p[k] === '') return fail(ApiCode.MISSING_PARAMETER, `missing parameter: ${k}`);
    const args = { type, name: p.name as string, file: p.file as string, ...(typeof p.level === 'string' ? { level: p.level } : {}) };
    const nodes = typeof p.node === 'string' ? [runningNode(env, p.node)] : env.ctx.admin.nodes().running;
    for (const n of nodes) {
      const res = await call(env, n, 'trace_start', args);
      if (res !== true) return fail(ApiCode.UNKNOWN_ERROR, res.error);
    }
    return ok();
  });
  r({ name: 'stop_trace', method: 'DELETE', path: '/trace/:type/:name', descr: 'Stop a client or topic trace' }, async (q) => {
    const type = kindOf(q.params.type);
    if (!type) return fail(ApiCode.PARAMETER_TYPE_ERROR, 'type must be client or topic');
    const results = await everyNode(env, 'trace_stop', { type, name: q.params.name! });
    return results.some(([, x]) => x === true) ? ok() : fail(ApiCode.UNKNOWN_ERROR, 'not_found');
  });
}
