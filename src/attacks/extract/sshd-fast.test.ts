import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeZone } from '../../core/tz.ts';
import { Accountant } from '../account.ts';
import { hostOf } from '../host.ts';
import { Interner } from '../intern.ts';
import { LineSplitter } from '../line.ts';
import type { AttackEvent, Extracted } from '../types.ts';
import { sshd } from './sshd.ts';
import {
  ATTEMPT,
  CLOSE,
  CONNECT,
  FAIL,
  type FastSshd,
  INVALID,
  NONE,
  PAM,
  SUCCESS,
  sshdFast,
  UNHANDLED,
} from './sshd-fast.ts';

const NOW = new Date(Date.UTC(2024, 11, 31));
const zone = makeZone('UTC');

/** Every line through one accountant with the given path; what each line counted. */
function run(lines: readonly string[], fast: boolean): (AttackEvent | null)[] {
  const acc = new Accountant({ now: NOW, zone, fast });
  return lines.map((l) => acc.hit(l));
}

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
/** Hosts as sshd logs them, and tokens that only look like one. */
const host = fc.oneof(
  { weight: 6, arbitrary: ipv4 },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '2001:db8::7',
      '::ffff:10.0.0.1',
      'scanner.example.net',
      '1.2.3.4567',
      '01.002.3.4',
      '1.2.3',
      'by',
      'user',
      '[preauth]',
      '22',
      '1.2.3.4:',
      '',
    ),
  },
);
/** User names: plain, and the attacker's injections (addresses, ` from `, pam fields, odd whitespace). */
const user = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('root', 'admin', 'oracle', 'git', 'a b', '') },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('', 'x', 'evil ', 'root'),
        fc.constantFrom(
          ' from 6.6.6.6',
          ' from 6.6.6.6 port 22',
          ' from 6.6.6.6 port 1 ssh2',
          'from 6.6.6.6 ',
          ' rhost=6.6.6.6',
          '  user=x',
          ' port 22',
          ' [preauth]',
          ': x',
          '\t',
          '\xa0',
          ' authentication failure',
          'FAILED LOGIN',
          ']',
        ),
        fc.constantFrom('', 'y', ' ', ' z'),
      )
      .map((p) => p.join('')),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const port = fc.integer({ min: 1, max: 65535 });
const tail = fc.constantFrom(
  '',
  ' ssh2',
  ' ssh2: RSA SHA256:abc',
  ' ssh2:x',
  ' ssh22',
  ' [preauth]',
  ' ssh',
  ': x from 6.6.6.6',
  ' x',
);

