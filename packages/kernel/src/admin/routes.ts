// The node's HTTP API route table: plugins add routes through ctx.api(), the listener plugins
// (emqx_management, emqx_dashboard) serve them. A plugin's routes go when it unloads, so an
// inactive plugin's paths answer 404 as in EMQX.
import { matchPath, type ApiHandler, type ApiRoute, type ApiRoutes } from '@nemq/sdk';

interface Entry {
  owner: string;
  route: ApiRoute;
  handler: ApiHandler;
}

type Side = 'management' | 'dashboard';

function serves(route: ApiRoute, side: Side): boolean {
  const l = route.listener ?? 'both';
  return l === 'both' || l === side;
}

export class ApiRegistry implements ApiRoutes {
  private readonly entries: Entry[] = [];

  add(owner: string, route: ApiRoute, handler: ApiHandler): void {
    if (!route.path.startsWith('/')) throw new Error(`api route ${route.name}: path must start with /`);
    const dup = this.entries.find((e) => e.route.method === route.method && e.route.path === route.path && e.route.listener === route.listener);
    if (dup) throw new Error(`api route ${route.method} ${route.path} is already added by ${dup.owner}`);
    this.entries.push({ owner, route, handler });
  }

  removeOwner(owner: string): void {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.owner === owner) this.entries.splice(i, 1);
  }

  /** literal segments win over bindings: `/clients/username/:u` before `/clients/:id/:x` */
  match(method: string, path: string, side: Side): { route: ApiRoute; handler: ApiHandler; params: Record<string, string> } | undefined {
    let best: { route: ApiRoute; handler: ApiHandler; params: Record<string, string>; score: number } | undefined;
    for (const e of this.entries) {
      if (e.route.method !== method || !serves(e.route, side)) continue;
      const params = matchPath(e.route.path, path);
      if (!params) continue;
      const score = Object.keys(params).length;
      if (!best || score < best.score) best = { route: e.route, handler: e.handler, params, score };
    }
    return best && { route: best.route, handler: best.handler, params: best.params };
  }

  list(side: Side): ApiRoute[] {
    return this.entries.filter((e) => serves(e.route, side)).map((e) => e.route);
  }
}
