// `emqx_ctl banned add|del|list`: the banned table from the command line. EMQX 4.3
// has the table only in its HTTP API (/banned: as, who, by, reason, at, until;
// by defaults to "user", until to now + 300 s); the command takes the same fields.
import { BAN_KINDS, type BanKind, type BanEntry } from '../access/banned.js';
import { datetime } from '../modules/sys.js';
import type { CtlPort } from '../ports.js';

const USAGE = [
  ['banned list', 'List all banned clients'],
  ['banned add <Type> <Who> [<By>] [<Reason>] [<Duration>]', 'Ban a clientid, username or peerhost; Duration in seconds (or with s/m/h/d), default 300'],
  ['banned del <Type> <Who>', 'Lift a ban'],
] as const;

/** `300`, `90s`, `5m`, `2h`, `1d` → seconds; undefined when not a positive duration */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+)([smhd]?)$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return n > 0 ? n : undefined;
}

export function bannedLine(e: BanEntry): string {
  const t = (sec: number): string => datetime(new Date(sec * 1000));
  return `Banned(${e.as}=${e.who}, by=${e.by}, reason=${e.reason}, at=${t(e.at)}, until=${t(e.until)})`;
}

export function registerBannedCommand(owner: string, node: Pick<CtlPort, 'ctl' | 'banned'>): void {
  const ctl = node.ctl;
  ctl.register(owner, 'banned', USAGE, (args) => {
    const [sub, as, who, by, reason, duration] = args;
    const kind = BAN_KINDS.includes(as as BanKind) ? (as as BanKind) : undefined;
    if (sub === 'list' && args.length === 1) {
      const now = Math.floor(Date.now() / 1000);
      const lines = node.banned.list().filter((e) => e.until > now).map(bannedLine);
      return lines.join('\n') + (lines.length ? '\n' : '');
    }
    if ((sub === 'add' || sub === 'del') && as !== undefined && kind === undefined) return `Invalid type: ${as}, should be clientid, username or peerhost\n`;
    if (sub === 'add' && kind && who !== undefined && args.length <= 6) {
      const secs = duration === undefined ? 300 : parseDuration(duration);
      if (secs === undefined) return `Invalid duration: ${duration}\n`;
      const at = Math.floor(Date.now() / 1000);
      node.banned.add({ as: kind, who, by: by ?? 'user', reason: reason ?? '', at, until: at + secs });
      return 'ok\n';
    }
    if (sub === 'del' && kind && who !== undefined && args.length === 3) return node.banned.delete(kind, who) ? 'ok\n' : 'Not Found.\n';
    return ctl.usage('banned');
  });
}
