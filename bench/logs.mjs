// Benchmark: `tenken scan --all` (per-category and per-program counts) against GNU grep on the same
// generated syslog of at least 400 MB, in the same run: `LC_ALL=C grep -ciE` with all the runbook's
// keywords (one pass, one total) and the runbook's own method (one grep per category). Two mixes: a
// realistic server syslog (most lines hold no keyword) and a keyword-dense one (the same server under
// attack). Prints the mix, its hit rate, times, ratios, tenken's peak RSS and CPU time, the process
// start floor, then times a logs pass with nothing new to read (saved cursors).
// Usage: node bench/logs.mjs [MB] (default 400). Logs are cached in bench/data/ (gitignored).
// TENKEN_BIN overrides the CLI bundle (default dist/tenken.js).
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { rng } from '../scripts/rng.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mb = Number(process.argv[2] ?? 400);
const dataDir = path.join(repo, 'bench', 'data');
const bin = process.env.TENKEN_BIN ?? path.join(repo, 'dist', 'tenken.js');

/**
 * The runbook's keyword table, written out here from the runbook itself rather than imported from
 * src/logs/scan/pack.ts: grep counts with this copy and tenken with its own, so a wrong keyword in tenken's
 * pack shows as a count mismatch instead of being measured as correct.
 */
const PACK = {
  error: ['warning', 'err', 'abort'],
  network: ['timeout', 'timed out'],
  access: ['refused', 'reject', 'not permitted', 'denied'],
  invalid: ['fail', 'incorrect', 'invalid'],
  cgi: ['/phf', '/php', '/test-cgi'],
  portscan: ['null connection', 'eof received'],
  bruteforce: ['authentication failed', 'repeated login failures', 'login incorrect'],
  passwd: ['passwd'],
};

/**
 * Message templates of a small internet-facing mail/web server's syslog (Debian-like), with weights
 * (per mille) for the two mixes: `realistic` (most lines hold no keyword: cron, systemd, mail
 * traffic, DNS, firewall; keywords where real daemons write them) and `dense` (the same server under
 * an SSH/SMTP brute-force and a CGI scan: most lines hold a keyword). Every runbook keyword occurs.
 */
