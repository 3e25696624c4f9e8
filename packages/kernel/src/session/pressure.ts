// Backpressure (zone `backpressure`, docs/backpressure.md): while an online
// session's queue is over its high-water mark, the connections whose PUBLISHes
// feed it stop being read; they resume when the queue is back under low-water.
// EMQX 4.3 has no such thing: it drops the oldest queued message instead.
//
// No promises or closures per message: the channel dispatching a PUBLISH sets
// `feeding.current` for the synchronous broker.publish, a session over
// high-water holds that channel and records it, and its drain releases them.
//
// No deadlock: a channel is never held while its own session is pressing (over
// high-water), and a session that starts pressing releases its own channel.
// So a held channel always waits for a session whose own channel is read, and
// that session drains as soon as its client acks: no cycle of holds can form
// (A → B's queue, B → A's queue), and a client publishing to itself is never
// held by its own queue.

/** what a session holds: the channel that feeds it */
export interface Feeder {
  /** its own session; never held while that one is pressing */
  readonly session: { readonly pressing: boolean } | undefined;
  /** one more session over high-water waits on this channel */
  hold(): void;
  /** one session is back under low-water (or offline) */
  unhold(): void;
  /** back to reading: called on a later turn, once per release */
  wake(): void;
}

/** the channel whose PUBLISH the broker is routing right now (synchronous) */
export const feeding: { current: Feeder | undefined } = { current: undefined };

// resumes run on the next turn, not inside the draining session's PUBACK:
// a woken channel dispatches its waiting PUBLISHes, which may land in that session
let waking: Feeder[] = [];
let scheduled = false;

export function wakeSoon(f: Feeder): void {
  waking.push(f);
  if (!scheduled) {
    scheduled = true;
    setImmediate(wakeAll);
  }
}

function wakeAll(): void {
  scheduled = false;
  const list = waking;
  waking = [];
  for (let i = 0; i < list.length; i++) list[i]!.wake();
}

/** the marks a zone gives: `high` 0 = off */
export function marks(backpressure: boolean, maxMqueueLen: number, high: number, low: number): { highWatermark: number; lowWatermark: number } {
  if (!backpressure) return { highWatermark: 0, lowWatermark: 0 };
  // default high-water: half the queue, so messages from sources that cannot be
  // held (wills, plugins, an async ACL check) still find room; 1000 when unbounded
  let h = high > 0 ? high : maxMqueueLen > 0 ? Math.max(1, maxMqueueLen >> 1) : 1000;
  if (maxMqueueLen > 0 && h > maxMqueueLen) h = maxMqueueLen;
  let l = low > 0 ? low : h >> 1;
  if (l >= h) l = h - 1;
  return { highWatermark: h, lowWatermark: l };
}
