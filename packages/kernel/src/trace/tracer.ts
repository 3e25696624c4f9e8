// Client and topic traces (EMQX 4.3 emqx_tracer): each trace writes the MQTT packets of one
// client, or every PUBLISH whose topic matches a filter, to its own file. While no trace
// runs the node's `traces` is undefined and the packet paths test only that.
import { resolve } from 'node:path';
import { Parser, type Packet, type ProtocolVersion } from '@nemq/codec';
import { topicMatches } from '@nemq/sdk';
import { formatPacket, timestamp } from './format.js';
import { TraceFile } from './writer.js';

export type TraceType = 'clientid' | 'topic';

export interface TraceInfo {
  type: TraceType;
  name: string;
  level: string;
  /** the path as given */
  file: string;
}

/** what a trace reads of a channel (channel/core.ts ChannelCore has all of it) */
export interface TracedChannel {
  readonly clientinfo?: { readonly clientid: string };
  readonly conninfo?: { readonly clientid: string };
  readonly version: ProtocolVersion;
  readonly transport: { readonly peerhost: string; readonly peerport: number };
  readonly aliasIn: Map<number, string> | undefined;
  readonly aliasOut: Map<string, number> | undefined;
}

/** the node's packet paths call these while a trace runs */
export interface PacketTrace {
  packetIn(ch: TracedChannel, p: Packet): void;
  frameOut(ch: TracedChannel, frame: Buffer): void;
}

/** syslog levels as EMQX's logger knows them, most severe first */
export const LEVELS = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'];

interface Trace extends TraceInfo {
  out: TraceFile;
}

export interface TracerEnv {
  /** the primary log level: a trace below it is refused, as EMQX does */
  primaryLevel(): string;
  /** undefined when no trace runs */
  setActive(t: PacketTrace | undefined): void;
  error(line: string): void;
  /** relative trace files are under this directory; the working directory when undefined */
  root?(): string | undefined;
}

const PUBLISH_TYPE = 3;

export class Tracer implements PacketTrace {
  private readonly clients = new Map<string, Trace>();
  private readonly topics = new Map<string, Trace>();

  constructor(private readonly env: TracerEnv) {}

  list(): TraceInfo[] {
    return [...this.clients.values(), ...this.topics.values()].map(({ type, name, level, file }) => ({ type, name, level, file }));
  }

  /** undefined when started, else EMQX's reason text */
  start(type: TraceType, name: string, level: string, file: string): string | undefined {
    if (level === 'all') level = 'debug';
    if (!LEVELS.includes(level)) return `{invalid_log_level,${level}}`;
    const primary = this.env.primaryLevel();
    // logging off ('none') has no primary level to compare with
    if (LEVELS.includes(primary) && LEVELS.indexOf(level) > LEVELS.indexOf(primary)) {
      return `Cannot trace at a log level (${level}) lower than the primary log level (${primary})`;
    }
    const table = type === 'clientid' ? this.clients : this.topics;
    if (table.has(name)) return `{already_exist,trace_${type}_${name}}`;
    let out: TraceFile;
    try {
      out = new TraceFile(resolve(this.env.root?.() ?? process.cwd(), file), (err) => this.env.error(`trace ${type} ${name}: ${err.message}`));
    } catch (err) {
      const code = String((err as NodeJS.ErrnoException).code ?? (err as Error).message).toLowerCase();
      return `{handler_not_added,{open_failed,${JSON.stringify(file)},${code}}}`;
    }
    table.set(name, { type, name, level, file, out });
    this.env.setActive(this);
    return undefined;
  }

  /** undefined when stopped, else EMQX's reason text; resolves once the file is closed */
  async stop(type: TraceType, name: string): Promise<string | undefined> {
    const table = type === 'clientid' ? this.clients : this.topics;
    const t = table.get(name);
    if (!t) return `{not_found,trace_${type}_${name}}`;
    table.delete(name);
    if (this.clients.size === 0 && this.topics.size === 0) this.env.setActive(undefined);
    await t.out.close();
    return undefined;
  }

  async stopAll(): Promise<void> {
    const all = [...this.clients.values(), ...this.topics.values()];
    this.clients.clear();
    this.topics.clear();
    this.env.setActive(undefined);
    await Promise.all(all.map((t) => t.out.close()));
  }

  packetIn(ch: TracedChannel, p: Packet): void {
    try {
      this.traceIn(ch, p);
    } catch (err) {
      // a trace must never break the packet path
      this.env.error(`trace: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  frameOut(ch: TracedChannel, frame: Buffer): void {
    try {
      this.traceOut(ch, frame);
    } catch (err) {
      this.env.error(`trace: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private traceIn(ch: TracedChannel, p: Packet): void {
    const id = p.cmd === 'connect' ? p.clientId : clientOf(ch);
    const byClient = id === undefined ? undefined : this.clients.get(id);
    let topic: string | undefined;
    if (p.cmd === 'publish') topic = p.topic === '' ? aliasIn(ch, p.properties?.topicAlias) : p.topic;
    this.emit(ch, id, 'RECV', p, byClient, topic);
  }

  private traceOut(ch: TracedChannel, frame: Buffer): void {
    const id = clientOf(ch);
    const byClient = id === undefined ? undefined : this.clients.get(id);
    // only PUBLISH frames can match a topic trace: nothing else is decoded for them
    if (byClient === undefined && (this.topics.size === 0 || frame[0]! >> 4 !== PUBLISH_TYPE)) return;
    const p = decode(ch.version, frame);
    if (p === undefined) return;
    let topic: string | undefined;
    if (p.cmd === 'publish') topic = p.topic === '' ? aliasOut(ch, p.properties?.topicAlias) : p.topic;
    this.emit(ch, id, 'SEND', p, byClient, topic);
  }

  private emit(ch: TracedChannel, id: string | undefined, dir: string, p: Packet, byClient: Trace | undefined, topic: string | undefined): void {
    let line: string | undefined;
    const text = (): string => (line ??= `${timestamp(new Date())} [debug] ${id ?? ''}@${ch.transport.peerhost}:${ch.transport.peerport} ${dir} ${formatPacket(p, topic)}\n`);
    if (byClient !== undefined) byClient.out.write(text());
    // $SYS messages are not topic-traced (EMQX)
    if (topic === undefined || this.topics.size === 0 || topic.startsWith('$SYS/')) return;
    for (const t of this.topics.values()) {
      // a client trace and a topic trace into one file: the line once
      if (t.out.path !== byClient?.out.path && topicMatches(t.name, topic)) t.out.write(text());
    }
  }
}

function clientOf(ch: TracedChannel): string | undefined {
  return ch.clientinfo?.clientid ?? ch.conninfo?.clientid;
}

function aliasIn(ch: TracedChannel, alias: number | undefined): string | undefined {
  return alias === undefined ? undefined : ch.aliasIn?.get(alias);
}

function aliasOut(ch: TracedChannel, alias: number | undefined): string | undefined {
  if (alias === undefined || ch.aliasOut === undefined) return undefined;
  for (const [t, a] of ch.aliasOut) if (a === alias) return t;
  return undefined;
}

/** one whole frame back to a packet (only while tracing) */
function decode(version: ProtocolVersion, frame: Buffer): Packet | undefined {
  const parser = new Parser({ protocolVersion: version });
  let got: Packet | undefined;
  parser.onPacket = (p) => {
    got = p;
  };
  parser.parse(frame);
  return got;
}
