// broker.*
import type { BrokerConfig, SharedSubStrategy } from '../types.js';
import type { Reader } from './read.js';

export function buildBroker(r: Reader): BrokerConfig {
  const perGroup: Record<string, SharedSubStrategy> = {};
  for (const s of r.family('broker.$name.shared_subscription_strategy')) {
    perGroup[s.vars['$name'] ?? ''] = s.value as SharedSubStrategy;
  }
  return {
    sysInterval: r.num('broker.sys_interval'),
    sysHeartbeat: r.num('broker.sys_heartbeat'),
    enableSessionRegistry: r.bool('broker.enable_session_registry'),
    sessionLockingStrategy: r.str('broker.session_locking_strategy') as BrokerConfig['sessionLockingStrategy'],
    sharedSubscriptionStrategy: r.str('broker.shared_subscription_strategy') as SharedSubStrategy,
    sharedSubscriptionStrategyPerGroup: perGroup,
    sharedDispatchAckEnabled: r.bool('broker.shared_dispatch_ack_enabled'),
    routeBatchClean: r.bool('broker.route_batch_clean'),
    perf: {
      routeLockType: r.str('broker.perf.route_lock_type') as BrokerConfig['perf']['routeLockType'],
      trieCompaction: r.bool('broker.perf.trie_compaction'),
    },
    clientDisconnectDiscarded: r.bool('broker.client_disconnect_discarded'),
    clientDisconnectTakeovered: r.bool('broker.client_disconnect_takeovered'),
  };
}
