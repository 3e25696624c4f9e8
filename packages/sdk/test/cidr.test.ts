// IPv4 / IPv6 addresses and CIDR blocks (esockd_cidr with host bits cleared).
import { cidrMatch, parseCidr, parseIp } from '@nemq/sdk';

const block = (s: string) => {
  const c = parseCidr(s);
  if (!c) throw new Error(`bad CIDR ${s}`);
  return c;
};

describe('parseCidr', () => {
  test('parses and normalises: host bits cleared, a plain address is /32 or /128', () => {
    expect(parseCidr('192.168.1.5/24')?.text).toBe('192.168.1.0/24');
    expect(parseCidr('10.0.0.1')?.text).toBe('10.0.0.1/32');
    expect(parseCidr('::1')?.text).toBe('0:0:0:0:0:0:0:1/128');
    expect(parseCidr('::ffff:10.0.0.0/104')?.text).toBe('10.0.0.0/8');
  });

  test('malformed blocks are undefined', () => {
    expect(parseCidr('10.0.0.0/x')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('nope')).toBeUndefined();
  });
});

describe('cidrMatch', () => {
  test('a CIDR (host bits cleared) or an address', () => {
    expect(cidrMatch(block('192.168.1.77/24'), parseIp('192.168.1.5')!)).toBe(true);
    expect(cidrMatch(block('192.168.1.0/24'), parseIp('192.168.2.5')!)).toBe(false);
    expect(cidrMatch(block('fe80::/10'), parseIp('fe80::1')!)).toBe(true);
    expect(cidrMatch(block('0.0.0.0/0'), parseIp('8.8.8.8')!)).toBe(true);
  });

  test('IPv4-mapped IPv6 peers (what a dual-stack socket reports) are IPv4; families are kept apart otherwise', () => {
    expect(cidrMatch(block('127.0.0.1'), parseIp('::ffff:127.0.0.1')!)).toBe(true);
    expect(cidrMatch(block('127.0.0.0/8'), '::ffff:127.0.0.1')).toBe(true);
    expect(cidrMatch(block('127.0.0.0/8'), '::1')).toBe(false);
    expect(cidrMatch(block('::1'), parseIp('127.0.0.1')!)).toBe(false);
    expect(cidrMatch(block('::/0'), '2001:db8::1')).toBe(true);
  });

  test('parseIp: brackets and zone ids are dropped; garbage is undefined', () => {
    expect(parseIp('[::1]')).toEqual(parseIp('::1'));
    expect(parseIp('fe80::1%eth0')).toEqual(parseIp('fe80::1'));
    expect(parseIp('garbage')).toBeUndefined();
    expect(cidrMatch(block('10.0.0.0/8'), 'garbage')).toBe(false);
  });
});
