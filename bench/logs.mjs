// Benchmark: `tenken scan --all` (per-category and per-program counts) against GNU grep on the same
// generated syslog of at least 400 MB, in the same run: `LC_ALL=C grep -ciE` with all the runbook's
// keywords (one pass, one total) and the runbook's own method (one grep per category). Prints times,
// ratios and tenken's peak RSS, then times a logs pass with nothing new to read (saved cursors).
// Usage: node bench/logs.mjs [MB] (default 400). The log is cached in bench/data/ (gitignored).
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
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mb = Number(process.argv[2] ?? 400);
const dataDir = path.join(repo, 'bench', 'data');
const file = path.join(dataDir, `syslog-${mb}mb-v1.log`);
const bin = process.env.TENKEN_BIN ?? path.join(repo, 'dist', 'tenken.js');

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

/** Deterministic PRNG (mulberry32) so every run measures the same log. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A pool of one day's lines (time of day + host + program + message, ~6% matching some category),
 * written once per day with the day's date: fast to generate, the same bytes every run.
 */
function dayPool(r) {
  const ip = () =>
    `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  const pick = (a) => a[Math.floor(r() * a.length)];
  const users = ['root', 'admin', 'bob', 'alice', 'oracle', 'test', 'deploy'];
  const lines = [];
  let sec = 0;
  while (sec < 86400) {
    sec += r() * 1.8;
    const s = Math.floor(sec);
    const hms = `${String(Math.floor(s / 3600) % 24).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    const pid = 1000 + Math.floor(r() * 60000);
    const x = r();
    let m;
    if (x < 0.2) m = `CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`;
    else if (x < 0.35) m = `systemd[1]: Started session-${pid}.scope - Session ${pid} of User deploy.`;
    else if (x < 0.5) m = `postfix/smtpd[${pid}]: connect from mail${pid % 97}.example.net[${ip()}]`;
    else if (x < 0.62)
      m = `sendmail[${pid}]: k${pid}AB${pid % 7}: from=<${pick(users)}@example.org>, size=${pid % 9000}, class=0, nrcpts=1, relay=localhost`;
    else if (x < 0.72)
      m = `named[812]: client @0x7f${pid.toString(16)} ${ip()}#${pid}: query: www${pid % 50}.example.com IN A + (192.0.2.53)`;
    else if (x < 0.8) m = `dhclient[640]: DHCPREQUEST for 192.0.2.${pid % 250} on eth0 to 192.0.2.1 port 67`;
    else if (x < 0.88)
      m = `kernel: [${(sec * 10).toFixed(6)}] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=${ip()} DST=192.0.2.10 LEN=60 TTL=${pid % 64} PROTO=TCP SPT=${pid} DPT=443`;
    else if (x < 0.94)
      m = `sshd[${pid}]: Accepted publickey for deploy from 192.0.2.${pid % 250} port ${pid} ssh2: ED25519 SHA256:${pid.toString(36)}`;
    else if (x < 0.955)
      m = `sshd[${pid}]: Failed password for invalid user ${pick(users)} from ${ip()} port ${pid} ssh2`;
    else if (x < 0.965)
      m = `sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip()}`;
    else if (x < 0.972)
      m = `sendmail[${pid}]: k${pid}: SYSERR(root): mailer prog died with signal ${pid % 16}`;
    else if (x < 0.978) m = `sendmail[${pid}]: getrequests: accept: Connection timed out`;
    else if (x < 0.983)
      m = `httpd[${pid}]: ${ip()} "GET /cgi-bin/${pick(['phf', 'test-cgi', 'php.cgi'])} HTTP/1.0" 404`;
    else if (x < 0.987) m = `in.ftpd[${pid}]: refused connect from ${ip()}`;
    else if (x < 0.99)
      m = `sshd[${pid}]: Did not receive identification string from ${ip()}: null connection`;
    else if (x < 0.993) m = `login[${pid}]: 3 repeated login failures on ttyS0`;
    else if (x < 0.995) m = `passwd[${pid}]: pam_unix(passwd:chauthtok): password changed for ${pick(users)}`;
    else if (x < 0.998)
      m = `kernel: [${(sec * 10).toFixed(6)}] EXT4-fs warning (device sda1): ext4_dx_add_entry: Directory index full!`;
    else m = `su[${pid}]: FAILED SU (to root) ${pick(users)} on pts/${pid % 9}`;
    lines.push(`${hms} srv ${m}\n`);
  }
  return lines;
}

