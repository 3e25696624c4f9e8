// The management listeners (management.listener.http / .https): /status without auth, the rest
// of /api/v4 through the SDK's apiHandler with the applications' credentials.
import { createServer as httpServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as httpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { apiHandler, sendText, type PluginContext } from '@nemq/sdk';
import type { Apps } from './apps.js';

export interface ListenerConf {
  proto: 'http' | 'https';
  /** `[ip:]port`; port 0 picks a free one */
  bind: string;
  maxClients: number;
  backlog: number;
  sendTimeout: number;
  sendTimeoutClose: boolean;
  inet6: boolean;
  tls?: { certfile: string; keyfile: string; cacertfile?: string | undefined; verify: boolean; failIfNoPeerCert: boolean };
}

export function parseBind(text: string, inet6: boolean): { host: string; port: number } | undefined {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: m[1] || (inet6 ? '::' : '0.0.0.0'), port };
}

export async function startListener(ctx: PluginContext, apps: Apps, conf: ListenerConf): Promise<Server> {
  const bind = parseBind(conf.bind, conf.inet6);
  if (!bind) throw new Error(`management.listener.${conf.proto}: expected [ip:]port, got "${conf.bind}"`);
  const api = apiHandler({ routes: ctx.apiRoutes, listener: 'management', authenticate: (u, p) => apps.check(u, p), logger: ctx.logger });
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/status') {
      if (req.method !== 'GET') return sendText(res, 400, 'Not found.');
      return sendText(res, 200, `Node ${ctx.broker.nodeName} is started\nemqx is running`);
    }
    if (!api(req, res)) sendText(res, 404, 'Not found.');
  };
  const t = conf.tls;
  const server = t
    ? httpsServer({
      cert: readFileSync(t.certfile), key: readFileSync(t.keyfile), ca: t.cacertfile ? readFileSync(t.cacertfile) : undefined,
      requestCert: t.verify, rejectUnauthorized: t.verify && t.failIfNoPeerCert,
    }, handle)
    : httpServer(handle);
  server.maxConnections = conf.maxClients;
  server.on('connection', (s) => {
    s.setTimeout(conf.sendTimeout, () => {
      if (conf.sendTimeoutClose) s.destroy();
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: bind.host, port: bind.port, backlog: conf.backlog }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  ctx.logger.info(`Start ${conf.proto} listener on ${a.address}:${a.port} successfully.`);
  return server;
}

export function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}
