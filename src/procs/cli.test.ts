import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.ts';
import { stateDirFor } from '../state/store.ts';
import { type SpecProcess, demoSpec, makeRoot, regenerate, removeRoot, youngNc } from './testing.ts';

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

  it('records, refuses to overwrite, flags the intruder, and approve leaves the intruder out', async () => {
    const rec = await tenken([...g, 'baseline', 'record']);
    expect(rec.error).toBeNull();
    const healthyListeners = demoSpec()
      .processes.filter((p) => !p.intruder)
      .flatMap((p) => p.listen ?? []).length;
    expect(rec.out).toMatch(
      new RegExp(`^Recorded baseline ${file}: \\d+ process groups, ${healthyListeners} listeners\\n$`),
    );

    const again = await tenken([...g, 'baseline', 'record']);
    const t = `tenken ${g.join(' ')}`;
    expect(again.error).toBe(
      `A baseline exists at ${file} (updated ${NOW.toISOString()}): review \`${t} procs\`, then \`${t} baseline approve\` merges what runs now into it, or \`${t} baseline record --force\` replaces it`,
    );

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

    // The intruders are what differs: approve never takes them in, says so, and exits 2 (CRITICAL, as the
    // check still is).
    const before = readFileSync(file, 'utf8');
    const dry = await tenken([...g, 'baseline', 'approve', '--dry-run']);
    expect(dry.code).toBe(2);
    expect(dry.out).toMatch(/^Nothing to approve: /);
    expect(dry.out).toContain(
      'left out: /tmp/.X11-unix/.k/kworkerd of kworkerd (nobody): runs from a temp directory; investigate it\n' +
        'left out: /home/yanagi/.e/eggdrop (deleted) of eggdrop (yanagi): runs from a deleted binary; investigate it\n' +
        'left out: listener tcp 0.0.0.0:31337 (kworkerd): held only by a program left out here\n',
    );
    expect(readFileSync(file, 'utf8')).toBe(before);

    expect((await tenken([...g, 'baseline', 'approve'])).code).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(before);
    const after = await tenken([...g, 'procs']);
    expect(after.code).toBe(2);
    expect(after.out).toContain('runs from a temp directory: /tmp/.X11-unix/.k/kworkerd');

    const show = await tenken([...g, 'baseline', 'show']);
    expect(show.out).not.toContain('31337');
    expect(show.out).not.toContain('kworkerd');
  });

  it('leaves a program running from a temp directory out of a recorded baseline, its listener too', async () => {
    const infected = makeRoot(demoSpec(), { healthy: false });
    const st = mkdtempSync(path.join(os.tmpdir(), 'tenken-state-'));
    cleanup.push(infected, st);
    const gi = ['--root', infected, '--state', st];
    const rec = await tenken([...gi, 'baseline', 'record']);
    expect(rec.code).toBe(2);
    expect(rec.out).toContain(
      'left out: /tmp/.X11-unix/.k/kworkerd of kworkerd (nobody): runs from a temp directory; investigate it\n',
    );
    const shown = await tenken([...gi, 'baseline', 'show']);
    expect(shown.out).not.toContain('31337');
    expect(shown.out).not.toContain('kworkerd');
    const json = JSON.parse(
      (await tenken([...gi, '--format', 'json', 'baseline', 'record', '--force'])).out,
    ) as { notRecorded: { pid: number; exe: string | null }[] };
    expect(json.notRecorded.map((p) => p.pid).sort()).toEqual([4711, 4720]);
    // The backdoor's port stays news: approve never takes it in.
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
    expect(show.error).toBe(
      `No baseline at ${path.join(stateDirFor(other, root), 'baseline.json')}: record one with \`tenken --root ${root} --state ${other} baseline record\``,
    );
    const html = await tenken(['--root', root, '--state', other, '--format', 'html', 'procs']);
    expect(html.error).toBe('procs cannot write --format html: use text or json');
    const info = await tenken(['--root', root, '--state', other, 'procs', '-v']);
    expect(info.out).toContain(`on a healthy host`);
    expect(info.out).toContain(`record one with \`tenken --root ${root} --state ${other} baseline record\``);
  });

  it('suggests a record command that, pasted into a shell as written, records the baseline it looked for', async () => {
    const st = path.join(mkdtempSync(path.join(os.tmpdir(), 'tenken-state-')), "ops' state");
    cleanup.push(path.dirname(st));
    const cfgFile = path.join(path.dirname(st), 'tenken.yaml');
    writeFileSync(cfgFile, 'checks:\n  procs:\n    minAgeSeconds: 60\n');
    const gs = ['--root', root, '--config', cfgFile, '--state', st];
    const json = JSON.parse((await tenken([...gs, '--format', 'json', 'procs'])).out) as {
      results: { findings: { kind: string; data: { command?: string } }[] }[];
    };
    const command = json.results.flatMap((r) => r.findings).find((f) => f.kind === 'baseline-absent')
      ?.data.command;
    expect(command).toBe(
      `tenken --root ${root} --config ${cfgFile} --state '${path.dirname(st)}/ops'\\'' state' baseline record`,
    );
    // What a shell makes of it, word by word.
    const words = execFileSync('sh', ['-c', `set -- ${command}; printf '%s\\0' "$@"`], { encoding: 'utf8' })
      .split('\0')
      .slice(1, -1);
    expect(words).toEqual([...gs, 'baseline', 'record']);
    // `tenken check` says the same.
    expect((await tenken([...gs, '--format', 'json', 'check', '--only', 'procs'])).out).toContain(
      JSON.stringify(command),
    );
    expect((await tenken(words)).error).toBeNull();
    const after = await tenken([...gs, 'procs']);
    expect(after.out).not.toContain('No baseline recorded');
    // And `baseline show` of a --file names it in its advice, as `procs --baseline` does.
    const file = path.join(path.dirname(st), 'other.json');
    expect((await tenken([...gs, 'baseline', 'show', '--file', file])).error).toBe(
      `No baseline at ${file}: record one with \`${command} --file ${file}\``,
    );
    expect((await tenken([...gs, 'procs', '-v', '--baseline', file])).out).toContain(
      `record one with \`${command} --file ${file}\``,
    );
  });

  it('suggests in tenken procs the approve command tenken check suggests, with --baseline as --file', async () => {
    // A new web server of root's (marked `intruder` only so that the healthy tree is without it).
    const spec = demoSpec();
    const nginx: SpecProcess = {
      pid: 7100,
      ppid: 1,
      name: 'nginx',
      uid: 0,
      intruder: true,
      cmdline: ['nginx: master process /usr/sbin/nginx'],
      exe: '/usr/sbin/nginx',
      started: '2026-11-20T21:03:40Z',
      listen: [{ proto: 'tcp', addr: '0.0.0.0', port: 8081 }],
    };
    const withNginx = { ...spec, processes: [...spec.processes.filter((p) => !p.intruder), nginx] };
    const infected = makeRoot(withNginx, { healthy: true });
    const st = mkdtempSync(path.join(os.tmpdir(), 'tenken-state-'));
    cleanup.push(infected, st);
    const gi = ['--root', infected, '--state', st];
    expect((await tenken([...gi, 'baseline', 'record'])).error).toBeNull();
    const other = path.join(st, 'other.json');
    expect((await tenken([...gi, 'baseline', 'record', '--file', other])).error).toBeNull();
    regenerate(infected, withNginx);
    type Doc = { results: { findings: { kind: string; data: { remedy?: string } }[] }[] };
    const remedies = (doc: Doc) =>
      doc.results
        .flatMap((r) => r.findings)
        .filter((f) => f.kind === 'listener-new')
        .map((f) => f.data.remedy);
    const t = `tenken --root ${infected} --state ${st}`;
    const approve = `if this is intended: \`${t} baseline approve tcp/8081\``;
    // The default baseline: what `tenken check` says, in text and JSON.
    expect((await tenken([...gi, 'procs'])).out).toContain(approve);
    const fromProcs = remedies(JSON.parse((await tenken([...gi, '--format', 'json', 'procs'])).out) as Doc);
    const check = JSON.parse((await tenken([...gi, '--format', 'json', 'check', '--only', 'procs'])).out) as {
      checks: Doc[];
    };
    const fromCheck = check.checks.flatMap(remedies);
    expect(fromProcs).toEqual(fromCheck);
    expect(fromProcs[0]).toContain(approve);
    // A baseline named with --baseline: the approve command names it, and pasted, approves into it.
    const named = remedies(
      JSON.parse((await tenken([...gi, '--format', 'json', 'procs', '--baseline', other])).out) as Doc,
    );
    const command = `${t} baseline approve --file ${other} tcp/8081`;
    expect(named[0]).toContain(`if this is intended: \`${command}\``);
    const words = execFileSync('sh', ['-c', `set -- ${command}; printf '%s\\0' "$@"`], { encoding: 'utf8' })
      .split('\0')
      .slice(1, -1);
    expect((await tenken(words)).out).toMatch(/^Approved 1 changes into /);
    // That listener only: nginx itself is still new, until `approve nginx:root` (what its finding suggests).
    const left = await tenken([...gi, 'procs', '--baseline', other]);
    expect(left.code).toBe(1);
    expect(left.out).not.toContain('New listener');
    expect(left.out).toContain(`if this is intended: \`${t} baseline approve --file ${other} nginx:root\``);
  });
});
