import { fail, matchPath, ok, pageOf, paginate } from '../src/api';
import { basicCredentials } from '../src/http';

test('matchPath binds segments, decodes them and refuses other shapes', () => {
  expect(matchPath('/clients/:clientid', '/clients/a%2Fb')).toEqual({ clientid: 'a/b' });
  expect(matchPath('/clients/:clientid', '/clients')).toBeUndefined();
  expect(matchPath('/clients/:clientid', '/clients/')).toBeUndefined();
  expect(matchPath('/clients/:clientid', '/clients/a/b')).toBeUndefined();
  expect(matchPath('/clients/:clientid', '/clients/%E0%A4%A')).toBeUndefined();
  expect(matchPath('/nodes/:node/plugins/:plugin/load', '/nodes/n@h/plugins/p/load')).toEqual({ node: 'n@h', plugin: 'p' });
});

test('pageOf reads _page and _limit as EMQX: from 1, capped at max_row_limit', () => {
  expect(pageOf({}, 10000)).toEqual({ page: 1, limit: 10000 });
  expect(pageOf({ _page: '3', _limit: '20' }, 10000)).toEqual({ page: 3, limit: 20 });
  expect(pageOf({ _page: '0', _limit: '999999' }, 100)).toEqual({ page: 1, limit: 100 });
  expect(pageOf({ _page: 'x', _limit: '-5' }, 100)).toEqual({ page: 1, limit: 1 });
});

test('paginate gives one page and the meta', () => {
  const rows = [1, 2, 3, 4, 5];
  expect(paginate(rows, { _page: '2', _limit: '2' }, 100)).toEqual({ data: [3, 4], meta: { page: 2, limit: 2, count: 5, hasnext: true } });
  expect(paginate(rows, { _page: '3', _limit: '2' }, 100).meta.hasnext).toBe(false);
});

test('envelopes and Basic credentials', () => {
  expect(ok()).toEqual({ code: 0 });
  expect(ok([1], { page: 1, limit: 1, count: 1, hasnext: false })).toEqual({ code: 0, data: [1], meta: { page: 1, limit: 1, count: 1, hasnext: false } });
  expect(fail(115, 'bad topic')).toEqual({ code: 115, message: 'bad topic' });
  expect(basicCredentials('Basic ' + Buffer.from('a:b:c').toString('base64'))).toEqual(['a', 'b:c']);
  expect(basicCredentials('Basic ' + Buffer.from('nocolon').toString('base64'))).toBeUndefined();
  expect(basicCredentials('Bearer x')).toBeUndefined();
  expect(basicCredentials(undefined)).toBeUndefined();
});
