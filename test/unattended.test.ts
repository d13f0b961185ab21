import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore, stateDirFor } from '../src/state/store.ts';
import { DEMO_ROOT, REPO, runCli, tempDir } from './helpers/cli.ts';

/*
 * The unattended setups the README shows (cron line, systemd units in examples/systemd/) are what users copy:
 * the units must be valid for systemd, and the command lines must be ones tenken accepts and acts on.
 */

const UNITS = path.join(REPO, 'examples', 'systemd');

/** The arguments after `tenken` in a command line. */
function tenkenArgs(line: string): string[] {
  const m = /\btenken (.+)$/.exec(line.trim());
  if (!m) throw new Error(`no tenken command in ${line}`);
  return (m[1] as string).split(/\s+/);
}

describe('the unattended setups in the README and examples/systemd', () => {
  it('has units systemd-analyze verifies', () => {
    // Throws (with systemd's complaint) on an unknown directive or a bad timer spec.
    execFileSync(
      'systemd-analyze',
      ['verify', path.join(UNITS, 'tenken.service'), path.join(UNITS, 'tenken.timer')],
      { stdio: 'pipe' },
    );
  });

  it("runs the service's command: the report on stdout (the journal) when something needs attention", async () => {
    const exec = /^ExecStart=(.+)$/m.exec(readFileSync(path.join(UNITS, 'tenken.service'), 'utf8'));
    const args = tenkenArgs(exec?.[1] ?? '');
    expect(args).toEqual(['check', '--quiet']);
    const r = await runCli(['--state', tempDir(), '--root', DEMO_ROOT, ...args]);
    expect([r.code, r.stderr]).toEqual([2, '']);
    expect(r.stdout).toMatch(/^CRITICAL: /m);
  });

  it("runs the README's cron line", async () => {
    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const cron = /^\d+ \* \* \* \* +root +(.+)$/m.exec(readme);
    const args = tenkenArgs(cron?.[1] ?? '');
    expect(args).toEqual(['check', '--quiet']);
    const r = await runCli(['--state', tempDir(), '--root', DEMO_ROOT, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^CRITICAL: /m);
  });
});

describe('two runs at once', () => {
  it('gives up at once with --wait 0 while another run holds the lock, and waits for it by default', async () => {
    const state = tempDir();
    const store = new StateStore(stateDirFor(state, DEMO_ROOT));
    const release = store.lock();
    const now = await runCli([
      '--state',
      state,
      '--root',
      DEMO_ROOT,
      'check',
      '--only',
      'logs',
      '--wait',
      '0',
    ]);
    expect(now.code).toBe(3);
    expect(now.stderr).toMatch(/^tenken: Another tenken run holds .*\/lock: pid \d+ is still running\n$/);
    // The default waits: the holder finishes a moment later and the run goes ahead.
    setTimeout(release, 1500);
    const later = await runCli(['--state', state, '--root', DEMO_ROOT, 'check', '--only', 'logs']);
    // Said once, so that a wrapper's own timeout does not kill a silent run.
    expect(later.stderr).toMatch(
      /^tenken: Another tenken run holds .*\/lock: pid \d+ is still running: waiting up to 300 s for it to finish\n$/,
    );
    expect(later.code).toBe(1);
    const bad = await runCli(['--state', state, '--root', DEMO_ROOT, 'check', '--wait', 'soon']);
    expect(bad.stderr).toBe('tenken: Invalid --wait soon: give whole seconds (0 to give up at once)\n');
  });
});
