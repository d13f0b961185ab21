import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFifo } from '../../test/helpers/fifo.ts';
import { buildPlan } from '../config/build-plan.ts';
import { gatherFacts } from '../config/facts.ts';
import type { Plan } from '../config/plan.ts';
import { builtinProfiles } from '../config/profile.ts';
import { configSchema } from '../config/schema.ts';
import { makeHost } from '../core/host.ts';
import { makeZone } from '../core/tz.ts';
import { zonedTime } from '../report/time.ts';
import { TenkenError } from '../core/errors.ts';
import type { CheckResult } from '../core/report.ts';
import {
  approveBaseline,
  type Baseline,
  type ProcsFinding,
  readBaseline,
  recordBaseline,
  writeBaseline,
  youngNote,
} from './baseline.ts';
import {
  type BaselineState,
  baselinePathFor,
  judge,
  loadBaseline,
  nextProcsState,
  observe,
  procsCheck,
  snapshotOf,
} from './check.ts';
import { hidepidFor } from './proc.ts';
import {
  type Spec,
  demoSpec,
  makeRoot,
  procsOptions,
  regenerate,
  removeRoot,
  service,
  youngNc,
} from './testing.ts';

const NOW = new Date('2026-11-25T00:00:00Z');
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) removeRoot(r);
});
function root(spec: Spec, opts: Parameters<typeof makeRoot>[1] = {}): string {
  const r = makeRoot(spec, opts);
  roots.push(r);
  return r;
}
const plan = (...services: Plan['services']): Plan => ({
  services,
  syslogFiles: [],
  journal: 'off',
  skipped: [],
});
const cfg = procsOptions();

async function recordFrom(r: string, c = cfg): Promise<Baseline> {
  const snap = snapshotOf(await observe({ root: r }, c), c, undefined, plan());
  return recordBaseline(snap, { host: 'demo', now: NOW, suspicious: [] });
}
async function judgeRoot(r: string, p: Plan, base: BaselineState, c = cfg): Promise<CheckResult[]> {
  return judge(await observe({ root: r }, c), p, c, base, { now: NOW });
}
const ok = (baseline: Baseline): BaselineState => ({ state: 'ok', path: '/state/baseline.json', baseline });
const findings = (results: CheckResult[], service?: string) =>
  results
    .filter((r) => service === undefined || r.service === service)
    .flatMap((r) => r.findings) as unknown as ProcsFinding[];

describe('a session of an on-demand service', () => {
  it('is not a new process when a super-server started it; a program merely named like one still is', async () => {
    const spec = demoSpec();
    const files = { 'etc/inetd.conf': 'ftp\tstream\ttcp\tnowait\troot\t/usr/sbin/tcpd\tin.ftpd -l -a\n' };
    const r = root(spec, { healthy: true, files });
    const base = await recordFrom(r);
    const session = (pid: number, ppid: number): Spec['processes'][number] => ({
      pid,
      ppid,
      name: 'in.ftpd',
      uid: 0,
      cmdline: ['in.ftpd', '-l', '-a'],
      exe: '/usr/sbin/in.ftpd',
      started: new Date(NOW.getTime() - 600_000).toISOString(),
    });
    // A login (xinetd → in.ftpd) and its data connection (in.ftpd → in.ftpd).
    regenerate(r, { ...spec, processes: [...spec.processes, session(7001, 455), session(7002, 7001)] }, true);
    const during = findings(await judgeRoot(r, plan(), ok(base)), 'host');
    expect(during.filter((f) => f.kind === 'process-new')).toEqual([]);
    // The same name started from a user's shell is news.
    regenerate(r, { ...spec, processes: [...spec.processes, { ...session(7003, 4720), uid: 1001 }] }, false);
    const planted = findings(await judgeRoot(r, plan(), ok(base)), 'host').filter(
      (f) => f.kind === 'process-new',
    );
    expect(planted.map((f) => f.summary)).toContain(
      'New process in.ftpd (user yanagi, pid 7003) not in the baseline',
    );
  });
});

describe('/proc mounted hidepid', () => {
  const mountinfo = (opts: string) =>
    `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n36 22 0:5 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc ${opts}\n`;

  it('is read from mountinfo: which option hides what from whom', () => {
    const user = { uid: 1001, groups: [1001] };
    expect(hidepidFor(mountinfo('rw,hidepid=invisible'), user)).toBe('hidepid=invisible');
    expect(hidepidFor(mountinfo('rw,hidepid=2,gid=27'), user)).toBe('hidepid=2');
    expect(hidepidFor(mountinfo('rw,hidepid=2,gid=27'), { uid: 1001, groups: [27] })).toBeNull();
    expect(hidepidFor(mountinfo('rw,hidepid=2'), { uid: 0, groups: [] })).toBeNull();
    expect(hidepidFor(mountinfo('rw,hidepid=0'), user)).toBeNull();
    expect(hidepidFor(mountinfo('rw'), user)).toBeNull();
    // The last mount on /proc is in effect.
    expect(hidepidFor(mountinfo('rw') + mountinfo('rw,hidepid=noaccess').split('\n')[1], user)).toBe(
      'hidepid=noaccess',
    );
  });

  it("makes a daemon not seen UNKNOWN, not CRITICAL, and other users' baseline processes not missing", async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    const base = await recordFrom(r);
    // hidepid=2 as yanagi sees it: root's and nobody's processes are not even listed.
    // (/proc/net still lists every socket: only the process directories go.)
    for (const proc of spec.processes)
      if (proc.uid !== 1001) rmSync(path.join(r, 'proc', String(proc.pid)), { recursive: true, force: true });
    mkdirSync(path.join(r, 'proc/self'), { recursive: true });
    writeFileSync(path.join(r, 'proc/self/mountinfo'), mountinfo('rw,hidepid=2'));
    const p = plan(service('sshd'), service('sendmail'));
    const asUser = judge(await observe({ root: r }, cfg, { uid: 1001, groups: [1001] }), p, cfg, ok(base), {
      now: NOW,
    });
    expect(findings(asUser, 'sshd').map((f) => [f.status, f.summary])).toEqual([
      [
        'UNKNOWN',
        "Cannot tell whether sshd runs: no sshd process is visible, and /proc hides other users' processes from this user (hidepid=2); run tenken as root",
      ],
    ]);
    const host = findings(asUser, 'host');
    expect(host.filter((f) => f.kind === 'process-missing')).toEqual([]);
    expect(host.map((f) => f.summary)).toContain(
      "Other users' processes are hidden from this user (/proc mounted hidepid=2): they were not compared with the baseline; run tenken as root to see every process",
    );
    // Root, on the same tree, is not subject to hidepid: the daemons are missing.
    const asRoot = judge(await observe({ root: r }, cfg, { uid: 0, groups: [0] }), p, cfg, ok(base), {
      now: NOW,
    });
    expect(findings(asRoot, 'sshd').map((f) => f.status)).toEqual(['CRITICAL']);
    expect(findings(asRoot, 'host').filter((f) => f.kind === 'process-missing').length).toBeGreaterThan(0);
  });
});

