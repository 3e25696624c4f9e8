// emqx_retainer: retained messages [MQTT-3.3.1-5..11] on two hooks: message.publish
// stores (or, with an empty payload, deletes), session.subscribed delivers.
import { definePlugin, type Message } from '@nemq/sdk';
import { RetainedStore, fromLine, toLine } from './store.js';

const RAM = Symbol.for('nemq.emqx_retainer.ram');

export default definePlugin({
  schema: {
    'retainer.storage_type': { type: 'enum', values: ['ram', 'disc', 'disc_only'], default: 'ram' },
    'retainer.max_retained_messages': { type: 'integer', default: '0' },
    'retainer.max_payload_size': { type: 'bytesize', default: '1MB' },
    'retainer.expiry_interval': { type: 'duration', default: '0' },
    'retainer.stop_publish_clear_msg': { type: 'boolean', default: 'false' },
  },
  start(ctx) {
    const c = ctx.config;
    const disc = c['retainer.storage_type'] !== 'ram';
    // ram storage survives unload/reload within one node process, like EMQX's ram table
    const kept = globalThis as { [RAM]?: Map<string, Map<string, Message>> };
    const ram = (kept[RAM] ??= new Map());
    const store = new RetainedStore({
      maxMessages: c['retainer.max_retained_messages'],
      maxPayload: c['retainer.max_payload_size'],
      expiry: c['retainer.expiry_interval'],
      file: disc ? `${ctx.dataDir}/retainer/retained.jsonl` : undefined,
    }, disc ? undefined : ram.get(ctx.dataDir));
    store.load();
    const stopClear = c['retainer.stop_publish_clear_msg'];
    const count = (): void => ctx.broker.setStat('retained.count', store.size);
    count();
    // in a cluster every node holds every retained message, as EMQX's replicated table
    const table = ctx.cluster.table('retained', {
      changed: (topic, line) => {
        const m = line === undefined ? undefined : fromLine(line);
        if (m) store.put(m);
        else store.delete(topic);
        count();
      },
      loaded: (rows) => {
        for (const line of rows.values()) {
          const m = fromLine(line);
          if (m) store.put(m);
        }
        count();
      },
      rows: () => [...store.entries.values()].map((m) => [m.topic, toLine(m)] as const),
    });

    ctx.hooks.tap('message.publish', (msg) => {
      if (!msg.flags.retain) return msg;
      if (msg.payload.length === 0) {
        store.delete(msg.topic);
        table.delete(msg.topic);
        // [MQTT-3.3.1-10] the empty retained message is still forwarded, unless told not to
        if (stopClear) msg.headers.allow_publish = false;
      } else {
        store.put(msg);
        if (store.entries.has(msg.topic)) table.set(msg.topic, toLine(msg));
      }
      count();
      return msg;
    });

    ctx.hooks.tap('session.subscribed', (ci, topic, opts) => {
      // no retained messages for shared subscriptions; rh 2 never, rh 1 only for a new one [MQTT-3.3.1-9..11]
      if (opts.share !== undefined || opts.rh === 2 || (opts.rh === 1 && opts.is_new === false)) return;
      for (const m of store.match(topic)) ctx.broker.deliverTo(ci.clientid, topic, store.asRetained(m));
    });

    const timer = disc ? setInterval(() => store.flush(), 1000) : undefined;
    timer?.unref();
    ctx.onDispose(() => {
      if (timer) clearInterval(timer);
      store.flush();
      if (!disc) ram.set(ctx.dataDir, store.entries);
      ctx.broker.setStat('retained.count', 0);
    });

    ctx.ctl('retainer', [
      ['retainer info', 'Show the count of retained messages'],
      ['retainer topics', 'Show all topics of retained messages'],
      ['retainer clean', 'Clean all retained messages'],
      ['retainer clean <Topic>', 'Clean retained messages by the specified topic filter'],
    ], (args) => {
      const [sub, topic] = args;
      if (sub === 'info' && args.length === 1) return `retained/total: ${store.size}\n`;
      if (sub === 'topics' && args.length === 1) return store.topics().map((t) => `${t}\n`).join('');
      if (sub === 'clean' && args.length <= 2) {
        const n = store.clean(topic, (t) => table.delete(t));
        count();
        return `Cleaned ${n} retained messages\n`;
      }
      return undefined;
    });
  },
});
