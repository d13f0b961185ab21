import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ROOT, runCli, tempDir } from './helpers/cli.ts';

/*
 * A state directory on a full file system: a 256 KiB tmpfs filled up (the tests run as root, as CI does;
 * mounting needs it). The inspection must still be printed, the failure said in one line, and nothing
 * lost: the next run, with space again, reports the same findings and saves them.
 */

let mnt: string;
beforeAll(() => {
  mnt = tempDir('tenken-full-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`this test mounts a small tmpfs and needs root: ${String((err as Error).message)}`);
  }
});
afterAll(() => {
  execFileSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

/** Fills the file system until writes fail; returns the filler's path. */
function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  try {
    writeFileSync(filler, Buffer.alloc(4 << 20));
  } catch {
    // ENOSPC once full: what is written so far stays
  }
  return filler;
}

const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();

/**
 * Both runs inspect at one fixed time: a session open too long is judged against the inspection time on
 * every run (kato's in the demo tree), so with the real clock two runs a minute apart could differ.
 */
const NOW = new Date('2026-11-27T23:05:00Z');

/** The report without its header line (the inspection time) and the per-check timings. */
const body = (out: string) =>
  out
    .split('\n')
    .slice(1)
    .filter((l) => !l.startsWith('checks: '))
    .join('\n');

describe('a full disk under the state directory', () => {
  it('still prints the report, says in one line that the state was not saved, and loses nothing', async () => {
    const state = path.join(mnt, 'state');
    mkdirSync(state);
    const filler = fill(mnt);
    const full = await runCli(['--state', state, 'check', '--root', DEMO_ROOT], { now: NOW });
    expect(full.stderr).toMatch(/^tenken: Cannot write \/.+\.json: no space left on device\n$/);
    // The state could not be saved (UNKNOWN), but the report's CRITICAL is worse and stays the exit code.
    expect(full.code).toBe(2);
    expect(full.stdout).toMatch(/^CRITICAL host$/m);
    expect(files(state)).toEqual([]); // no half-written state, no temp file, no lock left behind

    rmSync(filler);
    const again = await runCli(['--state', state, 'check', '--root', DEMO_ROOT], { now: NOW });
    expect([again.stderr, again.code]).toEqual(['', 2]);
    expect(body(again.stdout)).toBe(body(full.stdout));
    expect(files(state)).toEqual(['attacks.json', 'dialup.json', 'logins.json', 'logs.json', 'procs.json']);

    const third = await runCli(['--state', state, 'check', '--root', DEMO_ROOT, '--only', 'logs'], {
      now: NOW,
    });
    expect(third.stdout).not.toMatch(/frequent/);
  });
});
