// Retained messages by topic, with limits and expiry; optionally kept on disk as
// JSON lines (storage_type disc), rewritten when changed.
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { isWildcard, topicMatches, type Message } from '@nemq/sdk';

export interface StoreOpts {
  /** 0 = unlimited */
  maxMessages: number;
  /** bytes; 0 = unlimited */
  maxPayload: number;
  /** ms; 0 = forever */
  expiry: number;
  /** JSON-lines file for disc storage */
  file: string | undefined;
}

/** one message as a line of the disc file, and as a row of the cluster's table */
export function toLine(m: Message): string {
  return JSON.stringify({ ...m, encoder: undefined, wire: undefined, payload: m.payload.toString('base64') });
}

/** undefined for a line that is not a message (a torn last line after a crash) */
export function fromLine(line: string): Message | undefined {
  try {
    const r = JSON.parse(line) as Message & { payload: string };
    if (typeof r.topic !== 'string' || typeof r.payload !== 'string') return undefined;
    return { ...r, payload: Buffer.from(r.payload, 'base64') };
  } catch {
    return undefined;
  }
}

export class RetainedStore {
  private dirty = false;

  /** `map` may be handed over from an earlier load (ram storage outlives an unload, as EMQX's ram table does) */
  constructor(private readonly o: StoreOpts, private readonly map = new Map<string, Message>()) {}

  /** the messages, for handing over to the next load */
  get entries(): Map<string, Message> {
    return this.map;
  }

  get size(): number {
    return this.map.size;
  }

  put(msg: Message): void {
    if (this.o.maxPayload > 0 && msg.payload.length > this.o.maxPayload) return;
    if (this.o.maxMessages > 0 && this.map.size >= this.o.maxMessages && !this.map.has(msg.topic)) return;
    // the payload may be a view into a socket chunk: keep a copy of just the payload
    this.map.set(msg.topic, { ...msg, payload: Buffer.from(msg.payload), headers: { ...msg.headers } });
    this.dirty = true;
  }

  delete(topic: string): void {
    if (this.map.delete(topic)) this.dirty = true;
  }

  /** retained messages matching a subscription filter, expired ones dropped */
  match(filter: string, now = Date.now()): Message[] {
    const out: Message[] = [];
    const check = (m: Message): void => {
      if (this.expired(m, now)) this.delete(m.topic);
      else out.push(m);
    };
    if (!isWildcard(filter)) {
      const m = this.map.get(filter);
      if (m) check(m);
      return out;
    }
    for (const [t, m] of this.map) if (topicMatches(filter, t)) check(m);
    return out;
  }

  /** the copy delivered on subscribe: RETAIN set [MQTT-3.3.1-8] */
  asRetained(m: Message): Message {
    return { ...m, flags: { ...m.flags, retain: true }, headers: { ...m.headers, retained: true } };
  }

  topics(): string[] {
    return [...this.map.keys()];
  }

  clean(filter?: string, removed?: (topic: string) => void): number {
    let n = 0;
    for (const t of [...this.map.keys()]) {
      if (filter === undefined || topicMatches(filter, t)) {
        this.map.delete(t);
        removed?.(t);
        n++;
      }
    }
    if (n > 0) this.dirty = true;
    return n;
  }

  private expired(m: Message, now: number): boolean {
    const e = (m.properties as { messageExpiryInterval?: number } | undefined)?.messageExpiryInterval;
    if (e !== undefined) return now - m.timestamp >= e * 1000;
    return this.o.expiry > 0 && now - m.timestamp >= this.o.expiry;
  }

  load(): void {
    const f = this.o.file;
    if (!f || !existsSync(f)) return;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const m = line ? fromLine(line) : undefined;
      if (m) this.map.set(m.topic, m);
    }
  }

  /** writes the whole store when it changed (atomic rename) */
  flush(): void {
    const f = this.o.file;
    if (!f || !this.dirty) return;
    this.dirty = false;
    mkdirSync(dirname(f), { recursive: true });
    const lines = [...this.map.values()].map(toLine);
    writeFileSync(f + '.tmp', lines.join('\n') + '\n');
    renameSync(f + '.tmp', f);
  }
}
