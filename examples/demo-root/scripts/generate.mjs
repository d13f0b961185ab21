#!/usr/bin/env node
// Regenerates the demo server tree's generated parts from one deterministic timeline:
// var/log/syslog, var/log/messages, the web/proxy/samba logs, var/log/wtmp + wtmp.1 (binary, built with
// util-linux `utmpdump -r`), var/log/btmp, the mgetty logs, and the proc/ tree.
// Usage: node examples/demo-root/scripts/generate.mjs   (needs util-linux's utmpdump, as on Debian)
// The story (November 2026 on "gauntlet", the runbook's host): normal office traffic, sendmail's SYSERR
// errors, a dictionary attack on sshd from 203.0.113.45 that ends in a successful login, CGI probes against
// the web server (one answered 200), a port scan, a modem with a DSR-off episode, a zeroed wtmp record, and
// a backdoor process running from /tmp with a listener.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../../../scripts/rng.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const YEAR = 2026;
const MONTH = 10; // November (0-based)
const TZ_OFFSET = '+0900';

const rand = rng(19981121);
const pick = (arr) => arr[Math.floor(rand() * arr.length)];
const between = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

// Times are UTC in the files (TZ=UTC on the demo host) except the Apache log, which carries +0900 like the runbook's.
const T = (day, h, m, s = 0) => Date.UTC(YEAR, MONTH, day, h, m, s);
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n) => String(n).padStart(2, '0');
function syslogTime(ms) {
  const d = new Date(ms);
  return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}
function clfTime(ms) {
  const d = new Date(ms + 9 * 3600_000);
  return `${p2(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${TZ_OFFSET}`;
}
function sambaTime(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}
function isoUtmp(ms) {
  const d = new Date(ms);
  return `${d.toISOString().slice(0, 19)},000000+00:00`;
}

// ---- people and machines -------------------------------------------------------------------------------
const HOST = 'gauntlet';
const OFFICE = [
  { user: 'joe', host: 'pc23.lo.ash.or.jp', ip: '10.0.1.23' },
  { user: 'hasimoto', host: 'pc22.lo.ash.or.jp', ip: '10.0.1.22' },
  { user: 'kato', host: 'pc24.lo.ash.or.jp', ip: '10.0.1.24' },
];
const ATTACKER = { ip: '203.0.113.45' };
const PROBER = { ip: '198.51.100.23' };
const SCANNER = { ip: '198.51.100.77' };

const syslog = []; // [ms, line]
const messages = [];
const wtmp = []; // {ms, type, pid, line, id, user, host, ip}
const btmp = [];
const access = [];
const smb = [];
const nmb = [];
const delegate = [];
let pid = 3000;
const nextPid = () => (pid += between(3, 40));
const log = (ms, prog, text, target = syslog) =>
  target.push([ms, `${syslogTime(ms)} ${HOST} ${prog}: ${text}`]);

// ---- boots (wtmp.1 holds October's end and the first boot; wtmp the rest) --------------------------------
const boots = [Date.UTC(YEAR, 9, 27, 8, 0, 0), T(3, 7, 58), T(17, 6, 30)];
for (const b of boots) {
  wtmp.push({
    ms: b,
    type: 2,
    pid: 0,
    line: '~',
    id: '~~',
    user: 'reboot',
    host: '5.10.0-demo',
    ip: '0.0.0.0',
  });
  wtmp.push({
    ms: b + 20_000,
    type: 1,
    pid: 20019,
    line: '~',
    id: '~~',
    user: 'runlevel',
    host: '5.10.0-demo',
    ip: '0.0.0.0',
  });
  log(b + 1000, 'kernel', 'Linux version 5.10.0-demo (root@gauntlet) #1 SMP');
  log(b + 5000, 'sendmail[87]', 'starting daemon (8.9.3): SMTP+queueing@00:15:00');
}
// Orderly shutdown before the second reboot; the third boot follows a crash (no shutdown record).
wtmp.push({
  ms: T(3, 7, 55),
  type: 8,
  pid: 0,
  line: '~',
  id: '~~',
  user: 'shutdown',
  host: '5.10.0-demo',
  ip: '0.0.0.0',
});
log(T(17, 6, 29, 50), 'kernel', 'hda: dma_intr: status=0x51 { DriveReady SeekComplete Error }');
log(T(17, 6, 29, 51), 'kernel', 'end_request: I/O error, dev 03:01 (hda), sector 123456');

