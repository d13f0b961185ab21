import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeZone } from '../../core/tz.ts';
import { Accountant } from '../account.ts';
import { accountLog } from '../read.ts';
import type { AttackEvent } from '../types.ts';
import type { Family } from './registry.ts';
import { familyOf } from './registry.ts';

const NOW = new Date(2024, 5, 30, 12, 0, 0);

/** Runs lines through one stream's accounting; returns what each line counted. */
function run(lines: string[], hints: Family[] = []): (AttackEvent | null)[] {
  const acc = new Accountant({ now: NOW, hints });
  return lines.map((l) => acc.line(l));
}

function one(line: string, hints: Family[] = []): AttackEvent | null {
  return run([line], hints)[0] ?? null;
}

describe('anchored host extraction (CVE-2013-7176 class injections)', () => {
  const cases: [string, string, Family[]?][] = [
    [
      'Jun 30 10:00:00 h sshd[1]: Failed password for invalid user 1.2.3.4 from 5.6.7.8 port 22 ssh2',
      '5.6.7.8',
    ],
    [
      'Jun 30 10:00:00 h sshd[1]: Failed password for invalid user x from 6.6.6.6 port 1 ssh2 from 5.6.7.8 port 22 ssh2',
      '5.6.7.8',
    ],
    ['Jun 30 10:00:00 h sshd[1]: Invalid user evil from 6.6.6.6 from 5.6.7.8 port 4242', '5.6.7.8'],
    [
      'Jun 30 10:00:00 h sshd[1]: User x from 6.6.6.6 not allowed because listed in DenyUsers from 5.6.7.8 not allowed because listed in DenyUsers',
      '5.6.7.8',
    ],
    [
      'Jun 30 10:00:00 h sshd[1]: Failed password for root from 5.6.7.8 port 22 ssh2: ruser from 6.6.6.6',
      '5.6.7.8',
    ],
    [
      'Jun 30 10:00:00 h vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=x rhost=6.6.6.6 rhost=5.6.7.8',
      '5.6.7.8',
    ],
    [
      'Jun 30 10:00:00 h auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser= rhost=5.6.7.8  user=a rhost=6.6.6.6',
      '5.6.7.8',
    ],
    // vsftpd sets PAM_RUSER to the typed name, and pam_unix's `audit` logs it again as user=: a name that
    // forges `rhost=INNOCENT  user=...` appears twice, and only the split where both copies agree is real.
    [
      `Jun 30 10:00:00 h vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=${'a rhost=192.0.2.10  user=a'} rhost=5.6.7.8  user=${'a rhost=192.0.2.10  user=a'}`,
      '5.6.7.8',
    ],
    [
      'Jun 30 10:00:00 h proftpd[3] h.example (x[5.6.7.8]): USER a (evil[6.6.6.6]): no such user found from 6.6.6.6 [6.6.6.6] to 1.1.1.1:21',
      '5.6.7.8',
    ],
    ['Jun 30 10:00:00 h imapd: LOGIN FAILED, user=a, ip=[6.6.6.6], ip=[::ffff:5.6.7.8]', '5.6.7.8'],
    [
      'Jun 30 10:00:00 h dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<a>, rip=6.6.6.6, lip=1.1.1.1>, method=PLAIN, rip=5.6.7.8, lip=10.0.0.1',
      '5.6.7.8',
    ],
    [
      'Jun 30 10:00:00 h dovecot: auth: passwd-file(x,6.6.6.6): unknown user,5.6.7.8): unknown user',
      '5.6.7.8',
    ],
    [
      '2024-06-30 10:00:00 SMTP protocol error in "AUTH x" H=(y) [6.6.6.6] AUTH command used when not advertised" H=(z) [5.6.7.8] AUTH command used when not advertised',
      '5.6.7.8',
      ['exim'],
    ],
    [
      'Jun 30 10:00:00 h sm-mta[4]: q: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=a, relay=[6.6.6.6], relay=[5.6.7.8]',
      '5.6.7.8',
    ],
    [
      '[Sun Jun 30 10:00:00 2024] [error] [client 5.6.7.8] user [client 6.6.6.6] not found: /',
      '5.6.7.8',
      ['apache'],
    ],
    [
      '5.6.7.8 - - [30/Jun/2024:10:00:00 +0000] "GET /phf?x=6.6.6.6 HTTP/1.0" 404 10 "http://6.6.6.6/" "6.6.6.6"',
      '5.6.7.8',
      ['web'],
    ],
    [
      'Jun 30 10:00:00 h pure-ftpd: (x@6.6.6.6@5.6.7.8) [WARNING] Authentication failed for user [x]',
      '5.6.7.8',
    ],
  ];
  it.each(cases)('%s → %s', (line, host, hints) => {
    expect(one(line, hints ?? [])?.host).toBe(host);
  });
});

