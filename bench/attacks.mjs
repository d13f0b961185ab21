// Benchmark: tenken's attack accounting vs `fail2ban-regex LOG sshd`, lines per second on the same
// generated sshd-heavy log, in the same run. Usage: node bench/attacks.mjs [lines] (default 200000).
// fail2ban-regex is optional: without it the comparison is skipped with a notice.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lines = Number(process.argv[2] ?? 200_000);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenken-bench-attacks-'));

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

function generate(n) {
  const r = rng(42);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const users = ['root', 'admin', 'test', 'oracle', 'ubuntu', 'postgres', 'git', 'user', 'pi', 'guest'];
  const ip = () =>
    `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  const attackers = Array.from({ length: 200 }, ip);
  const out = [];
  let t = Date.UTC(2024, 5, 1, 0, 0, 0);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 2000);
    const d = new Date(t);
    const stamp = `${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
    const pid = 1000 + Math.floor(r() * 60000);
    const a = pick(attackers);
    const port = 1024 + Math.floor(r() * 60000);
    const x = r();
    let msg;
    if (x < 0.25)
      msg = `sshd[${pid}]: Failed password for ${r() < 0.5 ? 'invalid user ' : ''}${pick(users)} from ${a} port ${port} ssh2`;
    else if (x < 0.35) msg = `sshd[${pid}]: Invalid user ${pick(users)} from ${a} port ${port}`;
    else if (x < 0.45)
      msg = `sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${a}  user=${pick(users)}`;
    else if (x < 0.52) msg = `sshd[${pid}]: Connection closed by ${a} port ${port} [preauth]`;
    else if (x < 0.56)
      msg = `sshd[${pid}]: Disconnected from invalid user ${pick(users)} ${a} port ${port} [preauth]`;
    else if (x < 0.58)
      msg = `sshd[${pid}]: Accepted publickey for deploy from 192.0.2.10 port ${port} ssh2: ED25519 SHA256:abc`;
    else if (x < 0.6)
      msg = `sshd[${pid}]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)`;
    else if (x < 0.75) msg = `CRON[${pid}]: pam_unix(cron:session): session closed for user root`;
    else if (x < 0.85) msg = `systemd[1]: Started session-${pid}.scope - Session ${pid} of User deploy.`;
    else if (x < 0.93) msg = `postfix/smtpd[${pid}]: connect from unknown[${a}]`;
    else
      msg = `kernel: [${(i / 10).toFixed(4)}] usb 1-1: new high-speed USB device number ${pid % 100} using xhci_hcd`;
    out.push(`${stamp} srv ${msg}`);
  }
  return `${out.join('\n')}\n`;
}

const log = path.join(tmp, 'auth.log');
writeFileSync(log, generate(lines));
const bytes = readFileSync(log);
console.log(`generated ${lines} lines (${(bytes.length / 1e6).toFixed(1)} MB) at ${log}`);

// tenken: bundle the accounting + detectors (TypeScript sources) once, then time them on the file's text.
const entry = path.join(tmp, 'entry.ts');
writeFileSync(
  entry,
  `export { Accountant } from ${JSON.stringify(path.join(repo, 'src/attacks/account.ts'))};\n` +
    `export { AttackDetectors } from ${JSON.stringify(path.join(repo, 'src/attacks/detect.ts'))};\n` +
    `export { attacksConfig } from ${JSON.stringify(path.join(repo, 'src/attacks/config.ts'))};\n`,
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
const { Accountant, AttackDetectors, attacksConfig } = await import(pathToFileURL(bundle).href);

function tenkenOnce() {
  const text = bytes.toString('latin1');
  const acc = new Accountant({ now: new Date(Date.UTC(2024, 11, 31)), hints: [] });
  const det = new AttackDetectors(attacksConfig.parse({}));
  let counted = 0;
  const t0 = process.hrtime.bigint();
  acc.scanText(text, 1, (e) => {
    if (e.event.attempts > 0) counted++;
    det.add({ ...e, source: log });
  });
  const report = det.finish();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { secs, counted, findings: report.findings.length };
}
let best = tenkenOnce();
for (let i = 0; i < 4; i++) {
  const r = tenkenOnce();
  if (r.secs < best.secs) best = r;
}
const tenkenRate = lines / best.secs;
console.log(
  `tenken:        ${best.secs.toFixed(3)} s  ${Math.round(tenkenRate).toLocaleString('en')} lines/s  (${best.counted} failures counted, ${best.findings} findings; best of 5)`,
);

const which = spawnSync('sh', ['-c', 'command -v fail2ban-regex'], { encoding: 'utf8' });
if (which.status !== 0) {
  console.log('fail2ban-regex: not installed, comparison skipped (apt-get install fail2ban to run it)');
} else {
  const t0 = process.hrtime.bigint();
  let out = '';
  try {
    out = execFileSync('fail2ban-regex', [log, 'sshd'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (err) {
    console.log(`fail2ban-regex failed: ${String(err.message).split('\n')[0]}`);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (out) {
    const m = /Lines: (\d+) lines, \d+ ignored, (\d+) matched/.exec(out);
    const f2bRate = lines / secs;
    console.log(
      `fail2ban-regex: ${secs.toFixed(3)} s  ${Math.round(f2bRate).toLocaleString('en')} lines/s  (${m ? m[2] : '?'} lines matched)`,
    );
    console.log(`ratio:         tenken is ${(tenkenRate / f2bRate).toFixed(0)}x faster (target >= 100x)`);
  }
}
rmSync(tmp, { recursive: true, force: true });
