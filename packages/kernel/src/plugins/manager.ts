// The plugin host (reference §2: emqx_plugins): discover, load, unload, reload.
// A plugin touches the node only through its context, so unload can take back
// every tap, ctl command and subscription it made, then run its disposers.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { ConfValues, Plugin, PluginContext, PluginManifest, PluginMessage } from '@nemq/sdk';
import * as semver from 'semver';
import type { BrokerNode } from '../node.js';
import { Subscription, type Subscriber } from '../router/router.js';
import { parseShare } from '@nemq/sdk';
import { Message, type SubOpts } from '../types.js';
import { readPluginConf } from './conf.js';
import { PluginError } from './errors.js';
import { readLoaded, writeLoaded } from './loaded-file.js';

export interface PluginsOptions {
  /** directories holding plugin packages (sub-directories and node_modules) */
  dirs: string[];
  /** where <name>.conf files live (plugins.etc_dir) */
  etcDir: string;
  /** data/loaded_plugins (plugins.loaded_file) */
  loadedFile: string;
  /** node.data_dir */
  dataDir: string;
  /** ms a start may take */
  startTimeout?: number;
  /** ms unload waits for the plugin's calls in flight */
  stopTimeout?: number;
  /** written to loaded_file when it does not exist (EMQX's template) */
  defaults?: Record<string, boolean>;
}

export interface InstalledPlugin {
  manifest: PluginManifest;
  version: string;
  dir: string;
  main: string;
}

interface Loaded {
  info: InstalledPlugin;
  plugin: Plugin;
  abort: AbortController;
  disposers: Array<() => void | Promise<void>>;
  subs: Set<Subscription>;
}

interface CachedModule {
  key: string;
  plugin: Plugin;
}

/** Node's own require (also under test runners that wrap require), for its module cache */
const nodeRequire = createRequire(__filename);

/** Plugins that cannot be unloaded from the CLI (EMQX refuses emqx_management). */
const PINNED = new Set(['emqx_management']);

export class PluginManager {
  private readonly loaded = new Map<string, Loaded>();
  private readonly modules = new Map<string, CachedModule>();
  /** serialises load/unload/reload */
  private queue: Promise<unknown> = Promise.resolve();
  loads = 0;
  unloads = 0;

  constructor(private readonly node: BrokerNode, readonly opts: PluginsOptions) {}

  // ---- discovery ---------------------------------------------------------

