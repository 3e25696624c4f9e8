import { Router, Subscription, type Subscriber } from '../../src/router/router';
import { RemoteRoutes, rowOf } from '../../src/cluster/routes';
import { pickMember } from '../../src/broker/shared';
import { Message, type SubOpts } from '../../src/types';

const opts = (over: Partial<SubOpts> = {}): SubOpts => ({ qos: 1, nl: 0, rap: 0, rh: 0, ...over });
const local = (id: string): Subscriber & { got: string[]; outlet: object } => {
  const got: string[] = [];
  return { clientid: id, available: true, outlet: {}, got, deliver: (m: Message) => void got.push(m.topic) };
};
const m = (topic: string): Message => new Message(1, 1, 'p', { retain: false, dup: false, sys: false }, topic, Buffer.alloc(0), undefined, 0);

describe('RemoteRoutes: peers as subscribers of the local router', () => {
  test('a row per (filter, node); matching finds local and remote routes in one walk', () => {
    const r = new Router();
    const counts = { 'messages.forward': 0, 'messages.forward.dropped': 0 };
    const remote = new RemoteRoutes(r, counts);
    const a = local('a');
    r.add(new Subscription(a, 'x/+', opts()));
    remote.add('n2@h', 'x/#');
    remote.add('n2@h', 'x/#');
    remote.add('n3@h', 'x/+');
    expect(remote.size).toBe(2);
    const res = r.match('x/y');
    expect(res.subs.map((s) => s.subscriber.clientid).sort()).toEqual(['a', 'n2@h', 'n3@h']);
    expect(res.overlap).toBe(false);
    expect(r.rows('n1@h').sort()).toEqual([['x/#', 'n2@h'], ['x/+', 'n1@h'], ['x/+', 'n3@h']]);
    // no link yet: the forward is counted as dropped
    remote.nodes.get('n2@h')!.deliver(m('x/y'), res.subs.find((s) => s.subscriber.clientid === 'n2@h')!);
    expect(counts).toEqual({ 'messages.forward': 0, 'messages.forward.dropped': 1 });
  });

  test('set() applies the difference; drop() removes a node', () => {
    const r = new Router();
    const remote = new RemoteRoutes(r, { 'messages.forward': 0, 'messages.forward.dropped': 0 });
    remote.set('n2@h', ['a', 'b', '$share/g/c']);
    remote.set('n2@h', ['b', 'd']);
    expect(r.rows('self').map(([f]) => f).sort()).toEqual(['b', 'd']);
    remote.drop('n2@h');
    expect(r.rows('self')).toEqual([]);
    expect(r.match('b').subs).toEqual([]);
  });

  test('shared rows join the group; a forward from a peer picks a local member only', () => {
    const r = new Router();
    const remote = new RemoteRoutes(r, { 'messages.forward': 0, 'messages.forward.dropped': 0 });
    remote.add('n2@h', rowOf('s/t', 'g'));
    const [g] = r.match('s/t').groups;
    expect(g!.members).toHaveLength(1);
    expect(pickMember(g!, 'random', m('s/t'), true)).toBeUndefined();
    const a = local('a');
    r.add(new Subscription(a, 's/t', opts({ share: 'g' })));
    expect(pickMember(g!, 'round_robin', m('s/t'), true)!.subscriber).toBe(a);
    // `local`: this node's member while there is one
    for (let i = 0; i < 5; i++) expect(pickMember(g!, 'local', m('s/t'))!.subscriber).toBe(a);
    // round robin over the cluster reaches the peer too
    const picked = new Set(Array.from({ length: 4 }, () => pickMember(g!, 'round_robin', m('s/t'))!.subscriber.clientid));
    expect(picked).toEqual(new Set(['a', 'n2@h']));
  });

  test('the router tells the cluster of the first and last local subscriber of a filter, never of a peer\'s', () => {
    const r = new Router();
    const events: string[] = [];
    r.onLocal = (f, g, added) => events.push(`${added ? '+' : '-'}${rowOf(f, g)}`);
    const remote = new RemoteRoutes(r, { 'messages.forward': 0, 'messages.forward.dropped': 0 });
    const s1 = new Subscription(local('a'), 't', opts());
    const s2 = new Subscription(local('b'), 't', opts());
    const s3 = new Subscription(local('c'), 't', opts({ share: 'g' }));
    r.add(s1);
    r.add(s2);
    remote.add('n2@h', 't');
    r.add(s3);
    r.remove(s1);
    remote.del('n2@h', 't');
    r.remove(s2);
    r.remove(s3);
    expect(events).toEqual(['+t', '+$share/g/t', '-t', '-$share/g/t']);
  });
});
