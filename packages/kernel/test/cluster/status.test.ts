import { statusLine } from '../../src/cluster/ctl';

describe('cluster status as EMQX 4.3 prints it (Erlang ~p, 80 columns)', () => {
  test('fits on one line', () => {
    expect(statusLine({ running: ['emqx@127.0.0.1'], stopped: [] })).toBe("Cluster status: #{running_nodes => ['emqx@127.0.0.1'],stopped_nodes => []}\n");
  });

  test('two short names: one key per line', () => {
    expect(statusLine({ running: ['emqx1@127.0.0.1', 'emqx2@127.0.0.1'], stopped: [] })).toBe(
      "Cluster status: #{running_nodes => ['emqx1@127.0.0.1','emqx2@127.0.0.1'],\n" +
      '                  stopped_nodes => []}\n');
  });

  test('long names: the list breaks after =>, one node per line', () => {
    expect(statusLine({ running: ['emqx@emqx-0.emqx-headless.default.svc.cluster.local', 'emqx@emqx-1.emqx-headless.default.svc.cluster.local'], stopped: [] })).toBe(
      'Cluster status: #{running_nodes =>\n' +
      "                      ['emqx@emqx-0.emqx-headless.default.svc.cluster.local',\n" +
      "                       'emqx@emqx-1.emqx-headless.default.svc.cluster.local'],\n" +
      '                  stopped_nodes => []}\n');
  });

  test('stopped nodes', () => {
    expect(statusLine({ running: ['a@h'], stopped: ['b@h'] })).toBe("Cluster status: #{running_nodes => ['a@h'],stopped_nodes => ['b@h']}\n");
  });
});
