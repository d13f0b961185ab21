/**
 * People's login sessions (session.ts sessionOwner): their programs are never taken into a baseline, a
 * baseline that holds one does not stay CRITICAL when its person quits it, and each is reported as new once
 * per process through the check's state; root's and daemons' processes keep today's judgement.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Plan } from '../config/plan.ts';
import { configSchema } from '../config/schema.ts';
import { makeHost } from '../core/host.ts';
import type { CheckResult } from '../core/report.ts';
import { runCli, tempDir } from '../../test/helpers/cli.ts';
import {
  approveBaseline,
  type Baseline,
  leftOutOf,
  type ProcsFinding,
  recordBaseline,
  writeBaseline,
} from './baseline.ts';
import { type BaselineState, ignoredName, judge, observe, procsCheck, snapshotOf } from './check.ts';
import { peopleOf } from './proc.ts';
import {
  type Spec,
  type SpecProcess,
  demoSpec,
  makeRoot,
  procsOptions,
  regenerate,
  removeRoot,
} from './testing.ts';

const NOW = new Date('2026-11-25T00:00:00Z');
const STARTED = '2026-11-24T00:00:00Z';
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) removeRoot(r);
});

const PASSWD =
  'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' +
  'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n' +
  'alice:x:1000:1000:Alice Admin:/home/alice:/bin/bash\ncarol:x:1002:1002:Carol:/home/carol:/bin/bash\n';
const FILES = { 'etc/passwd': PASSWD, 'etc/login.defs': 'UID_MIN\t\t\t 1000\nUID_MAX\t\t\t60000\n' };

const plan: Plan = { services: [], syslogFiles: [], journal: 'off', skipped: [] };
const cfg = procsOptions();

/** Carol's irssi in her tmux (loginuid 1002). */
const irssi = (pid = 5100, started = STARTED): SpecProcess => ({
  pid,
  ppid: 1,
  name: 'irssi',
  uid: 1002,
  loginuid: 1002,
  cmdline: ['irssi'],
  exe: '/usr/bin/irssi',
  started,
});
/** A daemon alice restarted with `sudo /etc/init.d/exim4 restart` on a sysvinit host: root, loginuid 1000. */
const restarted: SpecProcess = {
  pid: 5200,
  ppid: 1,
  name: 'exim4',
  uid: 0,
  loginuid: 1000,
  cmdline: ['/usr/sbin/exim4', '-bd', '-q30m'],
  exe: '/usr/sbin/exim4',
  started: STARTED,
};
/** A daemon restarted from root's own console session (loginuid 0). */
const rootSession: SpecProcess = {
  pid: 5300,
  ppid: 1,
  name: 'ntpd',
  uid: 0,
  loginuid: 0,
  cmdline: ['/usr/sbin/ntpd', '-p', '/var/run/ntpd.pid'],
  exe: '/usr/sbin/ntpd',
  started: STARTED,
};
/** A daemon's worker started from alice's session: runs as www-data, a daemon's account. */
const worker: SpecProcess = {
  pid: 5400,
  ppid: 1,
  name: 'fcgiwrap',
  uid: 33,
  loginuid: 1000,
  cmdline: ['/usr/sbin/fcgiwrap'],
  exe: '/usr/sbin/fcgiwrap',
  started: STARTED,
};

function root(extra: SpecProcess[]): { r: string; spec: Spec } {
  const spec = demoSpec();
  const r = makeRoot({ ...spec, processes: [...spec.processes, ...extra] }, { healthy: true, files: FILES });
  roots.push(r);
  return { r, spec };
}
async function snapOf(r: string) {
  return snapshotOf(await observe({ root: r }, cfg), cfg, undefined, plan);
}
const hostFindings = (results: CheckResult[]) =>
  results.filter((x) => x.service === 'host').flatMap((x) => x.findings) as unknown as ProcsFinding[];
const ok = (baseline: Baseline): BaselineState => ({ state: 'ok', path: '/state/baseline.json', baseline });

describe("people's accounts", () => {
  it('are those with a uid from UID_MIN to UID_MAX and a login shell, or a home under /home below UID_MIN', () => {
    const passwd = `${PASSWD}joe:x:500:100:Joe:/home/joe:/bin/bash\nbackup:x:34:34:backup:/var/backups:/usr/sbin/nologin\nbig:x:70000:70000::/home/big:/bin/bash\n`;
    expect([...peopleOf(passwd, FILES['etc/login.defs']).values()].sort()).toEqual(['alice', 'carol', 'joe']);
    expect([...peopleOf(passwd, null).values()]).toContain('carol');
  });
});

