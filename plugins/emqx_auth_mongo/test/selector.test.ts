import { aclSelectors } from '../src/index';
import { compileDocs } from '../src/acl';
import { parseSelector, selectorFilter } from '../src/selector';
import { checkRules } from '@nemq/sdk';

const ci = { clientid: 'c1', username: 'u1' };

describe('parseSelector / selectorFilter', () => {
  test('username=%u, clientid=%c', () => {
    const s = parseSelector('username=%u, clientid=%c');
    expect(selectorFilter(s, ci)).toEqual({ username: 'u1', clientid: 'c1' });
    expect(selectorFilter(parseSelector('username=%u,clientid=%c'), ci)).toEqual({ username: 'u1', clientid: 'c1' });
  });

  test('a literal value stays literal; %C and %d come from the certificate', () => {
    expect(selectorFilter(parseSelector('username=$all'), ci)).toEqual({ username: '$all' });
    expect(selectorFilter(parseSelector('cn=%C dn=%d'), { ...ci, cn: 'CN1', dn: 'DN1' })).toEqual({ cn: 'CN1', dn: 'DN1' });
  });

  test('a placeholder without a value matches nothing ([]), not the string "undefined"', () => {
    expect(selectorFilter(parseSelector('cn=%C'), ci)).toEqual({ cn: [] });
    expect(selectorFilter(parseSelector('username=%u'), { clientid: 'c' })).toEqual({ username: [] });
  });

  test('empty or malformed pieces are username=%u (EMQX)', () => {
    expect(selectorFilter(parseSelector(''), ci)).toEqual({ username: 'u1' });
    expect(selectorFilter(parseSelector('clientid'), ci)).toEqual({ username: 'u1' });
    expect(selectorFilter(parseSelector('a=b=c'), ci)).toEqual({ username: 'u1' });
  });

  test('an operator as a field is refused', () => {
    expect(() => parseSelector('$where=%u')).toThrow(/operator/);
  });

  test('client values are plain strings in the document: never parsed, never keys', () => {
    const s = parseSelector('username=%u, clientid=%c');
    const evil = { username: '{"$ne": null}', clientid: '$where' };
    const f = selectorFilter(s, evil);
    expect(f).toEqual({ username: '{"$ne": null}', clientid: '$where' });
    expect(typeof f.username).toBe('string');
    expect(Object.keys(selectorFilter(s, { username: '__proto__', clientid: 'constructor' }))).toEqual(['username', 'clientid']);
  });
});

describe('aclSelectors', () => {
  test('the plain key, then .selector.N in number order', () => {
    const sels = aclSelectors({
      'auth.mongo.acl_query.selector': 'username=%u',
      'auth.mongo.acl_query.selector.10': 'clientid=$all',
      'auth.mongo.acl_query.selector.2': 'username=$all',
    });
    expect(sels.map((s) => selectorFilter(s, ci))).toEqual([{ username: 'u1' }, { username: '$all' }, { clientid: '$all' }]);
  });
  test('none: username=%u', () => {
    expect(aclSelectors({}).map((s) => selectorFilter(s, ci))).toEqual([{ username: 'u1' }]);
  });
});

describe('compileDocs', () => {
  const docs = [{ username: 'u1', publish: ['p/#'], subscribe: ['s/%u/#'], pubsub: ['b/+'] }, { username: '$all', subscribe: ['all/%c'] }];
  test('publish + pubsub for publish, subscribe + pubsub for subscribe, merged over documents', () => {
    const rules = compileDocs(docs);
    expect(checkRules(rules, ci, 'publish', 'p/x')).toBe('allow');
    expect(checkRules(rules, ci, 'subscribe', 'p/x')).toBe('nomatch');
    expect(checkRules(rules, ci, 'subscribe', 's/u1/x')).toBe('allow');
    expect(checkRules(rules, ci, 'subscribe', 's/u2/x')).toBe('nomatch');
    expect(checkRules(rules, ci, 'publish', 'b/x')).toBe('allow');
    expect(checkRules(rules, ci, 'subscribe', 'b/x')).toBe('allow');
    expect(checkRules(rules, ci, 'subscribe', 'all/c1')).toBe('allow');
  });
  test('a username that is a wildcard is a literal level', () => {
    const rules = compileDocs(docs);
    expect(checkRules(rules, { clientid: 'x', username: '+' }, 'subscribe', 's/u1/x')).toBe('nomatch');
  });
  test('a list that is not a list of strings throws', () => {
    expect(() => compileDocs([{ publish: 'a/#' }])).toThrow(/not a list/);
    expect(() => compileDocs([{ subscribe: [1] }])).toThrow(/not a list/);
  });
});
