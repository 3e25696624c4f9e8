// The outgoing QoS 1/2 window: a ring of typed arrays keyed by packet id. Acks almost
// always arrive in order, so lookups hit the head; out-of-order acks leave holes that
// the head skips. No per-message Map entries.
import type { Message } from '../types.js';

export const AWAIT_ACK = 1; // PUBLISH sent, waiting for PUBACK / PUBREC
export const AWAIT_COMP = 2; // PUBREL sent, waiting for PUBCOMP

const NO_IDS = new Uint16Array(0);
const NO_BYTES = new Uint8Array(0);
const NO_TS = new Float64Array(0);
const NO_MSGS: (Message | undefined)[] = [];
const NO_SUBIDS: (number[] | undefined)[] = [];

export class Inflight {
  private ids: Uint16Array;
  private phase: Uint8Array;
  private qos: Uint8Array;
  private retain: Uint8Array;
  private ts: Float64Array;
  private msgs: (Message | undefined)[];
  private subids: (number[] | undefined)[];
  private head = 0;
  /** slots between head and tail, holes included */
  private span = 0;
  /** live entries */
  size = 0;

  /** the arrays are allocated on the first add: an idle session holds none */
  constructor(public max: number, private readonly initial = Math.min(max || 16, 16)) {
    this.ids = NO_IDS;
    this.phase = this.qos = this.retain = NO_BYTES;
    this.ts = NO_TS;
    this.msgs = NO_MSGS;
    this.subids = NO_SUBIDS;
  }

  get full(): boolean {
    return this.max > 0 && this.size >= this.max;
  }

  add(id: number, msg: Message, qos: number, retain: boolean, subids: number[] | undefined, now: number): void {
    // holes left by out-of-order acks are squeezed out before the ring grows
    if (this.span === this.ids.length) {
      const cap = this.ids.length;
      this.resize(cap === 0 ? Math.max(1, this.initial) : this.size * 2 < cap ? cap : cap * 2);
    }
    const i = (this.head + this.span) % this.ids.length;
    this.ids[i] = id;
    this.phase[i] = AWAIT_ACK;
    this.qos[i] = qos;
    this.retain[i] = retain ? 1 : 0;
    this.ts[i] = now;
    this.msgs[i] = msg;
    this.subids[i] = subids;
    this.span++;
    this.size++;
  }

  /** slot of a live entry with this id, or -1 */
  find(id: number): number {
    const cap = this.ids.length;
    for (let k = 0; k < this.span; k++) {
      const i = (this.head + k) % cap;
      if (this.ids[i] === id && this.msgs[i] !== undefined) return i;
    }
    return -1;
  }

  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  phaseAt(slot: number): number {
    return this.phase[slot]!;
  }
  qosAt(slot: number): number {
    return this.qos[slot]!;
  }
  msgAt(slot: number): Message {
    return this.msgs[slot]!;
  }

  /** PUBREC received: the message is done, keep the id until PUBCOMP */
  toComp(slot: number, now: number): void {
    this.phase[slot] = AWAIT_COMP;
    this.ts[slot] = now;
  }

  removeAt(slot: number): Message {
    const m = this.msgs[slot]!;
    this.msgs[slot] = undefined;
    this.subids[slot] = undefined;
    this.size--;
    const cap = this.ids.length;
    while (this.span > 0 && this.msgs[this.head] === undefined) {
      this.head = (this.head + 1) % cap;
      this.span--;
    }
    return m;
  }

  /** visits live entries in send order */
  forEach(fn: (id: number, phase: number, msg: Message, qos: number, retain: boolean, subids: number[] | undefined, ts: number, slot: number) => void): void {
    const cap = this.ids.length;
    for (let k = 0; k < this.span; k++) {
      const i = (this.head + k) % cap;
      const m = this.msgs[i];
      if (m !== undefined) fn(this.ids[i]!, this.phase[i]!, m, this.qos[i]!, this.retain[i] === 1, this.subids[i], this.ts[i]!, i);
    }
  }

  touch(slot: number, now: number): void {
    this.ts[slot] = now;
  }

  oldest(): number {
    let t = Infinity;
    this.forEach((_i, _p, _m, _q, _r, _s, ts) => {
      if (ts < t) t = ts;
    });
    return t;
  }

  clear(): Message[] {
    const out: Message[] = [];
    this.forEach((_i, phase, m) => {
      if (phase === AWAIT_ACK) out.push(m);
    });
    if (this.msgs !== NO_MSGS) this.msgs.fill(undefined);
    if (this.subids !== NO_SUBIDS) this.subids.fill(undefined);
    this.head = this.span = this.size = 0;
    return out;
  }

  private resize(n: number): void {
    const cap = this.ids.length;
    const ids = new Uint16Array(n), phase = new Uint8Array(n), qos = new Uint8Array(n), retain = new Uint8Array(n);
    const ts = new Float64Array(n);
    const msgs: (Message | undefined)[] = new Array(n).fill(undefined);
    const subids: (number[] | undefined)[] = new Array(n).fill(undefined);
    let j = 0;
    for (let k = 0; k < this.span; k++) {
      const i = (this.head + k) % cap;
      if (this.msgs[i] === undefined) continue;
      ids[j] = this.ids[i]!; phase[j] = this.phase[i]!; qos[j] = this.qos[i]!; retain[j] = this.retain[i]!;
      ts[j] = this.ts[i]!; msgs[j] = this.msgs[i]; subids[j] = this.subids[i];
      j++;
    }
    this.ids = ids; this.phase = phase; this.qos = qos; this.retain = retain; this.ts = ts; this.msgs = msgs; this.subids = subids;
    this.head = 0;
    this.span = j;
  }
}
