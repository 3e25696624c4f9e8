// `emqx_ctl trace`, with EMQX 4.3's output strings (emqx_mgmt_cli trace/1).
import type { CtlRegistry } from '../ctl/registry.js';
import type { Tracer, TraceType } from './tracer.js';

const USAGE: ReadonlyArray<readonly [string, string]> = [
  ['trace list', 'List all traces started'],
  ['trace start client <ClientId> <File> [<Level>]', 'Traces for a client'],
  ['trace stop  client <ClientId>', 'Stop tracing for a client'],
  ['trace start topic  <Topic>    <File> [<Level>] ', 'Traces for a topic'],
  ['trace stop  topic  <Topic> ', 'Stop tracing for a topic'],
];

/** `client` on the command line is `clientid` in EMQX's messages */
function typeOf(word: string | undefined): TraceType | undefined {
  return word === 'client' ? 'clientid' : word === 'topic' ? 'topic' : undefined;
}

export function registerTraceCommand(ctl: CtlRegistry, tracer: Tracer): void {
  ctl.register('emqx', 'trace', USAGE, async (args) => {
    const [sub, kind, name, file, level] = args;
    if (sub === 'list' && args.length === 1) {
      return tracer.list().map((t) => `Trace(${t.type}=${t.name}, level=${t.level}, destination=${JSON.stringify(t.file)})\n`).join('');
    }
    const type = typeOf(kind);
    if (type === undefined || name === undefined) return ctl.usage('trace');
    if (sub === 'start' && file !== undefined && args.length <= 5) {
      const err = tracer.start(type, name, level ?? 'all', file);
      return err === undefined ? `trace ${type} ${name} successfully\n` : `[error] trace ${type} ${name}: ${err}\n`;
    }
    if (sub === 'stop' && args.length === 3) {
      const err = await tracer.stop(type, name);
      return err === undefined ? `stop tracing ${type} ${name} successfully\n` : `[error] stop tracing ${type} ${name}: ${err}\n`;
    }
    return ctl.usage('trace');
  });
}
