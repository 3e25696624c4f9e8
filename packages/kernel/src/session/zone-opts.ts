// A zone's session settings, one shared object per zone.
import type { Zone } from '../zone.js';
import { marks } from './pressure.js';
import type { SessionOpts } from './session.js';

const optsByZone = new WeakMap<Zone, SessionOpts>();

/** the session settings of a zone, one shared object per zone */
export function sessionOpts(z: Zone): SessionOpts {
  let o = optsByZone.get(z);
  if (o === undefined) optsByZone.set(z, (o = makeSessionOpts(z)));
  return o;
}

function makeSessionOpts(z: Zone): SessionOpts {
  const m = marks(z.backpressure, z.maxMqueueLen, z.backpressureHighWatermark, z.backpressureLowWatermark);
  return {
    maxInflight: z.maxInflight,
    maxMqueueLen: z.maxMqueueLen,
    mqueueStoreQos0: z.mqueueStoreQos0,
    mqueuePriorities: z.mqueuePriorities ? new Map(Object.entries(z.mqueuePriorities)) : null,
    mqueueDefaultPriority: z.mqueueDefaultPriority === 'highest' ? Infinity : 0,
    retryInterval: z.retryInterval,
    maxAwaitingRel: z.maxAwaitingRel,
    awaitRelTimeout: z.awaitRelTimeout,
    upgradeQos: z.upgradeQos,
    ignoreLoopDeliver: z.ignoreLoopDeliver,
    highWatermark: m.highWatermark,
    lowWatermark: m.lowWatermark,
  };
}
