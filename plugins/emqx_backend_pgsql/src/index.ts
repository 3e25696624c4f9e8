// emqx_backend_pgsql: EMQX Enterprise's PostgreSQL data persistence. The rules, the buffered
// pools and the hooks are the SDK's (sdk/src/backend); this plugin adds only the driver. It also
// gives the rule engine the backend_pgsql resource type and the data_to_pgsql action.
import { backend, backendTls, definePlugin, startBackend, type ConfValue } from '@nemq/sdk';
import { PgsqlStore } from './store.js';
import { schema } from './schema.js';

export { schema } from './schema.js';
export { PgsqlStore, type PgsqlOptions } from './store.js';

const str = (v: unknown, d: string): string => (v === undefined || v === null ? d : String(v));

export default definePlugin({
  schema,
  async start(ctx) {
    const b = await startBackend(ctx, {
      prefix: 'backend.pgsql',
      command: 'backend_pgsql',
      sql: true,
      makeStore: (pool, k: ReadonlyMap<string, ConfValue>) =>
        new PgsqlStore({
          server: str(k.get('server'), '127.0.0.1:5432'),
          poolSize: Number(k.get('pool_size') ?? 8),
          username: str(k.get('username'), 'root'),
          password: str(k.get('password'), ''),
          database: str(k.get('database'), 'mqtt'),
          queryTimeout: Number(k.get('query_timeout') ?? 15_000),
          ssl: k.get('ssl') === true ? backendTls(ctx.config, `backend.pgsql.${pool}.ssl`) : undefined,
        }),
    });
    backend.addBackendRuleActions(ctx, {
      resourceType: 'backend_pgsql',
      action: 'data_to_pgsql',
      title: 'PostgreSQL',
      kind: 'sql',
      resourceParams: backend.sqlResourceParams('127.0.0.1:5432'),
      makeStore: (c) =>
        new PgsqlStore({
          server: str(c.server, '127.0.0.1:5432'), poolSize: Number(c.pool_size ?? 8), username: str(c.user ?? c.username, 'root'),
          password: str(c.password, ''), database: str(c.database, 'mqtt'), queryTimeout: 15_000, ssl: backend.resourceTls(c),
        }),
    }, b);
  },
});