describe("a program of a person's login session", () => {
  it('is left out by baseline record and approve, which say so; root and daemons restarted from a session are recorded', async () => {
    const { r } = root([irssi(), restarted, rootSession, worker]);
    const snap = await snapOf(r);
    const recorded = recordBaseline(snap, { host: 'demo', now: NOW, suspicious: [] });
    const names = recorded.processes.map((p) => `${p.name} ${p.user}`);
    expect(names).not.toContain('irssi carol');
    expect(names).toEqual(expect.arrayContaining(['exim4 root', 'ntpd root', 'fcgiwrap www-data']));
    expect(leftOutOf(snap).map((l) => l.text)).toEqual(["irssi (carol): a program of carol's login session"]);

    const without: Baseline = {
      ...recorded,
      processes: recorded.processes.filter((p) => p.name !== 'exim4'),
    };
    const { baseline, changes } = approveBaseline(without, snap, { now: NOW, suspicious: [] });
    expect(changes.map((c) => c.text)).toEqual(['process exim4 (root) ×1–4']);
    expect(baseline.processes.map((p) => p.name)).not.toContain('irssi');
  });

  it('is said as left out in the output of `tenken baseline record` and `approve`', async () => {
    const { r } = root([irssi()]);
    const state = tempDir('tenken-state-');
    roots.push(state);
    const g = ['--root', r, '--state', state];
    const rec = await runCli([...g, 'baseline', 'record'], { now: NOW });
    expect(rec.stdout).toContain("left out: irssi (carol): a program of carol's login session\n");
    const approve = await runCli([...g, '--format', 'json', 'baseline', 'approve'], { now: NOW });
    expect(JSON.parse(approve.stdout)).toMatchObject({
      written: false,
      changes: [],
      leftOut: [{ name: 'irssi', user: 'carol', session: 'carol' }],
    });
  });

  it('in a baseline recorded before, is not CRITICAL once she quits it: INFO, with how to drop it', async () => {
    const { r, spec } = root([irssi()]);
    const { sessionsLeftOut: _, ...recorded } = recordBaseline(await snapOf(r), {
      host: 'demo',
      now: NOW,
      suspicious: [],
    });
    const old: Baseline = {
      ...recorded,
      processes: [...recorded.processes, { name: 'irssi', user: 'carol', min: 1, max: 4 }],
    };
    const running = hostFindings(judge(await observe({ root: r }, cfg), plan, cfg, ok(old), { now: NOW }));
    expect(running.filter((f) => f.status !== 'OK' && f.status !== 'INFO')).toEqual([]);

    regenerate(r, spec, true);
    const gone = hostFindings(judge(await observe({ root: r }, cfg), plan, cfg, ok(old), { now: NOW }));
    expect(gone.filter((f) => f.kind === 'process-missing')).toEqual([
      expect.objectContaining({
        status: 'INFO',
        summary: expect.stringContaining(
          "Process irssi (user carol) is not running; the baseline expects 1–4, but carol is a person's account",
        ),
      }),
    ]);
  });

  it('is reported as new once per process (pid and start time) across runs; a new one is reported again', async () => {
    const { r, spec } = root([irssi(), rootSession]);
    const config = configSchema.parse({ checks: { procs: { baseline: `${r}/baseline.json` } } });
    const recorded = recordBaseline(await snapOf(r), { host: 'demo', now: NOW, suspicious: [] });
    await writeBaseline(`${r}/baseline.json`, {
      ...recorded,
      processes: recorded.processes.filter((p) => p.name !== 'ntpd'),
    });
    const run = (state: unknown) =>
      procsCheck.run({
        host: makeHost({ root: r, name: 'demo', now: NOW }),
        config,
        plan,
        state,
        options: { all: false },
        signal: AbortSignal.timeout(10_000),
      });
    const news = (results: CheckResult[]) =>
      hostFindings(results)
        .filter((f) => f.kind === 'process-new')
        .map((f) => f.summary);

    const first = await run(undefined);
    expect(news(first.results).sort()).toEqual([
      "New process irssi (user carol, pid 5100) not in the baseline: a program of carol's login session, said once per process",
      'New process ntpd (user root, pid 5300) not in the baseline',
    ]);
    expect(procsCheck.readsState?.(first.state)).toBe(true);
    const second = await run(first.state);
    // Root's new daemon keeps today's judgement: said on every run until approved.
    expect(news(second.results)).toEqual(['New process ntpd (user root, pid 5300) not in the baseline']);

    // She restarts irssi: another process (same pid reused, another start time) is news once more.
    regenerate(
      r,
      { ...spec, processes: [...spec.processes, irssi(5100, '2026-11-24T12:00:00Z'), rootSession] },
      true,
    );
    const third = await run(second.state);
    expect(news(third.results)).toContain(
      "New process irssi (user carol, pid 5100) not in the baseline: a program of carol's login session, said once per process",
    );
    // The state keeps only what runs now.
    expect(third.state).toEqual({ version: 1, reported: ['5100@2026-11-24T12:00:00.000Z'] });
  });
  it('is still reported once a baseline is there, after runs that compared nothing (none, unreadable, another host)', async () => {
    const { r } = root([irssi()]);
    const file = `${r}/baseline.json`;
    const config = configSchema.parse({ checks: { procs: { baseline: file } } });
    const run = (state: unknown) =>
      procsCheck.run({
        host: makeHost({ root: r, name: 'demo', now: NOW }),
        config,
        plan,
        state,
        options: { all: false },
        signal: AbortSignal.timeout(10_000),
      });
    const news = (results: CheckResult[]) =>
      hostFindings(results)
        .filter((f) => f.kind === 'process-new')
        .map((f) => f.summary);
    const irssiNew =
      "New process irssi (user carol, pid 5100) not in the baseline: a program of carol's login session, said once per process";
    const recorded = recordBaseline(await snapOf(r), { host: 'demo', now: NOW, suspicious: [] });
    const earlier = { version: 1, reported: ['4000@2026-11-23T00:00:00.000Z'] };

    // No baseline yet: nothing was reported, and the previous state is kept as it was.
    const none = await run(earlier);
    expect(news(none.results)).toEqual([]);
    expect(none.state).toEqual(earlier);
    // A damaged baseline, then one recorded on another host: the same.
    writeFileSync(file, '{"trunc');
    const damaged = await run(none.state);
    expect(damaged.state).toEqual(earlier);
    await writeBaseline(file, { ...recorded, host: 'elsewhere' });
    const foreign = await run(damaged.state);
    expect(news(foreign.results)).toEqual([]);
    expect(foreign.state).toEqual(earlier);

    // The baseline restored: carol's program is reported, once, and only then marked reported.
    await writeBaseline(file, recorded);
    const restored = await run(foreign.state);
    expect(news(restored.results)).toEqual([irssiNew]);
    expect(restored.state).toEqual({ version: 1, reported: ['5100@2026-11-24T00:00:00.000Z'] });
    expect(news((await run(restored.state)).results)).toEqual([]);
  });

  it('is marked reported only when a process-new finding named it (not while too young to be reported)', async () => {
    const young = irssi(5100, '2026-11-24T23:59:50Z');
    const { r } = root([young]);
    const file = `${r}/baseline.json`;
    const config = configSchema.parse({ checks: { procs: { baseline: file } } });
    await writeBaseline(file, recordBaseline(await snapOf(r), { host: 'demo', now: NOW, suspicious: [] }));
    const out = await procsCheck.run({
      host: makeHost({ root: r, name: 'demo', now: NOW }),
      config,
      plan,
      state: undefined,
      options: { all: false },
      signal: AbortSignal.timeout(10_000),
    });
    expect(hostFindings(out.results).filter((f) => f.kind === 'process-new')).toEqual([]);
    expect(out.state).toEqual({ version: 1, reported: [] });
  });
});