describe('sshd forms', () => {
  it('strips ::ffff: from IPv4-mapped addresses', () => {
    expect(one('Jun 30 10:00:00 h sshd[1]: ROOT LOGIN REFUSED FROM ::ffff:1.2.3.4')?.host).toBe('1.2.3.4');
  });
  it('keeps a name exactly as logged and does not resolve it', () => {
    expect(
      one('Jun 30 10:00:00 h sshd[1]: error: PAM: Authentication failure for bob from Bad.Example.com')?.host,
    ).toBe('Bad.Example.com');
  });
  it('reads the legacy sshd(pam_unix) tag', () => {
    const e = one(
      'Jun 30 10:00:00 h sshd(pam_unix)[99]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=10.1.1.1  user=root',
    );
    expect(e).toMatchObject({ host: '10.1.1.1', user: 'root', detector: 'bruteforce' });
  });
  it('joins "Too many authentication failures" with the later "Connection closed by HOST [preauth]" by pid', () => {
    const out = run([
      'Jun 30 10:00:00 h sshd[81]: Disconnecting: Too many authentication failures for root [preauth]',
      'Jun 30 10:00:01 h sshd[82]: Connection closed by 9.9.9.9 [preauth]',
      'Jun 30 10:00:02 h sshd[81]: Connection closed by 61.0.0.1 [preauth]',
    ]);
    expect(out.map((e) => e?.host ?? null)).toEqual([null, null, '61.0.0.1']);
    expect(out[2]?.user).toBe('root');
  });
  it('counts "maximum authentication attempts" once, not again at the following Disconnecting line', () => {
    const out = run([
      'Jun 30 10:00:00 h sshd[7]: error: maximum authentication attempts exceeded for invalid user xxx from 192.0.2.7 port 49941 ssh2 [preauth]',
      'Jun 30 10:00:00 h sshd[7]: Disconnecting invalid user xxx 192.0.2.7 port 49941: Too many authentication failures [preauth]',
    ]);
    expect(out.map((e) => e?.host ?? null)).toEqual(['192.0.2.7', null]);
  });
  it('does not count pam_unix failures that sshd also logs as Failed password', () => {
    const out = run([
      'Jun 30 10:00:00 h sshd[5]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=7.7.7.7  user=root',
      'Jun 30 10:00:02 h sshd[5]: Failed password for root from 7.7.7.7 port 4000 ssh2',
      'Jun 30 10:00:04 h sshd[5]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=7.7.7.7  user=admin',
      'Jun 30 10:00:06 h sshd[5]: Failed password for admin from 7.7.7.7 port 4000 ssh2',
    ]);
    expect(out.filter((e) => e !== null && e.attempts > 0)).toHaveLength(2);
  });
  it('reports Accepted as a success with no failures', () => {
    const e = one('Jun 30 10:00:00 h sshd[5]: Accepted password for bob from 7.7.7.7 port 4000 ssh2');
    expect(e).toMatchObject({ kind: 'success', attempts: 0, user: 'bob', host: '7.7.7.7' });
  });
  it('treats a missing SSH banner as a port-scan event', () => {
    expect(
      one('Jun 30 10:00:00 h sshd[5]: Did not receive identification string from 8.8.4.4 port 5555')
        ?.detector,
    ).toBe('portscan');
  });
  it('treats a connection that sent no banner (OpenSSH 8+) as a port-scan event from the host of its close', () => {
    const out = run([
      'Jun 30 10:00:00 h sshd-session[11]: error: kex_exchange_identification: Connection closed by remote host',
      'Jun 30 10:00:00 h sshd-session[12]: error: kex_exchange_identification: read: Connection reset by peer',
      'Jun 30 10:00:01 h sshd-session[12]: Connection reset by 198.51.100.9 port 5557',
      'Jun 30 10:00:01 h sshd-session[11]: Connection closed by 198.51.100.8 port 5556',
      // A bad banner is logged twice by sshd: counted once, from the line with the host.
      'Jun 30 10:00:02 h sshd-session[13]: error: kex_exchange_identification: client sent invalid protocol identifier "GET / HTTP/1.1"',
      'Jun 30 10:00:02 h sshd-session[13]: banner exchange: Connection from 198.51.100.10 port 5558: invalid format',
    ]);
    expect(out.filter((e) => e !== null).map((e) => [e?.detector, e?.kind, e?.host, e?.service])).toEqual([
      ['portscan', 'refused', '198.51.100.9', 'sshd'],
      ['portscan', 'refused', '198.51.100.8', 'sshd'],
      ['portscan', 'refused', '198.51.100.10', 'sshd'],
    ]);
  });
  it('ignores lines that only look similar', () => {
    expect(
      one(
        'Jun 30 10:00:00 h sshd[7592]: Address 1.2.3.4 maps to x.example, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!',
      ),
    ).toBeNull();
    expect(one('Jun 30 10:00:00 h cron[3]: Failed password for root from 1.2.3.4 port 22 ssh2')).toBeNull();
  });
});

