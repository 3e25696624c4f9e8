// Public surface of the kernel.
export { createBroker, BrokerNode, VERSION, type BrokerOptions } from './node.js';
export { optionsFromConfig } from './boot.js';
export { loadConfig, ConfigError, type Config } from './config/index.js';
export { HOOK_POINTS, STAGE, type HookPoint, type KernelHooks, type AuthResult } from './hooks/hookpoints.js';
export { HookRegistry, type TapOptions } from './hooks/registry.js';
export { Message, type ClientInfo, type ConnInfo, type SubOpts, type AclResult, type PubSub } from './types.js';
export { defaultZone, type Zone } from './zone.js';
export { createLogger, type Logger, type LogLevel } from './logger.js';
export { RC } from './channel/reason-codes.js';
export type { ListenerSpec } from './listener/listeners.js';
