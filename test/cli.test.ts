import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_ROOT, REPO, runCli, tempDir } from './helpers/cli.ts';

const BIN = path.join(REPO, 'dist', 'tenken.js');

describe('the built CLI (quick start)', () => {
  it('inspects the demo tree and exits with the worst status', () => {
    const state = tempDir();
    const r = spawnSync(process.execPath, [BIN, 'check', '--root', DEMO_ROOT, '--state', state], {
      encoding: 'utf8',
      env: { ...process.env, LANG: 'C', TZ: 'UTC', NO_COLOR: '1' },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^tenken \d+\.\d+\.\d+: inspection of gauntlet \(root .*demo-root\) at /);
    expect(r.stdout).toContain('services: ');
    for (const s of ['sendmail', 'httpd', 'samba', 'delegate', 'wu-ftpd', 'sshd'])
      expect(r.stdout).toMatch(new RegExp(`^\\S+\\s+${s}$`, 'm'));
    expect(r.stdout).not.toMatch(/\u001b\[/);
    expect([0, 1, 2]).toContain(r.status);
  });

  it('prints complete help for every command', () => {
    const help = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    for (const c of ['check', 'config']) expect(help).toContain(c);
    for (const o of ['--root', '--config', '--state', '--format', '--only', '--quiet', '--no-color'])
      expect(help).toContain(o);
    const checkHelp = execFileSync(process.execPath, [BIN, 'check', '--help'], { encoding: 'utf8' });
    expect(checkHelp).toContain('Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN');
  });

  it('says its version when the bundle is copied away from its package (no package.json above it)', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'tenken.js'), readFileSync(BIN));
    const r = spawnSync(process.execPath, [path.join(dir, 'tenken.js'), '--version'], { encoding: 'utf8' });
    const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect([r.status, r.stdout.trim(), r.stderr]).toEqual([0, version, '']);
  });
});

