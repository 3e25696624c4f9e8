// /plugins and /listeners: list, load/unload/reload, stop/restart, on one node or all.
import { ApiCode, fail, ok, type OpError } from '@nemq/sdk';
import { call, everyNode, runningNode, type Env } from '../env.js';

type Action = 'load' | 'unload' | 'reload';

/** EMQX's answers: 110 loaded already, 111 not loaded, else the reason */
function pluginReply(r: true | OpError): Record<string, unknown> {
  if (r === true) return ok();
  if (r.error === 'already_started') return fail(ApiCode.PLUGIN_LOADED, 'already_started');
  if (r.error === 'not_started') return fail(ApiCode.PLUGIN_UNLOADED, 'not_started');
  return fail(ApiCode.UNKNOWN_ERROR, r.error);
}

export function pluginRoutes(env: Env): void {
  const r = env.route;
  r({ name: 'list_all_plugins', method: 'GET', path: '/plugins', descr: 'List all plugins in the cluster' },
    async () => ok((await everyNode(env, 'plugins', {})).map(([node, plugins]) => ({ node, plugins }))));
  r({ name: 'list_node_plugins', method: 'GET', path: '/nodes/:node/plugins', descr: 'List all plugins on a node' },
    async (q) => ok(await call(env, runningNode(env, q.params.node!), 'plugins', {})));
  for (const action of ['load', 'unload', 'reload'] as Action[]) {
    r({ name: `${action}_plugin`, method: 'PUT', path: `/nodes/:node/plugins/:plugin/${action}`, descr: `${action} a plugin on a node` },
      async (q) => pluginReply(await call(env, runningNode(env, q.params.node!), 'plugin', { name: q.params.plugin!, action })));
    // every node; the first failure is the answer
    r({ name: `cluster_${action}_plugin`, method: 'PUT', path: `/plugins/:plugin/${action}`, descr: `${action} a plugin in the cluster` }, async (q) => {
      const results = await everyNode(env, 'plugin', { name: q.params.plugin!, action });
      const bad = results.find(([, x]) => x !== true);
      return pluginReply(bad ? bad[1] : true);
    });
  }

  r({ name: 'list_listeners', method: 'GET', path: '/listeners', descr: 'A list of listeners in the cluster' },
    async () => ok((await everyNode(env, 'listeners', {})).map(([node, listeners]) => ({ node, listeners }))));
  r({ name: 'list_node_listeners', method: 'GET', path: '/nodes/:node/listeners', descr: 'A list of listeners on the node' },
    async (q) => ok(await call(env, runningNode(env, q.params.node!), 'listeners', {})));
  for (const action of ['restart', 'stop'] as const) {
    const reply = (x: true | OpError): Record<string, unknown> => (x === true ? ok() : fail(ApiCode.UNKNOWN_ERROR, x.error));
    r({ name: `${action}_listener`, method: 'PUT', path: `/listeners/:identifier/${action}`, descr: `${action} a listener in the cluster` }, async (q) => {
      const results = await everyNode(env, 'listener', { identifier: q.params.identifier!, action });
      const bad = results.find(([, x]) => x !== true);
      return reply(bad ? bad[1] : true);
    });
    r({ name: `${action}_node_listener`, method: 'PUT', path: `/nodes/:node/listeners/:identifier/${action}`, descr: `${action} a listener on a node` },
      async (q) => reply(await call(env, runningNode(env, q.params.node!), 'listener', { identifier: q.params.identifier!, action })));
  }
}