describe("a service run as a person's account (loginuid unset: started by init, not a login)", () => {
  /** A worker as carol, started at boot by systemd: no login session. */
  const service: SpecProcess = {
    pid: 5600,
    ppid: 1,
    name: 'worker',
    uid: 1002,
    cmdline: ['/usr/bin/python3', '/srv/app/worker.py'],
    exe: '/usr/bin/python3.11',
    started: STARTED,
  };

  it('is recorded in a baseline that says it leaves session programs out, and is CRITICAL when it dies', async () => {
    const { r, spec } = root([service]);
    const recorded = recordBaseline(await snapOf(r), { host: 'demo', now: NOW, suspicious: [] });
    expect(recorded.sessionsLeftOut).toBe(true);
    expect(recorded.processes).toContainEqual({ name: 'worker', user: 'carol', min: 1, max: 4 });

    regenerate(r, spec, true);
    const gone = hostFindings(judge(await observe({ root: r }, cfg), plan, cfg, ok(recorded), { now: NOW }));
    expect(gone.filter((f) => f.kind === 'process-missing')).toEqual([
      expect.objectContaining({
        status: 'CRITICAL',
        summary: 'Process worker (user carol) is not running; the baseline expects 1–4',
      }),
    ]);
  });

  it('has its count judged, and is neither kept alive nor hidden by the same name in her login session', async () => {
    const { r, spec } = root([service]);
    const recorded = recordBaseline(await snapOf(r), { host: 'demo', now: NOW, suspicious: [] });
    const many = [1, 2, 3, 4, 5].map((i) => ({ ...service, pid: 5600 + i }));
    regenerate(r, { ...spec, processes: [...spec.processes, service, ...many] }, true);
    const crowd = hostFindings(judge(await observe({ root: r }, cfg), plan, cfg, ok(recorded), { now: NOW }));
    expect(crowd.filter((f) => f.kind === 'process-count')).toEqual([
      expect.objectContaining({ status: 'WARNING', summary: expect.stringContaining('6 worker processes') }),
    ]);

    // The service dies while carol runs a program of the same name from her session.
    const hers = { ...service, pid: 5700, loginuid: 1002, cmdline: ['./worker'], exe: '/home/carol/worker' };
    regenerate(r, { ...spec, processes: [...spec.processes, hers] }, true);
    const swapped = hostFindings(
      judge(await observe({ root: r }, cfg), plan, cfg, ok(recorded), { now: NOW }),
    );
    expect(swapped.map((f) => [f.kind, f.status])).toEqual(
      expect.arrayContaining([
        ['process-missing', 'CRITICAL'],
        ['process-new', 'WARNING'],
      ]),
    );
  });

  it('in a baseline without the mark (recorded before sessions were left out) is INFO when gone, advising to re-record', async () => {
    const { r, spec } = root([service]);
    const { sessionsLeftOut: _, ...old } = recordBaseline(await snapOf(r), {
      host: 'demo',
      now: NOW,
      suspicious: [],
    });
    regenerate(r, spec, true);
    const gone = hostFindings(judge(await observe({ root: r }, cfg), plan, cfg, ok(old), { now: NOW }));
    expect(gone.filter((f) => f.kind === 'process-missing')).toEqual([
      expect.objectContaining({
        status: 'INFO',
        summary: expect.stringContaining('tenken baseline record --force writes a baseline without it'),
      }),
    ]);
  });
});

