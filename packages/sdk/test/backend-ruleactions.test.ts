import { backend } from '../src/index';

const { fieldOf, fieldValue, resourceTls } = backend;

describe('backend rule actions: fields of a rule result', () => {
  test('a selected name, a path into a selected map or JSON text, else an event column', () => {
    const selected = { x: 42, clientid: 'c1', payload: '{"a": {"b": [1, 2]}, "t": "hot"}', 'payload.t': 'selected as payload.t', m: { k: 'v' } };
    const envs = { topic: 't/1', qos: 1 };
    expect(fieldOf(selected, envs, 'x')).toBe(42);
    expect(fieldOf(selected, envs, 'payload.t')).toBe('selected as payload.t');
    expect(fieldOf(selected, envs, 'payload.a.b')).toEqual([1, 2]);
    expect(fieldOf(selected, envs, 'm.k')).toBe('v');
    expect(fieldOf(selected, envs, 'topic')).toBe('t/1');
    expect(fieldOf(selected, envs, 'nothing.here')).toBeUndefined();
  });

  test('values for SQL and templates: numbers and text as they are, maps as JSON, nothing as undefined', () => {
    expect(fieldValue(1.5)).toBe(1.5);
    expect(fieldValue('t')).toBe('t');
    expect(fieldValue({ a: 1 })).toBe('{"a":1}');
    expect(fieldValue(true)).toBe('true');
    expect(fieldValue(Buffer.from('b'))).toBe('b');
    expect(fieldValue(null)).toBeUndefined();
  });

  test('resource TLS only with ssl on', () => {
    expect(resourceTls({ ssl: false, cacertfile: '/x' })).toBeUndefined();
    expect(resourceTls({ ssl: true, cacertfile: '/ca.pem', verify: 'verify_peer' })).toEqual({ cacertfile: '/ca.pem', certfile: undefined, keyfile: undefined, verify: true, serverNameIndication: undefined });
  });
});
