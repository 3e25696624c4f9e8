// plugins.*
import { join } from 'node:path';
import type { NodeConfig, PluginsConfig } from '../types.js';
import type { Reader } from './read.js';

export function buildPlugins(r: Reader, node: NodeConfig): PluginsConfig {
  return {
    etcDir: r.str('plugins.etc_dir'),
    // unset: in the data dir, wherever node.data_dir points
    loadedFile: r.optStr('plugins.loaded_file') ?? join(node.dataDir, 'loaded_plugins'),
    expandPluginsDir: r.str('plugins.expand_plugins_dir'),
  };
}
