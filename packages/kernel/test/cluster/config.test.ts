import { loadConfig } from '../../src/config';
import { clusterFromConfig } from '../../src/boot';

const conf = (text: string) => loadConfig({ text, file: 'etc/emqx.conf', baseDir: '/opt/nemq' });

describe('cluster settings from emqx.conf', () => {
  test('no cluster.redis.server: no cluster (the single-node default)', () => {
    expect(clusterFromConfig(conf('node.name = emqx@127.0.0.1\n'))).toBeUndefined();
  });

  test('rpc.port_discovery = stateless: emqxN@host listens on 5370 + N, emqx@host on 5369 (gen_rpc)', () => {
    const c = clusterFromConfig(conf('node.name = emqx3@10.0.0.3\ncluster.redis.server = 10.0.0.9\n'))!;
    expect(c.rpc).toMatchObject({ port: 5373, advertiseHost: '10.0.0.3', listenHost: '0.0.0.0', clients: 1, batchSize: 256 });
    expect(c.redis).toMatchObject({ type: 'single', servers: [{ host: '10.0.0.9', port: 6379 }], database: 0 });
    expect(c).toMatchObject({ name: 'emqxcl', cookie: 'emqxsecretcookie', discovery: 'manual', heartbeat: 2000, nodeTimeout: 6000 });
    expect(clusterFromConfig(conf('node.name = emqx@h\ncluster.redis.server = r:6380\n'))!.rpc.port).toBe(5369);
  });

  test('manual port discovery, sentinel, static seeds, autoclean', () => {
    const c = clusterFromConfig(conf([
      'node.name = a@127.0.0.1', 'rpc.port_discovery = manual', 'rpc.tcp_server_port = 6000', 'rpc.tcp_client_num = 4',
      'cluster.redis.type = sentinel', 'cluster.redis.server = 127.0.0.1:26379,127.0.0.1:26380', 'cluster.redis.sentinel = mymaster',
      'cluster.discovery = static', 'cluster.static.seeds = a@127.0.0.1,b@127.0.0.1', 'cluster.autoclean = 5m',
      'cluster.redis.heartbeat = 500ms', 'cluster.redis.node_timeout = 3s', 'cluster.name = prod',
    ].join('\n') + '\n'))!;
    expect(c.rpc).toMatchObject({ port: 6000, clients: 4 });
    expect(c.redis).toMatchObject({ type: 'sentinel', sentinel: 'mymaster', servers: [{ host: '127.0.0.1', port: 26379 }, { host: '127.0.0.1', port: 26380 }] });
    expect(c).toMatchObject({ name: 'prod', discovery: 'static', seeds: ['a@127.0.0.1', 'b@127.0.0.1'], autoclean: 300000, heartbeat: 500, nodeTimeout: 3000 });
  });

  test('a bad value is a configuration error, as any other key', () => {
    expect(() => conf('cluster.redis.type = memcached\n')).toThrow(/cluster\.redis\.type/);
  });
});
