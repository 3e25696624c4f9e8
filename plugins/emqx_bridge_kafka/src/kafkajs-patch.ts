// kafkajs 2.2 groups a produce call's records by partition with `[...current, message]`
// per record: quadratic in the records per partition (a 1000-record batch copies ~500k
// array slots, ~11% of the bridge's CPU in the bench). This puts a linear version with the
// same result (partition -> records in order) into the require cache before kafkajs loads.
// It does nothing when kafkajs was loaded earlier or its files are laid out differently.
import { existsSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';

interface PartitionerArgs {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;
}

export function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: PartitionerArgs): Record<number, unknown[]> {
  const out: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return out;
  for (const message of messages) {
    const p = partitioner({ topic, partitionMetadata, message });
    (out[p] ??= []).push(message);
  }
  return out;
}

export const patched = ((): boolean => {
  try {
    const file = join(dirname(require.resolve('kafkajs')), 'src', 'producer', 'groupMessagesPerPartition.js');
    if (!existsSync(file) || require.cache[file]) return false;
    const m = new Module(file) as Module & { loaded: boolean };
    m.filename = file;
    m.loaded = true;
    m.exports = groupMessagesPerPartition;
    require.cache[file] = m;
    return true;
  } catch {
    return false;
  }
})();
