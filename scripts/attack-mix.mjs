// The generated server syslog the attack benchmark (bench/attacks.mjs) and the journal benchmark
// (bench/journal.mjs) read: see bench/attacks.mjs for the mix of lines.
import { rng } from './rng.mjs';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * `n` syslog lines (`Mmm dd hh:mm:ss srv prog[pid]: message`, or ISO stamps and sshd-session tags with
 * `today`), from `seed`; `sshdOnly`: sshd's lines only.
 */
export function generate(n, seed, sshdOnly, today) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const users = ['root', 'admin', 'test', 'oracle', 'ubuntu', 'postgres', 'git', 'user', 'pi', 'guest'];
  const ip = () =>
    `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  const attackers = Array.from({ length: 200 }, ip);
  const out = [];
  let t = Date.UTC(2024, 5, 1, 0, 0, 0);
  const sshd = (pid, a, port) => {
    const y = r() * 20;
    if (y < 5)
      return `sshd[${pid}]: Failed password for ${r() < 0.5 ? 'invalid user ' : ''}${pick(users)} from ${a} port ${port} ssh2`;
    if (y < 8) return `sshd[${pid}]: Invalid user ${pick(users)} from ${a} port ${port}`;
    if (y < 10)
      return `sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${a}  user=${pick(users)}`;
    if (y < 12.5) return `sshd[${pid}]: Connection closed by ${a} port ${port} [preauth]`;
    if (y < 13.5)
      return `sshd[${pid}]: Disconnected from invalid user ${pick(users)} ${a} port ${port} [preauth]`;
    if (y < 14) return `sshd[${pid}]: Received disconnect from ${a} port ${port}:11: Bye Bye [preauth]`;
    if (y < 15.5)
      return `sshd[${pid}]: Accepted publickey for deploy from 192.0.2.10 port ${port} ssh2: ED25519 SHA256:q8Zl0hW3`;
    if (y < 17.5)
      return `sshd[${pid}]: pam_unix(sshd:session): session ${r() < 0.5 ? 'opened' : 'closed'} for user deploy${r() < 0.5 ? '(uid=1000) by (uid=0)' : ''}`;
    if (y < 19) return `sshd[${pid}]: Disconnected from user deploy 192.0.2.10 port ${port}`;
    return `sshd[${pid}]: Received disconnect from 192.0.2.10 port ${port}:11: disconnected by user`;
  };
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 900);
    const d = new Date(t);
    const stamp = today
      ? `${d.toISOString().slice(0, 19)}.${String(i % 1000).padStart(6, '0')}+00:00` // microseconds only: same ms
      : `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
    const pid = 1000 + Math.floor(r() * 60000);
    const a = pick(attackers);
    const port = 1024 + Math.floor(r() * 60000);
    let msg;
    const x = sshdOnly ? 70 : r() * 100;
    if (x < 22) {
      const y = r();
      msg =
        y < 0.4
          ? `CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`
          : y < 0.8
            ? `CRON[${pid}]: pam_unix(cron:session): session closed for user root`
            : `CRON[${pid}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)`;
    } else if (x < 36) {
      const y = r();
      msg =
        y < 0.3
          ? `systemd[1]: Started session-${pid}.scope - Session ${pid} of User deploy.`
          : y < 0.5
            ? `systemd[1]: Starting ${pick(['apt-daily', 'logrotate', 'man-db', 'fstrim', 'sysstat-collect'])}.service...`
            : y < 0.7
              ? `systemd[1]: ${pick(['phpsessionclean', 'logrotate', 'sysstat-collect'])}.service: Deactivated successfully.`
              : y < 0.85
                ? `systemd-logind[612]: New session ${pid} of user deploy.`
                : `systemd-logind[612]: Removed session ${pid}.`;
    } else if (x < 41) {
      msg = `kernel: [${(i / 10).toFixed(6)}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=${a} DST=192.0.2.5 LEN=44 TOS=0x00 PREC=0x00 TTL=${40 + (pid % 200)} ID=${pid} PROTO=TCP SPT=${port} DPT=${pick([23, 445, 3389, 8080, 1433, 5900])} WINDOW=1024 RES=0x00 SYN URGP=0`;
    } else if (x < 44) {
      msg = `kernel: [${(i / 10).toFixed(6)}] ${pick(['eth0: renamed from veth3f1', 'EXT4-fs (vda1): re-mounted. Opts: (null)', 'audit: type=1400 apparmor="STATUS" operation="profile_replace"', 'TCP: request_sock_TCP: Possible SYN flooding on port 25. Sending cookies.'])}`;
    } else if (x < 56) {
      const y = r() * 12;
      const q = pid.toString(16).toUpperCase();
      msg =
        y < 1.2
          ? `postfix/smtpd[${pid}]: warning: unknown[${a}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`
          : y < 4
            ? `postfix/smtpd[${pid}]: connect from ${pick(['unknown', 'mail.example.net', 'mx2.example.org'])}[${a}]`
            : y < 6.5
              ? `postfix/smtpd[${pid}]: disconnect from unknown[${a}] ehlo=1 auth=0/1 quit=1 commands=2/3`
              : y < 8.5
                ? `postfix/qmgr[880]: ${q}: from=<root@srv.example.org>, size=${pid % 9000}, nrcpt=1 (queue active)`
                : y < 10
                  ? `postfix/cleanup[${pid}]: ${q}: message-id=<${pid}.${i}@srv.example.org>`
                  : `postfix/smtp[${pid}]: ${q}: to=<ops@example.com>, relay=mx.example.com[198.51.100.25]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 OK)`;
    } else if (x < 61) {
      const y = r() * 5;
      msg =
        y < 0.6
          ? `dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<${pick(users)}>, method=PLAIN, rip=${a}, lip=192.0.2.5, TLS, session=<${pid}>`
          : y < 3
            ? `dovecot: imap-login: Login: user=<alice>, method=PLAIN, rip=192.0.2.44, lip=192.0.2.5, mpid=${pid}, TLS, session=<${pid}>`
            : `dovecot: imap(alice)<${pid}><${pid}>: Disconnected: Logged out in=${pid % 500} out=${pid % 7000}`;
    } else if (x < 81) msg = sshd(pid, a, port);
    else if (x < 85) {
      msg =
        r() < 0.5
          ? `sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/apt-get update`
          : `sudo: pam_unix(sudo:session): session ${r() < 0.5 ? 'opened for user root(uid=0) by deploy(uid=1000)' : 'closed for user root'}`;
    } else {
      msg = pick([
        `rsyslogd: [origin software="rsyslogd" swVersion="8.2302.0" x-pid="${pid}"] rsyslogd was HUPed`,
        `chronyd[590]: Selected source 162.159.200.${pid % 250} (2.debian.pool.ntp.org)`,
        `dhclient[640]: DHCPREQUEST for 192.0.2.5 on eth0 to 192.0.2.1 port 67`,
        `dhclient[640]: DHCPACK of 192.0.2.5 from 192.0.2.1`,
        `snapd[701]: storehelpers.go:773: cannot refresh: snap has no updates available: "core20", "lxd"`,
        `named[812]: client @0x7f${pid.toString(16)} ${a}#${port} (example.org): query (cache) 'example.org/A/IN' denied`,
        `dbus-daemon[598]: [system] Successfully activated service 'org.freedesktop.timedate1'`,
        `systemd-resolved[480]: Using degraded feature set UDP instead of UDP+EDNS0 for DNS server 192.0.2.1.`,
      ]);
    }
    out.push(`${stamp} srv ${today ? msg.replace(/^sshd\[/, 'sshd-session[') : msg}`);
  }
  return `${out.join('\n')}\n`;
}
