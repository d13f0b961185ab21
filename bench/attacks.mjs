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
import { generate } from '../scripts/attack-mix.mjs';
import { importSources } from '../scripts/import-src.mjs';

const lines = Number(process.argv[2] ?? 200_000);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenken-bench-attacks-'));

// tenken: the accounting from the TypeScript sources (bundled once), timed on each file.
const { accountLog, AttackDetectors, attacksConfig, makeZone } = await importSources(tmp, {
  'src/attacks/read.ts': ['accountLog'],
  'src/attacks/detect.ts': ['AttackDetectors'],
  'src/attacks/config.ts': ['attacksConfig'],
  'src/core/tz.ts': ['makeZone'],
});
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
