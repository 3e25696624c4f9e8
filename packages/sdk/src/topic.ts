// Topic names and filters (MQTT 5.0 section 4.7): validation, matching, shared
// subscriptions and mountpoints. Used by the kernel on the PUBLISH path, so the
// functions here scan char codes and allocate nothing per call.

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

/** At most 65535 bytes of UTF-8 [MQTT-1.5.4-1]; a string this short in UTF-16 units cannot be longer. */
function tooLong(s: string): boolean {
  return s.length > 65535 || (s.length > 21845 && Buffer.byteLength(s) > 65535);
}

/** A topic name for PUBLISH: non-empty, no wildcards [MQTT-3.3.2-2], [MQTT-4.7.3-1], no NUL [MQTT-1.5.4-2]. */
export function validTopicName(topic: string, maxLevels = 0): boolean {
  if (topic.length === 0 || tooLong(topic)) return false;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === HASH || c === PLUS || c === 0) return false;
  }
  return maxLevels === 0 || levelCount(topic) <= maxLevels;
}

/** A topic filter for SUBSCRIBE [MQTT-4.7.1-1..3]: `#` last and alone in its level, `+` alone. */
export function validTopicFilter(filter: string, maxLevels = 0): boolean {
  const n = filter.length;
  if (n === 0 || tooLong(filter)) return false;
  for (let i = 0; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c === 0) return false;
    if (c === HASH) {
      if (i !== n - 1) return false;
      if (i > 0 && filter.charCodeAt(i - 1) !== SLASH) return false;
    } else if (c === PLUS) {
      if (i > 0 && filter.charCodeAt(i - 1) !== SLASH) return false;
      if (i < n - 1 && filter.charCodeAt(i + 1) !== SLASH) return false;
    }
  }
  return maxLevels === 0 || levelCount(filter) <= maxLevels;
}

export function levelCount(topic: string): number {
  let n = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === SLASH) n++;
  return n;
}

export function isWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/**
 * Does the topic name `topic` match `filter`? Walks both strings level by level in place.
 * `#` also matches the parent level [MQTT-4.7.1-2]; `$` topics never match a leading
 * wildcard [MQTT-4.7.2-1].
 */
export function topicMatches(filter: string, topic: string): boolean {
  const f0 = filter.charCodeAt(0);
  if ((f0 === PLUS || f0 === HASH) && topic.charCodeAt(0) === DOLLAR) return false;
  const fn = filter.length;
  const tn = topic.length;
  let fi = 0; // start of the current filter level
  let ti = 0; // start of the current topic level; tn + 1 once the topic has no more levels
  for (;;) {
    let fe = filter.indexOf('/', fi);
    if (fe < 0) fe = fn;
    const len = fe - fi;
    const c = filter.charCodeAt(fi);
    if (len === 1 && c === HASH) return true;
    if (ti > tn) return false;
    let te = topic.indexOf('/', ti);
    if (te < 0) te = tn;
    if (len !== 1 || c !== PLUS) {
      if (te - ti !== len) return false;
      for (let k = 0; k < len; k++) if (filter.charCodeAt(fi + k) !== topic.charCodeAt(ti + k)) return false;
    }
    fi = fe + 1;
    ti = te + 1;
    if (fi > fn) return ti > tn;
  }
}

/** A matcher for one filter, for callers that test many topics against it (bridge and hook rules). */
export function compileFilter(filter: string): (topic: string) => boolean {
  if (filter === '#') return (t) => t.charCodeAt(0) !== DOLLAR;
  if (!isWildcard(filter)) return (t) => t === filter;
  return (t) => topicMatches(filter, t);
}

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

/** Prefixes a mountpoint (placeholders already expanded). */
export function mount(mountpoint: string | undefined, topic: string): string {
  return mountpoint ? mountpoint + topic : topic;
}

export function unmount(mountpoint: string | undefined, topic: string): string {
  return mountpoint && topic.startsWith(mountpoint) ? topic.slice(mountpoint.length) : topic;
}
