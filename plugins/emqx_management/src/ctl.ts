// `emqx_ctl mgmt list|insert|update|lookup|delete` (emqx_mgmt_cli), EMQX 4.3's output.
import type { PluginContext } from '@nemq/sdk';
import type { Apps } from './apps.js';

export function registerMgmtCommand(ctx: PluginContext, apps: Apps): void {
  const usage = [
    ['mgmt list', 'List Applications'],
    ['mgmt insert <AppId> <Name>', 'Add Application of REST API'],
    ['mgmt update <AppId> <status>', 'update Application of REST API'],
    ['mgmt lookup <AppId>', 'Get Application of REST API'],
    ['mgmt delete <AppId>', 'Delete Application of REST API'],
  ] as const;
  ctx.ctl('mgmt', usage, (args) => {
    const [sub, id, arg] = args;
    if (sub === 'list' && args.length === 1) {
      return apps.list().map((a) => `app_id: ${a.app_id}, secret: ${a.secret}, name: ${a.name}, desc: ${a.desc}, status: ${a.status}, expired: ${a.expired}\n`).join('');
    }
    if (sub === 'insert' && id !== undefined && arg !== undefined && args.length === 3) {
      const r = apps.add({ app_id: id, name: arg, desc: arg, status: true, expired: 'undefined' });
      return typeof r === 'string' ? `AppSecret: ${r}\n` : `Error: ${r.error}\n`;
    }
    if (sub === 'update' && id !== undefined && arg !== undefined && args.length === 3) {
      if (arg !== 'true' && arg !== 'false') return `Error: bad status ${arg}, expected true or false\n`;
      return apps.update(id, { status: arg === 'true' }) ? 'update successfully.\n' : 'Error: not_found\n';
    }
    if (sub === 'lookup' && id !== undefined && args.length === 2) {
      const a = apps.get(id);
      if (!a) return 'Not Found.\n';
      return `app_id: ${a.app_id}\nsecret: ${a.secret}\nname: ${a.name}\ndesc: ${a.desc}\nstatus: ${a.status}\nexpired: ${a.expired}\n`;
    }
    if (sub === 'delete' && id !== undefined && args.length === 2) return apps.delete(id) ? 'ok\n' : 'Error: not_found\n';
    return undefined;
  });
}
