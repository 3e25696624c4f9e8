// emqx_modules: EMQX 4.3's modules, each loaded and unloaded at run time with
// `emqx_ctl modules load|unload <Module>` or the HTTP API, remembered in
// <node.data_dir>/loaded_modules. A module's hook taps are made the first time it loads and
// then only test a flag, so an unloaded module costs one branch and a never-loaded one nothing.
import { join } from 'node:path';
import { ApiCode, definePlugin, fail, HookStage, ok, type PluginContext, type SubOpts, type TopicFilters } from '@nemq/sdk';
import { ConfigError, feedVars, parseRewrite, parseSubscriptions, rewrite, type AutoSub, type RewriteRule } from './config.js';
import { DelayedStore } from './delayed.js';
import { DEFAULT_LOADED, readLoaded, writeLoaded } from './loaded.js';
import { datetime, TopicMetrics } from './topic_metrics.js';
import { schema } from './schema.js';

export { schema } from './schema.js';
export { parseSubscriptions, parseRewrite, rewrite, feedVars, ConfigError, type AutoSub, type RewriteRule } from './config.js';
export { DelayedStore, parseDelayed, MAX_INTERVAL } from './delayed.js';
export { TopicMetrics, TopicCounters, METRICS } from './topic_metrics.js';
export { readLoaded, writeLoaded, DEFAULT_LOADED } from './loaded.js';

/** EMQX's modules and their descriptions, in `modules list` order */
export const MODULES: ReadonlyArray<readonly [string, string]> = [
  ['emqx_mod_acl_internal', 'EMQ X Internal ACL Module'],
  ['emqx_mod_presence', 'EMQ X Presence Module'],
  ['emqx_mod_subscription', 'EMQ X Subscription Module'],
  ['emqx_mod_rewrite', 'EMQ X Topic Rewrite Module'],
  ['emqx_mod_delayed', 'EMQ X Delayed Publish Module'],
  ['emqx_mod_topic_metrics', 'EMQ X Topic Metrics Module'],
];
const DESCR = new Map(MODULES);

type ModError = 'not_found' | 'already_started' | 'not_started' | 'not_supported';

