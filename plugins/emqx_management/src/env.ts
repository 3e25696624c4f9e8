// What every route module gets: the plugin context, the row limit, and fan-out helpers.
import type { AdminOp, AdminOps, ApiHandler, ApiRoute, PluginContext, Slice } from '@nemq/sdk';
import { ApiCode, fail } from '@nemq/sdk';

export interface Env {
  readonly ctx: PluginContext;
  readonly maxRows: number;
  route(r: ApiRoute, h: ApiHandler): void;
}

/** a `:node` binding that names no running node answers 404 as EMQX's unknown atom does */
export class NotFound extends Error {}

export function runningNode(env: Env, node: string): string {
  if (!env.ctx.admin.nodes().running.includes(node)) throw new NotFound(node);
  return node;
}

export function call<K extends AdminOp>(env: Env, node: string, op: K, args: AdminOps[K][0]): Promise<AdminOps[K][1]> {
  return env.ctx.admin.call(node, op, args);
}

/** every running node's answer, this node first; a node that fails is left out and logged */
export async function everyNode<K extends AdminOp>(env: Env, op: K, args: AdminOps[K][0]): Promise<Array<[string, AdminOps[K][1]]>> {
  const nodes = env.ctx.admin.nodes().running;
  const out = await Promise.all(nodes.map((n) => call(env, n, op, args).then((r) => [n, r] as [string, AdminOps[K][1]], (err: Error) => {
    env.ctx.logger.warning(`${op} on ${n} failed: ${err.message}`);
    return undefined;
  })));
  return out.filter((x): x is [string, AdminOps[K][1]] => x !== undefined);
}

/**
 * A page across nodes, walked in order as emqx_mgmt does: each node skips what the page has
 * not reached yet and fills what is left. `count` is the total on all nodes.
 */
export async function pageAcross<Q, R>(nodes: string[], page: number, limit: number, q: Q,
  one: (node: string, q: Q & Slice) => Promise<{ rows: R[]; count: number }>): Promise<{ rows: R[]; count: number }> {
  let skip = (page - 1) * limit;
  const rows: R[] = [];
  let count = 0;
  for (const n of nodes) {
    const r = await one(n, { ...q, skip, limit: Math.max(0, limit - rows.length) });
    rows.push(...r.rows);
    count += r.count;
    skip = Math.max(0, skip - r.count);
  }
  return { rows, count };
}

export const missing = (name: string): Record<string, unknown> => fail(ApiCode.MISSING_PARAMETER, `missing parameter: ${name}`);

export { datetime } from '@nemq/sdk';

/** the body as an object, or undefined */
export function bodyObject(body: unknown): Record<string, unknown> | undefined {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}
