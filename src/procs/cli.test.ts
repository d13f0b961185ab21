import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.ts';
import { stateDirFor } from '../state/store.ts';
import { demoSpec, makeRoot, regenerate, removeRoot, youngNc } from './testing.ts';

const NOW = new Date('2026-11-25T00:00:00Z');
const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) removeRoot(d);
});

/** Runs tenken in-process at NOW; `error` is the one-line message a failure printed, without the `tenken: `. */
async function tenken(argv: string[]): Promise<{ out: string; code: number; error: string | null }> {
  const r = await runCli(argv, { now: NOW });
  return {
    out: r.stdout,
    code: r.code,
    error: r.stderr === '' ? null : r.stderr.replace(/^tenken: /, '').trimEnd(),
  };
}

describe('tenken baseline and tenken procs', () => {
  const root = makeRoot(demoSpec(), { healthy: true });
  const state = mkdtempSync(path.join(os.tmpdir(), 'tenken-state-'));
  cleanup.push(root, state);
  const g = ['--root', root, '--state', state];
  const file = path.join(stateDirFor(state, root), 'baseline.json');

  it('records, refuses to overwrite, flags the intruder, approves after review, and is OK again', async () => {
    const rec = await tenken([...g, 'baseline', 'record']);
    expect(rec.error).toBeNull();
    const healthyListeners = demoSpec()
      .processes.filter((p) => !p.intruder)
      .flatMap((p) => p.listen ?? []).length;
    expect(rec.out).toMatch(
      new RegExp(`^Recorded baseline ${file}: \\d+ process groups, ${healthyListeners} listeners\\n$`),
    );

    const again = await tenken([...g, 'baseline', 'record']);
    expect(again.error).toMatch(/^A baseline exists at .*: review `tenken procs`/);

    regenerate(root, demoSpec());
    const text = await tenken([...g, 'procs']);
    expect(text.code).toBe(2);
    expect(text.out).toContain(
      'New listener tcp 0.0.0.0:31337 opened by kworkerd (pid 4711, user nobody); not in the baseline',
    );
    expect(text.out).toContain('runs from a temp directory: /tmp/.X11-unix/.k/kworkerd');

    const json = JSON.parse((await tenken([...g, '--format', 'json', 'procs', '--list'])).out) as {
      status: string;
      baseline: { state: string; path: string };
      results: { service: string; findings: { kind: string }[] }[];
      processes: unknown[];
    };
    expect(json.status).toBe('CRITICAL');
    expect(json.baseline).toMatchObject({ state: 'ok', path: file });
    expect(json.processes.length).toBe(demoSpec().processes.length);

    const before = readFileSync(file, 'utf8');
    const dry = await tenken([...g, 'baseline', 'approve', '--dry-run']);
    expect(dry.out).toMatch(/^Would approve 5 changes into /);
    expect(dry.out).toContain('+ listener tcp 0.0.0.0:31337 (kworkerd)');
    expect(readFileSync(file, 'utf8')).toBe(before);

    expect((await tenken([...g, 'baseline', 'approve'])).out).toMatch(/^Approved 5 changes/);
    const after = await tenken([...g, 'procs']);
    expect(after.code).toBe(0);
    expect((await tenken([...g, 'baseline', 'approve'])).out).toMatch(/^Nothing to approve/);

    const show = await tenken([...g, 'baseline', 'show']);
    expect(show.out).toContain('tcp 0.0.0.0:31337');
    expect(show.out).toContain('kworkerd (nobody): /tmp/.X11-unix/.k/kworkerd');
  });

  it('leaves a program running from a temp directory out of a recorded baseline, its listener too', async () => {
    const infected = makeRoot(demoSpec(), { healthy: false });
    const st = mkdtempSync(path.join(os.tmpdir(), 'tenken-state-'));
    cleanup.push(infected, st);
    const gi = ['--root', infected, '--state', st];
    const rec = await tenken([...gi, 'baseline', 'record']);
    expect(rec.out).toMatch(
      /Not recorded: 2 processes run from a deleted or replaced binary, a memfd or a temp directory/,
    );
    const shown = await tenken([...gi, 'baseline', 'show']);
    expect(shown.out).not.toContain('31337');
    expect(shown.out).not.toContain('kworkerd');
    const json = JSON.parse(
      (await tenken([...gi, '--format', 'json', 'baseline', 'record', '--force'])).out,
    ) as { notRecorded: { pid: number; exe: string | null }[] };
    expect(json.notRecorded.map((p) => p.pid).sort()).toEqual([4711, 4720]);
    // The backdoor's port stays news until an admin approves it.
    expect((await tenken([...gi, 'procs'])).out).toContain(
      'New listener tcp 0.0.0.0:31337 opened by kworkerd',
    );
  });

  it('says in record and approve, text and JSON alike, which young processes it left out', async () => {
    const spec = demoSpec();
    const r = makeRoot({ ...spec, processes: [...spec.processes, youngNc(NOW)] }, { healthy: true });
    const st = mkdtempSync(path.join(os.tmpdir(), 'tenken-state-'));
    cleanup.push(r, st);
    const gy = ['--root', r, '--state', st];
    const note = /^Left out 1 process group started less than 120 s ago: nc \(root\)\./;
    const rec = JSON.parse((await tenken([...gy, '--format', 'json', 'baseline', 'record'])).out) as {
      young: string | null;
    };
    expect(rec.young).toMatch(note);
    const approve = await tenken([...gy, 'baseline', 'approve', '--dry-run']);
    expect(approve.out.split('\n')[1]).toMatch(note);
    const json = JSON.parse(
      (await tenken([...gy, '--format', 'json', 'baseline', 'approve', '--dry-run'])).out,
    ) as { written: boolean; changes: unknown[]; young: string | null };
    expect(json).toMatchObject({ written: false, changes: [] });
    expect(json.young).toMatch(note);
  });

  it('says how to start when there is no baseline, and rejects formats it cannot write', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'tenken-state-'));
    cleanup.push(other);
    const show = await tenken(['--root', root, '--state', other, 'baseline', 'show']);
    expect(show.error).toMatch(/^No baseline at .*: record one with `tenken baseline record`$/);
    const html = await tenken(['--root', root, '--state', other, '--format', 'html', 'procs']);
    expect(html.error).toBe('procs cannot write --format html: use text or json');
    const info = await tenken(['--root', root, '--state', other, 'procs', '-v']);
    expect(info.out).toMatch(
      /No baseline recorded \(.*baseline\.json\): .*record one with `tenken baseline record`/,
    );
  });
});
