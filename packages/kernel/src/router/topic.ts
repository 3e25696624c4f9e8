// Topic names and filters [MQTT-4.7].

/** A topic name for PUBLISH: non-empty, no wildcards [MQTT-3.3.2-2], [MQTT-4.7.3-1]. */
export function validTopicName(topic: string, maxLevels = 0): boolean {
  if (topic.length === 0 || topic.length > 65535) return false;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x23 || c === 0x2b || c === 0) return false;
  }
  return maxLevels === 0 || levelCount(topic) <= maxLevels;
}

/** A topic filter for SUBSCRIBE [MQTT-4.7.1-1..3]: `#` last and alone in its level, `+` alone. */
export function validTopicFilter(filter: string, maxLevels = 0): boolean {
  const n = filter.length;
  if (n === 0 || n > 65535) return false;
  for (let i = 0; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c === 0) return false;
    if (c === 0x23) {
      if (i !== n - 1) return false;
      if (i > 0 && filter.charCodeAt(i - 1) !== 0x2f) return false;
    } else if (c === 0x2b) {
      if (i > 0 && filter.charCodeAt(i - 1) !== 0x2f) return false;
      if (i < n - 1 && filter.charCodeAt(i + 1) !== 0x2f) return false;
    }
  }
  return maxLevels === 0 || levelCount(filter) <= maxLevels;
}

export function levelCount(topic: string): number {
  let n = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 0x2f) n++;
  return n;
}

export { isWildcard, topicMatches } from '@nemq/sdk';

export interface ShareSpec {
  group: string | undefined;
  filter: string;
}

/** Splits `$share/<group>/<filter>` and `$queue/<filter>` (EMQX: `$queue` is group `$queue`). */
export function parseShare(filter: string): ShareSpec | undefined {
  if (filter.startsWith('$share/')) {
    const slash = filter.indexOf('/', 7);
    if (slash < 0) return undefined;
    const group = filter.slice(7, slash);
    const rest = filter.slice(slash + 1);
    // [MQTT-4.8.2-1] the share name must not be empty nor hold wildcards
    if (group.length === 0 || group.includes('+') || group.includes('#') || rest.length === 0) return undefined;
    return { group, filter: rest };
  }
  if (filter.startsWith('$queue/')) {
    const rest = filter.slice(7);
    if (rest.length === 0) return undefined;
    return { group: '$queue', filter: rest };
  }
  return { group: undefined, filter };
}

/** Prefixes a mountpoint (`%c` / `%u` already expanded). */
export function mount(mountpoint: string | undefined, topic: string): string {
  return mountpoint ? mountpoint + topic : topic;
}

export function unmount(mountpoint: string | undefined, topic: string): string {
  return mountpoint && topic.startsWith(mountpoint) ? topic.slice(mountpoint.length) : topic;
}