describe('a new process or listener', () => {
  it('names the remedy: the approve command with the run options, and ignoreListeners for a listener', async () => {
    const { r } = root([]);
    const recorded = recordBaseline(await snapOf(r), { host: 'demo', now: NOW, suspicious: [] });
    // A new daemon of root's, from its package's path (the demo's intruders' remedy is to investigate).
    const spec = demoSpec();
    const nginx: SpecProcess = {
      pid: 7100,
      ppid: 1,
      name: 'nginx',
      uid: 0,
      cmdline: ['nginx: master process /usr/sbin/nginx'],
      exe: '/usr/sbin/nginx',
      started: STARTED,
      listen: [{ proto: 'tcp', addr: '0.0.0.0', port: 31337 }],
    };
    regenerate(r, { ...spec, processes: [...spec.processes.filter((p) => !p.intruder), nginx] });
    const approve = `tenken --root ${r} baseline approve`;
    const f = hostFindings(
      judge(await observe({ root: r }, cfg), plan, cfg, ok(recorded), {
        now: NOW,
        approve: (item) => `${approve} ${item}`,
      }),
    );
    // The item form: pasted, it approves that listener or process only.
    const listener = f.find((x) => x.kind === 'listener-new');
    expect(listener?.data).toMatchObject({
      remedy: `if this is intended: \`${approve} tcp/31337\` (or \`checks.procs.ignoreListeners: [tcp/31337]\` in the config, to never compare it)`,
    });
    const proc = f.find((x) => x.kind === 'process-new');
    expect(proc?.data).toMatchObject({
      session: null,
      remedy: `if this is intended: \`${approve} ${proc?.data.process}:${proc?.data.user}\``,
    });

    // Through the check kind, the command carries the run's own --root, --config, --state (ctx.invocation).
    await writeBaseline(`${r}/baseline.json`, recorded);
    const out = await procsCheck.run({
      host: makeHost({ root: r, name: 'demo', now: NOW }),
      config: configSchema.parse({ checks: { procs: { baseline: `${r}/baseline.json` } } }),
      plan,
      state: undefined,
      options: { all: false },
      invocation: ['--root', r, '--state', '/var/lib/tenken test'],
      signal: AbortSignal.timeout(10_000),
    });
    expect(JSON.stringify(out.results)).toContain(
      `if this is intended: \`tenken --root ${r} --state '/var/lib/tenken test' baseline approve tcp/31337\``,
    );
  });
});