/** sshd messages in the fast path's shapes, each also bent slightly out of shape. */
const message = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('password', 'publickey', 'none', 'keyboard-interactive/pam'),
      fc.constantFrom('', 'invalid user ', 'illegal user '),
      user,
      host,
      port,
      tail,
    )
    .map(([m, inv, u, h, p, t]) => `Failed ${m} for ${inv}${u} from ${h} port ${p}${t}`),
  fc.tuple(user, host, port, tail).map(([u, h, p, t]) => `Invalid user ${u} from ${h} port ${p}${t}`),
  fc.tuple(user, host, tail).map(([u, h, t]) => `Invalid user ${u}from ${h}${t}`),
  fc
    .tuple(
      fc.constantFrom(
        'Connection closed by ',
        'Connection reset by ',
        'Disconnected from ',
        'Connection closed ',
      ),
      fc.constantFrom('', 'invalid user ', 'authenticating user ', 'user ', 'by '),
      user,
      host,
      port,
      fc.constantFrom('', ' [preauth]', ' x', ' '),
    )
    .map(
      ([pre, kind, u, h, p, t]) => `${pre}${kind}${kind.includes('user') ? `${u} ` : ''}${h} port ${p}${t}`,
    ),
  fc
    .tuple(
      fc.constantFrom(
        'Disconnected from ',
        'Connection closed by ',
        'Disconnected from invalid user ',
        'Connection closed by authenticating user ',
      ),
      host,
    )
    .map(([pre, h]) => `${pre}${h}`),
  fc
    .tuple(
      fc.constantFrom('', 'x', ' rhost=6.6.6.6'),
      host,
      fc.constantFrom('', '  user=', ' user=', '   user=', ' '),
      user,
    )
    .map(
      ([ruser, h, sep, u]) =>
        `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=${ruser} rhost=${h}${sep}${sep ? u : ''}`,
    ),
  fc
    .tuple(fc.constantFrom('publickey', 'password', 'keyboard-interactive/pam'), user, host, port, tail)
    .map(([m, u, h, p, t]) => `Accepted ${m} for ${u} from ${h} port ${p}${t}`),
  fc
    .tuple(
      host,
      port,
      fc.constantFrom(':11: Bye Bye [preauth]', ': 11: disconnected by user', ':3: x: Auth fail', ':11:', ''),
    )
    .map(([h, p, t]) => `Received disconnect from ${h} port ${p}${t}`),
  fc.constantFrom(
    'Too many authentication failures [preauth]',
    'Disconnecting: Too many authentication failures [preauth]',
    'error: maximum authentication attempts exceeded for root from 9.9.9.9 port 22 ssh2 [preauth]',
    'Did not receive identification string from 9.9.9.9 port 4444',
    'error: kex_exchange_identification: Connection closed by remote host',
    'error: kex_exchange_identification: read: Connection reset by peer',
    'Connection from 9.9.9.9 port 4444 on 10.0.0.1 port 22',
    'drop connection #0 from [9.9.9.9]:4444 on [10.0.0.1]:22 penalty: failed authentication',
    'drop connection #3 from [9.9.9.9]:4444 on [10.0.0.1]:22 past MaxStartups',
    'drop connection #0 from [2001:db8::9]:4444 on [10.0.0.1]:22 penalty: exceeded LoginGraceTime',
  ),
);

/** Classic syslog lines from a few sshd processes (shared pids make the joiner's connections). */
const line = fc
  .tuple(
    fc.integer({ min: 0, max: 59 }),
    fc.constantFrom('srv ', '', 'h.example.org '),
    fc.constantFrom(
      'sshd[10]',
      'sshd[11]',
      'sshd[12]',
      'sshd',
      'sshd-session[10]',
      'sshd-session[12]',
      'sshd-auth[11]',
      'sshd-sessio[10]',
      'sshd-authx[11]',
      'sshd[123456789012]',
    ),
    message,
  )
  .chain(([s, h, tag, msg]) =>
    // Classic stamps, and ISO ones (rsyslog's default file format) that the fast path also reads.
    fc.constantFrom(
      `Jun 30 10:00:${String(s).padStart(2, '0')} ${h}${tag}: ${msg}`,
      `2024-06-30T10:00:${String(s).padStart(2, '0')}.123456+09:00 ${h}${tag}: ${msg}`,
    ),
  );

/** What sshd.ts's extractor would return for a fast result (the note or event the accountant acts on). */
function asExtracted(code: number, out: FastSshd, time: number, pid: number): Extracted | undefined {
  const base = { detector: 'bruteforce', service: 'sshd', time } as const;
  switch (code) {
    case FAIL:
      return { ...base, kind: 'failure', host: out.host, attempts: 1, user: out.user };
    case INVALID:
    case ATTEMPT:
      return {
        note: code === INVALID ? 'invalid' : 'attempt',
        key: pid,
        event: { ...base, kind: 'failure', host: out.host, attempts: 1, user: out.user },
      };
    case SUCCESS:
      return {
        note: 'success',
        key: pid,
        event: { ...base, kind: 'success', host: out.host, attempts: 0, user: out.user },
      };
    case CONNECT:
      return { note: 'connect', key: pid, host: out.host };
    case CLOSE: {
      const host = hostOf(out.host);
      return host === null ? null : { note: 'close', key: pid, host, time };
    }
    case PAM:
      return { note: 'pam', key: pid, host: out.host, user: out.user, service: 'sshd', time };
    case NONE:
      return null;
    default:
      return undefined;
  }
}

