/** @nemq/bench: MQTT load generator and broker comparison. */
export * as mqtt from './mqtt.js';
export * from './stats.js';
export * from './report.js';
export * from './flow.js';
export { SCENARIOS, DEFAULT_PARAMS, runScenario, type ScenarioName, type ScenarioParams, type ScenarioResult, type Metric, type Target } from './scenarios.js';
export { BROKERS, startBroker, type BrokerName, type RunningBroker } from './brokers.js';
export { main } from './cli.js';
