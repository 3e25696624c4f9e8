import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Banned } from '../../src/access/banned';
import { Flapping } from '../../src/access/flapping';
import { parseDuration } from '../../src/ctl/banned';

const now = (): number => Math.floor(Date.now() / 1000);

test('check matches clientid, username or peerhost and ignores expired entries', () => {
  const t = new Banned();
  t.add({ as: 'clientid', who: 'c', by: 'u', reason: '', at: now(), until: now() + 60 });
  t.add({ as: 'peerhost', who: '1.2.3.4', by: 'u', reason: '', at: now(), until: now() + 60 });
  t.add({ as: 'username', who: 'old', by: 'u', reason: '', at: now() - 10, until: now() - 1 });
  expect(t.check({ clientid: 'c' })).toBe(true);
  expect(t.check({ clientid: 'x', peerhost: '1.2.3.4' })).toBe(true);
  expect(t.check({ clientid: 'x', username: 'old' })).toBe(false);
  expect(t.check({ clientid: 'x', username: 'c' })).toBe(false);
  expect(t.sweep()).toBe(1);
  expect(t.size).toBe(2);
});

test('saved atomically and loaded back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nemq-bt-'));
  try {
    const file = join(dir, 'sub', 'banned.json');
    const t = new Banned(file);
    t.add({ as: 'clientid', who: 'c', by: 'u', reason: 'r', at: 1, until: now() + 60 });
    expect(readdirSync(join(dir, 'sub'))).toEqual(['banned.json']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveLength(1);
    expect(new Banned(file).check({ clientid: 'c' })).toBe(true);
    t.delete('clientid', 'c');
    expect(new Banned(file).size).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flapping bans at the threshold within the window, not across windows', () => {
  const t = new Banned();
  const warn: string[] = [];
  const f = new Flapping(t, { threshold: 3, windowMs: 1000, banMs: 5000 }, (l) => warn.push(l));
  expect(f.detect('a', '1.1.1.1', 0)).toBe(false);
  expect(f.detect('a', '1.1.1.1', 500)).toBe(false);
  expect(f.detect('a', '1.1.1.1', 1500)).toBe(false); // a new window
  expect(f.detect('a', '1.1.1.1', 1600)).toBe(false);
  expect(f.detect('a', '1.1.1.1', 1700)).toBe(true);
  expect(warn).toEqual(['Flapping detected: a(1.1.1.1) disconnected 3 times in 1000ms']);
  expect(t.list()[0]).toMatchObject({ as: 'clientid', who: 'a', by: 'flapping detector', until: 6 });
});

test('parseDuration', () => {
  expect(parseDuration('300')).toBe(300);
  expect(parseDuration('5m')).toBe(300);
  expect(parseDuration('2h')).toBe(7200);
  expect(parseDuration('1d')).toBe(86400);
  expect(parseDuration('0')).toBeUndefined();
  expect(parseDuration('x')).toBeUndefined();
});
