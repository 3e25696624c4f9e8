// emqx_backend_mongo: EMQX Enterprise's MongoDB data persistence. The rules, the buffered pools
// and the hooks are the SDK's (sdk/src/backend); this plugin adds only the driver. It also gives
// the rule engine the backend_mongo_single resource type and the data_to_mongo action.
import { backend, definePlugin, startBackend, type ConfValue } from '@nemq/sdk';
import { mongoSettings } from './options.js';
import { MongoStore } from './store.js';
import { schema } from './schema.js';

export { schema } from './schema.js';
export { MongoStore, payloadValue } from './store.js';
export { mongoSettings, type MongoSettings } from './options.js';

const RESOURCE_KEYS = ['server', 'database', 'login', 'password', 'auth_source', 'ssl', 'w_mode', 'r_mode'];

export default definePlugin({
  schema,
  async start(ctx) {
    const b = await startBackend(ctx, {
      prefix: 'backend.mongo',
      command: 'backend_mongo',
      sql: false,
      makeStore: (pool, k) => new MongoStore(mongoSettings(pool, k, ctx.config, Number(k.get('query_timeout') ?? 15_000))),
    });
    const p = (order: number, type: string, title: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ order, type, title: { en: title }, description: { en: title }, ...extra });
    backend.addBackendRuleActions(ctx, {
      resourceType: 'backend_mongo_single',
      action: 'data_to_mongo',
      title: 'MongoDB',
      kind: 'mongo',
      resourceParams: {
        server: p(1, 'string', 'MongoDB Server', { required: true, default: '127.0.0.1:27017' }),
        database: p(2, 'string', 'Database Name', { required: true, default: 'mqtt' }),
        pool_size: p(3, 'number', 'Pool Size', { default: 8 }),
        login: p(4, 'string', 'Username', { default: '' }),
        password: p(5, 'password', 'Password', { default: '' }),
        auth_source: p(6, 'string', 'Auth Source', { default: 'admin' }),
        ssl: p(7, 'boolean', 'Enable SSL', { default: false }),
        w_mode: p(8, 'string', 'Write Mode', { enum: ['safe', 'unsafe'], default: 'safe' }),
        r_mode: p(9, 'string', 'Read Mode', { enum: ['master', 'slave_ok'], default: 'master' }),
      },
      makeStore: (c) => {
        const keys = new Map<string, ConfValue>();
        for (const k of RESOURCE_KEYS) if (c[k] !== undefined && c[k] !== '') keys.set(k, c[k] as ConfValue);
        if (c.pool_size !== undefined) keys.set('c_pool_size', Number(c.pool_size));
        keys.set('type', 'single');
        return new MongoStore(mongoSettings('resource', keys, {}, 15_000));
      },
    }, b);
  },
});
