import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Accountant } from '../account.ts';
import { isHost } from '../host.ts';
import type { AttackEvent } from '../types.ts';
import { FAMILIES } from './registry.ts';

// Log text is the attacker's. Whatever a line holds, the accounting must not throw: a throw is an UNKNOWN
// check and lost counts. And it must never blame an address the attacker wrote into a field they control
// (user name, URL, user agent, ident, SASL text) instead of the one in the line's host field: that is
// fail2ban's CVE-2013-7176 class. The lines are the daemons' real shapes with each slot fuzzed, so they
// reach deep into every extractor. The host slot gets hosts from 203.0.113.0/24, 2001:db8::/32 and
// *.example.net; the attacker's slots get injections naming 6.6.6.6, 7.7.7.7 and evil.example.
const NOW = new Date(Date.UTC(2026, 10, 26, 12, 0, 0));

const host = fc.oneof(
  fc.integer({ min: 1, max: 254 }).map((n) => `203.0.113.${n}`),
  fc.integer({ min: 1, max: 254 }).map((n) => `::ffff:203.0.113.${n}`),
  fc.integer({ min: 1, max: 0xffff }).map((n) => `2001:db8::${n.toString(16)}`),
  fc.constantFrom('gw.example.net', 'pc5.example.net'),
);

const INJECTED = ['6.6.6.6', '7.7.7.7', 'evil.example'];
const injection = fc.constantFrom(
  'root',
  '6.6.6.6',
  'x from 6.6.6.6',
  'x from 6.6.6.6 port 22',
  'rhost=7.7.7.7',
  'x rhost=7.7.7.7 user=root',
  ' from 7.7.7.7 port 1 ssh2',
  '[7.7.7.7]',
  'unknown[6.6.6.6]',
  '(6.6.6.6)',
  'evil@6.6.6.6',
  'evil.example',
  'Client "6.6.6.6"',
  'SRC=6.6.6.6 ',
  '6.6.6.6 - - [26/Nov/2026:10:00:00 +0000] "GET /phf HTTP/1.0" 200 1 "-" "-"',
  'http://6.6.6.6/etc/passwd',
  '" 200 1 "-" "-" 7.7.7.7',
  '',
  ' ',
  '"',
  '\x1b[2J',
  '\xff\xfe',
  'é',
);

const path = fc.constantFrom('/cgi-bin/phf', '/etc/passwd', '/.env', '/', '/x?y=6.6.6.6', '/a b');
const status = fc.constantFrom('200', '401', '403', '404', '407', '500');

/** A daemon's line with its slots filled: [family hint or null for a syslog line, the line]. */
const line = fc.oneof(
  fc.tuple(injection, host).map(([u, h]) => ['sshd', `Failed password for ${u} from ${h} port 4000 ssh2`]),
  fc
    .tuple(injection, host)
    .map(([u, h]) => ['sshd', `Failed password for invalid user ${u} from ${h} port 22 ssh2`]),
  fc.tuple(injection, host).map(([u, h]) => ['sshd', `Invalid user ${u} from ${h} port 22`]),
  fc
    .tuple(injection, host)
    .map(([u, h]) => ['sshd', `Connection closed by authenticating user ${u} ${h} port 22 [preauth]`]),
  fc
    .tuple(injection, host)
    .map(([u, h]) => [
      'sshd',
      `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=${u} rhost=${h}  user=${u}`,
    ]),
  fc.tuple(injection, host).map(([n, h]) => ['in.telnetd', `refused connect from ${n} (${h})`]),
  host.map((h) => ['in.fingerd', `refused connect from ${h}`]),
  fc
    .tuple(injection, host)
    .map(([x, h]) => ['postfix/smtpd', `warning: unknown[${h}]: SASL LOGIN authentication failed: ${x}`]),
  fc.tuple(injection, host).map(([u, h]) => ['vsftpd', `[pid 1] [${u}] FAIL LOGIN: Client "${h}"`]),
  fc
    .tuple(host, fc.integer({ min: 1, max: 65535 }))
    .map(([h, p]) => [
      'kernel',
      `[UFW BLOCK] IN=eth0 OUT= MAC= SRC=${h} DST=10.0.0.1 LEN=60 PROTO=TCP SPT=4000 DPT=${p} WINDOW=1 SYN`,
    ]),
  fc
    .tuple(host, injection, path, status, injection)
    .map(([h, u, p, s, a]) => [
      'web',
      `${h} - ${u} [26/Nov/2026:10:00:00 +0000] "GET ${p} HTTP/1.0" ${s} 12 "-" "${a}"`,
    ]),
  fc
    .tuple(host, injection, path, status)
    .map(([h, u, p, s]) => [
      'proxy',
      `1795659600.123    120 ${h} TCP_MISS/${s} 652 GET http://localhost${p} ${u} HIER_DIRECT/127.0.0.1 text/plain`,
    ]),
  fc
    .tuple(host, path, injection)
    .map(([h, p, u]) => ['xferlog', `Thu Nov 26 10:00:00 2026 1 ${h} 1024 ${p} a _ o a ${u} ftp 0 * c`]),
);

const SYSLOG_FAMILIES = new Set(['sshd', 'in.telnetd', 'in.fingerd', 'postfix/smtpd', 'kernel']);

/** Every event the accounting makes of a line: as a syslog line of its daemon, and as each family's own log. */
function eventsOf(hint: string, text: string): AttackEvent[] {
  const out: AttackEvent[] = [];
  if (SYSLOG_FAMILIES.has(hint)) {
    const tag = hint === 'kernel' ? 'kernel' : `${hint}[42]`;
    const e = new Accountant({ now: NOW, hints: [] }).line(`Nov 26 10:00:00 gw ${tag}: ${text}`);
    if (e) out.push(e);
  }
  for (const fam of FAMILIES) {
    const e = new Accountant({ now: NOW, hints: [fam] }).line(text);
    if (e) out.push(e);
  }
  return out;
}

describe('attacker-made log lines', () => {
  it('never throw, and never blame an address written into a field the attacker controls', () => {
    const reached = new Set<string>();
    fc.assert(
      fc.property(line, ([hint, text]) => {
        for (const e of eventsOf(hint as string, text as string)) {
          reached.add(e.service);
          const why = `${e.host} from ${JSON.stringify(text)}`;
          expect(isHost(e.host), why).toBe(true);
          expect(
            INJECTED.some((i) => e.host.includes(i)),
            why,
          ).toBe(false);
        }
      }),
      { numRuns: 1500 },
    );
    // The lines reached the extractors (a generator that produced nothing would prove nothing).
    expect(reached.size, [...reached].join(', ')).toBeGreaterThanOrEqual(9);
  });
});
