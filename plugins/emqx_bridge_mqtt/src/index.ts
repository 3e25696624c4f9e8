// emqx_bridge_mqtt: bridges this node to other MQTT brokers (EMQX 4.3 apps/emqx_bridge_mqtt).
// Every `bridge.mqtt.<name>.*` group in etc/plugins/emqx_bridge_mqtt.conf is one bridge.
import { definePlugin, validTopicFilter } from '@nemq/sdk';
import { Bridge } from './bridge.js';
import { bridgesCtl, USAGE } from './cli.js';
import { BridgeConfigError, readBridges, schema } from './config.js';

export { Bridge, type BridgeEnv, type BridgeState } from './bridge.js';
export { bridgesCtl, USAGE } from './cli.js';
export { readBridges, schema, prependTopic, expandNode, parseAddress, type BridgeConfig } from './config.js';
export { DiskQueue, MemQueue, openQueue, type BridgeQueue, type QueuedMsg } from './queue.js';

export default definePlugin({
  schema,
  async start(ctx) {
    const configs = readBridges(ctx.config, ctx.broker.nodeName);
    for (const c of configs) {
      for (const s of c.subscriptions) if (!validTopicFilter(s.topic)) throw new BridgeConfigError(`bridge.mqtt.${c.name}: bad subscription topic ${s.topic}`);
    }
    const bridges = new Map<string, Bridge>();
    ctx.onDispose(async () => {
      await Promise.all([...bridges.values()].map((b) => b.close()));
    });
    const env = {
      logger: ctx.logger,
      subscribe: (filter: string, fn: Parameters<typeof ctx.broker.subscribe>[1]) => ctx.broker.subscribe(filter, fn, { qos: 1 }),
      publish: (topic: string, payload: Buffer, opts: Parameters<typeof ctx.broker.publish>[2]) => ctx.broker.publish(topic, payload, opts),
    };
    for (const c of configs) {
      const b = new Bridge(c, env);
      await b.init();
      bridges.set(c.name, b);
    }
    ctx.ctl('bridges', USAGE, bridgesCtl(bridges));
    for (const b of bridges.values()) b.begin();
  },
});
