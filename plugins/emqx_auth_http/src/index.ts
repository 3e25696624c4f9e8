// emqx_auth_http: authentication, superuser flag and ACL by asking an HTTP server
// (EMQX 4.3, reference §2.12). client.authenticate is tapped when auth.http.auth_req.url is
// set (super_req only with it), client.check_acl when auth.http.acl_req.url is set; each
// request kind has its own keep-alive pool, closed on unload.
import { definePlugin, type ConfSchema } from '@nemq/sdk';
import { authenticate, checkAcl } from './auth.js';
import { Pool } from './client.js';
import { SHIPPED_ACL_PARAMS, SHIPPED_AUTH_PARAMS, SHIPPED_SUPER_PARAMS, httpOptions, type RequestSpec } from './options.js';

const req = (name: string, url: string, params: string) =>
  ({
    [`auth.http.${name}.url`]: { type: 'string', doc: `URL of the ${name} request (http or https); unset: no ${name}. Shipped: ${url}` },
    [`auth.http.${name}.method`]: { type: 'enum', values: ['post', 'get'], default: 'post', doc: 'post: params in the body; get: params in the query string' },
    [`auth.http.${name}.headers.$name`]: { type: 'string', doc: 'a request header (`content_type` is sent as content-type); POST: application/x-www-form-urlencoded or application/json' },
    [`auth.http.${name}.params`]: { type: 'string', default: params, doc: '<key>=<value>,...; a value may be a placeholder (%u %c %a %r %P %p %C %d, and %A %t %m in acl_req)' },
  }) as const;

// Keys and defaults of EMQX 4.3's priv/emqx_auth_http.schema; the request.* keys are EMQX 4.2's
// (4.3 retries a failed connection twice, at once).
export const schema = {
  ...req('auth_req', 'http://127.0.0.1:80/mqtt/auth', SHIPPED_AUTH_PARAMS),
  ...req('super_req', 'http://127.0.0.1:80/mqtt/superuser (commented out)', SHIPPED_SUPER_PARAMS),
  ...req('acl_req', 'http://127.0.0.1:80/mqtt/acl', SHIPPED_ACL_PARAMS),
  'auth.http.timeout': { type: 'duration', default: '5s', doc: 'deadline of one request attempt, answer included' },
  'auth.http.connect_timeout': { type: 'duration', default: '5s', doc: 'deadline to open a connection (TLS handshake included)' },
  'auth.http.pool_size': { type: 'integer', default: '32', doc: 'kept-alive connections per request kind' },
  'auth.http.enable_pipelining': { type: 'string', default: '100', doc: 'EMQX: pipelining depth (integer, true = 100, false = 1); accepted, not used' },
  'auth.http.request.retry_times': { type: 'integer', default: '2', doc: 'retries of a request whose connection failed (refused, reset)' },
  'auth.http.request.retry_interval': { type: 'duration', default: '0s', doc: 'wait before the first retry' },
  'auth.http.request.retry_backoff': { type: 'float', default: '2.0', doc: 'the wait is multiplied by this after each retry' },
  'auth.http.ssl.cacertfile': { type: 'string', doc: 'CA certificates (PEM) to check an https server with' },
  'auth.http.ssl.certfile': { type: 'string', doc: 'client certificate (PEM)' },
  'auth.http.ssl.keyfile': { type: 'string', doc: 'client private key (PEM)' },
  'auth.http.ssl.verify': { type: 'boolean', default: 'false', doc: 'check the server certificate' },
  'auth.http.ssl.server_name_indication': { type: 'string', doc: 'name to check the certificate against (and SNI); unset: the URL host; disable: no name check' },
} as const satisfies ConfSchema;

export default definePlugin({
  schema,
  start(ctx) {
    const o = httpOptions(ctx.config);
    const pools: Pool[] = [];
    const pool = (spec: RequestSpec): Pool => {
      const p = new Pool(spec, o);
      pools.push(p);
      return p;
    };
    ctx.onDispose(() => {
      for (const p of pools) p.close();
    });
    const warn = (msg: string): void => ctx.logger.warning(msg);
    if (o.auth) {
      const d = { auth: pool(o.auth), super: o.super ? pool(o.super) : undefined, backendError: ctx.backendError, warn };
      ctx.hooks.tap('client.authenticate', (ci, acc) => authenticate(d, ci, acc));
    }
    if (o.acl) {
      const d = { acl: pool(o.acl), backendError: ctx.backendError, warn };
      ctx.hooks.tap('client.check_acl', (ci, pubsub, topic) => checkAcl(d, ci, pubsub, topic));
    }
  },
});
