import { describe, expect, it } from 'vitest';
import { hostAddressesOf, localV4, localV6 } from './netlocal.ts';

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

describe("the host's own addresses from /proc, not its on-link networks", () => {
  it("takes this host's IPv4 addresses from fib_trie's `/32 host LOCAL` leaves, loopback, broadcast and the on-link /24 left out", () => {
    expect(localV4(FIB_TRIE)).toEqual(['192.0.2.2']);
  });

  it('takes every IPv6 address but ::1 as a /128, and not the /64 it is on (a shared VPS /64 is strangers)', () => {
    expect(localV6(IF_INET6)).toEqual(['2001:db8:1::2/128', 'fe80::fc:ff:fe00:1/128']);
  });

  it('gives only /32 and /128 addresses, ignoring malformed lines and tables it was not given', () => {
    expect(hostAddressesOf({ fibTrie: 'garbage\n', ifInet6: 'zz 1 2\n' })).toEqual([]);
    expect(hostAddressesOf({})).toEqual([]);
    expect(hostAddressesOf({ fibTrie: FIB_TRIE, ifInet6: IF_INET6 })).toEqual([
      '192.0.2.2/32',
      '2001:db8:1::2/128',
      'fe80::fc:ff:fe00:1/128',
    ]);
  });
});