describe('a baseline from another host', () => {
  it('is not compared, and says so (a state directory restored onto a new server)', async () => {
    const r = root(demoSpec(), { healthy: true });
    const base = await recordFrom(r); // recorded on "demo"
    const obs = await observe({ root: r }, cfg);
    const here = findings(judge(obs, plan(), cfg, ok(base), { now: NOW, hostName: 'demo' }), 'host');
    expect(here.filter((f) => f.kind === 'baseline-absent')).toEqual([]);
    const there = findings(judge(obs, plan(), cfg, ok(base), { now: NOW, hostName: 'vm' }), 'host');
    expect(there.filter((f) => f.kind === 'baseline-absent').map((f) => [f.status, f.summary])).toEqual([
      [
        'UNKNOWN',
        'The baseline /state/baseline.json was recorded on demo, and this is vm: it was not compared; fix or replace it with `tenken baseline record --force`',
      ],
    ]);
    expect(there.filter((f) => f.kind === 'process-missing' || f.kind === 'listener-missing')).toEqual([]);
  });
});

describe('the baseline diff on a generated demo tree', () => {
  it('reports the intruder: its listener (CRITICAL, with pid), the new processes, and their programs', async () => {
    const r = root(demoSpec(), { healthy: true });
    const base = await recordFrom(r);
    regenerate(r, demoSpec());
    const host = findings(await judgeRoot(r, plan(), ok(base)), 'host');
    const listener = host.find((f) => f.kind === 'listener-new');
    expect(listener?.status).toBe('CRITICAL');
    expect(listener?.data).toMatchObject({
      listener: 'tcp 0.0.0.0:31337',
      pids: [4711],
      processes: ['kworkerd'],
      users: ['nobody'],
    });
    expect(listener?.evidence[0]).toMatchObject({ source: '/proc/net/tcp' });
    expect(
      host.filter((f) => f.kind === 'process-new').map((f) => [f.status, f.data.process, f.data.user]),
    ).toEqual([
      ['WARNING', 'kworkerd', 'nobody'],
      ['WARNING', 'eggdrop', 'yanagi'],
    ]);
    const exe = host
      .filter((f) => f.kind === 'process-exe')
      .map((f) => [f.status, f.data.pid, f.data.concerns]);
    expect(exe).toEqual([
      ['CRITICAL', 4711, ['temp-dir']],
      ['CRITICAL', 4720, ['deleted']],
    ]);
    expect(host.filter((f) => f.kind === 'listener-new')).toHaveLength(1);
  });

  it('calls a program replaced on disk since it started (an upgrade) a WARNING to restart, not an intruder', async () => {
    const r = root(demoSpec(), { healthy: true });
    const base = await recordFrom(r);
    regenerate(r, demoSpec());
    // A file at the deleted program's path again: what dpkg leaves when it upgrades a running daemon.
    mkdirSync(path.join(r, 'home/yanagi/.e'), { recursive: true });
    writeFileSync(path.join(r, 'home/yanagi/.e/eggdrop'), 'new build');
    const exe = findings(await judgeRoot(r, plan(), ok(base)), 'host').filter(
      (f) => f.kind === 'process-exe',
    );
    expect(exe.map((f) => [f.status, f.data.pid, f.data.concerns])).toEqual([
      ['CRITICAL', 4711, ['temp-dir']],
      ['WARNING', 4720, ['replaced']],
    ]);
    expect(exe[1]?.summary).toMatch(/replaced on disk since it started \(an upgrade\? restart it/);
  });

  it('says a replaced program once as a WARNING, then INFO in later runs (an hourly cron job until the reboot), and again for a new process', async () => {
    const r = root(demoSpec(), { healthy: true });
    const base = await recordFrom(r);
    regenerate(r, demoSpec());
    mkdirSync(path.join(r, 'home/yanagi/.e'), { recursive: true });
    writeFileSync(path.join(r, 'home/yanagi/.e/eggdrop'), 'new build');
    const obs = await observe({ root: r }, cfg);
    const replaced = (results: CheckResult[]) =>
      findings(results, 'host')
        .filter((f) => f.kind === 'process-exe' && f.data.pid === 4720)
        .map((f) => f.status);
    const first = judge(obs, plan(), cfg, ok(base), { now: NOW, reported: new Set() });
    expect(replaced(first)).toEqual(['WARNING']);
    const state = nextProcsState(obs, { previous: undefined, results: first, compared: true });
    const second = judge(obs, plan(), cfg, ok(base), { now: NOW, reported: new Set(state.reported) });
    expect(replaced(second)).toEqual(['INFO']);
    // Another process (a restart that ran the old binary again) is said again.
    const other = {
      ...obs,
      processes: obs.processes.map((p) => (p.pid === 4720 ? { ...p, start: `${p.start ?? ''}1` } : p)),
    };
    expect(
      replaced(judge(other, plan(), cfg, ok(base), { now: NOW, reported: new Set(state.reported) })),
    ).toEqual(['WARNING']);
  });

  it('is quiet when nothing changed', async () => {
    const r = root(demoSpec(), { healthy: true });
    const results = await judgeRoot(r, plan(), ok(await recordFrom(r)));
    expect(results.map((x) => [x.service, x.status])).toEqual([['host', 'OK']]);
    expect(results[0]?.summary).toMatch(/as in the baseline/);
  });

  it('reports a baseline process that is gone (CRITICAL) and a pool out of range (WARNING)', async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    const base = await recordFrom(r);
    expect(base.processes.find((p) => p.name === 'httpd' && p.user === 'nobody')).toMatchObject({
      min: 1,
      max: 8,
    });
    const workers = Array.from({ length: 9 }, (_, i) => ({
      ...(spec.processes.find((p) => p.pid === 515) as Spec['processes'][number]),
      pid: 900 + i,
    }));
    regenerate(
      r,
      { ...spec, processes: [...spec.processes.filter((p) => p.name !== 'crond'), ...workers] },
      true,
    );
    const host = findings(await judgeRoot(r, plan(), ok(base)), 'host');
    expect(host.find((f) => f.kind === 'process-missing')).toMatchObject({
      status: 'CRITICAL',
      data: { process: 'crond', user: 'root', expected: 'baseline' },
    });
    expect(host.find((f) => f.kind === 'process-count')).toMatchObject({
      status: 'WARNING',
      data: { process: 'httpd', user: 'nobody', count: 12, min: 1, max: 8 },
    });
  });

  it("leaves a planned service's workers (copies per connection) out of the comparison, even where an older baseline lists them", async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    const base = await recordFrom(r); // no plan: the httpd pool is in it
    const workers = Array.from({ length: 9 }, (_, i) => ({
      ...(spec.processes.find((p) => p.pid === 515) as Spec['processes'][number]),
      pid: 900 + i,
    }));
    regenerate(r, { ...spec, processes: [...spec.processes, ...workers] }, true);
    const counted = findings(await judgeRoot(r, plan(), ok(base)), 'host');
    expect(counted.filter((f) => f.kind === 'process-count')).toHaveLength(1);
    const withWorkers = plan(service('httpd', { workers: ['httpd'] }));
    const all = (await judgeRoot(r, withWorkers, ok(base))).flatMap((x) => x.findings);
    expect(all.filter((f) => /^process-(count|missing|new)$/.test(f.kind))).toEqual([]);
    // Gone entirely, they are not "missing" from the baseline either (the service check says httpd is down).
    regenerate(r, { ...spec, processes: spec.processes.filter((p) => p.name !== 'httpd') }, true);
    const gone = (await judgeRoot(r, withWorkers, ok(base))).flatMap((x) => x.findings);
    expect(gone.filter((f) => f.kind === 'process-missing' && f.service === 'host')).toEqual([]);
  });

  it('leaves out young processes (short-lived noise) but never their listeners', async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    const base = await recordFrom(r);
    const young: Spec['processes'][number] = {
      ...youngNc(NOW),
      listen: [{ proto: 'tcp', addr: '0.0.0.0', port: 4444 }],
    };
    regenerate(r, { ...spec, processes: [...spec.processes, young] }, true);
    const host = findings(await judgeRoot(r, plan(), ok(base)), 'host');
    expect(host.some((f) => f.kind === 'process-new')).toBe(false);
    expect(host.find((f) => f.kind === 'listener-new')?.data).toMatchObject({
      port: 4444,
      pids: [7000],
      processes: ['nc'],
    });
    // Nor does a young process become "expected" when a baseline is recorded now.
    const snap = snapshotOf(await observe({ root: r }, cfg), cfg, undefined, plan());
    const recorded = recordBaseline(snap, {
      host: 'demo',
      now: NOW,
      suspicious: [],
      minAgeSeconds: cfg.minAgeSeconds,
    });
    expect(recorded.processes.some((p) => p.name === 'nc')).toBe(false);
    // ...and record says so, so that the admin can approve it once it has run long enough.
    expect(youngNote(snap.processes, NOW, cfg.minAgeSeconds)).toBe(
      'Left out 1 process group started less than 120 s ago: nc (root). If they belong to the healthy state, run `tenken baseline approve` once they have run that long.',
    );
    expect(
      youngNote(
        snap.processes.filter((p) => p.name !== 'nc'),
        NOW,
        cfg.minAgeSeconds,
      ),
    ).toBeNull();
    expect(recorded.listeners.some((l) => l.port === 4444)).toBe(true);
  });

  it('ignores listed names (an admin shell) but still flags such a process running from /tmp', async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    const base = await recordFrom(r);
    const started = '2026-11-24T00:00:00Z';
    const shells: Spec['processes'] = [
      { pid: 7100, ppid: 1, name: 'bash', uid: 0, exe: '/usr/bin/bash', started },
      { pid: 7101, ppid: 1, name: 'bash', uid: 0, exe: '/dev/shm/bash', started },
    ];
    regenerate(r, { ...spec, processes: [...spec.processes, ...shells] }, true);
    const host = findings(await judgeRoot(r, plan(), ok(base)), 'host');
    expect(host.some((f) => f.kind === 'process-new')).toBe(false);
    expect(host.filter((f) => f.kind === 'process-exe').map((f) => f.data.pid)).toEqual([7101]);
  });

  it("reports a shell of a daemon's account (nobody's bash: a web shell), not a person's", async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    const base = await recordFrom(r);
    const started = '2026-11-24T00:00:00Z';
    const shells: Spec['processes'] = [
      { pid: 7200, ppid: 1, name: 'bash', uid: 65534, exe: '/usr/bin/bash', started }, // nologin
      { pid: 7201, ppid: 1, name: 'bash', uid: 1001, exe: '/usr/bin/bash', started }, // a person
    ];
    regenerate(r, { ...spec, processes: [...spec.processes, ...shells] }, true);
    const host = findings(await judgeRoot(r, plan(), ok(base)), 'host');
    expect(
      host.filter((f) => f.kind === 'process-new').map((f) => [f.status, f.data.process, f.data.user]),
    ).toEqual([['WARNING', 'bash', 'nobody']]);
  });

  describe('login sessions', () => {
    const passwd =
      'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' +
      'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n' +
      'alice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n';
    const started = '2026-11-24T00:00:00Z';
    /** A login's processes as systemd-logind leaves them: user manager, (sd-pam), its session bus, a shell. */
    const login = (uid: number, pid: number): Spec['processes'] => [
      {
        pid,
        ppid: 1,
        name: 'systemd',
        uid,
        cmdline: ['/usr/lib/systemd/systemd', '--user'],
        exe: '/usr/lib/systemd/systemd',
        started,
      },
      {
        pid: pid + 1,
        ppid: pid,
        name: '(sd-pam)',
        uid,
        cmdline: ['(sd-pam)'],
        exe: '/usr/lib/systemd/systemd',
        started,
      },
      {
        pid: pid + 2,
        ppid: pid,
        name: 'dbus-daemon',
        uid,
        cmdline: ['/usr/bin/dbus-daemon', '--session', '--address=systemd:', '--nofork', '--nopidfile'],
        exe: '/usr/bin/dbus-daemon',
        started,
      },
      { pid: pid + 3, ppid: 1, name: 'bash', uid, exe: '/usr/bin/bash', started },
    ];
    const newOrMissing = (results: CheckResult[]) =>
      findings(results, 'host')
        .filter((f) => f.kind === 'process-new' || f.kind === 'process-missing' || f.kind === 'process-count')
        .map((f) => f.summary);

    it('are OK when the admin who recorded the baseline logs out and another user logs in (systemd --user)', async () => {
      const spec = demoSpec();
      const r = root(
        { ...spec, processes: [...spec.processes, ...login(1000, 3110), ...login(0, 3300)] },
        {
          healthy: true,
          files: { 'etc/passwd': passwd },
        },
      );
      const base = await recordFrom(r);
      expect(base.processes.filter((p) => p.name === 'systemd' || p.name === 'dbus-daemon')).toEqual([]);
      regenerate(r, { ...spec, processes: [...spec.processes, ...login(1001, 4110)] }, true);
      expect(newOrMissing(await judgeRoot(r, plan(), ok(base)))).toEqual([]);
    });

    it('do not keep alerting from a baseline recorded before they were left out', async () => {
      const spec = demoSpec();
      const r = root(spec, { healthy: true, files: { 'etc/passwd': passwd } });
      const base = await recordFrom(r);
      const old: Baseline = {
        ...base,
        processes: [
          ...base.processes,
          { name: 'systemd', user: 'alice', min: 1, max: 4 },
          { name: 'dbus-daemon', user: 'alice', min: 1, max: 4 },
        ],
      };
      expect(newOrMissing(await judgeRoot(r, plan(), ok(old)))).toEqual([]);
    });

    it("still report a program merely named systemd, and judge a daemon account's user manager", async () => {
      const spec = demoSpec();
      const r = root(spec, { healthy: true, files: { 'etc/passwd': passwd } });
      const base = await recordFrom(r);
      const fakes: Spec['processes'] = [
        // From /tmp, with the right words: not systemd's program.
        {
          pid: 6100,
          ppid: 1,
          name: 'systemd',
          uid: 33,
          cmdline: ['systemd', '--user'],
          exe: '/tmp/systemd',
          started,
        },
        // A person's, but no user manager: no --user.
        {
          pid: 6200,
          ppid: 1,
          name: 'systemd',
          uid: 1001,
          cmdline: ['/home/bob/systemd'],
          exe: '/home/bob/systemd',
          started,
        },
        // The real program, but for an account nobody logs in as.
        ...login(65534, 6300).slice(0, 1),
      ];
      regenerate(r, { ...spec, processes: [...spec.processes, ...fakes] }, true);
      expect(newOrMissing(await judgeRoot(r, plan(), ok(base)))).toEqual([
        'New process systemd (user www-data, pid 6100) not in the baseline',
        'New process systemd (user bob, pid 6200) not in the baseline',
        'New process systemd (user nobody, pid 6300) not in the baseline',
      ]);
    });

    /** `systemd --user` double-forked to pid 1 by bob, run from `exe` (none: the link cannot be read). */
    const disguised = (pid: number, exe?: string): Spec['processes'][number] => ({
      pid,
      ppid: 1,
      name: 'systemd',
      uid: 1001,
      cmdline: ['systemd', '--user'],
      ...(exe === undefined ? {} : { exe }),
      started,
    });
    const newProcesses = (results: CheckResult[]) =>
      findings(results, 'host')
        .filter((f) => f.kind === 'process-new')
        .map((f) => [f.status, f.summary, f.data.pids, f.data.exe]);

    it('report a copy of systemd in a home or temp directory run as systemd --user, as a new process', async () => {
      const spec = demoSpec();
      const r = root(spec, { healthy: true, files: { 'etc/passwd': passwd } });
      const base = await recordFrom(r);
      const copies = [
        disguised(7777, '/home/bob/.local/lib/systemd/systemd'),
        disguised(7778, '/tmp/lib/systemd/systemd'),
        disguised(7779, '/dev/shm/usr/lib/systemd/systemd'),
      ];
      regenerate(r, { ...spec, processes: [...spec.processes, ...copies] }, true);
      expect(newProcesses(await judgeRoot(r, plan(), ok(base)))).toEqual([
        [
          'WARNING',
          'New process systemd (user bob, 3 instances) not in the baseline',
          [7777, 7778, 7779],
          '/home/bob/.local/lib/systemd/systemd',
        ],
      ]);
    });

    it("report a user manager whose program at systemd's path may be written by group or others", async () => {
      const spec = demoSpec();
      const r = root(spec, {
        healthy: true,
        files: { 'etc/passwd': passwd, 'usr/lib/systemd/systemd': '#!/bin/sh\n' },
      });
      const base = await recordFrom(r);
      const program = path.join(r, 'usr/lib/systemd/systemd');
      regenerate(r, { ...spec, processes: [...spec.processes, ...login(1001, 4110)] }, true);
      for (const mode of [0o757, 0o775]) {
        chmodSync(program, mode);
        expect(newProcesses(await judgeRoot(r, plan(), ok(base))), mode.toString(8)).toEqual([
          [
            'WARNING',
            'New process systemd (user bob, pid 4110) not in the baseline',
            [4110],
            '/usr/lib/systemd/systemd',
          ],
          // The bus it started is no login's either.
          [
            'WARNING',
            'New process dbus-daemon (user bob, pid 4112) not in the baseline',
            [4112],
            '/usr/bin/dbus-daemon',
          ],
        ]);
      }
    });

    it('do not leave out a systemd --user whose program this run may not read', async () => {
      const spec = demoSpec();
      const r = root(spec, { healthy: true, files: { 'etc/passwd': passwd } });
      const base = await recordFrom(r);
      regenerate(r, { ...spec, processes: [...spec.processes, disguised(7777)] }, true);
      expect(newProcesses(await judgeRoot(r, plan(), ok(base)))).toEqual([
        ['WARNING', 'New process systemd (user bob, pid 7777) not in the baseline', [7777], null],
      ]);
    });
  });

  it('after approve, the same state is OK, suspicious programs included', async () => {
    const r = root(demoSpec(), { healthy: true });
    const base = await recordFrom(r);
    regenerate(r, demoSpec());
    const obs = await observe({ root: r }, cfg);
    const suspicious = obs.processes.filter((p) => p.pid === 4711 || p.pid === 4720);
    const { baseline, changes } = approveBaseline(base, snapshotOf(obs, cfg, undefined, plan()), {
      now: NOW,
      suspicious,
    });
    expect(changes.map((c) => c.what).sort()).toEqual([
      'exe-approved',
      'exe-approved',
      'listener-added',
      'process-added',
      'process-added',
    ]);
    const results = judge(obs, plan(), cfg, ok(baseline), { now: NOW });
    expect(results.map((x) => x.status)).toEqual(['OK']);
  });

  it("says when the baseline was recorded in the host's zone, as the report's other times, not as UTC ISO", async () => {
    const r = root(demoSpec(), { healthy: true });
    const base = await recordFrom(r);
    const obs = await observe({ root: r }, cfg);
    const updated = (base as { updated: string }).updated;
    const results = judge(obs, plan(), cfg, ok(base), { now: NOW, zone: makeZone('Asia/Tokyo') });
    const host = results.find((x) => x.service === 'host');
    expect(host?.summary).toContain(`as in the baseline of ${zonedTime(updated, makeZone('Asia/Tokyo'))}`);
    expect(host?.summary).toMatch(/baseline of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d Asia\/Tokyo$/);
  });

  it('reports a baseline listener that is gone, unless a service already reports its port', async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    const base = await recordFrom(r);
    const noProxyPort = spec.processes.map((p) => (p.name === 'delegated' ? { ...p, listen: [] } : p));
    regenerate(r, { ...spec, processes: noProxyPort }, true);
    const host = findings(await judgeRoot(r, plan(), ok(base)), 'host');
    expect(host.find((f) => f.kind === 'listener-missing')).toMatchObject({
      status: 'WARNING',
      data: { port: 8080, expected: 'baseline' },
    });
    const withService = await judgeRoot(
      r,
      plan(service('delegate', { processes: ['delegated'], ports: [8080] })),
      ok(base),
    );
    expect(findings(withService, 'host').some((f) => f.kind === 'listener-missing')).toBe(false);
    expect(findings(withService, 'delegate').find((f) => f.kind === 'listener-missing')?.status).toBe(
      'WARNING',
    );
  });
});