function generate() {
  if (existsSync(file) && statSync(file).size >= mb * 1e6) return;
  mkdirSync(dataDir, { recursive: true });
  const t0 = performance.now();
  const r = rng(42);
  const pools = [dayPool(r), dayPool(r), dayPool(r)];
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
  'data:text/javascript,process.on("exit",()=>process.stderr.write("MAXRSS_KB "+process.resourceUsage().maxRSS+"\\n"))';

generate();
if (!existsSync(bin)) {
  console.log(`${bin} not found: run npm run build first`);
  process.exit(1);
}
const sizeMb = statSync(file).size / 1e6;
const C = { LC_ALL: 'C' };
const all = Object.values(PACK).flat();
// Warm the page cache so every contender reads from memory.
timed('sh', ['-c', 'cat "$1" > /dev/null', 'sh', file], 1);

const grepAll = timed('grep', ['-ciE', all.join('|'), file], 3, C);
let perCat = 0;
const grepCounts = {};
for (const [id, kws] of Object.entries(PACK)) {
  const r = timed('grep', ['-ciE', kws.join('|'), file], 1, C);
  perCat += r.ms;
  grepCounts[id] = Number(r.stdout.trim());
}
const tenken = timed(
  process.execPath,
  ['--import', RSS_HOOK, bin, 'scan', '--all', '--format', 'json', file],
  3,
);
const rssKb = Number(/MAXRSS_KB (\d+)/.exec(tenken.stderr)?.[1] ?? 0);
const summary = JSON.parse(tenken.stdout);
const mismatch = Object.entries(grepCounts).filter(([id, n]) => summary.categories?.[id]?.count !== n);

// A pass with nothing new: the engine in-process with the cursors of a first pass (bundled from src/).
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenken-bench-logs-'));
let idleMs = Number.NaN;
try {
  const entry = path.join(tmp, 'idle.ts');
  const fs = await import('node:fs');
  fs.writeFileSync(
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
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(tmp, 'node_modules'));
  idleMs = await (await import(pathToFileURL(out).href)).idle(file);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(`log: ${file} (${sizeMb.toFixed(0)} MB, page cache warm)`);
console.log(
  `grep -ciE, all ${all.length} keywords, one pass:   ${s(grepAll.ms)}  (${(sizeMb / (grepAll.ms / 1000)).toFixed(0)} MB/s, ${grepAll.stdout.trim()} lines)`,
);
console.log(`grep -ciE, one per category (${Object.keys(PACK).length} passes): ${s(perCat)}`);
console.log(
  `tenken scan --all (per category + program):   ${s(tenken.ms)}  (${(sizeMb / (tenken.ms / 1000)).toFixed(0)} MB/s)`,
);
console.log(`ratio tenken / single grep:       ${(tenken.ms / grepAll.ms).toFixed(2)}  (target <= 1.0)`);
console.log(`ratio tenken / grep per category: ${(tenken.ms / perCat).toFixed(2)}`);
console.log(`tenken peak RSS: ${(rssKb / 1024).toFixed(0)} MB  (target < 150 MB)`);
console.log(`nothing new to read (saved cursors): ${idleMs.toFixed(0)} ms  (target < 300 ms)`);
console.log(
  mismatch.length
    ? `COUNT MISMATCH vs grep: ${JSON.stringify(mismatch)}`
    : 'per-category counts equal grep -ciE per category',
);
