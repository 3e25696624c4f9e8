// emqx_backend_pgsql: EMQX Enterprise's PostgreSQL data persistence. The rules, the buffered
// pools and the hooks are the SDK's (sdk/src/backend); this plugin adds only the driver.
import { backendTls, definePlugin, startBackend, type ConfValue } from '@nemq/sdk';
import { PgsqlStore } from './store.js';
import { schema } from './schema.js';

export { schema } from './schema.js';
export { PgsqlStore, type PgsqlOptions } from './store.js';

const str = (v: ConfValue | undefined, d: string): string => (v === undefined ? d : String(v));

export default definePlugin({
  schema,
  async start(ctx) {
    await startBackend(ctx, {
      prefix: 'backend.pgsql',
      command: 'backend_pgsql',
      sql: true,
      makeStore: (pool, k) =>
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
  },
});