describe("nmbd's per-interface sockets", () => {
  it('are no new listeners when a new interface appears, as the wildcard socket already listens there', async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    const base = await recordFrom(r);
    const renumbered = spec.processes.map((p) =>
      p.name === 'nmbd'
        ? {
            ...p,
            listen: [
              ...(p.listen ?? []),
              { proto: 'udp', addr: '10.99.0.1', port: 137 },
              { proto: 'udp', addr: '10.99.0.255', port: 138 },
            ],
          }
        : p,
    );
    const stranger: Spec['processes'][number] = {
      pid: 7300,
      ppid: 1,
      name: 'perl',
      uid: 65534,
      exe: '/usr/bin/perl',
      started: '2026-11-24T00:00:00Z',
      listen: [{ proto: 'udp', addr: '10.99.0.1', port: 5353 }],
    };
    regenerate(r, { ...spec, processes: [...(renumbered as Spec['processes']), stranger] }, true);
    const fresh = findings(await judgeRoot(r, plan(), ok(base)), 'host').filter(
      (f) => f.kind === 'listener-new',
    );
    // A UDP socket on one address without a wildcard twin is still news.
    expect(fresh.map((f) => f.data.listener)).toEqual(['udp 10.99.0.1:5353']);
    // A baseline that lists such copies (recorded before) does not miss them when the interface goes.
    const older = {
      ...base,
      listeners: [...base.listeners, { proto: 'udp' as const, addr: '10.0.0.9', port: 137, process: 'nmbd' }],
    };
    const gone = findings(await judgeRoot(r, plan(), ok(older)), 'host').filter(
      (f) => f.kind === 'listener-missing',
    );
    expect(gone).toEqual([]);
  });

  it('leave the wildcard socket itself judged: gone, it is missed (a killed dnsmasq or nmbd)', async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    const base = await recordFrom(r);
    const withUdp = {
      ...base,
      listeners: [
        ...base.listeners,
        { proto: 'udp' as const, addr: '0.0.0.0', port: 53, process: 'dnsmasq' },
      ],
    };
    const gone = findings(await judgeRoot(r, plan(), ok(withUdp)), 'host').filter(
      (f) => f.kind === 'listener-missing',
    );
    expect(gone.map((f) => f.summary)).toEqual([
      'Listener udp 0.0.0.0:53 (dnsmasq) from the baseline is gone',
    ]);
  });
});