// ---- office logins over ssh, with matching sshd lines ----------------------------------------------------
// Sessions are collected first and given the lowest free pts in time order, as the kernel would.
const sessions = [];
function sshSession(who, start, minutes, { accepted = 'password', from = who } = {}) {
  const pid = nextPid();
  sessions.push({ who, start, minutes, accepted, from, pid });
  return pid;
}
function emitSessions() {
  const busyUntil = [];
  for (const s of sessions.sort((a, b) => a.start - b.start)) {
    let n = busyUntil.findIndex((t) => t <= s.start);
    if (n < 0) n = busyUntil.length;
    busyUntil[n] = s.minutes === null ? Number.POSITIVE_INFINITY : s.start + s.minutes * 60_000;
    const line = `pts/${n}`;
    const id = `ts/${n}`;
    const p = s.pid;
    log(
      s.start - 1000,
      `sshd[${p}]`,
      `Accepted ${s.accepted} for ${s.who.user} from ${s.from.ip} port ${between(40000, 60000)} ssh2`,
    );
    log(s.start, `sshd[${p}]`, `pam_unix(sshd:session): session opened for user ${s.who.user} by (uid=0)`);
    wtmp.push({
      ms: s.start,
      type: 7,
      pid: p,
      line,
      id,
      user: s.who.user,
      host: s.from.host ?? s.from.ip,
      ip: s.from.ip,
    });
    if (s.minutes !== null) {
      const end = s.start + s.minutes * 60_000;
      wtmp.push({ ms: end, type: 8, pid: p, line, id, user: '', host: '', ip: '0.0.0.0' });
      log(end, `sshd[${p}]`, `pam_unix(sshd:session): session closed for user ${s.who.user}`);
    }
  }
}
for (let day = 1; day <= 25; day++) {
  const weekday = new Date(Date.UTC(YEAR, MONTH, day)).getUTCDay();
  if (weekday === 0 || weekday === 6) continue;
  for (const who of OFFICE) {
    if (rand() < 0.25) continue;
    sshSession(who, T(day, between(0, 2) + 0, between(0, 59)), between(20, 240));
  }
}
// joe once logs in from a host he never used before (a login audit finding).
sshSession(OFFICE[0], T(21, 13, 12), 35, { from: { host: 'cafe-wifi.example.net', ip: '192.0.2.80' } });
// root on the console once (local: fine).
wtmp.push({
  ms: T(10, 2, 0),
  type: 7,
  pid: 1201,
  line: 'tty1',
  id: '1',
  user: 'root',
  host: '',
  ip: '0.0.0.0',
});
wtmp.push({ ms: T(10, 2, 14), type: 8, pid: 1201, line: 'tty1', id: '1', user: '', host: '', ip: '0.0.0.0' });
log(T(10, 2, 0), 'login[1201]', "ROOT LOGIN  on `tty1'");

// ---- the dictionary attack on sshd, ending in a successful login -------------------------------------------
{
  const start = T(24, 3, 10);
  const users = [
    'admin',
    'test',
    'oracle',
    'guest',
    'joe',
    'www',
    'postgres',
    'ftpuser',
    '1.2.3.4',
    'ubuntu',
  ];
  for (let i = 0; i < 48; i++) {
    const ms = start + i * 3500;
    const p = 9100 + i;
    const u = users[i % users.length];
    const valid = u === 'joe';
    if (!valid) log(ms, `sshd[${p}]`, `Invalid user ${u} from ${ATTACKER.ip} port ${40000 + i}`);
    log(
      ms + 800,
      `sshd[${p}]`,
      `Failed password for ${valid ? '' : 'invalid user '}${u} from ${ATTACKER.ip} port ${40000 + i} ssh2`,
    );
    btmp.push({
      ms: ms + 800,
      type: 6,
      pid: p,
      line: 'ssh:notty',
      id: '',
      user: u,
      host: ATTACKER.ip,
      ip: ATTACKER.ip,
    });
    if (i % 12 === 11) {
      log(
        ms + 900,
        `sshd[${p}]`,
        `error: maximum authentication attempts exceeded for invalid user ${u} from ${ATTACKER.ip} port ${40000 + i} ssh2 [preauth]`,
      );
    }
  }
  log(
    start + 49 * 3500,
    'sshd[9160]',
    `PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ATTACKER.ip}  user=joe`,
  );
  // ... and then joe's password works from the attacker's address.
  sshSession(OFFICE[0], start + 50 * 3500, 9, { from: { host: ATTACKER.ip, ip: ATTACKER.ip } });
}