describe("the ignoreMore line suggested for a person's new program", () => {
  // Any user names a binary so (comm, at most 15 bytes); pasted as written, `ignoreMore: [x, sshd]` left
  // sshd out too, and `*` every process.
  const NAMES = [
    'x, sshd',
    'a]b #c',
    '"q": v',
    "it's",
    '- x',
    '*',
    '[a-z]*',
    '&a',
    '!t',
    'a`b',
    'e\u001b[2J\u0007',
    'tab\tx',
    '\u202egnp',
    '日本語',
    'true',
    'irssi',
  ];
  const program = (name: string, i: number): SpecProcess => ({ ...irssi(6000 + i), name, cmdline: [name] });

  it('is YAML that gives back exactly the name, as a glob that matches only it, with no control character raw', async () => {
    const { r: healthy } = root([]);
    const recorded = recordBaseline(await snapOf(healthy), { host: 'demo', now: NOW, suspicious: [] });
    const { r } = root(NAMES.map(program));
    const found = hostFindings(judge(await observe({ root: r }, cfg), plan, cfg, ok(recorded), { now: NOW }))
      .filter((f) => f.kind === 'process-new')
      .map((f) => f.data as { process: string; session: string | null; remedy?: string });
    expect(found.map((f) => f.process).sort()).toEqual([...NAMES].sort());
    for (const f of found) {
      expect(f.session).toBe('carol');
      const snippet = /\(`?(checks\.procs\.ignoreMore: [\s\S]*?)`? leaves it out for good\)$/.exec(
        f.remedy ?? '',
      )?.[1];
      expect(snippet, f.process).toBeDefined();
      expect(snippet, f.process).not.toMatch(/[\p{Cc}\p{Cf}]/u);
      const list = (parse(snippet ?? '') as Record<string, unknown>)['checks.procs.ignoreMore'] as string[];
      expect(list).toHaveLength(1);
      if (!/[*?[]/.test(f.process)) expect(list).toEqual([f.process]);
      expect(ignoredName(f.process, list), f.process).toBe(true);
      for (const other of [...NAMES, 'sshd', 'x', 'abc'].filter((n) => n !== f.process))
        expect(ignoredName(other, list), `${f.process} ~ ${other}`).toBe(false);
    }
  });

  it('is not suggested for a program named like a process the baseline expects', async () => {
    const { r: healthy } = root([]);
    const recorded = recordBaseline(await snapOf(healthy), { host: 'demo', now: NOW, suspicious: [] });
    const daemon = recorded.processes.find((p) => p.user === 'root')?.name as string;
    const { r } = root([program(daemon, 0)]);
    const mine = hostFindings(
      judge(await observe({ root: r }, cfg), plan, cfg, ok(recorded), { now: NOW }),
    ).find((f) => f.kind === 'process-new' && (f.data as { session: string | null }).session === 'carol');
    const remedy = (mine?.data as { remedy?: string } | undefined)?.remedy ?? '';
    expect(remedy).toContain("a login session's program is never taken into the baseline");
    expect(remedy).toContain('a process the baseline or a service expects');
    expect(remedy).not.toContain('ignoreMore: [');
  });
});
