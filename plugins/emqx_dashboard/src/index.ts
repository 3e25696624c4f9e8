// emqx_dashboard: the web dashboard on 18083. One HTTP server serves the single-page app
// (www/), and /api/v4 from the node's route table (everything plugins add with ctx.api, plus
// the dashboard's own user routes), authenticated as dashboard users, not API apps.
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { apiHandler, definePlugin, sendText, type PluginContext } from '@nemq/sdk';
import { addCtl } from './ctl.js';
import { close, listen, parseBind, type ListenOptions } from './listen.js';
import { addRoutes } from './routes.js';
import { staticFiles } from './static.js';
import { UserStore } from './users.js';

/** the built single-page app (scripts/build-ui.mjs) */
export const WWW = join(__dirname, '..', 'www');

const listenerKeys = (p: string) => ({
  [`dashboard.listener.${p}.acceptors`]: { type: 'integer', default: '4', doc: 'accepted for EMQX compatibility; Node.js accepts on one loop' },
  [`dashboard.listener.${p}.max_clients`]: { type: 'integer', default: '512' },
  [`dashboard.listener.${p}.inet6`]: { type: 'boolean', default: 'false' },
  [`dashboard.listener.${p}.ipv6_v6only`]: { type: 'boolean', default: 'false' },
}) as const;

export default definePlugin({
  schema: {
    'dashboard.default_user.login': { type: 'string', default: 'admin' },
    'dashboard.default_user.password': { type: 'string', default: 'public' },
    'dashboard.listener.http': { type: 'string', default: '18083', doc: 'port, ip:port or [ipv6]:port; 0 picks a free port' },
    ...listenerKeys('http'),
    'dashboard.listener.https': { type: 'string' },
    ...listenerKeys('https'),
    'dashboard.listener.https.certfile': { type: 'string' },
    'dashboard.listener.https.keyfile': { type: 'string' },
    'dashboard.listener.https.cacertfile': { type: 'string' },
  },
  async start(ctx) {
    const c = ctx.config as Record<string, string | number | boolean | undefined>;
    const login = String(c['dashboard.default_user.login'] ?? '');
    const users = new UserStore({
      file: join(ctx.dataDir, 'dashboard_users.json'),
      warn: (m) => ctx.logger.warning(m),
      changed: (name, row) => (row ? table.set(name, JSON.stringify(row)) : table.delete(name)),
    });
    users.load();
    // in a cluster every node shares the users (EMQX's replicated mqtt_admin table)
    const table = ctx.cluster.table('users', {
      changed: (name, value) => users.applyRemote(name, value),
      loaded: (rows) => {
        users.applyAll(rows);
        if (login) users.ensure(login, String(c['dashboard.default_user.password'] || 'public'));
      },
      rows: () => users.rowsForCluster(),
    });
    if (login) {
      // the conf password only seeds a missing user; changing it later has no effect (as EMQX)
      users.ensure(login, String(c['dashboard.default_user.password'] || 'public'));
      if (users.isDefault(login)) {
        ctx.logger.warning(`Using the default password for dashboard user '${login}'. Change it in the dashboard or with 'emqx_ctl admins passwd ${login} <Password>'. The password in emqx_dashboard.conf only sets up a missing user; changing it there later has no effect.`);
      }
    }
    addRoutes(ctx, users, login);
    addCtl(ctx, users);

    const api = apiHandler({
      routes: ctx.apiRoutes,
      listener: 'dashboard',
      authenticate: (u, p) => users.check(u, p),
      logger: ctx.logger,
    });
    const files = staticFiles(WWW);
    const handle = (req: Parameters<typeof api>[0], res: Parameters<typeof api>[1]): void => {
      try {
        if (api(req, res) || files(req, res)) return;
        sendText(res, 404, 'Not found.');
      } catch (err) {
        ctx.logger.error(`${req.method} ${req.url} failed: ${(err as Error).message}`);
        if (!res.headersSent) sendText(res, 500, 'Internal Server Error');
        else res.destroy();
      }
    };

    const servers: Server[] = [];
    ctx.onDispose(async () => {
      await Promise.all(servers.map(close));
    });
    for (const proto of ['http', 'https'] as const) {
      const value = c[`dashboard.listener.${proto}`];
      if (value === undefined || value === '') continue;
      const bind = parseBind(String(value));
      if (!bind) throw new Error(`dashboard.listener.${proto} = ${String(value)}: expected a port, ip:port or [ipv6]:port`);
      const o: ListenOptions = {
        bind,
        inet6: c[`dashboard.listener.${proto}.inet6`] === true,
        ipv6Only: c[`dashboard.listener.${proto}.ipv6_v6only`] === true,
        maxClients: Number(c[`dashboard.listener.${proto}.max_clients`] ?? 512),
      };
      if (proto === 'https') {
        const cert = c['dashboard.listener.https.certfile'];
        const key = c['dashboard.listener.https.keyfile'];
        if (!cert || !key) throw new Error('dashboard.listener.https needs dashboard.listener.https.certfile and .keyfile');
        const ca = c['dashboard.listener.https.cacertfile'];
        o.tls = { certfile: file(ctx, String(cert)), keyfile: file(ctx, String(key)), cacertfile: ca ? file(ctx, String(ca)) : undefined };
      }
      const s = await listen(o, handle).catch((err: Error) => {
        throw new Error(`cannot start the ${proto}:dashboard listener on ${String(value)}: ${err.message}`);
      });
      s.server.on('error', (err) => ctx.logger.error(`${proto}:dashboard listener: ${err.message}`));
      servers.push(s.server);
      const line = `Start ${proto}:dashboard listener on ${s.address} successfully.`;
      // a free port must be findable in the log at the default level
      if (bind.port === 0) ctx.logger.warning(`${line} (port 0: a free port was picked)`);
      else ctx.logger.info(line);
    }
  },
});

/** a relative certificate path: from the working directory, else from the node's install root */
function file(ctx: PluginContext, p: string): string {
  if (isAbsolute(p)) return p;
  const fromCwd = resolve(p);
  if (existsSync(fromCwd)) return fromCwd;
  const fromRoot = resolve(dirname(ctx.dataDir), p);
  return existsSync(fromRoot) ? fromRoot : fromCwd;
}
