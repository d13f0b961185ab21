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
      '[UFW ALLOW] ',
      '[  12.5] [UFW AUDIT] ',
      '[UFW AUDIT INVALID] ',
      '[UFW LIMIT BLOCK] ',
      '[UFW ALLOW]',
      'x[UFW ALLOWED] ',
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

  it.each(['[UFW ALLOW]', '[UFW AUDIT]', '[UFW AUDIT INVALID]'])(
    'does not count what ufw logs as let through (%s)',
    (prefix) => {
      const line = `Jun 30 10:00:00 srv kernel: ${prefix} IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=198.51.100.142 DST=192.0.2.5 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=TCP SPT=51000 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0`;
      for (const fast of [true, false]) expect(new Accountant({ now: NOW, zone, fast }).hit(line)).toBeNull();
    },
  );

  it('counts what ufw blocked or rate-limited', () => {
    for (const prefix of ['[UFW BLOCK]', '[UFW LIMIT BLOCK]', '[12345.678901] [UFW BLOCK]'])
      for (const fast of [true, false])
        expect(
          new Accountant({ now: NOW, zone, fast }).hit(
            `Jun 30 10:00:00 srv kernel: ${prefix} IN=eth0 OUT= MAC=52:54 SRC=198.51.100.142 DST=192.0.2.5 LEN=60 PROTO=TCP SPT=51000 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0`,
          ),
        ).toMatchObject({ detector: 'portscan', kind: 'refused', host: '198.51.100.142', port: 443 });
  });
});
