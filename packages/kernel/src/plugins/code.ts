// A plugin's code: required with Node's own loader, reused while its files are unchanged, and
// required afresh when they changed (hot upgrade). The node's @nemq/sdk is linked in first.
import { createHash } from 'node:crypto';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import type { Plugin } from '@nemq/sdk';
import type { InstalledPlugin } from './discover.js';
import { PluginError } from './errors.js';
import { linkSdk } from './sdk-link.js';

/** Node's own require (also under test runners that wrap require), for its module cache */
const nodeRequire = createRequire(__filename);

export class PluginCode {
  private readonly modules = new Map<string, { key: string; plugin: Plugin }>();

  /**
   * The plugin's main module. When its files changed on disk since the last import, the
   * plugin's entries are dropped from the require cache first, so the new code runs; an
   * unchanged plugin reuses its module. A failure leaves the previous module in place.
   */
  import(info: InstalledPlugin): Plugin {
    const name = info.manifest.name;
    const key = fingerprint(info);
    const cached = this.modules.get(name);
    if (cached && cached.key === key) return cached.plugin;
    const own = realpathSync(info.dir) + sep;
    linkSdk(own);
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