describe('rsyslog’s repeated-message lines', () => {
  it('count every repetition of the failure they stand for', () => {
    const out = run([
      'Jun 30 10:00:01 h sshd[123]: Failed password for root from 1.2.3.4 port 50000 ssh2',
      'Jun 30 10:00:05 h sshd[123]: message repeated 4 times: [ Failed password for root from 1.2.3.4 port 50000 ssh2]',
      'Jun 30 10:00:06 h sshd[123]: message repeated 2 times: [ Connection closed by 1.2.3.4 port 50000 [preauth]]',
    ]);
    expect(out.filter((e) => e !== null).map((e) => [e?.host, e?.user, e?.attempts])).toEqual([
      ['1.2.3.4', 'root', 1],
      ['1.2.3.4', 'root', 4],
    ]);
  });
});

describe('sysklogd’s “last message repeated” lines', () => {
  it('repeat the counted line right before them, and nothing else', () => {
    const out = run([
      'Jun 30 10:00:01 h ftpd[12]: failed login from 1.2.3.4 [1.2.3.4]',
      'Jun 30 10:00:31 h last message repeated 4 times',
      'Jun 30 10:01:01 h last message repeated 2 times',
      'Jun 30 10:02:00 h CRON[3]: (root) CMD (true)',
      // After a line that counted nothing: not a failure, nor the repeat of that repeat.
      'Jun 30 10:02:30 h last message repeated 9 times',
      'Jun 30 10:03:00 h last message repeated 7 times',
    ]);
    const counted = out.filter((e): e is AttackEvent => e !== null);
    const t0 = counted[0]?.time ?? 0;
    expect(counted.map((e) => [e.host, e.service, e.attempts, (e.time ?? 0) - t0])).toEqual([
      ['1.2.3.4', 'wu-ftpd', 1, 0],
      ['1.2.3.4', 'wu-ftpd', 4, 30_000],
      ['1.2.3.4', 'wu-ftpd', 2, 60_000],
    ]);
  });

  it('are read the same from a file, where the reader only cuts out lines around a needle', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-repeat-'));
    const file = path.join(dir, 'syslog');
    fs.writeFileSync(
      file,
      [
        'Jun 30 10:00:01 h ftpd[12]: failed login from 1.2.3.4 [1.2.3.4]',
        'Jun 30 10:00:31 h last message repeated 4 times',
        'Jun 30 10:02:00 h CRON[3]: (root) CMD (true)',
        'Jun 30 10:02:30 h last message repeated 9 times',
        '',
      ].join('\n'),
    );
    fs.utimesSync(file, new Date(Date.UTC(2024, 5, 30, 12)), new Date(Date.UTC(2024, 5, 30, 12)));
    const attempts: number[] = [];
    await accountLog(file, {
      mode: { kind: 'whole' },
      now: new Date(Date.UTC(2024, 5, 30, 12)),
      zone: makeZone('UTC'),
      hints: [],
      display: (p) => p,
      root: '/',
      consumeTrailing: true,
      onEvent: (e) => attempts.push(e.event.attempts),
    });
    expect(attempts).toEqual([1, 4]);
  });
});

describe('dovecot', () => {
  it('counts the attempts a login process reports for one connection, from its own words only', () => {
    const e = one(
      'Jun 30 10:00:00 h dovecot: imap-login: Disconnected (auth failed, 3 attempts in 12 secs): user=<a (auth failed, 900 attempts>, method=PLAIN, rip=5.6.7.8, lip=10.0.0.1',
    );
    expect(e).toMatchObject({ host: '5.6.7.8', attempts: 3 });
    const v24 = one(
      'Jun 30 10:00:00 h dovecot: imap-login: Login aborted: Connection closed (auth failed, 2 attempts in 4 secs) (auth_failed): user=<bob>, method=PLAIN, rip=5.6.7.9, lip=10.0.0.1, session=<x>',
    );
    expect(v24).toMatchObject({ host: '5.6.7.9', user: 'bob', attempts: 2 });
  });
});

describe('dovecot 2.4 through syslog', () => {
  it('reads the auth process line after the dovecot tag, with the host from its fixed place', () => {
    expect(
      one(
        'Aug 30 00:10:57 mx dovecot: auth(info@example.com,192.0.2.110,sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch',
      ),
    ).toMatchObject({
      detector: 'bruteforce',
      host: '192.0.2.110',
      user: 'info@example.com',
      service: 'dovecot',
    });
  });
});

