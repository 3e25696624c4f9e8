import { ApiRegistry } from '../../src/admin/routes';
import { Alarms } from '../../src/admin/alarms';

const h = (tag: string) => () => tag;

test('a literal segment wins over a binding; listeners see only their routes; owners are removed', async () => {
  const r = new ApiRegistry();
  r.add('a', { name: 'one', method: 'GET', path: '/clients/:clientid', descr: '' }, h('one'));
  r.add('a', { name: 'user', method: 'GET', path: '/clients/username/:u', descr: '' }, h('user'));
  r.add('b', { name: 'apps', method: 'GET', path: '/apps', descr: '', listener: 'dashboard' }, h('apps'));
  const m = r.match('GET', '/clients/username/x', 'management');
  expect(m?.route.name).toBe('user');
  expect(m?.params).toEqual({ u: 'x' });
  expect(r.match('GET', '/clients/c1', 'management')?.params).toEqual({ clientid: 'c1' });
  expect(r.match('DELETE', '/clients/c1', 'management')).toBeUndefined();
  expect(r.match('GET', '/apps', 'management')).toBeUndefined();
  expect(r.match('GET', '/apps', 'dashboard')?.route.name).toBe('apps');
  expect(r.list('management').map((x) => x.name)).toEqual(['one', 'user']);
  expect(() => r.add('c', { name: 'dup', method: 'GET', path: '/clients/:clientid', descr: '' }, h('x'))).toThrow(/already added by a/);
  r.removeOwner('a');
  expect(r.match('GET', '/clients/c1', 'management')).toBeUndefined();
  expect(r.list('dashboard').map((x) => x.name)).toEqual(['apps']);
});

test('an alarm activates once, publishes both edges and keeps the deactivated one', () => {
  const sys: Array<[string, any]> = [];
  const a = new Alarms('n@h', { sys: (t, p) => sys.push([t, JSON.parse(p)]), warning: () => undefined });
  expect(a.activate('high_cpu_usage', { usage: '91%' }, '91% cpu')).toBe(true);
  expect(a.activate('high_cpu_usage')).toBe(false);
  expect(a.list(true).map((x) => x.name)).toEqual(['high_cpu_usage']);
  expect(a.deactivate('high_cpu_usage')).toBe(true);
  expect(a.deactivate('high_cpu_usage')).toBe(false);
  expect(a.list(true)).toEqual([]);
  expect(a.list(false)).toEqual([expect.objectContaining({ name: 'high_cpu_usage', activated: false, deactivate_at: expect.any(Number) })]);
  expect(sys.map(([t]) => t)).toEqual(['$SYS/brokers/n@h/alarms/activate', '$SYS/brokers/n@h/alarms/deactivate']);
  expect(sys[0]![1]).toEqual(expect.objectContaining({ name: 'high_cpu_usage', message: '91% cpu', details: { usage: '91%' } }));
  expect(a.clearHistory()).toBe(1);
  expect(a.list()).toEqual([]);
});
