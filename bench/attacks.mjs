// Benchmark: tenken's attack accounting vs `fail2ban-regex LOG sshd`, lines per second on the same generated
// logs, in the same run. Usage: [BENCH_ROUNDS=N] node bench/attacks.mjs [lines] (default 200000 per file, 1 round).
//
// Three files, all printed, so nothing is hidden:
// - `mixed`: a realistic server syslog (RFC 3164, one host, times ascending). Most lines of a real syslog are
//   not authentication failures. Per 100 lines: CRON 22 (session opened/closed, CMD), systemd 14 (units,
//   sessions, logind), kernel 8 (5 firewall `[UFW BLOCK]` LOG lines, 3 others), postfix 12 (connect,
//   disconnect, qmgr, cleanup, delivery; 1.2 SASL authentication failures), dovecot 5 (logins, disconnects;
//   0.6 auth failures), sshd 20 (14 attack lines: Failed password, Invalid user, pam_unix authentication
//   failure, Connection closed/Disconnected [preauth], Received disconnect; 6 normal: Accepted publickey,
//   session opened/closed, Disconnected from user), sudo 4, other daemons 15 (rsyslogd, chronyd, dhclient,
//   snapd, named, dbus, systemd-resolved). About 16% of the lines are failures some detector counts.
// - `sshd-only`: sshd lines only, 70% of them attack lines: the worst case for tenken (almost every line is
//   split and extracted), the best for fail2ban (every line is one its filter is written for).
// - `mixed-today`: the `mixed` lines as today's systems write them: ISO stamps with microseconds and offset
//   (rsyslog's own default file format) and `sshd-session[pid]` tags (OpenSSH 9.8+). tenken alone (fail2ban
//   1.0's sshd filter does not read sshd-session), checked to count exactly what it counts on `mixed`.
//
// tenken is timed in-process through the same function the `attacks` check uses for a file (src/logs's
// reader: open, chunked read, needle prefilter, then split, extract, join, detect), best of 5. fail2ban-regex
// runs as a command; its start-up time (measured on a one-line file) is subtracted, in its favour.
// fail2ban-regex is optional: without it the comparison is skipped with a notice.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { rng } from '../scripts/rng.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lines = Number(process.argv[2] ?? 200_000);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenken-bench-attacks-'));

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function generate(n, seed, sshdOnly, today) {
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

// tenken: bundle the accounting (TypeScript sources) once, then time it on each file.
const entry = path.join(tmp, 'entry.ts');
writeFileSync(
  entry,
  `export { accountLog } from ${JSON.stringify(path.join(repo, 'src/attacks/read.ts'))};\n` +
    `export { AttackDetectors } from ${JSON.stringify(path.join(repo, 'src/attacks/detect.ts'))};\n` +
    `export { attacksConfig } from ${JSON.stringify(path.join(repo, 'src/attacks/config.ts'))};\n` +
    `export { makeZone } from ${JSON.stringify(path.join(repo, 'src/core/tz.ts'))};\n`,
);
const bundle = path.join(tmp, 'attacks.mjs');
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  logLevel: 'error',
});
const { accountLog, AttackDetectors, attacksConfig, makeZone } = await import(pathToFileURL(bundle).href);
const NOW = new Date(Date.UTC(2024, 11, 31));

async function tenkenOnce(file) {
  const det = new AttackDetectors(attacksConfig.parse({}));
  let counted = 0;
  const t0 = process.hrtime.bigint();
  await accountLog(file, {
    mode: { kind: 'whole' },
    now: NOW,
    zone: makeZone('UTC'),
    hints: [],
    display: (p) => p,
    consumeTrailing: true,
    onEvent: (e) => {
      if (e.event.attempts > 0) counted++;
      det.add(e);
    },
  });
  const report = det.finish();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { secs, counted, findings: report.findings.length };
}

// TENKEN_ONLY=1 times tenken alone (for profiling: node --cpu-prof bench/attacks.mjs).
const which = spawnSync('sh', ['-c', 'command -v fail2ban-regex'], { encoding: 'utf8' });
const haveF2b = which.status === 0 && !process.env.TENKEN_ONLY;
if (!haveF2b && !process.env.TENKEN_ONLY)
  console.log('fail2ban-regex: not installed, comparison skipped (apt-get install fail2ban to run it)');

function f2bTime(file) {
  const t0 = process.hrtime.bigint();
  let out = '';
  try {
    out = execFileSync('fail2ban-regex', [file, 'sshd'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (err) {
    console.log(`fail2ban-regex failed: ${String(err.message).split('\n')[0]}`);
    return null;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /Lines: (\d+) lines, \d+ ignored, (\d+) matched/.exec(out);
  return { secs, matched: m ? m[2] : '?' };
}

let startup = 0;
if (haveF2b) {
  const one = path.join(tmp, 'one.log');
  writeFileSync(one, 'Jun  1 00:00:00 srv CRON[1]: pam_unix(cron:session): session closed for user root\n');
  const runs = [f2bTime(one), f2bTime(one), f2bTime(one)].filter(Boolean).map((x) => x.secs);
  startup = Math.min(...runs);
  console.log(`fail2ban-regex start-up: ${startup.toFixed(3)} s (subtracted below)`);
}

const fmt = (n) => Math.round(n).toLocaleString('en');
// The machine may be shared: BENCH_ROUNDS=N measures both tools back to back N times per file and prints
// each round and the median ratio (the load average is printed with each round).
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const counted = {};
for (const [name, seed, sshdOnly, today] of [
  ['mixed', 42, false, false],
  ['sshd-only', 7, true, false],
  ['mixed-today', 42, false, true],
]) {
  const file = path.join(tmp, `${name}.log`);
  writeFileSync(file, generate(lines, seed, sshdOnly, today));
  utimesSync(file, NOW, NOW);
  console.log(`\n[${name}] ${lines} lines (${(statSync(file).size / 1e6).toFixed(1)} MB)`);
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    if (rounds > 1)
      console.log(`  round ${round + 1}/${rounds} (load average ${os.loadavg()[0].toFixed(2)})`);
    let best = await tenkenOnce(file);
    for (let i = 0; i < 4; i++) {
      const r = await tenkenOnce(file);
      if (r.secs < best.secs) best = r;
    }
    const tenkenRate = lines / best.secs;
    console.log(
      `  tenken:         ${best.secs.toFixed(3)} s  ${fmt(tenkenRate)} lines/s  (${best.counted} failures counted, ${best.findings} findings; best of 5)`,
    );
    counted[name] = `${best.counted} failures, ${best.findings} findings`;
    if (today) {
      // fail2ban 1.0's sshd filter does not read sshd-session: tenken alone, checked against `mixed`.
      const same = counted[name] === counted.mixed ? 'the same' : `NOT the same (mixed: ${counted.mixed})`;
      console.log(`  ${same} failures and findings as the classic-format mixed file`);
      continue;
    }
    if (!haveF2b) continue;
    const f = f2bTime(file);
    if (!f) continue;
    const f2bRate = lines / Math.max(1e-3, f.secs - startup);
    console.log(
      `  fail2ban-regex: ${f.secs.toFixed(3)} s  ${fmt(f2bRate)} lines/s without start-up  (${f.matched} lines matched)`,
    );
    ratios.push(tenkenRate / f2bRate);
    console.log(
      `  ratio:          tenken is ${(tenkenRate / f2bRate).toFixed(0)}x faster (target >= 100x on mixed)`,
    );
  }
  if (ratios.length > 1)
    console.log(`  median ratio:   ${median(ratios).toFixed(0)}x over ${ratios.length} rounds`);
}
rmSync(tmp, { recursive: true, force: true });