describe('sshd fast path', () => {
  it('reads each line it takes exactly as the RegExp extractor does', () => {
    const sp = new LineSplitter({ reference: NOW.getTime(), zone, year: 2024 });
    const out: FastSshd = { host: '', user: '' };
    const names = new Interner();
    let taken = 0;
    fc.assert(
      fc.property(message, fc.integer({ min: 1, max: 99999 }), (msg, pid) => {
        const text = `Jun 30 10:00:00 srv sshd[${pid}]: ${msg}`;
        expect(sp.prefix(text)).toBe(true);
        const code = sshdFast(text, sp.msgStart, out, names);
        if (code === UNHANDLED) return;
        taken++;
        expect(asExtracted(code, out, sp.time, pid)).toStrictEqual(sshd.extract(sp.split(text)));
      }),
      { numRuns: 5000 },
    );
    // Most generated lines are in a fast shape: the comparison is not vacuous.
    expect(taken).toBeGreaterThan(1000);
  });

  it('counts exactly what the RegExp extractors count, joins included, injections included', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 25 }), (lines) => {
        expect(run(lines, true)).toStrictEqual(run(lines, false));
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    [
      'Jun 30 10:00:00 h sshd[1]: Failed password for invalid user 1.2.3.4 from 5.6.7.8 port 22 ssh2',
      '5.6.7.8',
      '1.2.3.4',
    ],
    ['Jun 30 10:00:00 h sshd[1]: Invalid user 6.6.6.6 from 5.6.7.8 port 4242', '5.6.7.8', '6.6.6.6'],
    [
      'Jun 30 10:00:00 h sshd[1]: Failed password for root from 5.6.7.8 port 22 ssh2: ruser from 6.6.6.6',
      '5.6.7.8',
      'root',
    ],
  ])('takes the host from its anchored place: %s', (text, wantHost, wantUser) => {
    const [got] = run([text], true);
    expect(got).toMatchObject({ host: wantHost, user: wantUser, detector: 'bruteforce', kind: 'failure' });
  });

  it('strips a `[preauth]` ending the pam user only where pamRhost does (by leaving it to the RegExp path)', () => {
    const text =
      'Jun 30 10:00:00 h sshd[7]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.6.7.8  user=x [preauth]';
    const sp = new LineSplitter({ reference: NOW.getTime(), zone, year: 2024 });
    sp.prefix(text);
    expect(sshdFast(text, sp.msgStart, { host: '', user: '' }, new Interner())).toBe(UNHANDLED);
  });

  it('joins a pam failure and the failure sshd logs for it into one count, as the RegExp path does', () => {
    const lines = [
      'Jun 30 10:00:00 h sshd[7]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.6.7.8  user=root',
      'Jun 30 10:00:01 h sshd[7]: Failed password for root from 5.6.7.8 port 22 ssh2',
      'Jun 30 10:00:02 h sshd[7]: Connection closed by 5.6.7.8 port 22 [preauth]',
    ];
    const got = run(lines, true);
    expect(got.filter((e) => e !== null && e.attempts > 0)).toHaveLength(1);
    expect(got).toStrictEqual(run(lines, false));
  });

  it.each([true, false])(
    'closes a connection on `Connection closed by authenticating user U HOST port N` (fast path %s)',
    (fast) => {
      // The host comes only with the close: the held failure is released there, from that host.
      const lines = [
        'Jun 30 10:00:00 h sshd[9]: Disconnecting: Too many authentication failures for root [preauth]',
        'Jun 30 10:00:01 h sshd[9]: Connection closed by authenticating user root 5.6.7.8 port 22 [preauth]',
        'Jun 30 10:00:02 h sshd[10]: Disconnecting: Too many authentication failures [preauth]',
        'Jun 30 10:00:03 h sshd[10]: Disconnected from invalid user a b 5.6.7.9 port 23',
      ];
      expect(run(lines, fast).map((e) => e && [e.host, e.attempts])).toEqual([
        null,
        ['5.6.7.8', 1],
        null,
        ['5.6.7.9', 1],
      ]);
    },
  );
});
