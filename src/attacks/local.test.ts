import { describe, expect, it } from 'vitest';
import { attacksConfig } from './config.ts';
import { isLocalAddress, LocalClients, parseCidr } from './local.ts';

describe('which proxy clients are local', () => {
  const local = new LocalClients(['gauntlet', '192.0.2.80'], ['198.51.100.0/24', '2001:db8:7::/48']);

  it('takes loopback, RFC 1918, CGNAT, link-local and IPv6 ULA/link-local, mapped forms too', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.1.23',
      '172.16.5.1',
      '172.31.255.254',
      '192.168.1.9',
      '100.64.0.1',
      '169.254.10.10',
      '::1',
      'fd12:3456::1',
      'fe80::1%eth0',
      '::ffff:10.0.1.23',
      '::ffff:a00:117',
    ])
      expect(local.isLocal(a), a).toBe(true);
  });

  it("takes this host's own addresses and names and the allow list's addresses, nothing else", () => {
    expect(local.isLocal('192.0.2.80')).toBe(true);
    expect(local.isLocal('gauntlet')).toBe(true);
    expect(local.isLocal('198.51.100.7')).toBe(true);
    expect(local.isLocal('2001:db8:7:1::5')).toBe(true);
    for (const a of ['203.0.113.9', '172.32.0.1', '100.128.0.1', '2001:db8:8::1', 'evil.example', '8.8.8.8'])
      expect(local.isLocal(a), a).toBe(false);
  });

  it('accepts addresses and CIDRs in the config, and says what an entry should be otherwise', () => {
    expect(parseCidr('203.0.113.0/24')).toEqual({ address: '203.0.113.0', prefix: 24, family: 'ipv4' });
    expect(parseCidr('2001:db8::1')).toMatchObject({ prefix: 128, family: 'ipv6' });
    for (const bad of ['203.0.113.0/33', 'office.example', '10.0.0.0/', '10.0.0.0/8x', '2001:db8::/129'])
      expect(parseCidr(bad), bad).toBeNull();
    expect(attacksConfig.parse({}).openproxy.allow).toEqual([]);
    const r = attacksConfig.safeParse({ openproxy: { allow: ['203.0.113.0/33'] } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['openproxy', 'allow', 0] });
    expect(r.error?.issues[0]?.message).toMatch(/IP address or CIDR/);
    expect(attacksConfig.safeParse({ openproxy: { allowed: [] } }).success).toBe(false);
  });
});

describe("this host's own addresses", () => {
  const local = new LocalClients(['gauntlet'], ['198.51.100.0/24'], ['192.0.2.2/32', '2001:db8:1::2/128']);

  it("takes clients on this host's own addresses (from /proc) for local, its on-link neighbours not", () => {
    for (const a of ['192.0.2.2', '2001:db8:1::2', '::ffff:192.0.2.2'])
      expect(local.isLocal(a), a).toBe(true);
    for (const a of ['192.0.2.50', '192.0.3.1', '2001:db8:1::20', '2001:db8:2::1'])
      expect(local.isLocal(a), a).toBe(false);
  });
});

describe('isLocalAddress', () => {
  it('is true for loopback, private, CGNAT, link-local and ULA addresses only', () => {
    for (const h of [
      '127.0.0.1',
      '10.2.3.4',
      '172.31.0.1',
      '192.168.1.50',
      '100.64.0.9',
      '169.254.1.1',
      '::1',
    ])
      expect(isLocalAddress(h)).toBe(true);
    for (const h of ['fd00::1', 'fe80::1%eth0', '::ffff:192.168.1.5', 'localhost'])
      expect(isLocalAddress(h)).toBe(true);
    for (const h of ['203.0.113.7', '198.18.0.1', '172.32.0.1', '2001:db8::1', 'example.com'])
      expect(isLocalAddress(h)).toBe(false);
  });
});