describe('su and login(1): one count per attempt', () => {
  const counted = (lines: string[]) =>
    run(lines)
      .filter((e) => e !== null && e.attempts > 0)
      .map((e) => [e?.host, e?.service, e?.user]);

  it('counts pam_unix’s line and not the FAILED SU / FAILED LOGIN that the same process logs for it', () => {
    expect(
      counted([
        'Jun 30 10:00:00 h su[123]: pam_unix(su:auth): authentication failure; logname=joe uid=1000 euid=0 tty=/dev/pts/0 ruser=joe rhost=  user=root',
        'Jun 30 10:00:02 h su[123]: FAILED SU (to root) joe on pts/0',
        // login(1) retries in one process: two attempts, two counts.
        'Jun 30 10:01:00 h login[99]: pam_unix(login:auth): authentication failure; logname=LOGIN uid=0 euid=0 tty=/dev/pts/3 ruser= rhost=192.0.2.7  user=joe',
        "Jun 30 10:01:03 h login[99]: FAILED LOGIN (1) on '/dev/pts/3' FROM '192.0.2.7' FOR 'joe', Authentication failure",
        'Jun 30 10:01:05 h login[99]: pam_unix(login:auth): authentication failure; logname=LOGIN uid=0 euid=0 tty=/dev/pts/3 ruser= rhost=192.0.2.7  user=joe',
        "Jun 30 10:01:08 h login[99]: FAILED LOGIN (2) on '/dev/pts/3' FROM '192.0.2.7' FOR 'joe', Authentication failure",
      ]),
    ).toEqual([
      ['local', 'su', 'root'],
      ['192.0.2.7', 'login', 'joe'],
      ['192.0.2.7', 'login', 'joe'],
    ]);
  });

  it('reads a local su failure for a user whose name holds byte 0xA0 (やまだ) whole', () => {
    // Lines are latin1 (bytes): だ is E3 81 A0, and JS `\s` matches U+00A0.
    const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
    expect(
      counted([
        bytes(
          'Jun 30 10:00:00 h su[126]: pam_unix(su:auth): authentication failure; logname=joe uid=1000 euid=0 tty=/dev/pts/0 ruser=joe rhost=  user=やまだ',
        ),
        bytes('Jun 30 10:00:05 h su[127]: FAILED SU (to やまだ) eve on pts/1'),
      ]),
    ).toEqual([
      ['local', 'su', bytes('やまだ')],
      ['local', 'su', bytes('やまだ')],
    ]);
  });

  it('still counts their own line where pam_unix logged nothing for the process', () => {
    expect(
      counted([
        'Jun 30 10:00:00 h su[124]: pam_unix(su:auth): authentication failure; logname=joe uid=1000 euid=0 tty=/dev/pts/0 ruser=joe rhost=  user=root',
        'Jun 30 10:00:05 h su[125]: FAILED SU (to root) eve on pts/1',
      ]),
    ).toEqual([
      ['local', 'su', 'root'],
      ['local', 'su', 'root'],
    ]);
  });
});

describe('other families', () => {
  it.each([
    [
      'Jun 30 10:00:00 h login[9]: FAILED LOGIN 1 FROM 10.0.0.5 FOR root, Authentication failure',
      'login',
      '10.0.0.5',
    ],
    ['Jun 30 10:00:00 h su[9]: FAILED SU (to root) bob on /dev/pts/0', 'su', 'local'],
    [
      'Jun 30 10:00:00 h postfix/smtpd[9]: warning: unknown[192.0.2.152]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin',
      'postfix',
      '192.0.2.152',
    ],
    [
      'Jun 30 10:00:00 h smbd[9]: Auth: [SMB2,(null)] user [WG]\\[admin] at [Sun, 30 Jun 2024 10:00:00.000 UTC] with [NTLMv2] status [NT_STATUS_WRONG_PASSWORD] workstation [X] remote host [ipv4:203.0.113.9:49152] mapped to [WG]\\[admin]. local host [ipv4:10.0.0.1:445]',
      'samba',
      '203.0.113.9',
    ],
    [
      'Jun 30 10:00:00 h kernel: [1234.5678] DROP IN=eth0 OUT= MAC=00:11 SRC=198.51.100.7 DST=10.0.0.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0',
      'firewall/tcp',
      '198.51.100.7',
    ],
    [
      'Jun 30 10:00:00 h portsentry[9]: attackalert: SYN/Normal scan from host: scan.example/192.0.2.77 to TCP port: 143',
      'portsentry',
      '192.0.2.77',
    ],
    ['Jun 30 10:00:00 h sendmail[9]: NOQUEUE: Null connection from [192.0.2.200]', 'sendmail', '192.0.2.200'],
  ])('%s', (line, service, host) => {
    expect(one(line)).toMatchObject({ service, host });
  });

  it('counts a password-file request in an access log for the passwd detector, with its answer', () => {
    const e = one(
      'vhost.example:80 203.0.113.5 - - [30/Jun/2024:10:00:00 +0900] "GET /cgi-bin/../../etc/passwd HTTP/1.1" 200 1234 "-" "curl"',
      ['web'],
    );
    expect(e).toMatchObject({ detector: 'passwd', host: '203.0.113.5', status: 200 });
    expect(e?.time == null ? null : new Date(e.time).toISOString()).toBe('2024-06-30T01:00:00.000Z');
  });
  it('flags shellshock in a header', () => {
    expect(
      one(
        '203.0.113.6 - - [30/Jun/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "() { :; }; /bin/cat /etc/issue"',
        ['web'],
      )?.detector,
    ).toBe('webprobe');
  });
  it('leaves ordinary requests alone', () => {
    expect(
      one(
        '203.0.113.6 - - [30/Jun/2024:10:00:00 +0000] "GET /index.php?page=2 HTTP/1.1" 200 5 "-" "Mozilla"',
        ['web'],
      ),
    ).toBeNull();
  });
  it('reads a vsftpd RETR of the password file', () => {
    expect(
      one('Sun Jun 30 10:00:00 2024 [pid 3] [ftp] FTP command: Client "192.0.2.44", "RETR /etc/passwd"', [
        'vsftpd',
      ]),
    ).toMatchObject({ detector: 'passwd', host: '192.0.2.44' });
  });
  it('maps postfix sub-service tags to the postfix family', () => {
    expect(familyOf('postfix-incoming/smtpd')).toBe('postfix');
    expect(familyOf('postfix/submission/smtpd')).toBe('postfix');
    expect(familyOf('no-such-daemon')).toBeNull();
  });
});

