// The plugin host (reference §2: emqx_plugins): discover, load, unload, reload.
// A plugin touches the node only through its context, so unload can take back
// every tap, ctl command and subscription it made, then run its disposers.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfValues, Handover, Plugin, StopReason } from '@nemq/sdk';
import * as semver from 'semver';
import type { PluginHost, PluginListing } from '../ports.js';
import { PluginCode } from './code.js';
import { readPluginConf } from './conf.js';
import { createContext, type Loaded } from './context.js';
import { discoverPlugins, type InstalledPlugin } from './discover.js';
import { PluginError } from './errors.js';
import { readLoaded, writeLoaded } from './loaded-file.js';
import { SDK_VERSION } from './sdk-link.js';

export type { InstalledPlugin };

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

/** Plugins that cannot be unloaded from the CLI (EMQX refuses emqx_management). */
const PINNED = new Set(['emqx_management']);

export class PluginManager {
  private readonly loaded = new Map<string, Loaded>();
  private readonly code = new PluginCode();
  /** serialises load/unload/reload */
  private queue: Promise<unknown> = Promise.resolve();
  loads = 0;
  unloads = 0;

  constructor(private readonly node: PluginHost, readonly opts: PluginsOptions) {}

  /** installed plugins by name (workspace dirs, dropped-in packages, node_modules) */
  discover(): Map<string, InstalledPlugin> {
    return discoverPlugins(this.opts.dirs, (m) => this.node.logger.warning(m));
  }

  list(): PluginListing[] {
    return [...this.discover().values()]
      .map((p) => {
        const name = p.manifest.name;
        const running = this.loaded.get(name)?.info.version;
        return {
          name,
          description: p.manifest.description ?? '',
          type: p.manifest.type ?? 'feature',
          version: running ?? p.version,
          installed: running !== undefined && running !== p.version ? p.version : undefined,
          active: running !== undefined,
          tapErrors: this.node.registry.errorCounts(name),
        };
      })
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

  /**
   * Reload = upgrade: the new code and conf are read first (a failure leaves the running
   * version serving); then the running instance stops with 'upgrade' and what it returns is
   * handed to the new instance. If the new one fails to start, the old one is started again
   * with its own state, and the error says so.
   */
  reload(name: string): Promise<void> {
    return this.serial(async () => {
      const info = this.discover().get(name);
      if (!info) throw new PluginError('not_found', name, "The plugin doesn't exist.");
      const cur = this.loaded.get(name);
      if (!cur) return this.doLoad(name, true);
      const kept = `${name} ${cur.info.version} keeps running`;
      let plugin: Plugin;
      let config: ConfValues;
      try {
        this.check(info);
        plugin = this.code.import(info);
        config = this.readConf(info, plugin);
      } catch (err) {
        throw PluginError.wrap(err, 'bad_plugin', name, kept);
      }
      const state = await this.cleanup(cur, 'upgrade');
      this.loaded.delete(name);
      const handover: Handover<unknown> | undefined = state === undefined ? undefined : { version: cur.info.version, state };
      try {
        await this.start(info, plugin, config, handover);
      } catch (err) {
        try {
          await this.start(cur.info, cur.plugin, cur.config, handover);
        } catch (again) {
          throw PluginError.wrap(err, 'start_failed', name, `rolling back to ${cur.info.version} failed too: ${(again as Error).message}; ${name} is not running`);
        }
        throw PluginError.wrap(err, 'start_failed', name, `rolled back: ${kept}`);
      }
      this.node.logger.info(`plugins: ${name} ${cur.info.version} -> ${info.version} reloaded`);
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
    this.check(info);
    const plugin = this.code.import(info);
    const config = this.readConf(info, plugin);
    await this.start(info, plugin, config, undefined);
    this.loads++;
    if (persist) this.persist(name, true);
    this.node.logger.info(`plugins: ${name} ${info.version} loaded`);
  }

  /** the kernel and SDK ranges and the dependencies a plugin states */
  private check(info: InstalledPlugin): void {
    const m = info.manifest;
    const name = m.name;
    if (m.broker && !semver.satisfies(this.node.kernelVersion, m.broker, { includePrerelease: true })) {
      throw new PluginError('incompatible', name, `needs kernel ${m.broker}, this is ${this.node.kernelVersion}`);
    }
    if (info.sdkMismatch !== undefined) {
      throw new PluginError('incompatible', name, `needs @nemq/sdk ${info.sdkMismatch}, this node provides ${SDK_VERSION}`);
    }
    for (const dep of m.dependencies ?? []) {
      if (!this.loaded.has(dep)) throw new PluginError('missing_dependency', name, `load ${dep} first`);
    }
  }

  /** runs start() within the start timeout; a failed start leaves nothing behind */
  private async start(info: InstalledPlugin, plugin: Plugin, config: ConfValues, handover: Handover<unknown> | undefined): Promise<void> {
    const name = info.manifest.name;
    const rec: Loaded = { info, plugin, config, abort: new AbortController(), disposers: [], subs: new Set() };
    const ctx = createContext(this.node, rec, this.opts.dataDir, handover);
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
      this.node.drainAclCaches();
    } catch (err) {
      // a half-started plugin leaves nothing behind
      await this.cleanup(rec, 'unload');
      this.loaded.delete(name);
      if (err instanceof PluginError) throw err;
      throw new PluginError('start_failed', name, (err as Error)?.message ?? String(err));
    } finally {
      clearTimeout(timer);
    }
  }

  private async doUnload(name: string, persist: boolean, force: boolean, reason: StopReason = 'unload'): Promise<void> {
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

  /**
   * abort, untap, drain calls in flight, stop, dispose (LIFO); every step runs even if one
   * throws. Returns what stop() returned (the handover state on 'upgrade').
   */
  private async cleanup(rec: Loaded, reason: StopReason): Promise<unknown> {
    const name = rec.info.manifest.name;
    const log = this.node.logger;
    rec.abort.abort();
    this.node.registry.removeOwner(name);
    this.node.ctl.removeOwner(name);
    this.node.apiRoutes.removeOwner(name);
    this.node.tables.removeOwner(name);
    for (const s of rec.subs) this.node.subscriptions.removeLocal(s);
    rec.subs.clear();
    const until = Date.now() + (this.opts.stopTimeout ?? 5000);
    while (this.node.registry.inflightCalls(name) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    // after the calls in flight, so none of their verdicts stays cached
    this.node.drainAclCaches();
    let state: unknown;
    try {
      state = await rec.plugin.stop?.(reason);
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
    return state ?? undefined;
  }

  /** etc/plugins/<name>.conf, else the plugin's own etc/<name>.conf, checked against its schema */
  private readConf(info: InstalledPlugin, plugin: Plugin): ConfValues {
    const name = info.manifest.name;
    const candidates = [join(this.opts.etcDir, `${name}.conf`), join(info.dir, 'etc', `${name}.conf`)];
    const file = candidates.find((f) => existsSync(f));
    const text = file ? readFileSync(file, 'utf8') : '';
    const { values, problems } = readPluginConf(text, file ?? `${name}.conf`, plugin.schema, process.env);
    if (problems.length > 0) throw new PluginError('bad_config', name, problems.join('; '));
    return values;
  }

  private persist(name: string, on: boolean): void {
    const entries = readLoaded(this.opts.loadedFile);
    if (on) entries.set(name, true);
    else entries.delete(name);
    writeLoaded(this.opts.loadedFile, entries);
  }
}

