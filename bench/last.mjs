// Benchmark: `tenken last -f` against util-linux `last -f` on the same generated 1,000,000-record wtmp, in the
// same run. Prints both times, the ratio (target <= 1.0), tenken's peak RSS (target <= 150 MB), and whether the
// outputs are byte-identical. Usage: node bench/last.mjs [records]   (run by `npm run bench`, never by tests)
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const repo = path.resolve(import.meta.dirname, '..');
const count = Number(process.argv[2] ?? 1_000_000);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-bench-last-'));
const env = { PATH: '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'Asia/Tokyo' };

try {
  // The encoder comes from the source tree (bundled on the fly: Node 20 cannot import .ts).
  const encoderFile = path.join(tmp, 'utmp.mjs');
  await build({
    entryPoints: [path.join(repo, 'src/logins/utmp.ts')],
    outfile: encoderFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  const { encodeRecord, addrFromText } = await import(encoderFile);

  // A plausible history: ~60 ttys, sessions of minutes to days, a boot every ~5,000 records, some shutdowns.
  const wtmp = path.join(tmp, 'wtmp');
  const fd = fs.openSync(wtmp, 'w');
  let seed = 12345;
  const rnd = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const users = ['root', 'alice', 'bob', 'carol', 'dave', 'yanagi', 'backup', 'deploy'];
  const hosts = ['192.0.2.10', '198.51.100.7', '203.0.113.99', '2001:db8::42', 'gateway.example.org', ''];
  const open = new Map();
  let t = 1_600_000_000;
  const batch = [];
  const flush = () => {
    fs.writeSync(fd, Buffer.concat(batch));
    batch.length = 0;
  };
  for (let i = 0; i < count; i++) {
    t += 1 + rnd(300);
    const roll = rnd(5000);
    if (roll === 0) {
      batch.push(
        encodeRecord({ type: 1, line: '~', id: '~~', user: 'shutdown', host: '6.1.0-13-amd64', sec: t }),
      );
      open.clear();
    } else if (roll === 1) {
      batch.push(
        encodeRecord({ type: 2, line: '~', id: '~~', user: 'reboot', host: '6.1.0-13-amd64', sec: t }),
      );
      open.clear();
    } else if (open.size < 8 || (open.size < 60 && rnd(2) === 0)) {
      const line = `pts/${rnd(60)}`;
      const host = hosts[rnd(hosts.length)];
      const addr = /^[\d.]+$|:/.test(host) ? addrFromText(host) : [0, 0, 0, 0];
      batch.push(
        encodeRecord({
          type: 7,
          pid: 1000 + rnd(4_000_000),
          line,
          id: line.slice(-4),
          user: users[rnd(users.length)],
          host,
          addr,
          sec: t,
          usec: rnd(1_000_000),
        }),
      );
      open.set(line, true);
    } else {
      const lines = [...open.keys()];
      const line = lines[rnd(lines.length)];
      batch.push(encodeRecord({ type: 8, pid: 0, line, id: line.slice(-4), sec: t }));
      open.delete(line);
    }
    if (batch.length >= 10_000) flush();
  }
  flush();
  fs.closeSync(fd);

  // tenken: the built CLI when it has `last`, else a bundle of the command with a minimal App (before the
  // command is registered in src/cli/commands/index.ts).
  let tenken = [path.join(repo, 'dist/tenken.js')];
  // An empty regular file (tenken reads regular files only: /dev/null is refused).
  const empty = path.join(tmp, 'empty-wtmp');
  fs.writeFileSync(empty, '');
  const probe = fs.existsSync(tenken[0])
    ? spawnSync(process.execPath, [...tenken, 'last', '-n', '1', '-f', empty], { env })
    : { status: 1 };
  if (probe.status !== 0) {
    const entry = path.join(tmp, 'entry.ts');
    fs.writeFileSync(
      entry,
      `import { Command } from 'commander';
import { register } from ${JSON.stringify(path.join(repo, 'src/cli/commands/last.ts'))};
const write = (t) => new Promise((res, rej) => process.stdout.write(t, (e) => (e ? rej(e) : res())));
const app = { io: { write, error: (t) => process.stderr.write(t + '\\n'), isTTY: false, env: process.env, cwd: process.cwd() },
  globals: () => ({ root: undefined, config: undefined, state: '', format: 'text', only: undefined, quiet: false, color: false }),
  load: () => { throw new Error('no config in the bench'); }, exit: (c) => { process.exitCode = c; } };
const program = new Command('tenken');
register(program, app);
await program.parseAsync();
`,
    );
    const out = path.join(tmp, 'tenken.mjs');
    await build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
      nodePaths: [path.join(repo, 'node_modules')],
      external: ['better-sqlite3'],
      banner: {
        js: `import{createRequire as __tenkenCreateRequire}from'module';const require=__tenkenCreateRequire(${JSON.stringify(path.join(repo, 'package.json'))});`,
      },
    });
    tenken = [out];
    console.log(
      'note: dist/tenken.js has no `last` command yet; timing a bundle of src/cli/commands/last.ts',
    );
  }

  const timed = (cmd, args, outFile) => {
    const fdOut = fs.openSync(outFile, 'w');
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], {
      env,
      stdio: ['ignore', fdOut, 'pipe'],
      encoding: 'utf8',
    });
    fs.closeSync(fdOut);
    const m = /([\d.]+) (\d+)\s*$/.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`${cmd} failed: ${r.stderr}`);
    return { seconds: Number(m[1]), rssMB: Number(m[2]) / 1024 };
  };
  const sha = (f) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

  const size = fs.statSync(wtmp).size;
  console.log(`wtmp: ${count} records, ${(size / 1e6).toFixed(0)} MB, TZ=${env.TZ}`);
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const u = timed('/usr/bin/last', ['-f', wtmp], path.join(tmp, 'last.out'));
    const k = timed(process.execPath, [...tenken, 'last', '-f', wtmp], path.join(tmp, 'tenken.out'));
    runs.push({ u, k });
  }
  const best = (sel) => runs.map(sel).sort((a, b) => a.seconds - b.seconds)[0];
  const u = best((r) => r.u);
  const k = best((r) => r.k);
  const same = sha(path.join(tmp, 'last.out')) === sha(path.join(tmp, 'tenken.out'));
  const lines = execFileSync('wc', ['-l', path.join(tmp, 'last.out')], { encoding: 'utf8' })
    .trim()
    .split(' ')[0];
  console.log(
    `util-linux last: ${u.seconds.toFixed(2)} s, peak RSS ${u.rssMB.toFixed(0)} MB (${lines} lines)`,
  );
  console.log(`tenken last:     ${k.seconds.toFixed(2)} s, peak RSS ${k.rssMB.toFixed(0)} MB`);
  console.log(
    `ratio tenken/last: ${(k.seconds / u.seconds).toFixed(2)} (target <= 1.0), RSS target <= 150 MB: ${k.rssMB <= 150 ? 'met' : 'NOT met'}`,
  );
  console.log(`output byte-identical: ${same ? 'yes' : 'NO'}`);
  if (!same) process.exitCode = 1;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