// kato is still logged in now: his login shell (the record's pid) is in proc/, with his loginuid, so that
// `last --root` (util-linux's is_phantom on the tree) says "still logged in", not "gone - no logout".
const katoShell = sshSession(OFFICE[2], T(25, 23, 5), null);
emitSessions();

// ---- a port scan: null connections, probes on several services ---------------------------------------------
{
  const s = T(22, 23, 40);
  log(s, 'sshd[7711]', `Did not receive identification string from ${SCANNER.ip} port 51234`);
  log(
    s + 2000,
    'sendmail[7712]',
    `NOQUEUE: [${SCANNER.ip}] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA`,
  );
  log(s + 3000, 'ftpd[7713]', `FTP session closed`);
  log(s + 3100, 'inetd[312]', `telnet/tcp: null connection from ${SCANNER.ip}`);
  log(s + 3200, 'sshd[7714]', `Connection closed by ${SCANNER.ip} port 51240 [preauth]`);
  log(s + 3300, 'smbd[7715]', `eof received from ${SCANNER.ip} (port 139)`);
  log(
    s + 4000,
    'kernel',
    `IN=eth0 OUT= MAC= SRC=${SCANNER.ip} DST=10.0.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=54321 PROTO=TCP SPT=51250 DPT=111 WINDOW=1024 RES=0x00 SYN URGP=0`,
  );
  log(
    s + 4100,
    'kernel',
    `IN=eth0 OUT= MAC= SRC=${SCANNER.ip} DST=10.0.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=54322 PROTO=TCP SPT=51251 DPT=3306 WINDOW=1024 RES=0x00 SYN URGP=0`,
  );
}

// ---- sendmail: everyday mail, the runbook's SYSERR, relaying denied -----------------------------------------
const qid = (ms) =>
  `${'NOPQRSTUVWXYZ'[new Date(ms).getUTCHours() % 13]}AA${String(nextPid()).padStart(5, '0')}`;
for (let day = 1; day <= 25; day++) {
  for (let i = 0; i < between(3, 8); i++) {
    const ms = T(day, between(0, 9), between(0, 59), between(0, 59));
    const id = qid(ms);
    const from = pick(OFFICE);
    const to = pick(OFFICE.filter((o) => o !== from));
    log(
      ms,
      'sendmail[' + pid + ']',
      `${id}: from=<${from.user}@ash.or.jp>, size=${between(400, 9000)}, class=0, pri=30${between(100, 999)}, nrcpts=1, msgid=<${ms}.${id}@${from.host}>, proto=SMTP, relay=${from.host} [${from.ip}]`,
    );
    log(
      ms + 2000,
      'sendmail[' + nextPid() + ']',
      `${id}: to=<${to.user}@ash.or.jp>, ctladdr=<${from.user}@ash.or.jp>, delay=00:00:02, xdelay=00:00:00, mailer=local, stat=Sent`,
    );
  }
}
for (const [day, h, m, s] of [
  [19, 14, 1, 33],
  [19, 14, 3, 52],
  [19, 14, 37, 6],
  [19, 15, 38, 36],
  [24, 16, 6, 4],
]) {
  const ms = T(day, h, m, s);
  log(ms, `sendmail[${nextPid()}]`, `${qid(ms)}: SYSERR(root): mailer prog died with signal 213`);
}
log(T(6, 23, 15, 30), 'sendmail[87]', 'NOQUEUE: SYSERR(root): getrequests: accept: No route to host');
log(T(20, 1, 23, 57), 'sendmail[87]', 'NOQUEUE: SYSERR(root): getrequests: accept: Connection reset by peer');
log(
  T(23, 4, 2, 11),
  `sendmail[${nextPid()}]`,
  `PAA${nextPid()}: ruleset=check_rcpt, arg1=<victim@example.com>, relay=[${PROBER.ip}], reject=550 5.7.1 <victim@example.com>... Relaying denied`,
);

