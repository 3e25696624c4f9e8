// node.*
import type { NodeConfig } from '../types.js';
import { compact, type Reader } from './read.js';

export function buildNode(r: Reader): NodeConfig {
  return compact({
    name: r.str('node.name'),
    cookie: r.str('node.cookie'),
    dataDir: r.str('node.data_dir'),
    crashDump: r.str('node.crash_dump'),
    globalGcInterval: r.optNum('node.global_gc_interval'),
    processLimit: r.optNum('node.process_limit'),
    maxPorts: r.optNum('node.max_ports'),
    distListenMin: r.optNum('node.dist_listen_min'),
    distListenMax: r.optNum('node.dist_listen_max'),
  });
}
