/**
 * `record` and `approve` never take in what the procs check judges CRITICAL by itself (a program from a temp
 * directory, a memfd, a deleted binary not replaced by an upgrade) nor a listener held only by such programs,
 * and `approve` with items merges only the differences they name.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../config/plan.ts';
import type { CheckResult } from '../core/report.ts';
import {
  approveBaseline,
  type Baseline,
  exeStatus,
  type ProcsFinding,
  recordBaseline,
  setApartIntruders,
} from './baseline.ts';
import { approveCommand, type BaselineState, judge, observe, snapshotOf } from './check.ts';
import { intrusionRoot, procsOptions, regenerate, intrusionSpec, removeRoot } from './testing.ts';

const NOW = new Date('2026-12-07T06:05:00Z');
const plan: Plan = { services: [], syslogFiles: [], journal: 'off', skipped: [] };
const cfg = procsOptions();
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) removeRoot(r);
});
const ok = (baseline: Baseline): BaselineState => ({ state: 'ok', path: '/state/baseline.json', baseline });
const hostFindings = (results: CheckResult[]) =>
  results.filter((x) => x.service === 'host').flatMap((x) => x.findings) as unknown as ProcsFinding[];

/** A baseline recorded on the healthy tree, then the tree as the week left it, set apart for approve. */
async function infected() {
  const r = intrusionRoot(true);
  roots.push(r);
  const base = recordBaseline(snapshotOf(await observe({ root: r }, cfg), cfg, undefined, plan), {
    host: 'office9',
    now: NOW,
    suspicious: [],
  });
  regenerate(r, intrusionSpec());
  const obs = await observe({ root: r }, cfg);
  const apart = setApartIntruders(snapshotOf(obs, cfg, undefined, plan), obs.processes, {
    tempDirs: cfg.tempDirs,
    approved: base.approved,
  });
  return { r, base, obs, ...apart };
}

describe('what approve never takes in', () => {
  it('is the judgement of process-exe: only a binary replaced on disk alone is not CRITICAL', () => {
    expect(exeStatus(['replaced'])).toBe('WARNING');
    expect(exeStatus(['deleted'])).toBe('CRITICAL');
    expect(exeStatus(['deleted', 'temp-dir'])).toBe('CRITICAL');
    expect(exeStatus(['replaced', 'temp-dir'])).toBe('CRITICAL');
    expect(exeStatus(['memfd'])).toBe('CRITICAL');
  });

  it('leaves the intruders and their listeners out, and the next check still reports them CRITICAL', async () => {
    const { obs, base, healthy, leftOut, approvable } = await infected();
    expect(leftOut.map((l) => l.text)).toEqual([
      '/dev/shm/.x/kdevtmpfsi (deleted) of kdevtmpfsi (scanner): runs from a deleted binary in a temp directory; investigate it',
      '/var/tmp/.k/kworkerd of kworkerd (nobody): runs from a temp directory; investigate it',
      'listener tcp 0.0.0.0:31337 (kworkerd): held only by a program left out here',
    ]);
    // crond's binary replaced by an upgrade is a "needs restart" concern: approvable.
    expect(approvable.map((p) => p.name)).toEqual(['crond']);
    const { baseline, changes } = approveBaseline(base, healthy, { now: NOW, suspicious: approvable });
    expect(changes.map((c) => c.text).sort()).toEqual([
      'listener tcp 0.0.0.0:8080 (pasta.avx2)',
      'listener tcp6 [::]:8080 (pasta.avx2)',
      'program /usr/sbin/crond (deleted) of crond (root)',
    ]);
    expect(JSON.stringify(baseline)).not.toMatch(/kdevtmpfsi|kworkerd|31337/);
    const after = hostFindings(judge(obs, plan, cfg, ok(baseline), { now: NOW }));
    const critical = after.filter((f) => f.status === 'CRITICAL').map((f) => f.summary);
    expect(critical.sort()).toEqual([
      'New listener tcp 0.0.0.0:31337 opened by kworkerd (pid 46100, user nobody); not in the baseline',
      'Process kdevtmpfsi (pid 46088, user scanner) runs from a deleted binary in a temp directory: /dev/shm/.x/kdevtmpfsi (deleted)',
      'Process kworkerd (pid 46100, user nobody) runs from a temp directory: /var/tmp/.k/kworkerd',
    ]);
    expect(after.some((f) => f.kind === 'process-exe' && f.data.process === 'crond')).toBe(false);
  });

  it('does not set apart a program the baseline already approves (a hand-made approval)', async () => {
    const { snap, obs } = await (async () => {
      const r = intrusionRoot(false);
      roots.push(r);
      const o = await observe({ root: r }, cfg);
      return { snap: snapshotOf(o, cfg, undefined, plan), obs: o };
    })();
    const approved = [{ name: 'kworkerd', user: 'nobody', exe: '/var/tmp/.k/kworkerd' }];
    const { leftOut } = setApartIntruders(snap, obs.processes, { tempDirs: cfg.tempDirs, approved });
    expect(leftOut.map((l) => l.process)).toEqual(['kdevtmpfsi']);
  });
});

