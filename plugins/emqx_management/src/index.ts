// emqx_management: HTTP API v4 on management.listener.http (8081) and .https, the API
// applications, and `emqx_ctl mgmt`. The endpoints are routes in the node's table (ctx.api),
// so the dashboard serves the same ones on its own listener.
import { join } from 'node:path';
import type { Server } from 'node:http';
import { confString, definePlugin, type ApiHandler, type ApiRoute } from '@nemq/sdk';
import { Apps } from './apps.js';
import { registerMgmtCommand } from './ctl.js';
import { NotFound, type Env } from './env.js';
import { closeServer, startListener, type ListenerConf } from './server.js';
import { alarmRoutes } from './routes/alarms.js';
import { appRoutes } from './routes/apps.js';
import { bannedRoutes } from './routes/banned.js';
import { clientRoutes } from './routes/clients.js';
import { dataRoutes } from './routes/data.js';
import { mqttRoutes } from './routes/mqtt.js';
import { nodeRoutes } from './routes/nodes.js';
import { pluginRoutes } from './routes/plugins.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { traceRoutes } from './routes/trace.js';
import { RawReply } from '@nemq/sdk';

const listenerKeys = (p: 'http' | 'https') => ({
  [`management.listener.${p}.acceptors`]: { type: 'integer', default: '2' },
  [`management.listener.${p}.max_clients`]: { type: 'integer', default: '512' },
  [`management.listener.${p}.backlog`]: { type: 'integer', default: '512' },
  [`management.listener.${p}.send_timeout`]: { type: 'duration', default: '15s' },
  [`management.listener.${p}.send_timeout_close`]: { type: 'boolean', default: 'on' },
  [`management.listener.${p}.inet6`]: { type: 'boolean', default: 'false' },
  [`management.listener.${p}.ipv6_v6only`]: { type: 'boolean', default: 'false' },
}) as const;

export default definePlugin({
  schema: {
    'management.max_row_limit': { type: 'integer', default: '10000' },
    'management.application.default_secret': { type: 'string' },
    'management.default_application.id': { type: 'string', default: 'admin' },
    'management.default_application.secret': { type: 'string', default: 'public' },
    'management.listener.http': { type: 'string' },
    ...listenerKeys('http'),
    'management.listener.https': { type: 'string' },
    ...listenerKeys('https'),
    'management.listener.https.certfile': { type: 'string' },
    'management.listener.https.keyfile': { type: 'string' },
    'management.listener.https.cacertfile': { type: 'string' },
    'management.listener.https.verify': { type: 'enum', values: ['verify_peer', 'verify_none'], default: 'verify_none' },
    'management.listener.https.fail_if_no_peer_cert': { type: 'boolean', default: 'false' },
  },
  async start(ctx) {
    const c = ctx.config;
    const apps = new Apps(join(ctx.dataDir, 'mgmt_apps.json'), (m) => ctx.logger.error(m));
    const appId = c['management.default_application.id'];
    apps.ensureDefault(appId, c['management.default_application.secret']);
    apps.table = ctx.cluster.table('apps', {
      changed: (id, json) => apps.apply(id, json),
      loaded: (rows) => rows.forEach((json, id) => apps.apply(id, json)),
      rows: () => apps.list().filter((a) => a.app_id !== appId).map((a) => [a.app_id, JSON.stringify(a)] as const),
    });

    const route = (r: ApiRoute, h: ApiHandler): void => ctx.api(r, async (req) => {
      try {
        return await h(req);
      } catch (err) {
        // a `:node` that is not a running node: EMQX's 404 for an unknown atom
        if (err instanceof NotFound) return new RawReply(404, 'Not found.');
        throw err;
      }
    });
    const env: Env = { ctx, maxRows: c['management.max_row_limit'], route };
    nodeRoutes(env);
    clientRoutes(env);
    subscriptionRoutes(env);
    mqttRoutes(env);
    pluginRoutes(env);
    alarmRoutes(env);
    bannedRoutes(env);
    appRoutes(env, apps);
    dataRoutes(env, apps);
    traceRoutes(env);
    registerMgmtCommand(ctx, apps);

    const servers: Server[] = [];
    ctx.onDispose(async () => {
      await Promise.all(servers.map(closeServer));
    });
    for (const proto of ['http', 'https'] as const) {
      const bind = confString(c, `management.listener.${proto}`);
      if (bind === undefined) continue;
      const k = (s: string): unknown => c[`management.listener.${proto}.${s}`];
      const conf: ListenerConf = {
        proto, bind,
        maxClients: k('max_clients') as number, backlog: k('backlog') as number,
        sendTimeout: k('send_timeout') as number, sendTimeoutClose: k('send_timeout_close') as boolean, inet6: k('inet6') as boolean,
      };
      if (proto === 'https') {
        const cert = confString(c, 'management.listener.https.certfile');
        const key = confString(c, 'management.listener.https.keyfile');
        if (!cert || !key) throw new Error('management.listener.https needs certfile and keyfile');
        conf.tls = { certfile: cert, keyfile: key, cacertfile: confString(c, 'management.listener.https.cacertfile'),
          verify: c['management.listener.https.verify'] === 'verify_peer', failIfNoPeerCert: c['management.listener.https.fail_if_no_peer_cert'] };
      }
      servers.push(await startListener(ctx, apps, conf));
    }
  },
});
