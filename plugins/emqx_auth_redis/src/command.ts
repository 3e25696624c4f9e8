// auth_cmd / super_cmd / acl_cmd: `HMGET mqtt_user:%u password salt` → a command and its arguments.
//
// EMQX 4.3 (emqx_auth_redis_cli:q/5) substitutes the placeholders into the command text and then
// splits it on spaces, so a username with a space adds arguments. Here the text is split once, at
// start, and the client's values are put into the arguments afterwards: a client value is always
// inside one argument (sent as one RESP bulk string), never a command name or another argument.
import { expandPlaceholders, type Placeholder, type PlaceholderClient } from '@nemq/sdk';

/** the placeholders EMQX fills in Redis commands */
export const COMMAND_PLACEHOLDERS: readonly Placeholder[] = ['%u', '%c', '%C', '%d'];

export interface RedisCommand {
  /** as written in the conf, for messages */
  readonly text: string;
  readonly name: string;
  /** the arguments as written; those with a placeholder are expanded per client */
  readonly args: readonly string[];
  /** indexes of `args` with a placeholder */
  readonly dynamic: readonly number[];
}

const HAS_PLACEHOLDER = /%[ucCd]/;

/** `key` names the conf key in errors. */
export function parseCommand(text: string, key: string): RedisCommand {
  const tokens = text.split(' ').filter((t) => t !== '');
  if (tokens.length === 0) throw new Error(`${key} is empty`);
  const [name, ...args] = tokens as [string, ...string[]];
  if (HAS_PLACEHOLDER.test(name)) throw new Error(`${key}: the command name ${JSON.stringify(name)} cannot hold a placeholder`);
  if (!/^[A-Za-z][A-Za-z0-9_.|-]*$/.test(name)) throw new Error(`${key}: bad command name ${JSON.stringify(name)}`);
  const dynamic: number[] = [];
  args.forEach((a, i) => {
    if (HAS_PLACEHOLDER.test(a)) dynamic.push(i);
  });
  return { text, name: name.toUpperCase(), args, dynamic };
}

/**
 * The arguments for one client. A placeholder the client has no value for stays as written
 * (EMQX: `mqtt_user:%u` for a client without a username).
 */
export function commandArgs(cmd: RedisCommand, ci: PlaceholderClient): string[] {
  const out = cmd.args.slice();
  for (const i of cmd.dynamic) out[i] = expandPlaceholders(cmd.args[i]!, ci, { only: COMMAND_PLACEHOLDERS });
  return out;
}