describe('a daemon on a port of its own choosing', () => {
  it('is INFO, naming the ports it listens on and the setting, when its profile port is unused', async () => {
    const spec = demoSpec();
    const moved = spec.processes.map((p) =>
      p.name === 'sshd' ? { ...p, listen: [{ proto: 'tcp', addr: '0.0.0.0', port: 2222 }] } : p,
    );
    const r = root({ ...spec, processes: moved as Spec['processes'] }, { healthy: true });
    const sshd = service('sshd', { ports: [22], defaultPorts: true });
    const f = findings(await judgeRoot(r, plan(sshd), ok(await recordFrom(r))), 'sshd').find(
      (x) => x.kind === 'listener-missing',
    );
    expect([f?.status, f?.summary]).toEqual([
      'INFO',
      'Nothing listens on tcp/22 although sshd is running; it listens on tcp/2222 (services.sshd.ports in the config names the ports to expect)',
    ]);
    // Listening nowhere at all while running: still a WARNING.
    const deaf = spec.processes.map((p) => (p.name === 'sshd' ? { ...p, listen: [] } : p));
    regenerate(r, { ...spec, processes: deaf }, true);
    const g = findings(await judgeRoot(r, plan(sshd), ok(await recordFrom(r))), 'sshd').find(
      (x) => x.kind === 'listener-missing',
    );
    expect(g?.status).toBe('WARNING');
  });
});