function templates(r) {
  const ip = () =>
    `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  const pick = (a) => a[Math.floor(r() * a.length)];
  const users = ['root', 'admin', 'bob', 'alice', 'oracle', 'test', 'deploy', 'ubuntu', 'pi'];
  const hex = (pid) => (pid * 2654435761).toString(16).slice(-10).toUpperCase();
  // [realistic, dense, template(pid, sec)]
  return [
    [
      170,
      40,
      (pid) => `CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
    ],
    [170, 40, (pid) => `CRON[${pid}]: pam_unix(cron:session): session closed for user root`],
    [60, 15, (pid) => `CRON[${pid}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)`],
    [60, 15, (pid) => `systemd[1]: Started session-${pid}.scope - Session ${pid} of User deploy.`],
    [40, 10, (pid) => `systemd[1]: session-${pid}.scope: Deactivated successfully.`],
    [90, 30, (pid) => `postfix/smtpd[${pid}]: connect from mail${pid % 97}.example.net[${ip()}]`],
    [
      80,
      25,
      (pid) =>
        `postfix/smtpd[${pid}]: disconnect from mail${pid % 97}.example.net[${ip()}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5`,
    ],
    [
      40,
      10,
      (pid) =>
        `postfix/qmgr[1207]: ${hex(pid)}: from=<${pick(users)}@example.org>, size=${pid % 9000}, nrcpt=1 (queue active)`,
    ],
    [
      40,
      10,
      (pid) =>
        `postfix/smtp[${pid}]: ${hex(pid)}: to=<${pick(users)}@example.com>, relay=mx.example.com[${ip()}]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)`,
    ],
    [
      50,
      10,
      (pid) =>
        `sendmail[${pid}]: k${pid}AB${pid % 7}: from=<${pick(users)}@example.org>, size=${pid % 9000}, class=0, nrcpts=1, relay=localhost`,
    ],
    [
      70,
      20,
      (pid) =>
        `named[812]: client @0x7f${pid.toString(16)} ${ip()}#${pid}: query: www${pid % 50}.example.com IN A + (192.0.2.53)`,
    ],
    [15, 5, (pid) => `dhclient[640]: DHCPREQUEST for 192.0.2.${pid % 250} on eth0 to 192.0.2.1 port 67`],
    [
      60,
      30,
      (pid, sec) =>
        `kernel: [${(sec * 10).toFixed(6)}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=${ip()} DST=192.0.2.10 LEN=60 TTL=${pid % 64} PROTO=TCP SPT=${pid} DPT=${pick([22, 23, 445, 3389, 8080])}`,
    ],
    [
      20,
      5,
      (pid) =>
        `sshd[${pid}]: Accepted publickey for deploy from 192.0.2.${pid % 250} port ${pid} ssh2: ED25519 SHA256:${pid.toString(36)}`,
    ],
    [20, 20, (pid) => `sshd[${pid}]: Received disconnect from ${ip()} port ${pid}:11: Bye Bye [preauth]`],
    [15, 5, () => `chronyd[702]: Selected source 192.0.2.123 (ntp.example.net)`],
    [
      10,
      5,
      (pid) =>
        `dovecot: imap-login: Login: user=<${pick(users)}>, method=PLAIN, rip=192.0.2.${pid % 250}, lip=192.0.2.10, mpid=${pid}, TLS`,
    ],
    // Lines with keywords.
    [15, 150, (pid) => `sshd[${pid}]: Invalid user ${pick(users)} from ${ip()} port ${pid}`],
    [
      15,
      150,
      (pid) => `sshd[${pid}]: Failed password for invalid user ${pick(users)} from ${ip()} port ${pid} ssh2`,
    ],
    [
      8,
      80,
      (pid) =>
        `sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip()}`,
    ],
    [
      6,
      60,
      (pid) => `sshd[${pid}]: Connection closed by invalid user ${pick(users)} ${ip()} port ${pid} [preauth]`,
    ],
    [4, 40, (pid) => `sshd[${pid}]: error: kex_exchange_identification: Connection closed by remote host`],
    [3, 30, (pid) => `sshd[${pid}]: Did not receive identification string from ${ip()}: null connection`],
    [2, 10, (pid) => `sshd[${pid}]: fatal: Timeout before authentication for ${ip()} port ${pid}`],
    [
      8,
      60,
      (pid) =>
        `postfix/smtpd[${pid}]: warning: unknown[${ip()}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`,
    ],
    [
      6,
      20,
      (pid) =>
        `postfix/smtpd[${pid}]: NOQUEUE: reject: RCPT from unknown[${ip()}]: 554 5.7.1 <x@example.com>: Relay access denied; from=<spam@example.biz> to=<x@example.com> proto=ESMTP helo=<User>`,
    ],
    [
      5,
      10,
      (pid) =>
        `postfix/smtpd[${pid}]: warning: hostname ${pid % 250}.example.biz does not resolve to address ${ip()}`,
    ],
    [3, 10, (pid) => `postfix/smtpd[${pid}]: timeout after END-OF-MESSAGE from unknown[${ip()}]`],
    [2, 5, (pid) => `postfix/smtpd[${pid}]: lost connection after AUTH from unknown[${ip()}]`],
    [
      3,
      5,
      () =>
        `dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<${pick(users)}>, method=PLAIN, rip=${ip()}`,
    ],
    [2, 5, (pid) => `sendmail[${pid}]: k${pid}: SYSERR(root): mailer prog died with signal ${pid % 16}`],
    [3, 5, () => `sendmail[${Math.floor(r() * 60000)}]: getrequests: accept: Connection timed out`],
    [
      2,
      5,
      (pid) => `sendmail[${pid}]: k${pid}: lost input channel from [${ip()}] to MTA after rcpt: EOF received`,
    ],
    [
      3,
      60,
      (pid) => `httpd[${pid}]: ${ip()} "GET /cgi-bin/${pick(['phf', 'test-cgi', 'php.cgi'])} HTTP/1.0" 404`,
    ],
    [3, 60, (pid) => `httpd[${pid}]: ${ip()} "GET /phpmyadmin/index.php HTTP/1.1" 404`],
    [2, 10, (pid) => `in.ftpd[${pid}]: refused connect from ${ip()}`],
    [1, 10, (pid) => `login[${pid}]: 3 repeated login failures on ttyS0`],
    [1, 5, (pid) => `login[${pid}]: FAILED LOGIN 1 FROM ttyS0 FOR ${pick(users)}, Login incorrect`],
    [1, 2, (pid) => `passwd[${pid}]: pam_unix(passwd:chauthtok): password changed for ${pick(users)}`],
    [1, 2, (pid) => `su[${pid}]: FAILED SU (to root) ${pick(users)} on pts/${pid % 9}`],
    [
      1,
      2,
      (pid, sec) =>
        `kernel: [${(sec * 10).toFixed(6)}] EXT4-fs warning (device sda1): ext4_dx_add_entry: Directory index full!`,
    ],
    [1, 2, () => `smartd[655]: Device: /dev/sda [SAT], 1 Currently unreadable (pending) sectors`],
    [1, 2, () => `systemd[1]: apache2.service: Main process exited, code=killed, status=6/ABRT (abort)`],
    [
      1,
      2,
      (pid) =>
        `sudo[${pid}]: pam_unix(sudo:auth): conversation failed; user ${pick(users)}: Operation not permitted`,
    ],
    [
      1,
      2,
      (pid) =>
        `postfix/smtpd[${pid}]: warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while reading`,
    ],
    [
      1,
      2,
      (pid) =>
        `sshd[${pid}]: error: PAM: Authentication failure for illegal user ${pick(users)} from ${ip()}`,
    ],
    [
      1,
      2,
      () =>
        `named[812]: zone example.com/IN: refresh: retry limit for primary 192.0.2.1#53 exceeded (source 0.0.0.0#0); rejecting incorrect SOA`,
    ],
  ];
}