// ---- wu-ftpd from inetd ------------------------------------------------------------------------------------
for (let day = 2; day <= 25; day += 3) {
  const who = pick(OFFICE);
  const ms = T(day, between(1, 8), between(0, 59));
  const p = nextPid();
  log(ms, `ftpd[${p}]`, `FTP LOGIN FROM ${who.host} [${who.ip}], ${who.user}`);
  log(ms + between(30, 600) * 1000, `ftpd[${p}]`, 'FTP session closed');
}
log(
  T(12, 5, 1),
  `ftpd[${nextPid()}]`,
  `FTP LOGIN REFUSED (username in /etc/ftpusers) FROM ${PROBER.ip} [${PROBER.ip}], root`,
);
for (let i = 0; i < 4; i++)
  log(T(12, 5, 2 + i), `ftpd[${nextPid()}]`, `failed login from ${PROBER.ip} [${PROBER.ip}]`);
log(T(12, 5, 7), `ftpd[${nextPid()}]`, `ANONYMOUS FTP LOGIN FROM ${PROBER.ip} [${PROBER.ip}], mozilla@`);

// ---- cron and a password change (benign "passwd" keyword hit) ------------------------------------------------
for (let day = 1; day <= 25; day++) {
  for (const h of [0, 6, 12, 18])
    log(T(day, h, 17), `CRON[${nextPid()}]`, '(root) CMD (   cd / && run-parts --report /etc/cron.hourly)');
}
log(T(9, 1, 30), `passwd[${nextPid()}]`, 'pam_unix(passwd:chauthtok): password changed for hasimoto');

// ---- dial-up (mgetty) lines and their wtmp logins: examples/demo-root/scripts/demo-dialup.mjs --------------
const mgettyLogs = {};
let mgettyMtime;
const dialupPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo-dialup.mjs');
if (existsSync(dialupPath)) {
  const { demoDialup } = await import(dialupPath);
  const d = demoDialup({ year: YEAR, month: MONTH + 1, boots });
  Object.assign(mgettyLogs, d.mgettyLogs);
  mgettyMtime = d.logMtime;
  for (const r of d.wtmpRecords) {
    wtmp.push({
      ms: typeof r.time === 'number' ? r.time : Date.parse(r.time),
      type: r.type,
      pid: r.pid,
      line: r.line,
      id: r.id ?? r.line.slice(-2),
      user: r.user ?? '',
      host: r.host ?? '',
      ip: '0.0.0.0',
    });
  }
}

// ---- messages: the RHEL-style second syslog file (kernel and daemon chatter) ----------------------------------
for (let day = 1; day <= 25; day++) {
  log(T(day, 4, 2), 'syslogd 1.3-3', 'restart', messages);
  if (day % 5 === 0)
    log(
      T(day, 4, 3),
      'kernel',
      'eth0: Setting full-duplex based on MII#1 link partner capability of 45e1.',
      messages,
    );
}
log(
  T(14, 11, 20),
  'named[412]',
  "client 198.51.100.77#53102: query (cache) 'version.bind/TXT/CH' denied",
  messages,
);
log(T(15, 2, 2), 'kernel', 'VFS: file-max limit 4096 reached', messages);