describe('syslog chunk scan', () => {
  it('counts the same lines as line-by-line accounting, whatever the prefix shape', () => {
    const lines = [
      'Jun 30 10:00:00 srv sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2',
      'Jun 30 10:00:01 srv CRON[2]: pam_unix(cron:session): session opened for user root',
      'Jun 30 10:00:02 [sshd]: User root from 192.0.2.2 not allowed because not listed in AllowUsers',
      'Jun 30 10:00:03 <mail.info> mx sm-mta[3]: q1: ruleset=check_rcpt, arg1=<a@b>, relay=[192.0.2.3], reject=550 5.7.1 <a@b>... Relaying denied',
      'Jun 30 10:00:04 srv vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=x rhost=192.0.2.4',
      'Jun 30 10:00:05 sshd[5]: Invalid user a from 192.0.2.5',
      '2024-06-30T10:00:06+00:00 srv sshd[6]: Invalid user b from 192.0.2.6 port 1',
      'Jun 30 10:00:07 srv systemd[1]: Started Session 7.',
    ];
    const acc = new Accountant({ now: NOW });
    const found: number[] = [];
    acc.scanText(lines.join('\n'), 1, (e) => found.push(e.line));
    const byLine = run(lines).flatMap((e, i) => (e ? [i + 1] : []));
    expect(found).toEqual(byLine);
    expect(found).toEqual([1, 3, 4, 5, 6, 7]);
  });
});

describe('access log 401s', () => {
  it('does not count the basic-auth challenge (a 401 to a request that sent no user)', () => {
    expect(
      one('127.0.0.1 - - [26/Nov/2026:06:38:18 +0000] "GET /secret/ HTTP/1.1" 401 179 "-" "curl/7.88.1"', [
        'web',
      ]),
    ).toBeNull();
  });
  it('counts a 401 to a request that sent a user as that user’s failure', () => {
    expect(
      one(
        '203.0.113.7 - bob [26/Nov/2026:06:38:20 +0000] "GET /secret/ HTTP/1.1" 401 179 "-" "curl/7.88.1"',
        ['web'],
      ),
    ).toMatchObject({
      detector: 'bruteforce',
      kind: 'failure',
      host: '203.0.113.7',
      user: 'bob',
      status: 401,
    });
  });
  it('takes the host from the first field, not from a user name holding an address', () => {
    expect(
      one(
        '203.0.113.7 - 6.6.6.6 [26/Nov/2026:06:38:20 +0000] "GET /secret/ HTTP/1.1" 401 179 "-" "curl/7.88.1"',
        ['web'],
      ),
    ).toMatchObject({ host: '203.0.113.7', user: '6.6.6.6' });
  });
});

describe('access log probes', () => {
  const get = (path: string, status: number) =>
    `198.51.100.200 - - [30/Jun/2025:10:00:00 +0000] "GET ${path} HTTP/2.0" ${status} 1200 "-" "Mozilla/5.0"`;
  it('does not take a WordPress visitor for a prober (a plugin’s asset or admin-ajax answered 200)', () => {
    expect(
      one(get('/wp-content/plugins/contact-form-7/includes/css/styles.css?ver=5.9', 200), ['web']),
    ).toBeNull();
    expect(one(get('/wp-admin/admin-ajax.php', 200), ['web'])).toBeNull();
  });
  it('reads the path after any run of spaces (nginx serves and logs `GET  /.env` as sent)', () => {
    const line = '198.51.100.200 - - [30/Jun/2025:10:00:00 +0000] "GET  /.env HTTP/1.0" 200 12 "-" "x"';
    expect(one(line, ['web'])).toMatchObject({ detector: 'webprobe', path: '/.env', answered: true });
    const err =
      '2025/06/30 10:00:00 [error] 812#812: *1 open() "/usr/share/nginx/html/cgi-bin/phf" failed (2: No such file or directory), client: 198.51.100.200, server: _, request: "GET  /cgi-bin/phf HTTP/1.0", host: "x"';
    expect(one(err, ['nginx'])).toMatchObject({ detector: 'webprobe', host: '198.51.100.200' });
  });
  it('counts the same path where the site has no WordPress (404), and /.env answered 200', () => {
    expect(one(get('/wp-login.php', 404), ['web'])).toMatchObject({ detector: 'webprobe', status: 404 });
    expect(one(get('/.env', 200), ['web'])).toMatchObject({ detector: 'webprobe', answered: true });
  });
});