export default definePlugin({
  schema,
  start(ctx) {
    let subs: AutoSub[];
    let rules: { pub: RewriteRule[]; sub: RewriteRule[] };
    try {
      subs = parseSubscriptions(ctx.config);
      rules = parseRewrite(ctx.config);
    } catch (err) {
      if (err instanceof ConfigError) throw new Error(`emqx_modules.conf: ${err.message}`);
      throw err;
    }
    const node = ctx.broker.nodeName;
    const loadedFile = join(ctx.dataDir, 'loaded_modules');
    const state = new Map<string, boolean>(MODULES.map(([n]) => [n, DEFAULT_LOADED[n] ?? false]));
    const fromFile = readLoaded(loadedFile);
    if (fromFile) for (const [n, on] of fromFile) if (DESCR.has(n)) state.set(n, on);
    else ctx.logger.info(`no ${loadedFile}: loading EMQX's default modules`);

    const delayed = new DelayedStore(ctx.dataDir, (h) => {
      ctx.broker.publish(h.topic, h.payload, { qos: h.qos, retain: h.retain, from: h.from, properties: h.properties });
    }, ctx.logger);
    const metrics = new TopicMetrics(Number(ctx.config['module.topic_metrics.max_topics'] ?? 512));

    // ---- the modules: on(), off(); taps made once, on first load
    const flags = { presence: true, subscription: false, rewrite: false };
    const tapped = new Set<string>();
    const once = (name: string, tap: () => void): void => {
      if (!tapped.has(name)) {
        tapped.add(name);
        tap();
      }
    };
    const presencePrefix = `$SYS/brokers/${node}/clients/`;

    const impl: Record<string, { on(): ModError | void; off(): ModError | void }> = {
      emqx_mod_acl_internal: {
        // the node's acl.conf check is part of the kernel (acl_file); it cannot be taken out here
        on: () => undefined,
        off: () => 'not_supported',
      },
      emqx_mod_presence: {
        on: () => { flags.presence = true; },
        off: () => {
          flags.presence = false;
          // the node publishes presence events itself; while this module is unloaded they are stopped here
          once('presence', () => ctx.hooks.tap('message.publish', (m) => {
            if (flags.presence || !m.flags.sys || !m.topic.startsWith(presencePrefix)) return undefined;
            if (m.topic.endsWith('/connected') || m.topic.endsWith('/disconnected')) m.headers.allow_publish = false;
            return m;
          }, { stage: HookStage.FIRST }));
        },
      },
      emqx_mod_subscription: {
        on: () => {
          flags.subscription = true;
          once('subscription', () => ctx.hooks.tap('client.connected', (cl, ci) => {
            if (!flags.subscription || subs.length === 0) return;
            const clientid = cl.clientid;
            const username = cl.username;
            const v5 = ci.proto_ver === 5;
            // after CONNACK, as EMQX's channel does it (a message to itself)
            setImmediate(() => {
              for (const s of subs) {
                const topic = feedVars(s.topic, clientid, username);
                ctx.admin.call(node, 'subscribe', v5 ? { clientid, topic, qos: s.qos, nl: s.nl, rap: s.rap, rh: s.rh } : { clientid, topic, qos: s.qos })
                  .then((done) => { if (!done) ctx.logger.debug(`emqx_mod_subscription: ${clientid} gone before subscribing ${topic}`); })
                  .catch((err: Error) => ctx.logger.warning(`emqx_mod_subscription: subscribing ${clientid} to ${topic}: ${err.message}`));
              }
            });
          }));
        },
        off: () => { flags.subscription = false; },
      },
      emqx_mod_rewrite: {
        on: () => {
          flags.rewrite = true;
          once('rewrite', () => {
            if (rules.pub.length > 0) {
              ctx.hooks.tap('message.publish', (m) => {
                if (!flags.rewrite || m.flags.sys) return undefined;
                const t = rewrite(m.topic, rules.pub);
                if (t !== m.topic) m.topic = t;
                return m;
              }, { stage: HookStage.FIRST });
            }
            if (rules.sub.length > 0) {
              const subRewrite = (_cl: unknown, _p: unknown, filters: TopicFilters): TopicFilters | undefined => {
                if (!flags.rewrite) return undefined;
                return filters.map(([f, o]): [string, SubOpts] => [rewrite(f, rules.sub), o]);
              };
              ctx.hooks.tap('client.subscribe', subRewrite, { stage: HookStage.FIRST });
              ctx.hooks.tap('client.unsubscribe', subRewrite, { stage: HookStage.FIRST });
            }
          });
        },
        off: () => { flags.rewrite = false; },
      },
      emqx_mod_delayed: {
        on: () => {
          once('delayed', () => ctx.hooks.tap('message.publish', (m) => {
            if (!delayed.active || m.headers.allow_publish === false) return undefined;
            if (delayed.take(m)) {
              // EMQX stops the hook chain here; taps after this one see a dropped, non-retained message
              m.headers.allow_publish = false;
              m.flags.retain = false;
            }
            return m;
          }, { stage: HookStage.FIRST + 1 }));
          delayed.start();
        },
        off: () => { delayed.stop(); },
      },
      emqx_mod_topic_metrics: {
        on: () => {
          once('topic_metrics', () => {
            // last: what other taps dropped or rewrote is seen as they left it
            ctx.hooks.tap('message.publish', (m) => {
              if (!metrics.active || m.headers.allow_publish === false) return undefined;
              metrics.topics.get(m.topic)?.in(m.qos);
              return undefined;
            }, { stage: HookStage.LAST });
            ctx.hooks.tap('message.delivered', (_cl, m) => {
              if (metrics.active) metrics.topics.get(m.topic)?.out(m.qos);
              return undefined;
            });
            ctx.hooks.tap('message.dropped', (m) => {
              if (metrics.active) metrics.topics.get(m.topic)?.dropped();
            });
          });
          metrics.start();
        },
        off: () => { metrics.stop(); },
      },
    };

    const load = (name: string, persist = true): ModError | undefined => {
      if (!DESCR.has(name)) return 'not_found';
      if (state.get(name) && tapped.has(`__on_${name}`)) return 'already_started';
      const e = impl[name]!.on();
      if (e) return e;
      tapped.add(`__on_${name}`);
      state.set(name, true);
      if (persist) save();
      return undefined;
    };
    const unload = (name: string): ModError | undefined => {
      if (!DESCR.has(name)) return 'not_found';
      if (!state.get(name)) return 'not_started';
      const e = impl[name]!.off();
      if (e) return e;
      tapped.delete(`__on_${name}`);
      state.set(name, false);
      save();
      return undefined;
    };
    const save = (): void => {
      try {
        writeLoaded(loadedFile, state);
      } catch (err) {
        ctx.logger.error(`cannot write ${loadedFile}: ${(err as Error).message}`);
      }
    };
    for (const [n, on] of state) {
      if (on) load(n, false);
      else if (n === 'emqx_mod_presence') impl[n]!.off();
    }
    if (!fromFile) save();
    const list = (): Array<{ name: string; description: string; active: boolean }> =>
      MODULES.map(([name, description]) => ({ name, description, active: state.get(name) === true }));

    ctl(ctx, list, load, unload);
    api(ctx, node, list, load, unload, metrics);

    ctx.onDispose(() => {
      delayed.stop();
      metrics.stop();
    });
  },
});