const XINETD_FTP =
  'service ftp\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /usr/sbin/in.ftpd\n\tdisable = no\n}\n';
const XINETD_TELNET =
  'service telnet\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /usr/sbin/in.telnetd\n}\n';
const SERVICES = 'ftp\t\t21/tcp\ntelnet\t\t23/tcp\n';
const files = {
  'etc/services': SERVICES,
  'etc/xinetd.conf': 'defaults\n{\n}\nincludedir /etc/xinetd.d\n',
  'etc/xinetd.d/ftp': XINETD_FTP,
  'etc/xinetd.d/telnet': XINETD_TELNET,
};

describe('services', () => {
  const wuftpd = service('wu-ftpd', {
    processes: ['ftpd', 'wu-ftpd', 'in.ftpd'],
    ondemand: true,
    ports: [21],
    title: 'wu-ftpd',
  });
  const telnet = service('telnet', { processes: ['in.telnetd'], title: 'telnet' });
  it('an idle xinetd service whose listener is there is OK, with where it is defined', async () => {
    const r = root(demoSpec(), { healthy: true, files });
    const results = await judgeRoot(r, plan(wuftpd, telnet), { state: 'absent', path: null });
    for (const name of ['wu-ftpd', 'telnet']) {
      const res = results.find((x) => x.service === name);
      expect(res?.status, name).toBe('OK');
      expect(res?.summary).toMatch(/Idle, started on demand \(xinetd \/etc\/xinetd\.d\/\w+:1\)/);
    }
  });

  it('an on-demand service whose listener is missing is CRITICAL, naming the port', async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true, files });
    const noTelnet = spec.processes.map((p) =>
      p.name === 'xinetd' ? { ...p, listen: (p.listen ?? []).filter((l) => l.port !== 23) } : p,
    );
    regenerate(r, { ...spec, processes: noTelnet }, true);
    const results = await judgeRoot(r, plan(wuftpd, telnet), { state: 'absent', path: null });
    expect(results.find((x) => x.service === 'wu-ftpd')?.status).toBe('OK');
    const t = findings(results, 'telnet');
    expect(t.find((f) => f.kind === 'listener-missing')).toMatchObject({
      status: 'CRITICAL',
      data: { proto: 'tcp', port: 23, expected: 'ondemand' },
    });
  });

  it('a daemon that is not running is CRITICAL; one that runs is OK with its instances', async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    regenerate(r, { ...spec, processes: spec.processes.filter((p) => p.name !== 'sendmail') }, true);
    const results = await judgeRoot(r, plan(service('sendmail'), service('httpd', { ports: [80] })), {
      state: 'absent',
      path: null,
    });
    expect(results.find((x) => x.service === 'sendmail')).toMatchObject({
      status: 'CRITICAL',
      summary: 'sendmail is not running: no sendmail process',
    });
    const httpd = results.find((x) => x.service === 'httpd');
    expect(httpd?.status).toBe('OK');
    expect(httpd?.summary).toBe('Running: httpd ×4 (root, nobody)');
  });

  it('a daemon only installed (not enabled at boot, not running) is INFO, not CRITICAL', async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    regenerate(r, { ...spec, processes: spec.processes.filter((p) => p.name !== 'sendmail') }, true);
    const dormant = 'installed, but not running and not enabled at boot (sendmail)';
    const results = await judgeRoot(r, plan(service('sendmail', { dormant })), {
      state: 'absent',
      path: null,
    });
    expect(results.find((x) => x.service === 'sendmail')).toMatchObject({
      status: 'INFO',
      summary: `sendmail is ${dormant}`,
    });
    // The baseline saw it run: its death is news even where init would not restart it.
    const healthy = root(spec, { healthy: true });
    const base = await recordFrom(healthy);
    const died = await judgeRoot(r, plan(service('sendmail', { dormant })), ok(base));
    const r2 = died.find((x) => x.service === 'sendmail');
    expect(r2?.status).toBe('CRITICAL');
    expect(r2?.summary).toMatch(/^sendmail is not running: no sendmail process/);
  });

  it('a running service none of whose listed ports listens is reported (INFO when it listens elsewhere); one of them is enough', async () => {
    const r = root(demoSpec(), { healthy: true });
    const smbd = service('smbd', { processes: ['smbd', 'nmbd'], ports: [445] });
    const none = await judgeRoot(r, plan(smbd), { state: 'absent', path: null });
    const f = findings(none, 'smbd').find((x) => x.kind === 'listener-missing');
    expect(f).toMatchObject({ status: 'WARNING', data: { port: 445, expected: 'service' } });
    expect(f?.summary).toBe('Nothing listens on tcp/445 although smbd is running');
    // The demo's smbd listens on 139 only: against the profile's default ports, configured so, not broken.
    const byDefault = await judgeRoot(r, plan({ ...smbd, defaultPorts: true }), {
      state: 'absent',
      path: null,
    });
    const g = findings(byDefault, 'smbd').find((x) => x.kind === 'listener-missing');
    expect(g?.status).toBe('INFO');
    expect(g?.summary).toContain('it listens on tcp/139');
    const one = await judgeRoot(
      r,
      plan(service('smbd', { processes: ['smbd', 'nmbd'], ports: [445, 139] })),
      { state: 'absent', path: null },
    );
    expect(one.find((x) => x.service === 'smbd')?.status).toBe('OK');
  });

  it('a missing process of a service that otherwise runs comes from the baseline, under that service', async () => {
    const spec = demoSpec();
    const r = root(spec, { healthy: true });
    const base = await recordFrom(r);
    regenerate(r, { ...spec, processes: spec.processes.filter((p) => p.name !== 'nmbd') }, true);
    const results = await judgeRoot(r, plan(service('samba', { processes: ['smbd', 'nmbd'] })), ok(base));
    expect(findings(results, 'samba').find((f) => f.kind === 'process-missing')).toMatchObject({
      status: 'CRITICAL',
      data: { process: 'nmbd', expected: 'baseline' },
    });
  });
});

