// emqx_ctl commands (reference: emqx_ctl): a registry of named commands with usage
// lines, each owned by the kernel or by a plugin (removed when the plugin unloads).
export type CtlHandler = (args: string[]) => string | undefined | Promise<string | undefined>;
export type Usage = ReadonlyArray<readonly [string, string]>;

interface Command {
  owner: string;
  usage: Usage;
  handler: CtlHandler;
}

/** a command that failed: its message is printed as is and the exit code is 1 */
export class CtlFailure extends Error {}

export interface CtlResult {
  code: number;
  output: string;
}

/** `synopsis  # description` lines, synopses padded to one width (EMQX's usage format) */
export function formatUsage(usage: Usage): string {
  const w = Math.max(...usage.map(([s]) => s.length));
  return usage.map(([s, d]) => `${s.padEnd(w)} # ${d}`).join('\n') + '\n';
}

export class CtlRegistry {
  private readonly commands = new Map<string, Command>();

  register(owner: string, cmd: string, usage: Usage, handler: CtlHandler): void {
    const cur = this.commands.get(cmd);
    if (cur && cur.owner !== owner) throw new Error(`ctl command ${cmd} is already registered by ${cur.owner}`);
    this.commands.set(cmd, { owner, usage, handler });
  }

  removeOwner(owner: string): number {
    let n = 0;
    for (const [k, c] of this.commands) if (c.owner === owner) {
      this.commands.delete(k);
      n++;
    }
    return n;
  }

  names(): string[] {
    return [...this.commands.keys()].sort();
  }

  usage(cmd: string): string {
    const c = this.commands.get(cmd);
    return c ? formatUsage(c.usage) : '';
  }

  async run(argv: string[]): Promise<CtlResult> {
    const [cmd, ...args] = argv;
    const c = cmd === undefined ? undefined : this.commands.get(cmd);
    if (!c) {
      const all = this.names().map((n) => formatUsage(this.commands.get(n)!.usage)).join('');
      return { code: cmd === undefined ? 0 : 1, output: (cmd === undefined ? '' : `Command Not Found: ${cmd}\n`) + 'Usage: emqx_ctl\n' + all };
    }
    try {
      const out = (await c.handler(args)) ?? formatUsage(c.usage);
      return { code: 0, output: out.endsWith('\n') || out === '' ? out : out + '\n' };
    } catch (err) {
      if (err instanceof CtlFailure) return { code: 1, output: err.message };
      return { code: 1, output: `Error: ${(err as Error)?.message ?? String(err)}\n` };
    }
  }
}