// ---- Apache access log (runbook path), with CGI probes --------------------------------------------------------
const PAGES = [
  '/',
  '/index.html',
  '/~joe/',
  '/~joe/travel/travel.htm',
  '/~hasimoto/diary.html',
  '/img/logo.gif',
  '/staff/schedule.html',
];
for (let day = 1; day <= 25; day++) {
  for (let i = 0; i < between(8, 20); i++) {
    const who = pick(OFFICE);
    const page = pick(PAGES);
    const status = page === '/~joe/travel/travel.htm' ? 404 : 200;
    const ms = T(day, between(0, 10), between(0, 59), between(0, 59));
    access.push([
      ms,
      `${who.ip} - - [${clfTime(ms)}] "GET ${page} HTTP/1.0" ${status} ${status === 404 ? 280 : between(300, 20000)} "-" "Mozilla/4.0 (compatible; MSIE 4.01; Windows 98)"`,
    ]);
  }
}
{
  const s = T(23, 2, 14);
  const probes = [
    ['/cgi-bin/phf?Qalias=x%0a/bin/cat%20/etc/passwd', 404, 'Mozilla/4.0'],
    ['/cgi-bin/test-cgi?*', 200, 'Mozilla/4.0'],
    ['/cgi-bin/php', 404, 'Mozilla/4.0'],
    ['/cgi-bin/php.cgi?/etc/passwd', 404, 'Mozilla/4.0'],
    ['/scripts/..%255c../winnt/system32/cmd.exe?/c+dir', 404, 'Mozilla/4.0'],
    ['/wp-login.php', 404, 'Mozilla/5.0'],
    ['/.env', 404, 'Mozilla/5.0'],
    ['/.git/config', 404, 'Mozilla/5.0'],
    ['/cgi-bin/status', 404, '() { :; }; /bin/bash -c "cat /etc/passwd"'],
  ];
  probes.forEach(([p, st, ua], i) => {
    const ms = s + i * 4000;
    access.push([
      ms,
      `${PROBER.ip} - - [${clfTime(ms)}] "GET ${p} HTTP/1.0" ${st} ${st === 200 ? 1432 : 280} "-" "${ua}"`,
    ]);
  });
  access.push([
    T(21, 6, 3, 9),
    `10.0.1.254 - - [${clfTime(T(21, 6, 3, 9))}] "GET /~joe/crack/navy_m1.txt HTTP/1.0" 200 2749 "-" "Mozilla/4.0"`,
  ]);
  access.push([
    T(21, 6, 5, 18),
    `10.0.1.254 - - [${clfTime(T(21, 6, 5, 18))}] "GET /~joe/hack/hack.htm HTTP/1.0" 200 4201 "-" "Mozilla/4.0"`,
  ]);
}

// ---- DeleGate proxy log (Common Log Format with absolute URLs) -----------------------------------------------
for (let day = 1; day <= 25; day++) {
  for (let i = 0; i < between(2, 6); i++) {
    const who = pick(OFFICE);
    const ms = T(day, between(0, 9), between(0, 59));
    const url = pick([
      'http://www.example.com/',
      'http://www.example.org/news/',
      'http://ftp.example.net/pub/',
    ]);
    const st = rand() < 0.1 ? 504 : 200;
    delegate.push([
      ms,
      `${who.ip} - - [${clfTime(ms)}] "GET ${url} HTTP/1.0" ${st} ${st === 504 ? 0 : between(500, 40000)}`,
    ]);
  }
}
delegate.push([
  T(18, 3, 3),
  `${PROBER.ip} - - [${clfTime(T(18, 3, 3))}] "CONNECT mail.example.com:25 HTTP/1.0" 403 0`,
]);
// An outsider found the proxy relaying for anyone (an open proxy): an address-checking page, a tunnel to a
// mail server, a login page elsewhere.
const RELAYER = { ip: '203.0.113.77' };
for (const [s, req, st, size] of [
  [7, 'GET http://azenv.net/ HTTP/1.1', 200, 1712],
  [9, 'CONNECT smtp.example.org:25 HTTP/1.0', 200, 0],
  [12, 'GET http://www.example.com/login.php HTTP/1.1', 200, 5230],
])
  delegate.push([
    T(24, 14, 41, s),
    `${RELAYER.ip} - - [${clfTime(T(24, 14, 41, s))}] "${req}" ${st} ${size}`,
  ]);