describe('postfix', () => {
  it.each([
    'Jun 30 10:00:00 mx postfix/smtpd[110]: NOQUEUE: reject: RCPT from mail-ej1-f41.google.com[209.85.218.41]: 450 4.2.0 <user1@example.net>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.net.html; from=<a@b> to=<user1@example.net> proto=ESMTP helo=<mail-ej1-f41.google.com>',
    'Jun 30 10:00:00 mx postfix/smtpd[110]: NOQUEUE: reject: RCPT from mail.example.org[198.51.100.20]: 451 4.3.0 <user1@example.net>: Temporary lookup failure; from=<a@example.org> to=<user1@example.net> proto=ESMTP helo=<mail.example.org>',
    'Jun 30 10:00:00 mx postfix/smtpd[110]: NOQUEUE: reject: RCPT from mail.example.org[198.51.100.20]: 450 4.7.1 <mail.example.org[198.51.100.20]>: Client host rejected: Greylisted, see https://example.net/grey; from=<a@example.org> to=<b@example.net> proto=ESMTP helo=<mail.example.org>',
    'Jun 30 10:00:00 mx postfix/smtpd[110]: NOQUEUE: reject: RCPT from mail.example.org[198.51.100.20]: 452 4.5.3 Error: too many recipients; from=<a@example.org> to=<b@example.net> proto=ESMTP helo=<mail.example.org>',
  ])('does not count a temporary reject legitimate mail gets too: %s', (line) => {
    expect(one(line)).toBeNull();
  });

  it("counts a 4xx reject whose client names itself helo=<greylist> (only the reply text is the server's)", () => {
    const line =
      'Jun 30 10:00:00 mx postfix/smtpd[110]: NOQUEUE: reject: RCPT from unknown[203.0.113.47]: 450 4.7.25 Client host rejected: cannot find your hostname, [203.0.113.47]; from=<try-again-later@b.example> to=<c@example.net> proto=ESMTP helo=<greylist>';
    expect(one(line)).toMatchObject({ detector: 'bruteforce', kind: 'reject', host: '203.0.113.47' });
  });

  it.each([
    [
      'Jun 30 10:00:00 mx postfix/smtpd[110]: NOQUEUE: reject: RCPT from unknown[203.0.113.44]: 554 5.7.1 <x@example.org>: Relay access denied; from=<a@b.example> to=<x@example.org> proto=ESMTP helo=<b.example>',
      '203.0.113.44',
    ],
    [
      'Jun 30 10:00:00 mx postfix/smtpd[110]: NOQUEUE: reject: RCPT from unknown[203.0.113.45]: 550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in local recipient table; from=<a@b.example> to=<nobody@example.net> proto=ESMTP helo=<b.example>',
      '203.0.113.45',
    ],
    // A 4xx the client fails on every retry: no reverse DNS (Postfix's default code for it is 450).
    [
      'Jun 30 10:00:00 mx postfix/smtpd[110]: NOQUEUE: reject: RCPT from unknown[203.0.113.47]: 450 4.7.25 Client host rejected: cannot find your hostname, [203.0.113.47]; from=<a@b.example> to=<c@example.net> proto=ESMTP helo=<b.example>',
      '203.0.113.47',
    ],
    // smtpd_client_port_logging = yes
    [
      'Jun 30 10:00:00 mx postfix/smtpd[110]: NOQUEUE: reject: RCPT from unknown[203.0.113.46]:51234: 554 5.7.1 <x@example.org>: Relay access denied; from=<a@b.example> to=<x@example.org> proto=ESMTP helo=<b.example>',
      '203.0.113.46',
    ],
  ])('counts a reject: %s', (line, host) => {
    expect(one(line)).toMatchObject({ detector: 'bruteforce', kind: 'reject', host, service: 'postfix' });
  });

  it('reads a SASL failure with the client port logged', () => {
    expect(
      one(
        'Aug  4 16:47:52 mail3 postfix/smtpd[31152]: warning: unknown[192.0.2.237]:55729: SASL LOGIN authentication failed: authentication failure',
      ),
    ).toMatchObject({ detector: 'bruteforce', kind: 'failure', host: '192.0.2.237', service: 'postfix' });
  });

  it('takes the host from the client field, not from a forged one in the SASL answer', () => {
    expect(
      one(
        'Jun 30 10:00:00 mx postfix/smtpd[110]: warning: unknown[192.0.2.238]:55729: SASL LOGIN authentication failed: x unknown[6.6.6.6]:1: y, sasl_username=6.6.6.6',
      ),
    ).toMatchObject({ host: '192.0.2.238', user: '6.6.6.6' });
  });

  it('counts an HTTP client on the mail port as a probe of the port, from the client field', () => {
    expect(
      one(
        'Jun 30 10:00:00 mx postfix/smtpd[110]: warning: non-SMTP command from unknown[203.0.113.53]: GET / HTTP/1.1',
      ),
    ).toMatchObject({ detector: 'portscan', kind: 'refused', host: '203.0.113.53', service: 'postfix' });
    expect(
      one(
        'Jun 30 10:00:00 mx postfix/smtpd[110]: warning: non-SMTP command from unknown[203.0.113.54]:40000: GET /[6.6.6.6]: HTTP/1.1',
      ),
    ).toMatchObject({ host: '203.0.113.54' });
  });
});

