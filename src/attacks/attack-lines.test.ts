import { describe, expect, it } from 'vitest';
import { servicePlan, testPlan } from '../../test/helpers/plan.ts';
import { tempDir } from '../../test/helpers/cli.ts';
import { makeHost } from '../core/host.ts';
import { attackLines } from './attack-lines.ts';

const host = makeHost({ root: tempDir(), name: 'office9', now: new Date('2026-12-06T12:00:00Z'), env: {} });
const plan = testPlan(
  [servicePlan('sshd', { syslog: ['sshd'] }), servicePlan('nginx', { logs: ['/var/log/nginx/access.log'] })],
  ['/var/log/messages', '/var/log/secure'],
);
const lines = attackLines(host, plan, { openproxy: { allow: [] }, ignore: [] });
const syslog = lines.file({ path: '/var/log/secure', targets: [], shared: true });
const access = lines.file({ path: '/var/log/nginx/access.log', targets: ['nginx'], shared: false });

describe('attack lines (what the logs check leaves to the attacks check)', () => {
  it("reads sshd's guesses, their pam lines and the end of an unknown user's connection as attack lines", () => {
    for (const l of [
      'Dec  6 10:00:01 office9 sshd[3459]: Invalid user admin from 218.92.0.118 port 35500',
      'Dec  6 10:00:02 office9 sshd[3459]: Failed password for invalid user admin from 218.92.0.118 port 35500 ssh2',
      'Dec  6 10:00:03 office9 sshd[3459]: Connection closed by invalid user admin 218.92.0.118 port 35500 [preauth]',
      'Dec  6 10:00:04 office9 sshd[3460]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=218.92.0.118  user=root',
      'Dec  6 10:00:05 office9 sshd[3460]: Failed password for root from 218.92.0.118 port 35501 ssh2',
    ])
      expect(syslog(l, 'sshd'), l).toBe(true);
  });

  it("reads a firewalld LogDenied REJECT line as a scan probe's attack line", () => {
    const l =
      'Dec  6 00:04:39 office9 kernel: filter_IN_public_REJECT: IN=ens192 OUT= MAC=00:50:56:a1:2b:3c:00:1c:73:00:00:99:08:00 SRC=103.142.170.232 DST=198.51.100.9 LEN=44 TOS=0x00 PREC=0x00 TTL=188 ID=9904 PROTO=TCP SPT=35442 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0 ';
    expect(syslog(l, 'kernel')).toBe(true);
  });

  it("reads a web server's probe requests in its own log, by the families its service reads it with", () => {
    const l =
      '45.135.232.19 - - [06/Dec/2026:10:00:00 +0000] "GET /phpmyadmin/index.php HTTP/1.1" 404 153 "-" "Mozilla/5.0"';
    expect(access?.(l, null)).toBe(true);
    // The same line in a system log of no web server is nobody's probe.
    expect(syslog(`Dec  6 10:00:00 office9 myapp[12]: ${l}`, 'myapp')).toBe(false);
  });

  it('leaves lines no extractor reads as counted events: a success, ordinary failures, forged look-alikes', () => {
    for (const l of [
      'Dec  6 10:00:00 office9 sshd[900]: Accepted password for alice from 192.0.2.10 port 50000 ssh2',
      'Dec  6 10:00:00 office9 sshd[1]: error: Bind to port 22 on 0.0.0.0 failed: Address already in use.',
      'Dec  6 10:00:00 office9 systemd[1]: Failed to start httpd.service - The Apache HTTP Server.',
      'Dec  6 10:00:00 office9 sshd[77]: note: Failed password for root from 203.0.113.9 port 22 ssh2',
      'Dec  6 10:00:00 office9 alice: Failed password for root from 203.0.113.9 port 22 ssh2',
      'Dec  6 10:00:00 office9 kernel: audit: REJECT SRC=203.0.113.9 by policy (not a LOG line)',
    ])
      expect(syslog(l, null), l).toBe(false);
  });

  it("reads journal entries by their identifier and message, as the attacks check's journal reader does", () => {
    const journal = lines.journal();
    expect(journal?.('Invalid user admin from 218.92.0.118 port 35500', 'sshd-session')).toBe(true);
    expect(journal?.('Failed to start httpd.service - The Apache HTTP Server.', 'systemd')).toBe(false);
  });

  it("does not move the attacks check's joins: each answer is the line's own", () => {
    const t = lines.file({ path: '/var/log/auth.log', targets: [], shared: true });
    const close =
      'Dec  6 10:00:03 office9 sshd[5]: Connection closed by invalid user x 218.92.0.118 port 1 [preauth]';
    expect([t(close, 'sshd'), t(close, 'sshd')]).toEqual([true, true]);
  });
});

