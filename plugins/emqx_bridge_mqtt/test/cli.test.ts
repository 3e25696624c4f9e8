// `emqx_ctl bridges ...`: EMQX's strings (emqx_bridge_mqtt_cli) over fake bridges.
import { bridgesCtl, USAGE, type CtlBridge } from '../src/cli';

function fake(name: string, state: CtlBridge['state'] = 'idle'): CtlBridge & { calls: string[] } {
  const b = {
    name,
    state,
    forwards: ['b/#', 'a/#'],
    subscriptions: [{ topic: 'cmd/1', qos: 1 }],
    calls: [] as string[],
    async start() {
      b.calls.push('start');
      return b.state === 'connected' ? ('already' as const) : name === 'bad' ? ('failed' as const) : ((b.state = 'connected'), 'ok' as const);
    },
    async stop() {
      b.calls.push('stop');
      b.state = 'idle';
    },
    addForward(t: string) {
      b.forwards = [...b.forwards, t].sort();
    },
    delForward(t: string) {
      b.forwards = b.forwards.filter((x) => x !== t);
    },
    async addSubscription(t: string, q: 0 | 1 | 2) {
      b.subscriptions = [...b.subscriptions, { topic: t, qos: q }];
      return b.state === 'connected' ? 'ok' : 'no_connection';
    },
    async delSubscription(t: string) {
      b.subscriptions = b.subscriptions.filter((s) => s.topic !== t);
      return 'ok';
    },
  };
  return b;
}

const setup = () => {
  const m = new Map<string, ReturnType<typeof fake>>([
    ['zz', fake('zz')],
    ['aws', fake('aws', 'connected')],
    ['bad', fake('bad')],
  ]);
  return { m, run: bridgesCtl(m) };
};

test('bridges list: "name: <N>     status: Running|Stopped", sorted by name', async () => {
  const { run } = setup();
  expect(await run(['list'])).toBe('name: aws     status: Running\nname: bad     status: Stopped\nname: zz     status: Stopped\n');
});

test('bridges start / stop strings', async () => {
  const { run, m } = setup();
  expect(await run(['start', 'zz'])).toBe('Start bridge successfully.\n');
  expect(await run(['start', 'aws'])).toBe('Bridge already started.\n');
  expect(await run(['start', 'bad'])).toBe('Start bridge failed.\n');
  expect(await run(['start', 'nosuch'])).toBe('Start bridge failed.\n');
  expect(await run(['stop', 'aws'])).toBe('Stop bridge successfully.\n');
  expect(m.get('aws')!.state).toBe('idle');
  // EMQX answers the same for a bridge it does not know
  expect(await run(['stop', 'nosuch'])).toBe('Stop bridge successfully.\n');
});

test('forwards / add-forward / del-forward', async () => {
  const { run } = setup();
  expect(await run(['forwards', 'aws'])).toBe('topic:   b/#\ntopic:   a/#\n');
  expect(await run(['add-forward', 'aws', 'c/+'])).toBe('Add-forward topic successfully.\n');
  expect(await run(['forwards', 'aws'])).toBe('topic:   a/#\ntopic:   b/#\ntopic:   c/+\n');
  expect(await run(['del-forward', 'aws', 'a/#'])).toBe('Del-forward topic successfully.\n');
  expect(await run(['forwards', 'aws'])).toBe('topic:   b/#\ntopic:   c/+\n');
});

test('subscriptions / add-subscription / del-subscription; not connected: "failed reason: no_connection."', async () => {
  const { run } = setup();
  expect(await run(['subscriptions', 'aws'])).toBe('topic: cmd/1, qos: 1\n');
  expect(await run(['add-subscription', 'aws', 'cmd/2', '2'])).toBe('Add-subscription topic successfully.\n');
  expect(await run(['subscriptions', 'aws'])).toBe('topic: cmd/1, qos: 1\ntopic: cmd/2, qos: 2\n');
  expect(await run(['add-subscription', 'zz', 'cmd/2', '0'])).toBe('Add-subscription failed reason: no_connection.\n');
  expect(await run(['del-subscription', 'aws', 'cmd/1'])).toBe('Del-subscription topic successfully.\n');
  expect(await run(['subscriptions', 'aws'])).toBe('topic: cmd/2, qos: 2\n');
});

test('bad input: unknown bridge, bad QoS, bad filter are errors; unknown sub-commands give the usage', async () => {
  const { run } = setup();
  await expect(run(['forwards', 'nosuch'])).rejects.toThrow(/bridge nosuch not found/);
  await expect(run(['add-subscription', 'aws', 't', '3'])).rejects.toThrow(/bad QoS/);
  await expect(run(['add-subscription', 'aws', 'a/#/b', '1'])).rejects.toThrow(/bad topic filter/);
  expect(await run(['nope'])).toBeUndefined();
  expect(await run(['list', 'extra'])).toBeUndefined();
  expect(USAGE.map(([s]) => s)).toEqual([
    'bridges list',
    'bridges start <Name>',
    'bridges stop <Name>',
    'bridges forwards <Name>',
    'bridges add-forward <Name> <Topic>',
    'bridges del-forward <Name> <Topic>',
    'bridges subscriptions <Name>',
    'bridges add-subscription <Name> <Topic> <Qos>',
    'bridges del-subscription <Name> <Topic>',
  ]);
});