describe('OpenSSH 9.8+ penalty and MaxStartups drops', () => {
  it('counts a drop for failed authentication as a rejected guess from the bracketed source', () => {
    expect(
      one(
        'Jun 30 10:00:06 srv sshd[900]: drop connection #0 from [203.0.113.6]:40001 on [192.0.2.1]:22 penalty: failed authentication',
      ),
    ).toMatchObject({
      detector: 'bruteforce',
      kind: 'reject',
      host: '203.0.113.6',
      service: 'sshd',
      attempts: 1,
    });
  });
  it.each([
    'drop connection #0 from [203.0.113.6]:40001 on [192.0.2.1]:22 penalty: connections without attempting authentication',
    'drop connection #0 from [203.0.113.6]:40001 on [192.0.2.1]:22 penalty: exceeded LoginGraceTime',
    'drop connection #3 from [203.0.113.6]:40001 on [192.0.2.1]:22 past MaxStartups',
    'drop connection #3 from [203.0.113.6]:40001 on [192.0.2.1]:22 past Maxstartups',
  ])('counts other drops as refused connections: %s', (msg) => {
    for (const fast of [true, false])
      expect(new Accountant({ now: NOW, fast }).line(`Jun 30 10:00:06 srv sshd[900]: ${msg}`)).toMatchObject({
        detector: 'portscan',
        kind: 'refused',
        host: '203.0.113.6',
        service: 'sshd',
      });
  });
  it('reads IPv6 and IPv4-mapped sources', () => {
    expect(
      one(
        'Jun 30 10:00:06 srv sshd[900]: drop connection #1 from [2001:db8::6]:40001 on [2001:db8::1]:22 penalty: failed authentication',
      )?.host,
    ).toBe('2001:db8::6');
    expect(
      one(
        'Jun 30 10:00:06 srv sshd[900]: drop connection #1 from [::ffff:203.0.113.8]:40001 on [::ffff:192.0.2.1]:22 past MaxStartups',
      )?.host,
    ).toBe('203.0.113.8');
  });
  it('ignores the throttling summaries, which name no source', () => {
    expect(one('Jun 30 10:00:06 srv sshd[900]: drop connections #0 from x')).toBeNull();
    expect(one('Jun 30 10:00:06 srv sshd[900]: error: beginning MaxStartups throttling')).toBeNull();
  });
});

describe('dropbear', () => {
  it.each([
    [
      "Mar 24 15:25:51 buffalo1 dropbear[4092]: Bad password attempt for 'root' from 198.51.100.87:5543",
      '198.51.100.87',
      'root',
    ],
    [
      "Mar 24 15:25:51 buffalo1 dropbear[4092]: bad password attempt for 'root' from 198.51.100.87:5543",
      '198.51.100.87',
      'root',
    ],
    [
      'Jul 27 01:18:59 h dropbear[1477]: Login attempt for nonexistent user from 1.2.3.4:60794',
      '1.2.3.4',
      undefined,
    ],
    [
      "Jul 27 01:18:59 h dropbear[1477]: Login attempt for nonexistent user 'oracle' from 1.2.3.4:60794",
      '1.2.3.4',
      'oracle',
    ],
    [
      'Feb 11 15:23:17 h dropbear[1252]: login attempt for nonexistent user from ::ffff:198.51.100.215:60495',
      '198.51.100.215',
      undefined,
    ],
    [
      "Jun 30 10:00:00 h dropbear[1252]: Bad password attempt for 'admin' from 2001:db8::5:60495",
      '2001:db8::5',
      'admin',
    ],
    [
      "Jul 27 01:04:22 h dropbear[1335]: Exit before auth (user 'root', 10 fails): Max auth tries reached - user 'root' from 1.2.3.4:60588",
      '1.2.3.4',
      'root',
    ],
    [
      "Jul 10 23:57:29 h dropbear[825]: [825] Jul 10 23:57:29 Exit before auth from <198.51.100.87:5543>: (user 'root', 10 fails): Max auth tries reached - user 'root'",
      '198.51.100.87',
      'root',
    ],
    [
      "Jul 10 23:59:24 h dropbear[826]: [826] Jul 10 23:59:24 Exit before auth from <192.0.2.3:52325>: Max auth tries reached - user 'is invalid'",
      '192.0.2.3',
      undefined,
    ],
    [
      "Jul 10 23:53:52 h dropbear[825]: [825] Jul 10 23:53:52 Bad password attempt for 'root' from 1.2.3.4:52289",
      '1.2.3.4',
      'root',
    ],
  ])('%s', (line, host, user) => {
    const e = one(line);
    expect(e).toMatchObject({ detector: 'bruteforce', kind: 'failure', host, service: 'sshd', attempts: 1 });
    expect(e?.user).toBe(user);
  });

  it('takes the host from the end, not from a user name that forges one', () => {
    expect(
      one("Jun 30 10:00:00 h dropbear[9]: Bad password attempt for 'x' from 6.6.6.6:22' from 5.6.7.8:4000"),
    ).toMatchObject({ host: '5.6.7.8', user: "x' from 6.6.6.6:22" });
    expect(
      one(
        "Jun 30 10:00:00 h dropbear[9]: Exit before auth from <5.6.7.8:4000>: Max auth tries reached - user 'x>: from <6.6.6.6:1>: '",
      )?.host,
    ).toBe('5.6.7.8');
  });

  it('reports a password login after failures as a success, and ignores other exits', () => {
    const out = run([
      "Jun 30 10:00:00 h dropbear[9]: Bad password attempt for 'root' from 1.2.3.4:60588",
      "Jun 30 10:00:02 h dropbear[9]: Password auth succeeded for 'root' from 1.2.3.4:60588",
      'Jun 30 10:00:03 h dropbear[10]: Exit before auth from <1.2.3.4:60590>: Exited normally',
      'Jun 30 10:00:04 h dropbear[11]: Child connection from 1.2.3.4:60591',
    ]);
    expect(out.map((e) => e && [e.kind, e.host, e.user, e.attempts])).toEqual([
      ['failure', '1.2.3.4', 'root', 1],
      ['success', '1.2.3.4', 'root', expect.any(Number)],
      null,
      null,
    ]);
  });
});