describe('tenken check', () => {
  it('exits 3 with one line for a usage error, without a stack trace', async () => {
    const r = await runCli(['check', '--bogus']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects an unknown kind in --only', async () => {
    const r = await runCli(['--root', DEMO_ROOT, '--only', 'nosuch', 'check']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^tenken: Cannot select checks: unknown check kind "nosuch" \(known: services(, [a-z]+)*\)\n$/,
    );
  });

  it('prints nothing with --quiet when all is OK, and the report otherwise', async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'etc', 'tenken'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc', 'tenken', 'tenken.yaml'),
      'detect: false\nservices:\n  quiet:\n    title: A quiet service\n    processes: [quietd]\n',
    );
    const quiet = await runCli(['--root', root, '--quiet', '--only', 'services', 'check']);
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const loud = await runCli(['--root', root, '--only', 'services', 'check']);
    expect(loud.stdout).toContain('quiet');
  });

  it('writes -o FILE under --quiet too, so the file never keeps an old CRITICAL once all is OK', async () => {
    const out = path.join(tempDir(), 'report.txt');
    const state = tempDir();
    const bad = await runCli(['--state', state, '--quiet', 'check', '--root', DEMO_ROOT, '-o', out]);
    expect([bad.code, bad.stdout]).toEqual([2, '']);
    expect(readFileSync(out, 'utf8')).toMatch(/^CRITICAL: /m);
    const root = tempDir();
    mkdirSync(path.join(root, 'etc', 'tenken'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc', 'tenken', 'tenken.yaml'),
      'detect: false\nservices:\n  quiet: { processes: [quietd] }\n',
    );
    const ok = await runCli([
      '--state',
      state,
      '--quiet',
      'check',
      '--root',
      root,
      '--only',
      'services',
      '-o',
      out,
    ]);
    expect(ok).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(out, 'utf8')).toMatch(/^OK: /m);
  });

  it('takes -o - and -o /dev/stdout as standard output', async () => {
    for (const o of ['-', '/dev/stdout']) {
      const r = await runCli(['--state', tempDir(), 'check', '--root', DEMO_ROOT, '-o', o]);
      expect([r.code, r.stderr]).toEqual([2, '']);
      expect(r.stdout).toMatch(/^CRITICAL: /m);
    }
  });

  it('reads back every state it saved: a second run over the demo tree starts afresh for none', async () => {
    const state = tempDir();
    await runCli(['--state', state, 'check', '--root', DEMO_ROOT]);
    const again = await runCli(['--state', state, 'check', '--root', DEMO_ROOT]);
    const saved = readdirSync(state, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.json'),
    );
    expect(saved.map((f) => path.basename(f)).sort()).toEqual([
      'attacks.json',
      'dialup.json',
      'logins.json',
      'logs.json',
      'procs.json',
    ]);
    expect(again.stdout).not.toMatch(/starts afresh/);
  });

  it('never prints raw control characters from a file it quotes in an error', async () => {
    const file = path.join(tempDir(), 'baseline.json');
    writeFileSync(file, '\x1b[2J\x1b]0;pwned\x07{ "x": 1 }');
    const r = await runCli(['--state', tempDir(), 'baseline', 'show', '--root', DEMO_ROOT, '--file', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^tenken: Cannot read baseline .*baseline\.json:1:1: not valid JSON: unexpected character where a value is expected\n$/,
    );
    expect(r.stderr).not.toMatch(/\x1b|\x07/);
  });

  it('says what it could not read, and why', async () => {
    if (process.getuid?.() === 0) {
      // root reads everything; simulate with a directory where a log file is expected
      const root = tempDir();
      mkdirSync(path.join(root, 'var', 'log', 'syslog'), { recursive: true });
      const r = await runCli(['--root', root, '--only', 'services', 'check']);
      expect(r.stdout).toMatch(/Cannot read \/var\/log\/syslog: is a directory/);
      expect(r.code).toBe(1);
    } else {
      const root = tempDir();
      mkdirSync(path.join(root, 'var', 'log'), { recursive: true });
      writeFileSync(path.join(root, 'var', 'log', 'syslog'), 'x\n');
      chmodSync(path.join(root, 'var', 'log', 'syslog'), 0);
      const r = await runCli(['--root', root, '--only', 'services', 'check']);
      expect(r.stdout).toMatch(/Cannot read \/var\/log\/syslog: permission denied/);
    }
  });

  it('writes the report to a file with --output and shows paths as the host sees them', async () => {
    const out = path.join(tempDir(), 'report.json');
    const r = await runCli(['--root', DEMO_ROOT, '--format', 'json', 'check', '--output', out]);
    expect(r.stdout).toBe('');
    const report = JSON.parse(execFileSync('cat', [out], { encoding: 'utf8' })) as {
      host: string;
      checks: { kind: string }[];
    };
    expect(report.host).toBe('gauntlet');
    expect(JSON.stringify(report)).not.toContain(DEMO_ROOT + '/var');
  });

  it('says in one line that a log had more new content than one run reads, and the next run reads the rest', () => {
    const root = tempDir();
    const state = tempDir();
    mkdirSync(path.join(root, 'etc', 'tenken'), { recursive: true });
    mkdirSync(path.join(root, 'var', 'log'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc', 'tenken', 'tenken.yaml'),
      'detect: false\nchecks:\n  logs:\n    maxReadPerRun: 1MiB\n',
    );
    const line = 'Nov 24 10:00:00 gw cron[1]: (root) CMD (true)\n';
    writeFileSync(
      path.join(root, 'var', 'log', 'syslog'),
      line.repeat(Math.ceil((1.5 * 2 ** 20) / line.length)),
    );
    const check = () =>
      spawnSync(process.execPath, [BIN, 'check', '--only', 'logs', '--root', root, '--state', state], {
        encoding: 'utf8',
        env: { ...process.env, LANG: 'C', TZ: 'UTC', NO_COLOR: '1' },
      });
    const first = check();
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(
      /^ +WARNING +\/var\/log\/syslog: 525 kB not read in this run \(over the 1 MiB per-run limit\); the next run goes on from here$/m,
    );
    expect(first.status).toBe(1);
    const second = check();
    expect(second.stdout).not.toContain('not read in this run');
    expect(second.status).toBe(0);
  });
});

describe('tenken dialup on the demo tree', () => {
  it('refuses a --tty typo with one line naming the lines it knows, exit 3 (it reported OK, exit 0)', async () => {
    const r = await runCli(['--root', DEMO_ROOT, 'dialup', '--tty', 'ttys0']);
    expect(r).toEqual({
      code: 3,
      stdout: '',
      stderr: 'tenken: no dial-up line ttys0 (lines: ttyS0, ttyS1)\n',
    });
    expect((await runCli(['--root', DEMO_ROOT, 'dialup', '--tty', 'ttyS1'])).code).not.toBe(3);
  });

  it('exits 3 with one line when a file named with --mgetty-log or -f cannot be read (it was a WARNING)', async () => {
    for (const args of [
      ['--mgetty-log', '/nonexistent'],
      ['-f', '/nonexistent'],
    ]) {
      const r = await runCli(['--root', DEMO_ROOT, 'dialup', ...args]);
      expect(r).toEqual({
        code: 3,
        stdout: '',
        stderr: 'tenken: Cannot read /nonexistent: no such file or directory\n',
      });
    }
  });
});
