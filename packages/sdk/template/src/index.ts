// A nemq plugin. `@nemq/sdk` gives the types and the helpers; at run time the broker that
// loads the plugin provides its own copy of the SDK, so the package ships without it.
import { definePlugin, topicMatches, type StopReason } from '@nemq/sdk';

/** what this version hands to the next one on `emqx_ctl plugins reload` with new code */
interface State {
  published: number;
}

let state: State = { published: 0 };

export default definePlugin({
  // every key of etc/emqx_hello.conf, with its type and default; ctx.config is typed from it
  schema: {
    'hello.greeting': { type: 'string', default: 'hello' },
    'hello.notice_topic': { type: 'string', default: 'hello/connected' },
    'hello.count_filter': { type: 'string', default: '#' },
  },

  start(ctx) {
    const { 'hello.greeting': greeting, 'hello.notice_topic': noticeTopic, 'hello.count_filter': filter } = ctx.config;
    // after an upgrade, carry on from the old version's count
    state = ctx.handover?.state ?? { published: 0 };

    // message.publish is synchronous and on the hot path: count, never await here
    ctx.hooks.tap('message.publish', (msg) => {
      if (!msg.flags.sys && topicMatches(filter, msg.topic)) state.published++;
      return msg;
    });

    ctx.hooks.tap('client.connected', (clientinfo) => {
      ctx.broker.publish(noticeTopic, JSON.stringify({ clientid: clientinfo.clientid }), { qos: 0 });
    });

    // `emqx_ctl hello` and `emqx_ctl hello stats`; returning undefined prints the usage
    ctx.ctl('hello', [['hello', 'Say the greeting'], ['hello stats', 'Show how many messages were published']], (args) => {
      if (args.length === 0) return `${greeting}\n`;
      if (args[0] === 'stats') return `published: ${state.published} (version ${ctx.version})\n`;
      return undefined;
    });

    // timers, pools and clients: give them back on unload
    const timer = setInterval(() => ctx.logger.debug(`published so far: ${state.published}`), 60_000);
    ctx.onDispose(() => clearInterval(timer));
  },

  // 'upgrade': a reload replaces this version; what is returned reaches the new one's ctx.handover
  // (the parameter's type is written out so that TypeScript types ctx.handover from the result)
  stop: (reason: StopReason) => (reason === 'upgrade' ? state : undefined),
});
