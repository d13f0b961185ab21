import { describe, expect, it } from 'vitest';
import { fromIfInet6, hostNetworksOf, localV4, onLinkV4 } from './netlocal.ts';

/** /proc/net/route of a host on 192.0.2.0/24 (eth0, 192.0.2.2) with its default route via 192.0.2.1. */
const ROUTE = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
  'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  '',
].join('\n');

const FIB_TRIE = [
  'Main:',
  '  +-- 0.0.0.0/0 3 0 5',
  '     |-- 0.0.0.0',
  '        /0 universe UNICAST',
  '     +-- 127.0.0.0/8 2 0 2',
  '        +-- 127.0.0.0/31 1 0 0',
  '           |-- 127.0.0.1',
  '              /32 host LOCAL',
  '     +-- 192.0.2.0/24 2 0 2',
  '        +-- 192.0.2.0/30 2 0 2',
  '           |-- 192.0.2.0',
  '              /24 link UNICAST',
  '           |-- 192.0.2.2',
  '              /32 host LOCAL',
  '        |-- 192.0.2.255',
  '           /32 link BROADCAST',
  '',
].join('\n');

const IF_INET6 = [
  '20010db8000100000000000000000002 02 40 00 80     eth0',
  'fe8000000000000000fc00fffe000001 02 40 20 80     eth0',
  '00000000000000000000000000000001 01 80 10 80       lo',
  '',
].join('\n');

describe("the host's own addresses and networks from /proc", () => {
  it('takes the on-link IPv4 networks of /proc/net/route (no gateway), not the default route', () => {
    expect(onLinkV4(ROUTE)).toEqual(['192.0.2.0/24']);
  });

  it('leaves out a device route as wide as the Internet (`default dev ppp0`, `0.0.0.0/1 dev tun0`)', () => {
    const wide = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'ppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0',
      'tun0\t00000000\t00000000\t0001\t0\t0\t0\t00000080\t0\t0\t0',
    ].join('\n');
    expect(onLinkV4(wide)).toEqual([]);
  });

  it("reads a big-endian host's route table (its mask is no prefix read little-endian)", () => {
    const be =
      'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\neth0\tC0000200\t00000000\t0001\t0\t0\t0\tFFFFFF00\n';
    expect(onLinkV4(be)).toEqual(['192.0.2.0/24']);
  });

  it("takes this host's IPv4 addresses from fib_trie's `/32 host LOCAL` leaves, loopback and broadcast left out", () => {
    expect(localV4(FIB_TRIE)).toEqual(['192.0.2.2']);
  });

  it('takes every IPv6 address but ::1, and the prefix of the global ones only', () => {
    expect(fromIfInet6(IF_INET6)).toEqual({
      addresses: ['2001:db8:1::2/128', 'fe80::fc:ff:fe00:1/128'],
      networks: ['2001:db8:1::/64'],
    });
  });

  it('ignores malformed lines and tables it was not given', () => {
    expect(hostNetworksOf({ route: 'garbage\nnot a route\n', ifInet6: 'zz 1 2\n' })).toEqual({
      addresses: [],
      networks: [],
    });
    expect(hostNetworksOf({ route: ROUTE, fibTrie: FIB_TRIE, ifInet6: IF_INET6 })).toEqual({
      addresses: ['192.0.2.2/32', '2001:db8:1::2/128', 'fe80::fc:ff:fe00:1/128'],
      networks: ['192.0.2.0/24', '2001:db8:1::/64'],
    });
  });
});