describe('attack lines of local and ignored sources (the logs check keeps them)', () => {
  const pam = (ip: string) => [
    `Dec  6 10:00:04 office9 sshd[3460]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=alice`,
    `Dec  6 10:00:05 office9 sshd[3460]: Failed password for alice from ${ip} port 35501 ssh2`,
    `Dec  6 10:00:06 office9 sshd[3461]: Invalid user bob from ${ip} port 35502`,
    `Dec  6 10:00:07 office9 sshd[3461]: Connection closed by invalid user bob ${ip} port 35502 [preauth]`,
    `Dec  6 10:00:08 office9 kernel: filter_IN_public_REJECT: IN=eth0 OUT= MAC=52:54:00:aa:bb:cc:52:54:00:11:22:33:08:00 SRC=${ip} DST=192.168.1.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1000 DF PROTO=TCP SPT=50000 DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0`,
    `Dec  6 10:00:09 office9 postfix/smtpd[77]: NOQUEUE: reject: RCPT from unknown[${ip}]: 554 5.7.1 <x@example.net>: Relay access denied; from=<a@example.com> to=<x@example.net> proto=ESMTP helo=<pc>`,
  ];

  it('leaves lines from loopback, private, CGNAT, link-local and ULA sources to the logs check', () => {
    for (const ip of [
      '127.0.0.1',
      '192.168.1.10',
      '10.1.2.3',
      '172.20.0.5',
      '100.64.1.1',
      '169.254.3.4',
      'fd00::5',
      'fe80::1',
      '::1',
      '::ffff:192.168.1.10',
    ])
      for (const l of pam(ip)) expect(syslog(l, null), l).toBe(false);
  });

  it('leaves the same lines from internet sources to the attacks check, on the fast and the RegExp path', async () => {
    const { Accountant } = await import('./account.ts');
    const slow = new Accountant({ now: new Date('2026-12-06T12:00:00Z'), fast: false });
    const judged = (h: string) => !h.startsWith('192.168.');
    for (const l of pam('203.0.113.7')) {
      expect(syslog(l, null), l).toBe(true);
      expect(slow.isAttackLine(l, judged), l).toBe(true);
    }
    for (const l of pam('192.168.1.10')) expect(slow.isAttackLine(l, judged), l).toBe(false);
  });

  it('leaves the lines of a source in checks.attacks.ignore to the logs check, which the attacks check never judges', () => {
    const ignoring = attackLines(host, plan, {
      openproxy: { allow: [] },
      ignore: ['203.0.113.7', '2001:db8::7'],
    });
    const t = ignoring.file({ path: '/var/log/secure', targets: [], shared: true });
    for (const l of pam('203.0.113.7')) expect(t(l, null), l).toBe(false);
    for (const l of pam('203.0.113.8')) expect(t(l, null), l).toBe(true);
    // Keyed as the attacks check keys it: the kernel's full IPv6 text is the same source.
    expect(t(pam('2001:0db8:0000:0000:0000:0000:0000:0007')[4] as string, null)).toBe(false);
    const journal = ignoring.journal();
    expect(journal?.('Failed password for root from 203.0.113.7 port 22 ssh2', 'sshd')).toBe(false);
    expect(journal?.('Failed password for root from 192.168.1.7 port 22 ssh2', 'sshd')).toBe(false);
    expect(journal?.('Failed password for root from 203.0.113.8 port 22 ssh2', 'sshd')).toBe(true);
  });

  it('leaves the lines of a source in an ignored CIDR to the logs check', () => {
    const ignoring = attackLines(host, plan, { openproxy: { allow: [] }, ignore: ['203.0.113.0/28'] });
    const t = ignoring.file({ path: '/var/log/secure', targets: [], shared: true });
    for (const l of pam('203.0.113.7')) expect(t(l, null), l).toBe(false);
    for (const l of pam('203.0.113.17')) expect(t(l, null), l).toBe(true);
  });
});

describe('Accountant.isAttackLine', () => {
  it("answers alike on sshd's and netfilter's fast path and on the extractors' RegExp path", async () => {
    const { Accountant } = await import('./account.ts');
    const now = new Date('2026-12-06T12:00:00Z');
    const fast = new Accountant({ now });
    const slow = new Accountant({ now, fast: false });
    for (const l of [
      'Dec  6 10:00:01 office9 sshd[3459]: Invalid user admin from 218.92.0.118 port 35500',
      'Dec  6 10:00:02 office9 sshd[3459]: Failed password for invalid user admin from 218.92.0.118 port 35500 ssh2',
      'Dec  6 10:00:03 office9 sshd[3459]: Connection closed by invalid user admin 218.92.0.118 port 35500 [preauth]',
      'Dec  6 10:00:04 office9 sshd[3460]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=218.92.0.118  user=root',
      'Dec  6 10:00:05 office9 sshd[900]: Accepted password for alice from 192.0.2.10 port 50000 ssh2',
      'Dec  6 10:00:06 office9 sshd[1]: error: Bind to port 22 on 0.0.0.0 failed: Address already in use.',
      'Dec  6 10:00:07 office9 kernel: filter_IN_public_REJECT: IN=ens192 OUT= MAC=00:50 SRC=103.142.170.232 DST=198.51.100.9 LEN=44 PROTO=TCP SPT=35442 DPT=23 SYN URGP=0 ',
      'Dec  6 10:00:08 office9 kernel: audit: REJECT SRC=203.0.113.9 by policy',
    ])
      expect(fast.isAttackLine(l), l).toBe(slow.isAttackLine(l));
  });
});
