// emqx_backend_mysql: EMQX Enterprise's MySQL data persistence. The rules, the buffered pools
// and the hooks are the SDK's (sdk/src/backend); this plugin adds only the MySQL driver.
import { backendTls, definePlugin, startBackend, type ConfValue } from '@nemq/sdk';
import { MysqlStore } from './store.js';
import { schema } from './schema.js';

export { schema } from './schema.js';
export { MysqlStore, type MysqlOptions } from './store.js';

const str = (v: ConfValue | undefined, d: string): string => (v === undefined ? d : String(v));

export default definePlugin({
  schema,
  async start(ctx) {
    await startBackend(ctx, {
      prefix: 'backend.mysql',
      command: 'backend_mysql',
      sql: true,
      makeStore: (pool, k) => {
        const tls = k.get('ssl') === true ? backendTls(ctx.config, `backend.mysql.${pool}.ssl`) : undefined;
        return new MysqlStore({
          server: str(k.get('server'), '127.0.0.1:3306'),
          poolSize: Number(k.get('pool_size') ?? 8),
          user: str(k.get('user'), 'root'),
          password: str(k.get('password'), ''),
          database: str(k.get('database'), 'mqtt'),
          queryTimeout: Number(k.get('query_timeout') ?? 15_000),
          ssl: tls,
        });
      },
    });
  },
});
