/**
 * `tenken baseline record|approve` on the RHEL week reduced (a person's podman port, a miner from a deleted
 * binary in /dev/shm, a backdoor from /var/tmp): the intruders are left out, said, and the exit status says
 * so; `approve ITEM...` merges only what is named; an item naming nothing is an error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../../test/helpers/cli.ts';
import { stateDirFor } from '../../state/store.ts';
import { intrusionRoot, intrusionSpec, regenerate, removeRoot } from '../../procs/testing.ts';

const NOW = new Date('2026-12-07T06:05:00Z');
const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) removeRoot(d);
});

const MINER =
  'left out: /dev/shm/.x/kdevtmpfsi (deleted) of kdevtmpfsi (scanner): runs from a deleted binary in a temp directory; investigate it';

/** A tree whose baseline was recorded healthy, then infected; its global options and baseline file. */
async function week() {
  const root = intrusionRoot(true);
  const state = tempDir('tenken-state-');
  cleanup.push(root, state);
  const g = ['--root', root, '--state', state];
  const rec = await runCli([...g, 'baseline', 'record'], { now: NOW });
  expect(rec.code).toBe(0);
  regenerate(root, intrusionSpec());
  return { g, file: path.join(stateDirFor(state, root), 'baseline.json') };
}

describe('tenken baseline approve', () => {
  it('leaves the intruder out, says why, exits 2, and the next check still reports it CRITICAL', async () => {
    const { g, file } = await week();
    const run = await runCli([...g, 'baseline', 'approve'], { now: NOW });
    expect(run.code).toBe(2);
    const lines = run.stdout.split('\n');
    expect(lines).toContain(MINER);
    expect(lines).toContain(
      'left out: /var/tmp/.k/kworkerd of kworkerd (nobody): runs from a temp directory; investigate it',
    );
    expect(lines).toContain(
      'left out: listener tcp 0.0.0.0:31337 (kworkerd): held only by a program left out here',
    );
    expect(lines).toContain('  + listener tcp 0.0.0.0:8080 (pasta.avx2)');
    expect(run.stdout).not.toContain('+ program /dev/shm');
    expect(readFileSync(file, 'utf8')).not.toMatch(/kdevtmpfsi|kworkerd|31337/);
    const check = await runCli([...g, '--format', 'json', 'check', '--only', 'procs'], { now: NOW });
    expect(check.code).toBe(2);
    expect(check.stdout).toContain(
      'Process kdevtmpfsi (pid 46088, user scanner) runs from a deleted binary in a temp directory',
    );
    // Nothing left to approve, but the intruders are still said, and still exit 2, under --quiet too.
    const again = await runCli([...g, '--quiet', 'baseline', 'approve'], { now: NOW });
    expect(again.code).toBe(2);
    expect(again.stdout).toContain(MINER);
    // Its head does not claim that what runs matches the baseline: the intruders do not.
    expect(again.stdout.split('\n')[0]).toMatch(/^Nothing to approve: apart from what is left out below, /);
  });

  it('lists the same with --dry-run, writing nothing, and exits 2 under --quiet too', async () => {
    const { g, file } = await week();
    const before = readFileSync(file, 'utf8');
    const dry = await runCli([...g, 'baseline', 'approve', '--dry-run'], { now: NOW });
    expect(dry.code).toBe(2);
    expect(dry.stdout).toMatch(/^Would approve 3 changes into /);
    expect(dry.stdout.split('\n')).toContain(MINER);
    const quiet = await runCli([...g, '--quiet', 'baseline', 'approve', '--dry-run'], { now: NOW });
    expect(quiet.code).toBe(2);
    const json = JSON.parse(
      (await runCli([...g, '--format', 'json', 'baseline', 'approve', '-n'], { now: NOW })).stdout,
    ) as { written: boolean; intruders: { text: string }[] };
    expect(json.written).toBe(false);
    expect(json.intruders.map((u) => u.text)).toContain(MINER.slice('left out: '.length));
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('with tcp/8080, merges only that listener and says what else differs', async () => {
    const { g, file } = await week();
    const run = await runCli([...g, 'baseline', 'approve', 'tcp/8080'], { now: NOW });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^Approved 2 changes into /);
    expect(run.stdout).toContain(
      'Not approved, not named on the command line (1):\n  - program /usr/sbin/crond (deleted) of crond (root) [crond]\n',
    );
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      listeners: { port: number }[];
      approved: unknown[];
    };
    expect(saved.listeners.map((l) => l.port)).toEqual([22, 8080, 8080]);
    expect(saved.approved).toEqual([]);
    // What is left: the backdoor's port, whose remedy does not suggest approving it.
    const procs = await runCli([...g, 'procs'], { now: NOW });
    expect(procs.stdout).not.toContain('New listener tcp 0.0.0.0:8080');
    expect(procs.stdout).toContain(
      'New listener tcp 0.0.0.0:31337 opened by kworkerd (pid 46100, user nobody); not in the baseline\n' +
        '           pids: 46100\n' +
        '           find out who started it: it runs from a temp directory (see the CRITICAL finding), which `tenken baseline approve` never takes in\n',
    );
  });

  it('exits 3 with one line naming the differences when an item names none, approving nothing', async () => {
    const { g, file } = await week();
    const before = readFileSync(file, 'utf8');
    const run = await runCli([...g, 'baseline', 'approve', 'tcp/8080', 'tcp/9999'], { now: NOW });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `tenken: Cannot approve tcp/9999: it names no difference between what runs now and ${file} (the differences: tcp/8080, crond); nothing was approved\n`,
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
    // Naming the intruder is no typo: it is said as left out, and nothing is approved.
    const named = await runCli([...g, 'baseline', 'approve', 'kdevtmpfsi'], { now: NOW });
    expect(named.code).toBe(2);
    expect(named.stdout.split('\n')).toContain(MINER);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('tenken baseline record', () => {
  it('on an infected host, leaves the intruders out with the same words and exits 2', async () => {
    const root = intrusionRoot(false);
    const state = tempDir('tenken-state-');
    cleanup.push(root, state);
    const run = await runCli(['--root', root, '--state', state, 'baseline', 'record'], { now: NOW });
    expect(run.code).toBe(2);
    expect(run.stdout.split('\n')).toContain(MINER);
    expect(run.stdout).toContain('Recorded, not approved: 1 process runs from a binary replaced on disk');
  });
});