/** A pool of one day's lines (time of day, host, message): generated once, stamped per day. */
function dayPool(r, mix) {
  const list = templates(r);
  const col = mix === 'dense' ? 1 : 0;
  const total = list.reduce((n, t) => n + t[col], 0);
  const lines = [];
  let sec = 0;
  while (sec < 86400) {
    sec += r() * 1.8;
    const s = Math.floor(sec);
    const hms = `${String(Math.floor(s / 3600) % 24).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    const pid = 1000 + Math.floor(r() * 60000);
    let x = r() * total;
    let t = list[0];
    for (const cand of list) {
      t = cand;
      x -= cand[col];
      if (x < 0) break;
    }
    lines.push(`${hms} srv ${t[2](pid, sec)}\n`);
  }
  return lines;
}

function generate(file, mix) {
  if (existsSync(file) && statSync(file).size >= mb * 1e6) return;
  mkdirSync(dataDir, { recursive: true });
  const t0 = performance.now();
  const r = rng(42);
  const pools = [dayPool(r, mix), dayPool(r, mix), dayPool(r, mix)];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const fd = openSync(`${file}.tmp`, 'w');
  let size = 0;
  for (let day = 0; size < mb * 1e6; day++) {
    const d = new Date(Date.UTC(2026, 0, 1) + day * 86400000);
    const stamp = `${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} `;
    const text = pools[day % pools.length].map((l) => stamp + l).join('');
    size += writeSync(fd, text);
  }
  closeSync(fd);
  spawnSync('mv', [`${file}.tmp`, file]);
  console.log(
    `generated ${file} (${(size / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

/** Runs a command, returning wall time (best of `runs`) and its stdout. */
function timed(cmd, args, runs, env = {}) {
  let best = Number.POSITIVE_INFINITY;
  let out;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
    const dt = performance.now() - t0;
    if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    best = Math.min(best, dt);
    out = r;
  }
  return { ms: best, stdout: out.stdout.toString(), stderr: out.stderr.toString() };
}

const RSS_HOOK =
  'data:text/javascript,process.on("exit",()=>{const u=process.resourceUsage();process.stderr.write("MAXRSS_KB "+u.maxRSS+" CPU_US "+(u.userCPUTime+u.systemCPUTime)+"\\n")})';

if (!existsSync(bin)) {
  console.log(`${bin} not found: run npm run build first`);
  process.exit(1);
}
const C = { LC_ALL: 'C' };
const all = Object.values(PACK).flat();
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

/**
 * tenken scan on `file`: best wall time of 3, with the peak RSS and CPU time of that run. `threads` sets
 * TENKEN_THREADS (undefined: tenken's default, the cores up to 4; a big file is read in parts on worker
 * threads, see src/logs/read/parallel.ts).
 */
function tenkenScan(file, threads) {
  let best;
  for (let i = 0; i < 3; i++) {
    const r = timed(
      process.execPath,
      ['--import', RSS_HOOK, bin, 'scan', '--all', '--format', 'json', file],
      1,
      threads === undefined ? {} : { TENKEN_THREADS: String(threads) },
    );
    if (!best || r.ms < best.ms) best = r;
  }
  // The last report: worker threads print one too when they exit (the figures are the process's either way).
  const m = [...best.stderr.matchAll(/MAXRSS_KB (\d+) CPU_US (\d+)/g)].at(-1);
  return { ...best, rssKb: Number(m?.[1] ?? 0), cpuMs: Number(m?.[2] ?? 0) / 1000 };
}

// The process floor: start-up, config, an empty file (what any CLI run costs before reading a byte).
const empty = path.join(dataDir, 'empty.log');
mkdirSync(dataDir, { recursive: true });
writeFileSync(empty, '');
const floor = tenkenScan(empty);
console.log(
  `tenken start-up floor (scan of an empty file): ${s(floor.ms)} wall, ${floor.cpuMs.toFixed(0)} ms CPU, peak RSS ${(floor.rssKb / 1024).toFixed(0)} MB`,
);

for (const mix of ['realistic', 'dense']) {
  const file = path.join(dataDir, `syslog-${mb}mb-v2-${mix}.log`);
  generate(file, mix);
  const sizeMb = statSync(file).size / 1e6;
  // Warm the page cache so every contender reads from memory.
  timed('sh', ['-c', 'cat "$1" > /dev/null', 'sh', file], 1);
  const lines = Number(timed('sh', ['-c', 'wc -l < "$1"', 'sh', file], 1).stdout.trim());
  const grepAll = timed('grep', ['-ciE', all.join('|'), file], 3, C);
  let perCat = 0;
  const grepCounts = {};
  for (const [id, kws] of Object.entries(PACK)) {
    const r = timed('grep', ['-ciE', kws.join('|'), file], 3, C);
    perCat += r.ms;
    // The exactness oracle: grep -aciF -e KW... per category (the runbook's method, fixed strings).
    grepCounts[id] = Number(
      timed('grep', ['-aciF', ...kws.flatMap((k) => ['-e', k]), file], 1, C).stdout.trim(),
    );
  }
  const tenken = tenkenScan(file);
  const single = tenkenScan(file, 1);
  // grep's counts are those of every keyword line: tenken's with ignore rules off (its built-in
  // known-benign lines, an ordinary password change, leave the passwd category otherwise).
  const exact = timed(process.execPath, [bin, 'scan', '--all', '--no-ignore', '--format', 'json', file], 1);
  const summary = JSON.parse(exact.stdout);
  const mismatch = Object.entries(grepCounts).filter(([id, n]) => summary.categories?.[id]?.count !== n);
  const hits = Number(grepAll.stdout.trim());
  console.log(`\n--- ${mix} mix: ${file} (${sizeMb.toFixed(0)} MB, ${lines} lines, page cache warm)`);
  console.log(
    `lines with a keyword: ${hits} (${((100 * hits) / lines).toFixed(1)}%); per category: ${Object.entries(
      grepCounts,
    )
      .map(([id, n]) => `${id} ${n}`)
      .join(', ')}`,
  );
  console.log(
    `grep -ciE, all ${all.length} keywords, one pass:   ${s(grepAll.ms)}  (${(sizeMb / (grepAll.ms / 1000)).toFixed(0)} MB/s, single-threaded)`,
  );
  console.log(`grep -ciE, one per category (${Object.keys(PACK).length} passes): ${s(perCat)}`);
  console.log(
    `tenken scan --all (per category + program):   ${s(tenken.ms)}  (${(sizeMb / (tenken.ms / 1000)).toFixed(0)} MB/s, ${os.availableParallelism()} cores, up to 4 threads; ${tenken.cpuMs.toFixed(0)} ms CPU)`,
  );
  console.log(
    `  the same on one thread (TENKEN_THREADS=1):  ${s(single.ms)}  (ratio vs single grep ${(single.ms / grepAll.ms).toFixed(2)}; ${single.cpuMs.toFixed(0)} ms CPU)`,
  );
  console.log(`  of which start-up floor ${s(floor.ms)}; reading + counting ${s(tenken.ms - floor.ms)}`);
  console.log(`ratio tenken / single grep:       ${(tenken.ms / grepAll.ms).toFixed(2)}  (target <= 1.0)`);
  console.log(`ratio tenken / grep per category: ${(tenken.ms / perCat).toFixed(2)}`);
  console.log(`tenken peak RSS: ${(tenken.rssKb / 1024).toFixed(0)} MB  (target < 150 MB)`);
  console.log(
    single.stdout !== tenken.stdout
      ? 'SUMMARY DIFFERS between one thread and several'
      : mismatch.length
        ? `COUNT MISMATCH vs grep -aciF per category (scan --no-ignore): ${JSON.stringify(mismatch)}`
        : 'per-category counts (scan --no-ignore) equal grep -aciF -e KW... per category; one thread and several print the same summary',
  );
}

// A pass with nothing new: the engine in-process with the cursors of a first pass (bundled from src/).
const idleFile = path.join(dataDir, `syslog-${mb}mb-v2-realistic.log`);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenken-bench-logs-'));
let idleMs = Number.NaN;
try {
  const entry = path.join(tmp, 'idle.ts');
  writeFileSync(
    entry,
    `import { runEngine } from ${JSON.stringify(path.join(repo, 'src/logs/engine.ts'))};
import { compileRules } from ${JSON.stringify(path.join(repo, 'src/logs/scan/rules.ts'))};
import { logsConfig } from ${JSON.stringify(path.join(repo, 'src/logs/config.ts'))};
import { makeHost } from ${JSON.stringify(path.join(repo, 'src/core/host.ts'))};
export async function idle(file: string): Promise<number> {
  const config = logsConfig.parse({});
  const rules = compileRules(config);
  const host = makeHost({ name: 'bench' });
  const plan = { services: [], syslogFiles: [file], journal: 'off' as const, skipped: [] };
  const sources = [{ path: file, local: file, shared: true, owners: [], configuredBy: [] }];
  const base = { host, plan, config, rules, sources, journal: 'off' as const, countLines: true, consumeTrailing: false, noIgnore: false };
  const first = await runEngine({ ...base, mode: { kind: 'resume', state: undefined } });
  const t0 = performance.now();
  await runEngine({ ...base, mode: { kind: 'resume', state: first.state } });
  return performance.now() - t0;
}
`,
  );
  const out = path.join(tmp, 'idle.mjs');
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    nodePaths: [path.join(repo, 'node_modules')],
  });
  const fs = await import('node:fs');
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(tmp, 'node_modules'));
  idleMs = await (await import(pathToFileURL(out).href)).idle(idleFile);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(
  `\nnothing new to read (saved cursors, engine in-process): ${idleMs.toFixed(0)} ms; as a CLI run add the start-up floor ${s(floor.ms)}  (target < 300 ms)`,
);
