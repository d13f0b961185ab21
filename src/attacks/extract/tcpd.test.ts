import { describe, expect, it } from 'vitest';
import { Accountant } from '../account.ts';
import { attacksConfig } from '../config.ts';
import { AttackDetectors } from '../detect.ts';

const NOW = new Date(2026, 10, 26, 12, 0, 0);

function one(line: string) {
  return new Accountant({ now: NOW }).line(line);
}

describe('tcp_wrappers refusals', () => {
  it('counts libwrap refusals under any daemon tag as refused connections of that daemon', () => {
    for (const prog of [
      'in.telnetd',
      'in.ftpd',
      'ipop3d',
      'in.fingerd',
      'in.rlogind',
      'in.rshd',
      'imapd',
      'tcpd',
    ])
      expect(one(`Nov 25 03:14:00 gauntlet ${prog}[3400]: refused connect from 198.51.100.77`)).toMatchObject(
        {
          detector: 'portscan',
          kind: 'refused',
          host: '198.51.100.77',
          service: prog,
          attempts: 1,
        },
      );
  });

  it('takes the address in parentheses, or the name, never the identd user', () => {
    expect(
      one('Nov 25 03:14:00 h in.telnetd[1]: refused connect from evil.example.net (198.51.100.7)'),
    ).toMatchObject({ host: '198.51.100.7' });
    expect(one('Nov 25 03:14:00 h in.telnetd[1]: refused connect from dialup9.example.net')).toMatchObject({
      host: 'dialup9.example.net',
    });
    // The part before `@` is what the client's identd answered: `6.6.6.6` there must not become the source.
    expect(one('Nov 25 03:14:00 h in.telnetd[1]: refused connect from 6.6.6.6@198.51.100.8')).toMatchObject({
      host: '198.51.100.8',
    });
    expect(one('Nov 25 03:14:00 h sshd[1]: refused connect from 198.51.100.9')).toMatchObject({
      host: '198.51.100.9',
      service: 'sshd',
    });
  });

  it("reads inetd's own libwrap refusals, with the service from the message", () => {
    expect(
      one('Nov 25 03:14:00 h inetd[77]: refused connection from 198.51.100.10, service telnet (tcp6)'),
    ).toMatchObject({ detector: 'portscan', host: '198.51.100.10', service: 'inetd/telnet' });
    // NetBSD: the address right after the client; an identd user's `(ADDR)` inside the client does not count.
    expect(
      one(
        'Nov 25 03:14:00 h inetd[77]: refused connection from x(6.6.6.6)@h.example(198.51.100.11), service ftp (tcp)',
      ),
    ).toMatchObject({ host: '198.51.100.11', service: 'inetd/ftp' });
  });

  it('does not count allowed connections, unknown clients or other shapes', () => {
    expect(one('Nov 25 03:14:00 h in.telnetd[1]: connect from 198.51.100.77')).toBeNull();
    expect(one('Nov 25 03:14:00 h in.telnetd[1]: refused connect from unknown')).toBeNull();
    expect(
      one('Nov 25 03:14:00 h in.telnetd[1]: refused connect from 198.51.100.77 because of rules'),
    ).toBeNull();
  });

  it('makes a port-scan finding of one source refused by seven inetd services', () => {
    const acc = new Accountant({ now: NOW });
    const det = new AttackDetectors(attacksConfig.parse({}));
    const progs = ['in.telnetd', 'in.ftpd', 'ipop3d', 'in.fingerd', 'in.rlogind', 'in.rshd', 'imapd'];
    progs.forEach((p, i) => {
      const text = `Nov 25 03:14:0${i} gauntlet ${p}[${3400 + i}]: refused connect from 198.51.100.77`;
      const event = acc.line(text);
      if (event) det.add({ event, line: i + 1, text, source: '/var/log/messages' });
    });
    const f = det.finish().findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ kind: 'attack-portscan', status: 'WARNING', host: '198.51.100.77' });
    expect(f[0]?.data).toMatchObject({ count: 7, peakTargets: 7 });
  });

  it("counts the runbook's port-scan phrases under any tag: inetd's null connections, smbd's eof received", () => {
    expect(
      one('Nov 22 23:40:03 gauntlet inetd[312]: telnet/tcp: null connection from 198.51.100.77'),
    ).toMatchObject({
      detector: 'portscan',
      kind: 'refused',
      host: '198.51.100.77',
      service: 'inetd/telnet',
      attempts: 1,
    });
    expect(
      one('Nov 22 23:40:03 gauntlet smbd[7715]: eof received from 198.51.100.77 (port 139)'),
    ).toMatchObject({
      detector: 'portscan',
      kind: 'refused',
      host: '198.51.100.77',
      service: 'smbd',
      port: 139,
    });
    expect(one('Nov 22 23:40:03 gauntlet in.fingerd[9]: null connection from 2001:db8::7')).toMatchObject({
      host: '2001:db8::7',
      service: 'in.fingerd',
    });
  });

  it('takes the null connection host only from the end of the message, never from text before it', () => {
    // A user name is the client's text: the phrase inside it does not make its address the source.
    expect(
      one('Nov 22 23:40:03 h sshd[1]: Invalid user null connection from 6.6.6.6 from 198.51.100.5 port 4242'),
    ).toMatchObject({ host: '198.51.100.5', service: 'sshd' });
    expect(one('Nov 22 23:40:03 h inetd[1]: telnet/tcp: null connection from 6.6.6.6 extra')).toBeNull();
    expect(one('Nov 22 23:40:03 h inetd[1]: note: null connection from 6.6.6.6')).toBeNull();
  });

  it('makes a port-scan finding of one source that opened and closed eight inetd services', () => {
    const acc = new Accountant({ now: NOW });
    const det = new AttackDetectors(attacksConfig.parse({}));
    ['ftp', 'telnet', 'shell', 'login', 'exec', 'finger', 'pop3', 'imap'].forEach((svc, i) => {
      const text = `Nov 22 23:40:0${i} gauntlet inetd[312]: ${svc}/tcp: null connection from 198.51.100.99`;
      const event = acc.line(text);
      if (event) det.add({ event, line: i + 1, text, source: '/var/log/syslog' });
    });
    const f = det.finish().findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ kind: 'attack-portscan', status: 'WARNING', host: '198.51.100.99' });
    expect(f[0]?.data).toMatchObject({ count: 8, peakTargets: 8 });
  });
});