// ---- Samba (the runbook's /usr/local/samba/var/log.smb and log.nmb) -------------------------------------------
for (let day = 1; day <= 25; day += 2) {
  const who = pick(OFFICE);
  const ms = T(day, between(0, 8), between(0, 59));
  smb.push([
    ms,
    `[${sambaTime(ms)}, 1] smbd/service.c:make_connection(550)\n  ${who.host.split('.')[0]} (${who.ip}) connect to service ${who.user} as user ${who.user} (uid=${500 + OFFICE.indexOf(who)}, gid=100) (pid ${nextPid()})`,
  ]);
}
smb.push([
  T(11, 7, 30),
  `[${sambaTime(T(11, 7, 30))}, 0] lib/util_sock.c:read_data(436)\n  read_data: read failure for 4. Error = Connection reset by peer`,
]);
smb.push([
  T(22, 23, 40, 4),
  `[${sambaTime(T(22, 23, 40, 4))}, 0] smbd/process.c:process_smb(615)\n  Denied connection from ${SCANNER.ip} (${SCANNER.ip})`,
]);
smb.push([
  T(16, 9, 12),
  `[${sambaTime(T(16, 9, 12))}, 0] smbd/password.c:pass_check_smb(500)\n  pass_check_smb: Authentication failed for user kato`,
]);
for (const day of [3, 17]) {
  const ms = T(day, 8, 1);
  nmb.push([
    ms,
    `[${sambaTime(ms)}, 0] nmbd/nmbd.c:main(800)\n  Netbios nameserver version 2.0.3 started.\n  Copyright Andrew Tridgell 1994-1998`,
  ]);
  nmb.push([
    ms + 300_000,
    `[${sambaTime(ms + 300_000)}, 0] nmbd/nmbd_become_lmb.c:become_local_master_stage2(396)\n  *****\n  \n  Samba name server GAUNTLET is now a local master browser for workgroup ASH on subnet 10.0.1.1\n  \n  *****`,
  ]);
}