describe('approve with items', () => {
  it('merges only the differences named (tcp/8080: both tables), says the others, and names the unknown', async () => {
    const { base, healthy, approvable } = await infected();
    const only = approveBaseline(base, healthy, { now: NOW, suspicious: approvable, items: ['tcp/8080'] });
    expect(only.changes.map((c) => c.text)).toEqual([
      'listener tcp 0.0.0.0:8080 (pasta.avx2)',
      'listener tcp6 [::]:8080 (pasta.avx2)',
    ]);
    expect(only.skipped.map((c) => c.items[0])).toEqual(['crond']);
    expect(only.unmatched).toEqual([]);
    expect(only.baseline.listeners.map((l) => `${l.proto}/${l.port}`)).toEqual([
      'tcp/22',
      'tcp/8080',
      'tcp6/8080',
    ]);
    expect(only.baseline.approved).toEqual([]);

    const six = approveBaseline(base, healthy, {
      now: NOW,
      suspicious: approvable,
      items: ['tcp6/8080', 'nope'],
    });
    expect(six.changes.map((c) => c.text)).toEqual(['listener tcp6 [::]:8080 (pasta.avx2)']);
    expect(six.unmatched).toEqual(['nope']);
  });

  it("approves NAME:USER for that user's group only, and NAME for every user's", async () => {
    const { base, healthy } = await infected();
    // Two new groups of one name: the admin's python3 (root) and another running as www-data.
    const one = healthy.processes.find((p) => p.name === 'crond') as (typeof healthy.processes)[number];
    const py = (pid: number, uid: number, user: string) => ({ ...one, pid, name: 'python3', uid, user });
    const snap = {
      ...healthy,
      processes: [...healthy.processes, py(9001, 0, 'root'), py(9002, 33, 'www-data')],
    };
    const groups = (b: typeof base) =>
      b.processes.filter((p) => p.name === 'python3').map((p) => `${p.name}:${p.user}`);
    const narrow = approveBaseline(base, snap, { now: NOW, suspicious: [], items: ['python3:root'] });
    expect(groups(narrow.baseline)).toEqual(['python3:root']);
    expect(narrow.skipped.map((c) => c.items)).toContainEqual(['python3', 'python3:www-data']);
    expect(narrow.unmatched).toEqual([]);
    const wide = approveBaseline(base, snap, { now: NOW, suspicious: [], items: ['python3'] });
    expect(groups(wide.baseline)).toEqual(['python3:root', 'python3:www-data']);
    expect(
      approveBaseline(base, snap, { now: NOW, suspicious: [], items: ['python3:nobody'] }).unmatched,
    ).toEqual(['python3:nobody']);
  });

  it('is what a new listener suggests: pasted, the remedy approves that port only', async () => {
    const { r, obs, base } = await infected();
    const approve = (item: string) => approveCommand(['--root', r], undefined, item);
    const f = hostFindings(judge(obs, plan, cfg, ok(base), { now: NOW, approve }));
    const l8080 = f.find((x) => x.kind === 'listener-new' && x.data.port === 8080);
    expect(l8080?.data).toMatchObject({
      remedy: `if this is intended: \`tenken --root ${r} baseline approve tcp/8080\` (or \`checks.procs.ignoreListeners: [tcp/8080]\` in the config, to never compare it)`,
    });
    // A process named like an option is an item after `--`, quoted for the shell.
    expect(approveCommand([], undefined, "-x'y")).toBe("tenken baseline approve -- '-x'\\''y'");
  });
});
