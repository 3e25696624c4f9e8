// A nemq plugin. Only types come from @nemq/sdk, so the built plugin needs nothing
// at run time but the broker that loads it.
import type { Plugin, PluginContext, PluginMessage } from '@nemq/sdk';

const plugin: Plugin = {
  // every key of etc/emqx_hello.conf, with its type and default
  schema: {
    'hello.greeting': { type: 'string', default: 'hello' },
    'hello.notice_topic': { type: 'string', default: 'hello/connected' },
  },

  start(ctx: PluginContext) {
    const greeting = ctx.config['hello.greeting'] as string;
    const noticeTopic = ctx.config['hello.notice_topic'] as string;
    let published = 0;

    // message.publish is synchronous and on the hot path: count, never await here
    ctx.hooks.tap('message.publish', (msg: PluginMessage) => {
      if (!msg.flags.sys) published++;
      return msg;
    });

    ctx.hooks.tap('client.connected', (clientinfo: { clientid: string }) => {
      ctx.broker.publish(noticeTopic, JSON.stringify({ clientid: clientinfo.clientid }), { qos: 0 });
    });

    // `emqx_ctl hello` and `emqx_ctl hello stats`; returning undefined prints the usage
    ctx.ctl('hello', [['hello', 'Say the greeting'], ['hello stats', 'Show how many messages were published']], (args) => {
      if (args.length === 0) return `${greeting}\n`;
      if (args[0] === 'stats') return `published: ${published}\n`;
      return undefined;
    });

    // timers, pools and clients: give them back on unload
    const timer = setInterval(() => ctx.logger.debug(`published so far: ${published}`), 60_000);
    ctx.onDispose(() => clearInterval(timer));
  },
};

export default plugin;