// ---- write text logs ------
// Syslog and mgetty lines carry no year: readers infer it from the file's mtime. Git does not keep mtimes,
// so every generated log's mtime is recorded in scripts/mtimes.json and `npm ci` (scripts/build.mjs)
// restores them; a fresh clone then reads "Nov 24" as 2026, matching wtmp, in any later year.
const mtimes = {};
function writeLog(rel, entries, mtimeMs) {
  const file = path.join(ROOT, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  writeFileSync(file, sorted.map(([, l]) => `${l}\n`).join(''));
  const t = new Date(mtimeMs ?? sorted.at(-1)?.[0] ?? Date.now());
  utimesSync(file, t, t);
  mtimes[rel] = t.toISOString();
}
writeLog('var/log/syslog', syslog);
writeLog('var/log/messages', messages);
writeLog('usr/local/var/apache/log/access.log', access);
writeLog('usr/local/etc/delegate/log/8080.http', delegate);
writeLog('usr/local/samba/var/log.smb', smb);
writeLog('usr/local/samba/var/log.nmb', nmb);
for (const [host, text] of Object.entries(mgettyLogs)) {
  const rel = host.replace(/^\//, '');
  const file = path.join(ROOT, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  const t = new Date(mgettyMtime ?? T(25, 23, 59));
  utimesSync(file, t, t);
  mtimes[rel] = t.toISOString();
}

// ---- binary wtmp / btmp via utmpdump -r -------------------------------------------------------------------------
function dumpLine(r) {
  const pad = (s, n) => s.padEnd(n, ' ');
  return `[${r.type}] [${String(r.pid).padStart(5, '0')}] [${pad(r.id, 4)}] [${pad(r.user, 8)}] [${pad(r.line, 12)}] [${pad(r.host, 20)}] [${pad(r.ip, 15)}] [${isoUtmp(r.ms)}]\n`;
}
function encode(records) {
  if (!records.length) return Buffer.alloc(0);
  return execFileSync('utmpdump', ['-r'], {
    input: records.map(dumpLine).join(''),
    env: { ...process.env, TZ: 'UTC', LANG: 'C' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
}
wtmp.sort((a, b) => a.ms - b.ms);
const cut = T(8, 0, 0);
const older = wtmp.filter((r) => r.ms < cut);
const newer = wtmp.filter((r) => r.ms >= cut);
mkdirSync(path.join(ROOT, 'var/log'), { recursive: true });
writeFileSync(path.join(ROOT, 'var/log/wtmp.1'), encode(older));
// One zeroed record in the current wtmp, between two days of logins: what a log cleaner leaves behind
// (chkwtmp's test). Everything before and after it is intact.
const zeroAt = newer.findIndex((r) => r.ms >= T(24, 0, 0));
writeFileSync(
  path.join(ROOT, 'var/log/wtmp'),
  Buffer.concat([encode(newer.slice(0, zeroAt)), Buffer.alloc(384), encode(newer.slice(zeroAt))]),
);
writeFileSync(path.join(ROOT, 'var/log/btmp'), encode(btmp.sort((a, b) => a.ms - b.ms)));

// ---- the proc/ tree -------------------------------------------------------------------------------------------
const USERS = { root: 0, daemon: 1, nobody: 65534, joe: 500, kato: 502 };
// /proc/PID/loginuid: the user whose login a process belongs to (pam_loginuid); daemons have none (-1).
const NO_LOGINUID = 4294967295;
const BTIME = boots.at(-1) / 1000;
const procs = [
  { pid: 1, comm: 'init', cmd: ['init [3]'], user: 'root', ppid: 0, exe: '/sbin/init' },
  { pid: 212, comm: 'syslogd', cmd: ['/sbin/syslogd'], user: 'root', ppid: 1, exe: '/sbin/syslogd' },
  { pid: 215, comm: 'klogd', cmd: ['/sbin/klogd'], user: 'root', ppid: 1, exe: '/sbin/klogd' },
  {
    pid: 312,
    comm: 'inetd',
    cmd: ['/usr/sbin/inetd'],
    user: 'root',
    ppid: 1,
    exe: '/usr/sbin/inetd',
    listen: [21, 23],
  },
  { pid: 330, comm: 'cron', cmd: ['/usr/sbin/cron'], user: 'root', ppid: 1, exe: '/usr/sbin/cron' },
  {
    pid: 87,
    comm: 'sendmail',
    cmd: ['sendmail: accepting connections on port 25'],
    user: 'root',
    ppid: 1,
    exe: '/usr/sbin/sendmail',
    listen: [25],
  },
  {
    pid: 401,
    comm: 'sshd',
    cmd: ['/usr/sbin/sshd'],
    user: 'root',
    ppid: 1,
    exe: '/usr/sbin/sshd',
    listen: [22],
  },
  {
    pid: 420,
    comm: 'httpd',
    cmd: ['/usr/local/apache/bin/httpd'],
    user: 'root',
    ppid: 1,
    exe: '/usr/local/apache/bin/httpd',
    listen: [80],
  },
  ...[421, 422, 423, 424].map((p) => ({
    pid: p,
    comm: 'httpd',
    cmd: ['/usr/local/apache/bin/httpd'],
    user: 'nobody',
    ppid: 420,
    exe: '/usr/local/apache/bin/httpd',
  })),
  {
    pid: 440,
    comm: 'delegated',
    cmd: ['/usr/local/sbin/delegated', '-P8080', 'SERVER=http'],
    user: 'nobody',
    ppid: 1,
    exe: '/usr/local/sbin/delegated',
    listen: [8080],
  },
  {
    pid: 460,
    comm: 'smbd',
    cmd: ['/usr/local/samba/bin/smbd', '-D'],
    user: 'root',
    ppid: 1,
    exe: '/usr/local/samba/bin/smbd',
    listen: [139],
  },
  {
    pid: 461,
    comm: 'nmbd',
    cmd: ['/usr/local/samba/bin/nmbd', '-D'],
    user: 'root',
    ppid: 1,
    exe: '/usr/local/samba/bin/nmbd',
  },
  {
    pid: 480,
    comm: 'mgetty',
    cmd: ['/sbin/mgetty', '-s', '115200', 'ttyS0'],
    user: 'root',
    ppid: 1,
    exe: '/sbin/mgetty',
  },
  { pid: 1501, comm: 'bash', cmd: ['-bash'], user: 'joe', ppid: 401, exe: '/bin/bash', login: 'joe' },
  { pid: katoShell, comm: 'bash', cmd: ['-bash'], user: 'kato', ppid: 401, exe: '/bin/bash', login: 'kato' },
  // The intruder's leftovers: an IRC bouncer from /tmp listening on 31337, its binary deleted.
  {
    pid: 6667,
    comm: 'bnc',
    cmd: ['./bnc', '-d'],
    user: 'joe',
    login: 'joe',
    ppid: 1,
    exe: '/tmp/.x/bnc (deleted)',
    cwd: '/tmp/.x',
    listen: [31337],
  },
];
const procDir = path.join(ROOT, 'proc');
rmSync(procDir, { recursive: true, force: true });
mkdirSync(path.join(procDir, 'net'), { recursive: true });
writeFileSync(
  path.join(procDir, 'stat'),
  `cpu  1000 0 500 100000 0 0 0 0 0 0\nbtime ${BTIME}\nprocesses 9000\nprocs_running 1\nprocs_blocked 0\n`,
);
writeFileSync(path.join(procDir, 'uptime'), '760000.00 1500000.00\n');
let inode = 20000;
const tcp = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
];
for (const p of procs) {
  const dir = path.join(procDir, String(p.pid));
  mkdirSync(path.join(dir, 'fd'), { recursive: true });
  const uid = USERS[p.user];
  writeFileSync(path.join(dir, 'comm'), `${p.comm}\n`);
  writeFileSync(path.join(dir, 'cmdline'), `${p.cmd.join('\0')}\0`);
  const start = 100 + p.pid; // clock ticks after boot
  const rssPages = 200 + (p.pid % 300);
  writeFileSync(
    path.join(dir, 'stat'),
    `${p.pid} (${p.comm}) S ${p.ppid} ${p.pid} ${p.pid} 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 ${start} ${rssPages * 4096 * 3} ${rssPages} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`,
  );
  writeFileSync(
    path.join(dir, 'status'),
    `Name:\t${p.comm}\nState:\tS (sleeping)\nTgid:\t${p.pid}\nPid:\t${p.pid}\nPPid:\t${p.ppid}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t${uid}\t${uid}\t${uid}\t${uid}\nVmRSS:\t${rssPages * 4} kB\n`,
  );
  writeFileSync(path.join(dir, 'loginuid'), `${p.login === undefined ? NO_LOGINUID : USERS[p.login]}`);
  symlinkSync(p.exe, path.join(dir, 'exe'));
  symlinkSync(p.cwd ?? '/', path.join(dir, 'cwd'));
  symlinkSync('/dev/null', path.join(dir, 'fd', '0'));
  let fd = 3;
  for (const port of p.listen ?? []) {
    inode++;
    symlinkSync(`socket:[${inode}]`, path.join(dir, 'fd', String(fd++)));
    tcp.push(
      `   ${tcp.length - 1}: 00000000:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     ${uid}        0 ${inode} 1 0000000000000000 100 0 0 10 0`,
    );
  }
}
writeFileSync(path.join(procDir, 'net', 'tcp'), `${tcp.join('\n')}\n`);
writeFileSync(path.join(procDir, 'net', 'tcp6'), `${tcp[0]}\n`);
writeFileSync(path.join(procDir, 'net', 'udp'), `${tcp[0]}\n`);
writeFileSync(path.join(procDir, 'net', 'udp6'), `${tcp[0]}\n`);

writeFileSync(path.join(ROOT, 'scripts', 'mtimes.json'), `${JSON.stringify(mtimes, null, 2)}\n`);

console.log(
  `demo tree regenerated under ${ROOT}: ${syslog.length} syslog lines, ${wtmp.length} wtmp records, ${procs.length} processes`,
);