describe('apache mod_auth_digest', () => {
  it('reads the user out of the quotes of a digest user-not-found line', () => {
    expect(
      one(
        "[Sun Jun 30 10:00:00.123456 2024] [auth_digest:error] [pid 123] [client 203.0.113.122:51237] AH01790: user `carol' in realm `x' not found: /dav/",
        ['apache'],
      ),
    ).toMatchObject({ detector: 'bruteforce', kind: 'failure', host: '203.0.113.122', user: 'carol' });
  });
  it('still reads basic auth’s user-not-found line', () => {
    expect(
      one(
        '[Sun Jun 30 10:00:00.123456 2024] [auth_basic:error] [pid 123] [client 203.0.113.123:51237] AH01618: user carol not found: /private/',
        ['apache'],
      ),
    ).toMatchObject({ host: '203.0.113.123', user: 'carol' });
  });
  it("reads an IPv6 client with Apache 2.4's port glued on (no brackets), and 2.2's bare address", () => {
    const v6 = (port: string) =>
      `[Sun Jun 30 10:00:00.123456 2024] [auth_basic:error] [pid 123] [client 2001:db8::80da:af6b:8b2c:${port}] AH01618: user carol not found: /private/`;
    expect(one(v6('51000'), ['apache'])).toMatchObject({ host: '2001:db8::80da:af6b:8b2c', user: 'carol' });
    expect(one(v6('1000'), ['apache'])).toMatchObject({ host: '2001:db8::80da:af6b:8b2c' });
    expect(
      one('[Sun Jun 30 10:00:00 2024] [error] [client 2001:db8::7] user carol not found: /private/', [
        'apache',
      ]),
    ).toMatchObject({ host: '2001:db8::7' });
  });
  it('takes the client field, not an address in the user name', () => {
    expect(
      one(
        "[Sun Jun 30 10:00:00.123456 2024] [auth_digest:error] [pid 123] [client 203.0.113.124:51237] AH01790: user `[client 6.6.6.6:1]' in realm `x' not found: /dav/",
        ['apache'],
      ),
    ).toMatchObject({ host: '203.0.113.124', user: '[client 6.6.6.6:1]' });
  });
});

describe("ctime-stamped own logs (vsftpd's, xferlog)", () => {
  it("gives vsftpd's own-log lines their time (they had none: --since and findtime ignored them)", () => {
    const e = one('Thu Jun 27 09:58:08 2024 [pid 3188] [bad] FAIL LOGIN: Client "::ffff:203.0.113.9"', [
      'vsftpd',
    ]);
    expect(e).toMatchObject({ detector: 'bruteforce', host: '203.0.113.9', user: 'bad' });
    expect(e?.time).toBe(new Date(2024, 5, 27, 9, 58, 8).getTime());
  });
  it('reads a password-file download from xferlog, with its time', () => {
    const e = one('Thu Jun 27 10:00:00 2024 1 198.51.100.23 1321 /etc/passwd a _ o a guest@ ftp 0 * c', [
      'xferlog',
    ]);
    expect(e).toMatchObject({
      detector: 'passwd',
      host: '198.51.100.23',
      path: '/etc/passwd',
      answered: true,
    });
    expect(e?.time).toBe(new Date(2024, 5, 27, 10, 0, 0).getTime());
  });
});

describe("cockpit's PAM lines (RHEL's web console)", () => {
  it('counts a failed console login as a failure from its rhost', () => {
    expect(
      one(
        'Jun 30 10:00:00 rhel9 cockpit-session[4410]: pam_unix(cockpit:auth): authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=198.51.100.7  user=admin',
      ),
    ).toMatchObject({ detector: 'bruteforce', kind: 'failure', host: '198.51.100.7', user: 'admin' });
  });
});
