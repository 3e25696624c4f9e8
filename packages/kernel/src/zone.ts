// The zone a broker gets without a conf (createBroker() embedding, tests).
import { loadConfig } from './config/load.js';
import type { Zone } from './config/types.js';

export type { Zone } from './config/types.js';

/**
 * The keys etc/emqx.conf sets for its external zone (and the globals that zone
 * reads) where they differ from the schema defaults; test/config/zone.test.ts
 * checks them against the shipped file. Everything else comes from the schema
 * and the zone builder, as for a zone loaded from a conf.
 */
const EXTERNAL_CONF = `
allow_anonymous = true
acl_nomatch = allow
mqtt.ignore_loop_deliver = false
zone.external.enable_acl = on
zone.external.enable_ban = on
zone.external.enable_stats = on
zone.external.force_gc_policy = 16000|16MB
zone.external.max_inflight = 32
zone.external.max_awaiting_rel = 100
zone.external.mqueue_default_priority = highest
`;

let external: Zone | undefined;

/** EMQX 4.3's external zone (as etc/emqx.conf builds it), under any name, with overrides. */
export function defaultZone(name = 'external', over: Partial<Zone> = {}): Zone {
  external ??= loadConfig({ text: EXTERNAL_CONF, file: 'defaultZone', baseDir: '/' }).zones['external'];
  return { ...(external as Zone), name, ...over };
}
