// What the layers below the node share: hooks, metrics, logging, node identity.
import type { HookRegistry } from './hooks/registry.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics/metrics.js';

export interface Ctx {
  readonly registry: HookRegistry;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly nodeName: string;
}
