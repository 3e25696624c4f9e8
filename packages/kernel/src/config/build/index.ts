/**
 * buildConfig: typed, deep-frozen views over the effective settings (see
 * load.ts), one file per section.
 */
import type { Setting } from '../setting.js';
import { lookupKey, resolvePath, schemaDefault } from '../schema.js';
import type { Config, Zone } from '../types.js';
import { buildAcl } from './acl.js';
import { buildBroker } from './broker.js';
import { deepFreeze, FrozenMap } from './frozen.js';
import { buildListeners } from './listeners.js';
import { buildLog } from './log.js';
import { buildModules } from './modules.js';
import { buildAlarm, buildOsMon, buildSysmon, buildVmMon } from './monitors.js';
import { buildMqtt } from './mqtt.js';
import { buildNode } from './node.js';
import { buildPlugins } from './plugins.js';
import { reader } from './read.js';
import { buildZone, DEFAULT_ZONE, zoneNames } from './zones.js';

export { DEFAULT_ZONE } from './zones.js';
export { deepFreeze } from './frozen.js';

export function buildConfig(settings: ReadonlyMap<string, Setting>, baseDir: string, problems: string[]): Config {
  const r = reader(settings, problems);
  const node = buildNode(r);
  const listeners = buildListeners(r);

  // zones named by zone keys or by a listener, plus the default zone
  const names = zoneNames(r);
  for (const l of listeners) names.add(l.zone);
  names.add(DEFAULT_ZONE);
  const zones: Record<string, Zone> = {};
  for (const z of [...names].sort()) zones[z] = buildZone(r, z);

  const raw = new FrozenMap<string, unknown>();
  for (const [k, s] of settings) raw.set(k, deepFreeze(s.value));
  raw.seal();

  const get = (key: string): unknown => {
    if (raw.has(key)) return raw.get(key);
    const d = schemaDefault(key);
    return typeof d === 'string' && lookupKey(key)?.entry.type.kind === 'path' ? resolvePath(baseDir, d) : d;
  };
  const source = (key: string): string | undefined => settings.get(key)?.source;

  return deepFreeze({
    raw,
    node,
    log: buildLog(r),
    mqtt: buildMqtt(r),
    zones,
    listeners,
    broker: buildBroker(r),
    modules: buildModules(r),
    plugins: buildPlugins(r, node),
    acl: buildAcl(r),
    sysmon: buildSysmon(r),
    osMon: buildOsMon(r),
    vmMon: buildVmMon(r),
    alarm: buildAlarm(r),
    baseDir,
    get,
    source,
  });
}
