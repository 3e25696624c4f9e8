// `emqx_ctl admins ...` (EMQX emqx_dashboard_cli): the same outputs, Erlang terms included.
import type { PluginContext } from '@nemq/sdk';
import { UserError, type UserStore } from './users.js';

/** an error as EMQX's `~p` prints `{error, <<"Reason">>}` */
const term = (msg: string): string => `{error,<<"${msg}">>}`;

export function addCtl(ctx: PluginContext, users: UserStore): void {
  ctx.ctl('admins', [
    ['admins add <Username> <Password> <Tags>', 'Add dashboard user'],
    ['admins passwd <Username> <Password>', 'Reset dashboard user password'],
    ['admins del <Username>', 'Delete dashboard user'],
  ], (args) => {
    const [cmd, name, password] = args;
    const attempt = (fn: () => void, fmt: (msg: string) => string): string => {
      try {
        fn();
        return 'ok\n';
      } catch (err) {
        if (err instanceof UserError) return fmt(err.message);
        throw err;
      }
    };
    if (cmd === 'add' && (args.length === 3 || args.length === 4)) {
      return attempt(() => users.add(name, password, args[3] ?? ''), (m) => `Error: <<"${m}">>\n`);
    }
    if (cmd === 'passwd' && args.length === 3) return attempt(() => users.passwd(name!, password), (m) => `${term(m)}\n`);
    if (cmd === 'del' && args.length === 2) return attempt(() => users.remove(name!), (m) => `${term(m)}\n`);
    return undefined;
  });
}
