// emqx_backend_mongo: EMQX Enterprise's MongoDB data persistence. The rules, the buffered pools
// and the hooks are the SDK's (sdk/src/backend); this plugin adds only the driver.
import { definePlugin, startBackend } from '@nemq/sdk';
import { mongoSettings } from './options.js';
import { MongoStore } from './store.js';
import { schema } from './schema.js';

export { schema } from './schema.js';
export { MongoStore, payloadValue } from './store.js';
export { mongoSettings, type MongoSettings } from './options.js';

export default definePlugin({
  schema,
  async start(ctx) {
    await startBackend(ctx, {
      prefix: 'backend.mongo',
      command: 'backend_mongo',
      sql: false,
      makeStore: (pool, k) => new MongoStore(mongoSettings(pool, k, ctx.config, Number(k.get('query_timeout') ?? 15_000))),
    });
  },
});
