import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeZone } from '../../core/tz.ts';
import { Accountant } from '../account.ts';

const NOW = new Date(Date.UTC(2024, 11, 31));
const zone = makeZone('UTC');

/** Firewall LOG fields, each also in forms the fast path must leave to the RegExps. */
const field = (name: string, values: string[]) =>
  fc.constantFrom(...values.map((v) => `${name}${v}`), '', `X${name}1`, `${name}`);

const line = fc
  .tuple(
    fc.constantFrom(
      '[UFW BLOCK] ',
      '[  12.5] [UFW BLOCK] ',
      '',
      'IPTABLES: ',
      'LOGIN=x ',
      'xIN=a OUT= ',
      '[ID 5 kern.info] ',
    ),
    fc.constantFrom('IN=eth0 OUT= ', 'IN=eth0 OUT=eth1 ', 'IN= OUT= ', 'IN=eth0\tOUT= ', 'IN=eth0 OUT=', ''),
    fc.constantFrom('MAC=52:54:00:12 ', ''),
    field('SRC=', ['1.2.3.4', '2001:db8::1', '::ffff:10.0.0.1', 'zz', '1.2.3.4x']),
    fc.constantFrom(' DST=192.0.2.5', ' DST', ''),
    fc.constantFrom(' LEN=44 ', ' '),
    field('PROTO=', ['TCP', 'UDP', 'ICMP', 'tcp', '2', '-']),
    fc.constantFrom(' SPT=1 ', ' '),
    field('DPT=', ['22', '0', '65535', '1234567890', 'x']),
    fc.constantFrom(' WINDOW=1024', ' authentication failure', ''),
  )
  .map((p) => `Jun 30 10:00:00 srv kernel: ${p.join('')}`);

describe('netfilter fast path', () => {
  it('counts exactly what the RegExp extractor counts', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), (lines) => {
        const fast = new Accountant({ now: NOW, zone, fast: true });
        const slow = new Accountant({ now: NOW, zone, fast: false });
        for (const l of lines) expect(fast.hit(l)).toStrictEqual(slow.hit(l));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads a UFW block line to the source and destination port', () => {
    const acc = new Accountant({ now: NOW, zone });
    expect(
      acc.hit(
        'Jun 30 10:00:00 srv kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54 SRC=203.0.113.9 DST=192.0.2.5 LEN=44 PROTO=TCP SPT=5 DPT=3389 WINDOW=1024',
      ),
    ).toMatchObject({
      detector: 'portscan',
      kind: 'refused',
      host: '203.0.113.9',
      service: 'firewall/tcp',
      port: 3389,
    });
  });
});
