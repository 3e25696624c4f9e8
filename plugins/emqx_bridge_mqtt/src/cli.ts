// `emqx_ctl bridges ...` with the strings of EMQX's emqx_bridge_mqtt_cli.
import { validTopicFilter, type CtlHandler } from '@nemq/sdk';
import type { BridgeState } from './bridge.js';

export const USAGE: ReadonlyArray<readonly [string, string]> = [
  ['bridges list', 'List bridges'],
  ['bridges start <Name>', 'Start a bridge'],
  ['bridges stop <Name>', 'Stop a bridge'],
  ['bridges forwards <Name>', 'Show a bridge forward topic'],
  ['bridges add-forward <Name> <Topic>', 'Add bridge forward topic'],
  ['bridges del-forward <Name> <Topic>', 'Delete bridge forward topic'],
  ['bridges subscriptions <Name>', 'Show a bridge subscriptions topic'],
  ['bridges add-subscription <Name> <Topic> <Qos>', 'Add bridge subscriptions topic'],
  ['bridges del-subscription <Name> <Topic>', 'Delete bridge subscriptions topic'],
];

/** what the ctl needs of a bridge */
export interface CtlBridge {
  readonly name: string;
  readonly state: BridgeState;
  readonly forwards: readonly string[];
  readonly subscriptions: ReadonlyArray<{ topic: string; qos: number }>;
  start(): Promise<'ok' | 'already' | 'failed'>;
  stop(): Promise<void>;
  addForward(topic: string): void;
  delForward(topic: string): void;
  addSubscription(topic: string, qos: 0 | 1 | 2): Promise<string>;
  delSubscription(topic: string): Promise<string>;
}

export function bridgesCtl(bridges: ReadonlyMap<string, CtlBridge>): CtlHandler {
  const get = (name: string): CtlBridge => {
    const b = bridges.get(name);
    if (!b) throw new Error(`bridge ${name} not found`);
    return b;
  };
  return async (args) => {
    const [sub, name, topic, qos] = args;
    switch (args.length === 1 ? sub : `${sub}/${args.length}`) {
      case 'list':
        return [...bridges.values()]
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .map((b) => `name: ${b.name}     status: ${b.state === 'connected' ? 'Running' : 'Stopped'}\n`)
          .join('');
      case 'start/2': {
        const b = bridges.get(name!);
        const r = b ? await b.start().catch(() => 'failed' as const) : 'failed';
        return r === 'ok' ? 'Start bridge successfully.\n' : r === 'already' ? 'Bridge already started.\n' : 'Start bridge failed.\n';
      }
      case 'stop/2': {
        // EMQX answers this for a name it does not run too
        const b = bridges.get(name!);
        if (b) {
          try {
            await b.stop();
          } catch {
            return 'Stop bridge failed.\n';
          }
        }
        return 'Stop bridge successfully.\n';
      }
      case 'forwards/2':
        return get(name!).forwards.map((t) => `topic:   ${t}\n`).join('');
      case 'add-forward/3':
        get(name!).addForward(topic!);
        return 'Add-forward topic successfully.\n';
      case 'del-forward/3':
        get(name!).delForward(topic!);
        return 'Del-forward topic successfully.\n';
      case 'subscriptions/2':
        return get(name!).subscriptions.map((s) => `topic: ${s.topic}, qos: ${s.qos}\n`).join('');
      case 'add-subscription/4': {
        const b = get(name!);
        if (!/^[0-2]$/.test(qos!)) throw new Error(`bad QoS ${qos}: 0, 1 or 2`);
        if (!validTopicFilter(topic!)) throw new Error(`bad topic filter ${topic}`);
        const r = await b.addSubscription(topic!, Number(qos) as 0 | 1 | 2);
        return r === 'ok' ? 'Add-subscription topic successfully.\n' : `Add-subscription failed reason: ${r}.\n`;
      }
      case 'del-subscription/3': {
        const r = await get(name!).delSubscription(topic!);
        return r === 'ok' ? 'Del-subscription topic successfully.\n' : `Del-subscription failed reason: ${r}.\n`;
      }
      default:
        return undefined as unknown as string; // the kernel prints the usage
    }
  };
}