describe('without a usable baseline', () => {
  it('still checks the services and says how to record a baseline (INFO)', async () => {
    const r = root(demoSpec());
    const results = await judgeRoot(r, plan(service('sendmail')), {
      state: 'absent',
      path: '/var/lib/tenken/baseline.json',
    });
    expect(results.find((x) => x.service === 'sendmail')?.status).toBe('OK');
    const host = findings(results, 'host');
    expect(host.find((f) => f.kind === 'baseline-absent')).toMatchObject({
      status: 'INFO',
      data: { command: 'tenken baseline record' },
    });
    // Suspicious programs need no baseline.
    expect(host.filter((f) => f.kind === 'process-exe')).toHaveLength(2);
  });

  it('says, for a baseline this user may not read, to run tenken as its owner or root, not to replace it', async () => {
    const r = root(demoSpec(), { healthy: true });
    const file = '/var/lib/tenken/baseline.json';
    const denied = (owner: string | null): BaselineState => ({
      state: 'unreadable',
      path: file,
      reason: `Cannot read baseline ${file}: permission denied`,
      denied: { owner },
    });
    const summary = async (base: BaselineState) =>
      findings(await judgeRoot(r, plan(), base), 'host').find((f) => f.kind === 'baseline-absent')?.summary;
    expect(await summary(denied('root'))).toBe(
      `Cannot read baseline ${file}: permission denied; run tenken as root, who owns it`,
    );
    expect(await summary(denied('alice'))).toBe(
      `Cannot read baseline ${file}: permission denied; run tenken as its owner (alice) or as root`,
    );
    expect(await summary(denied(null))).toBe(
      `Cannot read baseline ${file}: permission denied; run tenken as the user that owns it, or as root`,
    );
  });

  it('reports a corrupt baseline file as UNKNOWN with its path, through the check kind', async () => {
    const r = root(demoSpec(), { healthy: true });
    const file = path.join(r, 'state-baseline.json');
    writeFileSync(file, '{"version": 1, "host": "x"');
    const config = configSchema.parse({ checks: { procs: { baseline: file } } });
    const out = await procsCheck.run({
      host: makeHost({ root: r, name: 'demo', now: NOW }),
      config,
      plan: plan(),
      state: undefined,
      options: { all: false },
      signal: AbortSignal.timeout(10_000),
    });
    const f = findings(out.results, 'host').find((x) => x.kind === 'baseline-absent');
    expect(f?.status).toBe('UNKNOWN');
    expect(f?.summary).toContain(`Cannot read baseline ${file}:`);
  });
});