  /** installed plugins by name (workspace dirs, dropped-in packages, node_modules) */
  discover(): Map<string, InstalledPlugin> {
    const out = new Map<string, InstalledPlugin>();
    const visit = (dir: string): void => {
      const pj = join(dir, 'package.json');
      if (!existsSync(pj)) return;
      try {
        const pkg = JSON.parse(readFileSync(pj, 'utf8')) as { version?: string; main?: string; emqxPlugin?: PluginManifest };
        const m = pkg.emqxPlugin;
        if (!m || typeof m.name !== 'string' || !/^[A-Za-z0-9_]+$/.test(m.name)) return;
        if (!out.has(m.name)) out.set(m.name, { manifest: m, version: pkg.version ?? '0.0.0', dir: resolve(dir), main: resolve(dir, pkg.main ?? 'index.js') });
      } catch (err) {
        this.node.logger.warning(`plugins: cannot read ${pj}: ${(err as Error).message}`);
      }
    };
    const subdirs = (dir: string): string[] => {
      try {
        return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() || d.isSymbolicLink()).map((d) => join(dir, d.name));
      } catch {
        return [];
      }
    };
    for (const dir of this.opts.dirs) {
      for (const d of subdirs(dir)) if (!d.endsWith(`${sep}node_modules`)) visit(d);
      for (const d of subdirs(join(dir, 'node_modules'))) {
        if (d.split(sep).pop()!.startsWith('@')) for (const s of subdirs(d)) visit(s);
        else visit(d);
      }
    }
    return out;
  }

  list(): Array<{ name: string; description: string; type: string; version: string; active: boolean }> {
    return [...this.discover().values()]
      .map((p) => ({ name: p.manifest.name, description: p.manifest.description ?? '', type: p.manifest.type ?? 'feature', version: p.version, active: this.loaded.has(p.manifest.name) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  isLoaded(name: string): boolean {
    return this.loaded.has(name);
  }

  // ---- boot --------------------------------------------------------------

  /** loads what data/loaded_plugins lists (written with the defaults when missing) */
  async boot(): Promise<void> {
    const file = this.opts.loadedFile;
    const installed = this.discover();
    if (!existsSync(file)) {
      const d = new Map(Object.entries(this.opts.defaults ?? {}).filter(([n]) => installed.has(n)));
      writeLoaded(file, d);
    }
    for (const [name, on] of readLoaded(file)) {
      if (!on) continue;
      if (!installed.has(name)) {
        this.node.logger.warning(`plugins: cannot find plugin ${name} listed in ${file}`);
        continue;
      }
      try {
        await this.load(name, { persist: false });
      } catch (err) {
        this.node.logger.error(`plugins: load ${name} at boot failed: ${(err as Error).message}`);
      }
    }
  }

  // ---- load / unload / reload -----------------------------------------------

  load(name: string, o: { persist?: boolean } = {}): Promise<void> {
    return this.serial(() => this.doLoad(name, o.persist !== false));
  }

  unload(name: string, o: { persist?: boolean; force?: boolean } = {}): Promise<void> {
    return this.serial(() => this.doUnload(name, o.persist !== false, o.force === true));
  }

  reload(name: string): Promise<void> {
    return this.serial(async () => {
      if (!this.discover().has(name)) throw new PluginError('not_found', name, "The plugin doesn't exist.");
      if (this.loaded.has(name)) await this.doUnload(name, false, true);
      await this.doLoad(name, true);
    });
  }

  /** unloads everything, dependents first (node stop) */
  async stopAll(): Promise<void> {
    const names = [...this.loaded.keys()].reverse();
    for (const n of names) {
      try {
        await this.serial(() => this.doUnload(n, false, true, 'shutdown'));
      } catch (err) {
        this.node.logger.error(`plugins: stop ${n}: ${(err as Error).message}`);
      }
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async doLoad(name: string, persist: boolean): Promise<void> {
    const info = this.discover().get(name);
    if (!info) throw new PluginError('not_found', name, 'not installed');
    if (this.loaded.has(name)) throw new PluginError('already_started', name, 'already loaded');
    const m = info.manifest;
    if (m.broker && !semver.satisfies(this.node.kernelVersion, m.broker, { includePrerelease: true })) {
      throw new PluginError('incompatible', name, `needs kernel ${m.broker}, this is ${this.node.kernelVersion}`);
    }
    for (const dep of m.dependencies ?? []) {
      if (!this.loaded.has(dep)) throw new PluginError('missing_dependency', name, `load ${dep} first`);
    }
    const plugin = this.importPlugin(info);
    const config = this.readConf(info, plugin);
    const rec: Loaded = { info, plugin, abort: new AbortController(), disposers: [], subs: new Set() };
    const ctx = this.context(rec, config);
    this.loaded.set(name, rec);
    const timeout = this.opts.startTimeout ?? 15000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(() => plugin.start(ctx)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new PluginError('start_timeout', name, `start did not finish within ${timeout} ms`)), timeout);
        }),
      ]);
    } catch (err) {
      // a half-started plugin leaves nothing behind
      await this.cleanup(rec, 'unload');
      this.loaded.delete(name);
      if (err instanceof PluginError) throw err;
      throw new PluginError('start_failed', name, (err as Error)?.message ?? String(err));
    } finally {
      clearTimeout(timer);
    }
    this.loads++;
    if (persist) this.persist(name, true);
    this.node.logger.info(`plugins: ${name} ${info.version} loaded`);
  }

  private async doUnload(name: string, persist: boolean, force: boolean, reason: 'unload' | 'shutdown' = 'unload'): Promise<void> {
    if (!this.discover().has(name) && !this.loaded.has(name)) throw new PluginError('not_found', name, 'not installed');
    const rec = this.loaded.get(name);
    if (!rec) throw new PluginError('not_started', name, 'not loaded');
    if (!force && PINNED.has(name)) throw new PluginError('cannot_unload', name, 'can not be unloaded');
    if (reason === 'unload') {
      for (const [other, r] of this.loaded) {
        if (other !== name && (r.info.manifest.dependencies ?? []).includes(name)) throw new PluginError('required_by', name, `${other} depends on it`);
      }
    }
    await this.cleanup(rec, reason);
    this.loaded.delete(name);
    this.unloads++;
    if (persist) this.persist(name, false);
    this.node.logger.info(`plugins: ${name} unloaded`);
  }

  /** abort, untap, drain calls in flight, stop, dispose (LIFO); every step runs even if one throws */
  private async cleanup(rec: Loaded, reason: 'unload' | 'shutdown'): Promise<void> {
    const name = rec.info.manifest.name;
    const log = this.node.logger;
    rec.abort.abort();
    this.node.registry.removeOwner(name);
    this.node.ctl.removeOwner(name);
    for (const s of rec.subs) this.node.broker.router.remove(s);
    rec.subs.clear();
    const until = Date.now() + (this.opts.stopTimeout ?? 5000);
    while (this.node.registry.inflightCalls(name) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    try {
      await rec.plugin.stop?.(reason);
    } catch (err) {
      log.error(`plugins: ${name} stop failed: ${(err as Error).message}`);
    }
    for (const fn of rec.disposers.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.error(`plugins: ${name} dispose failed: ${(err as Error).message}`);
      }
    }
    rec.disposers.length = 0;
  }

  private persist(name: string, on: boolean): void {
    const entries = readLoaded(this.opts.loadedFile);
    if (on) entries.set(name, true);
    else entries.delete(name);
    writeLoaded(this.opts.loadedFile, entries);
  }

  // ---- code and config ---------------------------------------------------

  /**
   * Requires the plugin's main module. When its files changed on disk since the
   * last load, the plugin's entries are dropped from the require cache first, so
   * reload runs the new code (hot upgrade); an unchanged plugin reuses its module.
   */
  private importPlugin(info: InstalledPlugin): Plugin {
    const name = info.manifest.name;
    const key = fingerprint(info);
    const cached = this.modules.get(name);
    if (cached && cached.key === key) return cached.plugin;
    const own = realpathSync(info.dir) + sep;
    for (const k of Object.keys(nodeRequire.cache)) {
      if (k.startsWith(own) && !k.slice(own.length).includes(`node_modules${sep}`)) delete nodeRequire.cache[k];
    }
    let mod: unknown;
    try {
      mod = nodeRequire(info.main);
    } catch (err) {
      throw new PluginError('bad_plugin', name, `cannot load ${info.main}: ${(err as Error).message}`);
    }
    const m = mod as { default?: unknown };
    const plugin = (m && typeof m === 'object' && 'default' in m ? m.default : mod) as Plugin;
    if (!plugin || typeof plugin.start !== 'function' || typeof plugin.schema !== 'object') {
      throw new PluginError('bad_plugin', name, `${info.main} does not export a plugin (definePlugin({ schema, start }))`);
    }
    this.modules.set(name, { key, plugin });
    return plugin;
  }

  private readConf(info: InstalledPlugin, plugin: Plugin): ConfValues {
    const name = info.manifest.name;
    const candidates = [join(this.opts.etcDir, `${name}.conf`), join(info.dir, 'etc', `${name}.conf`)];
    const file = candidates.find((f) => existsSync(f));
    const text = file ? readFileSync(file, 'utf8') : '';
    const { values, problems } = readPluginConf(text, file ?? `${name}.conf`, plugin.schema);
    if (problems.length > 0) throw new PluginError('bad_config', name, problems.join('; '));
    return values;
  }

  // ---- the context a plugin gets -------------------------------------------

  private context(rec: Loaded, config: ConfValues): PluginContext {
    const node = this.node;
    const name = rec.info.manifest.name;
    const prefix = `[${name}] `;
    const logger = {
      debug: (m: string) => node.logger.debug(prefix + m),
      info: (m: string) => node.logger.info(prefix + m),
      warning: (m: string) => node.logger.warning(prefix + m),
      error: (m: string) => node.logger.error(prefix + m),
    };
    const live = (): void => {
      if (rec.abort.signal.aborted) throw new Error(`plugin ${name} is unloaded`);
    };
    return {
      name,
      config,
      logger,
      signal: rec.abort.signal,
      dataDir: this.opts.dataDir,
      hooks: {
        tap: (point, fn, options) => {
          live();
          node.registry.tap(name, point, fn, options ?? {});
        },
      },
      broker: {
        nodeName: node.nodeName,
        version: node.version,
        publish: (topic, payload, o = {}) =>
          node.publish(topic, payload, { ...o, from: o.from ?? name, properties: o.properties as Message['properties'] }),
        subscribe: (filter, onMessage, o = {}) => {
          live();
          const share = parseShare(filter);
          if (!share) throw new Error(`bad topic filter ${filter}`);
          const subscriber = new PluginSubscriber(`$plugin/${name}`, onMessage as (m: PluginMessage) => void, logger);
          const opts: SubOpts = { qos: o.qos ?? 0, nl: 0, rap: 1, rh: 0 };
          if (share.group !== undefined) opts.share = share.group;
          const sub = new Subscription(subscriber, share.filter, opts);
          node.broker.router.add(sub);
          rec.subs.add(sub);
          return () => {
            if (rec.subs.delete(sub)) node.broker.router.remove(sub);
          };
        },
        deliverTo: (clientid, topic, msg) => node.deliverTo(clientid, topic, msg as unknown as Message),
        metrics: () => node.metrics.snapshot(),
        setStat: (stat, value) => node.stats.set(stat, value),
      },
      ctl: (command, usage, handler) => {
        live();
        node.ctl.register(name, command, usage, handler);
      },
      onDispose: (fn) => {
        rec.disposers.push(fn);
      },
    };
  }
}

/** a plugin's local subscription: gets the message object itself, not a frame */
class PluginSubscriber implements Subscriber {
  readonly available = true;
  constructor(readonly clientid: string, private readonly fn: (m: PluginMessage) => void, private readonly logger: { error(m: string): void }) {}
  deliver(msg: Message): void {
    try {
      this.fn(msg as unknown as PluginMessage);
    } catch (err) {
      this.logger.error(`subscription handler failed: ${(err as Error).message}`);
    }
  }
}

/** version + size and mtime of every file under the plugin (not its node_modules) */
function fingerprint(info: InstalledPlugin): string {
  const h = createHash('sha1').update(info.version);
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') || e.name.endsWith('.cjs') || e.name.endsWith('.json')) {
        const st = statSync(p);
        h.update(`${p}:${st.size}:${st.mtimeMs}`);
      }
    }
  };
  walk(info.dir);
  return h.digest('hex');
}
