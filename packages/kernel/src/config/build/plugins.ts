// plugins.*
import type { PluginsConfig } from '../types.js';
import type { Reader } from './read.js';

export function buildPlugins(r: Reader): PluginsConfig {
  return {
    etcDir: r.str('plugins.etc_dir'),
    loadedFile: r.str('plugins.loaded_file'),
    expandPluginsDir: r.str('plugins.expand_plugins_dir'),
  };
}