function ctl(ctx: PluginContext, list: () => Array<{ name: string; description: string; active: boolean }>, load: (n: string) => ModError | undefined, unload: (n: string) => ModError | undefined): void {
  ctx.ctl('modules', [
    ['modules list', 'Show loaded modules'],
    ['modules load <Module>', 'Load module'],
    ['modules unload <Module>', 'Unload module'],
    ['modules reload <Module>', 'Reload module'],
  ], (args) => {
    const [cmd, name] = args;
    if (args.length === 1 && cmd === 'list') return list().map((m) => `Module(${m.name}, description=${m.description}, active=${m.active})\n`).join('');
    if (args.length !== 2 || name === undefined) return undefined;
    if (cmd === 'load') {
      const e = load(name);
      return e ? `Load module ${name} error: ${e}.\n` : `Module ${name} loaded successfully.\n`;
    }
    if (cmd === 'unload') {
      const e = unload(name);
      return e ? `Unload module ${name} error: ${e}.\n` : `Module ${name} unloaded successfully.\n`;
    }
    if (cmd === 'reload') {
      if (name !== 'emqx_mod_acl_internal') return `Module ${name} is not a acl module, and does not support reload.\n`;
      return `Reload module ${name} error: not_supported.\n`;
    }
    return undefined;
  });
}

function api(
  ctx: PluginContext, node: string, list: () => Array<{ name: string; description: string; active: boolean }>,
  load: (n: string) => ModError | undefined, unload: (n: string) => ModError | undefined, metrics: TopicMetrics,
): void {
  const result = (e: ModError | undefined): Record<string, unknown> => (e ? fail(ApiCode.UNKNOWN_ERROR, e) : ok());
  const thisNode = (n: string | undefined): boolean => n === undefined || n === node;
  ctx.api({ name: 'list_all_modules', method: 'GET', path: '/modules', descr: 'List all modules in the cluster' }, () => ok([{ node, modules: list() }]));
  ctx.api({ name: 'list_modules', method: 'GET', path: '/nodes/:node/modules', descr: 'List all modules on a node' }, (req) =>
    thisNode(req.params.node) ? ok(list()) : fail(ApiCode.RPC_ERROR, `node ${req.params.node} is not this node`));
  ctx.api({ name: 'load_module', method: 'PUT', path: '/modules/:module/load', descr: 'Load a module in the cluster' }, (req) => result(load(req.params.module!)));
  ctx.api({ name: 'unload_module', method: 'PUT', path: '/modules/:module/unload', descr: 'Unload a module in the cluster' }, (req) => result(unload(req.params.module!)));
  ctx.api({ name: 'load_module', method: 'PUT', path: '/nodes/:node/modules/:module/load', descr: 'Load a module on a node' }, (req) =>
    thisNode(req.params.node) ? result(load(req.params.module!)) : fail(ApiCode.RPC_ERROR, `node ${req.params.node} is not this node`));
  ctx.api({ name: 'unload_module', method: 'PUT', path: '/nodes/:node/modules/:module/unload', descr: 'Unload a module on a node' }, (req) =>
    thisNode(req.params.node) ? result(unload(req.params.module!)) : fail(ApiCode.RPC_ERROR, `node ${req.params.node} is not this node`));

  // topic metrics (emqx_mod_api_topic_metrics)
  const notLoaded = (): Record<string, unknown> => fail(ApiCode.UNKNOWN_ERROR, 'Topic metrics module not loaded');
  const row = (topic: string): Record<string, unknown> | undefined => {
    const c = metrics.topics.get(topic);
    return c && { topic, create_time: datetime(c.createdAt), metrics: c.json() };
  };
  ctx.api({ name: 'list_all_topic_metrics', method: 'GET', path: '/topic-metrics', descr: 'List topic metrics' }, () =>
    metrics.active ? ok([...metrics.topics.keys()].map((t) => row(t))) : notLoaded());
  ctx.api({ name: 'get_topic_metrics', method: 'GET', path: '/topic-metrics/:topic', descr: 'Get topic metrics' }, (req) => {
    if (!metrics.active) return notLoaded();
    const c = metrics.topics.get(req.params.topic!);
    return c ? ok(c.json()) : fail(ApiCode.BAD_TOPIC, 'Topic not found');
  });
  ctx.api({ name: 'register_topic_metrics', method: 'POST', path: '/topic-metrics', descr: 'Register topic metrics' }, (req) => {
    if (!metrics.active) return notLoaded();
    const topic = (req.body as { topic?: unknown } | undefined)?.topic;
    if (typeof topic !== 'string') return fail(ApiCode.MISSING_PARAMETER, 'missing the topic');
    const e = metrics.register(topic);
    if (e === 'bad_topic') return fail(ApiCode.BAD_TOPIC, 'Topic with wildcards is not supported');
    if (e === 'quota_exceeded') return fail(ApiCode.UNKNOWN_ERROR, `Exceeded max topic count ${metrics.maxTopics}`);
    if (e === 'already_existed') return fail(ApiCode.UNKNOWN_ERROR, 'Topic already registered');
    return ok();
  });
  ctx.api({ name: 'unregister_all_topic_metrics', method: 'DELETE', path: '/topic-metrics', descr: 'Unregister all topic metrics' }, () => {
    if (!metrics.active) return notLoaded();
    metrics.topics.clear();
    return ok();
  });
  ctx.api({ name: 'unregister_topic_metrics', method: 'DELETE', path: '/topic-metrics/:topic', descr: 'Unregister topic metrics' }, (req) => {
    if (!metrics.active) return notLoaded();
    return metrics.unregister(req.params.topic!) ? ok() : fail(ApiCode.BAD_TOPIC, 'Topic not found');
  });
}