describe('a baseline path that holds no file', () => {
  it('says to remove a link planted there, not to record --force (which refuses the link too)', async () => {
    const r = root(demoSpec(), { healthy: true });
    const file = path.join(r, 'linked-baseline.json');
    writeFileSync(path.join(r, 'target'), '{}');
    symlinkSync(path.join(r, 'target'), file);
    const base = await loadBaseline(file);
    expect(base).toMatchObject({ state: 'unreadable', notFile: true });
    const f = findings(await judgeRoot(r, plan(), base), 'host').find((x) => x.kind === 'baseline-absent');
    expect(f?.summary).toBe(
      `Cannot read baseline ${file}: it is a symbolic link (refusing to follow it); remove it, then record one with \`tenken baseline record\``,
    );
  });
});

describe('the baseline file', () => {
  it('is baseline.json in the state directory, or the configured path taken from the config file', () => {
    expect(baselinePathFor(procsOptions(), { stateDir: '/var/lib/tenken' })).toBe(
      '/var/lib/tenken/baseline.json',
    );
    const configured = procsOptions({ baseline: '../../var/lib/tenken/baseline.json' });
    expect(baselinePathFor(configured, { stateDir: '/s', configPath: '/demo/etc/tenken/tenken.yaml' })).toBe(
      '/demo/var/lib/tenken/baseline.json',
    );
    expect(baselinePathFor(procsOptions(), { stateDir: undefined })).toBeNull();
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-baseline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips through an atomic write (0600, no temp file left) and validates on read', async () => {
    const r = root(demoSpec(), { healthy: true });
    const b = await recordFrom(r);
    const file = path.join(dir, 'sub', 'baseline.json');
    await writeBaseline(file, b);
    await writeBaseline(file, { ...b, host: 'again' });
    expect(await readBaseline(file)).toEqual({ ...b, host: 'again' });
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(['baseline.json']);
    writeFileSync(file, JSON.stringify({ ...b, processes: [{ name: 'x', user: 'root', min: -1, max: 2 }] }));
    await expect(readBaseline(file)).rejects.toThrow(
      /^Cannot read baseline .*baseline\.json: processes\.0\.min: /,
    );
    writeFileSync(file, JSON.stringify({ ...b, processes: [{ name: 'x', user: 'root', min: 5, max: 2 }] }));
    await expect(readBaseline(file)).rejects.toThrow(
      /^Cannot read baseline .*baseline\.json: processes\.0\.max: min is above max \(a hand edit\?\)$/,
    );
  });

  it('says where a hand-edited baseline stops being JSON, as file:line:col on one line', async () => {
    const file = path.join(dir, 'edited.json');
    const cases: [string, string][] = [
      [
        '{\n  "version": 1,\n  "host": tru\n}',
        ':3:11: not valid JSON: unexpected bare word where a value is expected (strings are quoted)',
      ],
      ['{"version": 1, "host": }', ':1:24: not valid JSON: a value is missing'],
      ['{\n  "processes": [1,,2]\n}', ':2:19: not valid JSON: a value is missing'],
      ['{"version": 1', ':1:14: not valid JSON: an object must end with a }'],
      ['  \n', ': empty file'],
    ];
    for (const [text, where] of cases) {
      writeFileSync(file, text);
      const err = await readBaseline(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TenkenError);
      expect((err as Error).message).toBe(`Cannot read baseline ${file}${where}`);
    }
  });

  it('refuses a FIFO at the baseline path at once (a read would wait for a writer for good)', {
    timeout: 10_000,
  }, async () => {
    const file = path.join(dir, 'fifo.json');
    makeFifo(file);
    const t0 = Date.now();
    await expect(readBaseline(file)).rejects.toThrow(`Cannot read baseline ${file}: not a regular file`);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('refuses to read through a symlink planted at its name, quoting nothing of the target', async () => {
    const secret = path.join(dir, 'shadow');
    writeFileSync(secret, 'root:$6$secrethash:20228:0:99999:7:::\n');
    const link = path.join(dir, 'read-link.json');
    symlinkSync(secret, link);
    const err = await readBaseline(link).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TenkenError);
    expect((err as Error).message).toBe(
      `Cannot read baseline ${link}: it is a symbolic link (refusing to follow it)`,
    );
    // The same bytes in the file itself: a position and the kind of mistake, never the line.
    writeFileSync(link.replace('read-link', 'not-json'), readFileSync(secret));
    const msg = await readBaseline(link.replace('read-link', 'not-json')).catch(
      (e: unknown) => (e as Error).message,
    );
    expect(msg).toMatch(/not-json\.json:1:1: not valid JSON: /);
    expect(msg).not.toMatch(/root|secrethash|20228/);
  });

  it('refuses to write through a symlink planted at its name', async () => {
    const r = root(demoSpec(), { healthy: true });
    const b = await recordFrom(r);
    const target = path.join(dir, 'victim');
    writeFileSync(target, 'precious');
    const link = path.join(dir, 'linked.json');
    symlinkSync(target, link);
    await expect(writeBaseline(link, b)).rejects.toThrow(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('precious');
  });

  it('refuses a directory that is a symlink (a state directory planted elsewhere)', async () => {
    const r = root(demoSpec(), { healthy: true });
    const b = await recordFrom(r);
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, path.join(dir, 'state-link'));
    await expect(writeBaseline(path.join(dir, 'state-link', 'baseline.json'), b)).rejects.toThrow(
      /^Cannot write baseline .*baseline\.json: .*state-link is a symbolic link$/,
    );
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});

describe("cockpit's web console (socket-activated: cockpit.socket holds 9090 in pid 1)", () => {
  const t = (min: number) => new Date(NOW.getTime() - min * 60_000).toISOString();
  const idle: Spec = {
    btime: '2026-11-20T21:03:11Z',
    processes: [
      {
        pid: 1,
        ppid: 0,
        name: 'systemd',
        uid: 0,
        cmdline: ['/usr/lib/systemd/systemd', '--switched-root', '--system'],
        exe: '/usr/lib/systemd/systemd',
        started: t(5000),
        listen: [{ proto: 'tcp6', addr: '::', port: 9090 }],
      },
      { pid: 2, ppid: 0, name: 'kthreadd', uid: 0, kernel: true, started: t(5000) },
      { pid: 610, ppid: 1, name: 'crond', uid: 0, exe: '/usr/sbin/crond', started: t(5000) },
    ],
  };
  const worker = (pid: number, ppid: number, name: string, uid: number, exe: string) => ({
    pid,
    ppid,
    name,
    uid,
    cmdline: [exe],
    exe,
    started: t(10),
  });
  // An admin opened the console: cockpit.service's cockpit-tls, a cockpit-ws instance, the root PAM helper and
  // the user's bridge.
  const active: Spec = {
    ...idle,
    processes: [
      ...idle.processes,
      worker(4400, 1, 'cockpit-tls', 65534, '/usr/libexec/cockpit-tls'),
      worker(4401, 1, 'cockpit-ws', 65534, '/usr/libexec/cockpit-ws'),
      worker(4410, 4401, 'cockpit-session', 0, '/usr/libexec/cockpit-session'),
      worker(4411, 4410, 'cockpit-bridge', 1001, '/usr/bin/cockpit-bridge'),
    ],
  };
  const files = (enabled: boolean): Record<string, string> => ({
    'usr/libexec/cockpit-ws': '',
    'usr/lib/systemd/system/cockpit.socket':
      '[Unit]\nDescription=Cockpit Web Service Socket\n\n[Socket]\nListenStream=9090\n\n[Install]\nWantedBy=sockets.target\n',
    'usr/lib/systemd/system/cockpit.service':
      '[Unit]\nDescription=Cockpit Web Service\n\n[Service]\nExecStart=/usr/libexec/cockpit-tls\nUser=cockpit-ws\n',
    ...(enabled
      ? { 'etc/systemd/system/sockets.target.wants/cockpit.socket': '' }
      : { 'etc/systemd/system/.keep': '' }),
  });
  const planOf = (r: string) => buildPlan(configSchema.parse({}), builtinProfiles(), gatherFacts(r), r);

  it("gives no WARNING for the console session's processes against a baseline recorded while idle", async () => {
    const r = root(idle, { files: files(true) });
    const p = planOf(r);
    expect(p.services.find((s) => s.name === 'cockpit')?.reasons).toEqual(['file /usr/libexec/cockpit-ws']);
    const base = recordBaseline(snapshotOf(await observe({ root: r }, cfg), cfg, undefined, p), {
      host: 'rhel9',
      now: NOW,
      suspicious: [],
    });
    const idleResults = await judgeRoot(r, p, ok(base));
    expect(idleResults.find((x) => x.service === 'cockpit')).toMatchObject({ status: 'OK' });
    expect(idleResults.find((x) => x.service === 'cockpit')?.summary).toMatch(/Idle, started on demand/);

    regenerate(r, active);
    const during = await judgeRoot(r, p, ok(base));
    expect(during.map((x) => [x.service, x.status])).toEqual(
      expect.arrayContaining([
        ['cockpit', 'OK'],
        ['host', 'OK'],
      ]),
    );
    expect(findings(during).filter((f) => f.status !== 'OK' && f.status !== 'INFO')).toEqual([]);
  });

  it('is installed only (INFO, not CRITICAL) while cockpit.socket is not enabled', async () => {
    const r = root(
      { ...idle, processes: idle.processes.map((p) => ({ ...p, listen: [] })) },
      { files: files(false) },
    );
    const p = planOf(r);
    const results = await judgeRoot(r, p, { state: 'absent', path: null });
    expect(results.find((x) => x.service === 'cockpit')).toMatchObject({ status: 'INFO' });
  });
});
