import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_ROOT, REPO, runCli, tempDir } from '../../test/helpers/cli.ts';

describe('--root', () => {
  it('refuses a root that does not exist, for every command, instead of reporting OK', async () => {
    const missing = path.join(tempDir(), 'nonexist');
    for (const cmd of [['procs'], ['scan'], ['attacks'], ['dialup'], ['check'], ['last']]) {
      const r = await runCli(['--root', missing, ...cmd]);
      expect({ cmd, code: r.code, stderr: r.stderr }).toEqual({
        cmd,
        code: 3,
        stderr: `tenken: Cannot use root ${missing}: no such file or directory\n`,
      });
    }
  });

  it('refuses a root that is a file', async () => {
    const file = path.join(tempDir(), 'plain');
    writeFileSync(file, 'x');
    const r = await runCli(['--root', file, 'procs']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`tenken: Cannot use root ${file}: not a directory\n`);
  });
});

describe('--only', () => {
  it('refuses an empty list of kinds instead of running no check and reporting OK', async () => {
    for (const only of ['', ',', ' , ']) {
      const r = await runCli(['--root', DEMO_ROOT, '--only', only, 'check']);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'tenken: Invalid --only: no check kind given (kinds: services, logs, attacks, logins, procs, probes, dialup)\n',
      );
    }
  });

  it('still refuses an unknown kind', async () => {
    const r = await runCli(['--root', DEMO_ROOT, '--only', 'logs,bogus', 'check']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^tenken: Cannot select checks: unknown check kind "bogus"/);
  });
});

describe('global options a command would ignore', () => {
  it('refuses --only outside check and --quiet where it would print all the same', async () => {
    const only = await runCli(['--root', DEMO_ROOT, '--only', 'logs', 'last']);
    expect(only.code).toBe(3);
    expect(only.stdout).toBe('');
    expect(only.stderr).toBe(
      'tenken: --only is for `tenken check`: `tenken last` has no check kinds to choose\n',
    );
    const quiet = await runCli(['--root', DEMO_ROOT, '-q', 'scan']);
    expect(quiet.code).toBe(3);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toMatch(
      /^tenken: --quiet is not for `tenken scan`: it prints what it is asked for \(--quiet is for check, attacks, .*logins mail\)\n$/,
    );
    const show = await runCli(['--root', DEMO_ROOT, '--quiet', 'baseline', 'show']);
    expect(show.stderr).toMatch(/^tenken: --quiet is not for `tenken baseline show`/);
  });

  it('takes them where they mean something', async () => {
    const state = tempDir();
    const r = await runCli(['--root', DEMO_ROOT, '--state', state, '-q', '--only', 'logs', 'check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const dialup = await runCli(['--root', DEMO_ROOT, '--state', state, '-q', 'dialup']);
    expect(dialup.stderr).toBe('');
  });
});

describe('--format', () => {
  it('offers only formats some command prints (no prometheus until metrics exist)', async () => {
    const r = await runCli(['--root', DEMO_ROOT, '--format', 'prometheus', 'check']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      "argument 'prometheus' is invalid. Allowed choices are text, json, ndjson, html, nagios.",
    );
  });
});

describe('a reader that stops reading', () => {
  it('ends a run quietly with 141, as util-linux last does (`tenken last | head -1`), no internal error', async () => {
    // 12 MB of wtmp: far more output than a pipe holds, so tenken is still writing when head exits.
    const wtmp = path.join(tempDir(), 'wtmp');
    const one = readFileSync(path.join(DEMO_ROOT, 'var/log/wtmp'));
    writeFileSync(wtmp, Buffer.concat(Array.from({ length: 300 }, () => one)));
    const child = spawn(process.execPath, [path.join(REPO, 'dist/tenken.js'), 'last', '-f', wtmp], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect({ code, stderr }).toEqual({ code: 141, stderr: '' });
  });
});
