// emqx_backend_mysql: EMQX Enterprise's MySQL data persistence. The rules, the buffered pools
// and the hooks are the SDK's (sdk/src/backend); this plugin adds only the MySQL driver. It also
// gives the rule engine the backend_mysql resource type and the data_to_mysql action.
import { backend, backendTls, definePlugin, startBackend, type ConfValue } from '@nemq/sdk';
import { MysqlStore } from './store.js';
import { schema } from './schema.js';

export { schema } from './schema.js';
export { MysqlStore, type MysqlOptions } from './store.js';

const str = (v: unknown, d: string): string => (v === undefined || v === null ? d : String(v));

export default definePlugin({
  schema,
  async start(ctx) {
    const b = await startBackend(ctx, {
      prefix: 'backend.mysql',
      command: 'backend_mysql',
      sql: true,
      makeStore: (pool, k: ReadonlyMap<string, ConfValue>) =>
        new MysqlStore({
          server: str(k.get('server'), '127.0.0.1:3306'),
          poolSize: Number(k.get('pool_size') ?? 8),
          user: str(k.get('user'), 'root'),
          password: str(k.get('password'), ''),
          database: str(k.get('database'), 'mqtt'),
          queryTimeout: Number(k.get('query_timeout') ?? 15_000),
          ssl: k.get('ssl') === true ? backendTls(ctx.config, `backend.mysql.${pool}.ssl`) : undefined,
        }),
    });
    backend.addBackendRuleActions(ctx, {
      resourceType: 'backend_mysql',
      action: 'data_to_mysql',
      title: 'MySQL',
      kind: 'sql',
      resourceParams: backend.sqlResourceParams('127.0.0.1:3306'),
      makeStore: (c) =>
        new MysqlStore({
          server: str(c.server, '127.0.0.1:3306'), poolSize: Number(c.pool_size ?? 8), user: str(c.user, 'root'),
          password: str(c.password, ''), database: str(c.database, 'mqtt'), queryTimeout: 15_000, ssl: backend.resourceTls(c),
        }),
    }, b);
  },
});
