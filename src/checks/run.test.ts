import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_ROOT, tempDir } from '../../test/helpers/cli.ts';
import { loadAll } from '../config/load.ts';
import { renderText } from '../report/text.ts';
import { StateStore } from '../state/store.ts';
import { commitPending, runChecks, selectKinds } from './run.ts';
import type { CheckKind } from './types.ts';

const loaded = () => loadAll({ root: DEMO_ROOT, env: {}, now: new Date('2026-11-26T00:00:00Z') });

describe('runChecks', () => {
  it("names the tree's zone in the report, and the text report shows the run's time in it", async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    writeFileSync(path.join(root, 'etc/timezone'), 'Asia/Tokyo\n');
    const cfg = loadAll({ root, env: {}, now: new Date('2026-11-26T00:00:00Z') });
    const noop: CheckKind = { description: 'n', run: () => Promise.resolve({ results: [] }) };
    const { report } = await runChecks(cfg, new StateStore(tempDir()), {
      kinds: ['n'],
      options: { all: false },
      registry: { n: noop },
    });
    expect(report.timeZone).toBe('Asia/Tokyo');
    expect(report.time).toBe('2026-11-26T00:00:00.000Z');
    expect(renderText(report, { color: false })).toContain(' at 2026-11-26 09:00:00 Asia/Tokyo\n');
  });

  it("counts services, not check results, in the report's headline, each by its worst status, and names them", async () => {
    const result = (service: string, status: 'OK' | 'WARNING' | 'CRITICAL') => ({
      service,
      status,
      summary: status,
      findings: [],
    });
    // sshd is CRITICAL in two checks and WARNING in a third: one critical service, not two and a warning.
    const a: CheckKind = {
      description: 'a',
      run: () => Promise.resolve({ results: [result('sshd', 'CRITICAL'), result('httpd', 'WARNING')] }),
    };
    const b: CheckKind = {
      description: 'b',
      run: () => Promise.resolve({ results: [result('sshd', 'CRITICAL'), result('cron', 'OK')] }),
    };
    const c: CheckKind = {
      description: 'c',
      run: () => Promise.resolve({ results: [result('sshd', 'WARNING')] }),
    };
    const { report } = await runChecks(loaded(), new StateStore(tempDir()), {
      kinds: ['a', 'b', 'c'],
      options: { all: false },
      registry: { a, b, c },
    });
    expect(report.summary).toMatch(/ inspected by 3 checks: 1 critical \(sshd\), 1 warning \(httpd\)$/);
  });

  it('names a journal entry in evidence without a line number (no `journal:0:`), in the text and the JSON', async () => {
    const spy: CheckKind = {
      description: 'journal evidence',
      run: () =>
        Promise.resolve({
          results: [
            {
              service: 'sshd',
              status: 'WARNING',
              summary: 'accepted, not in wtmp',
              findings: [
                {
                  kind: 'not-checked',
                  status: 'WARNING',
                  service: 'sshd',
                  summary: 'accepted, not in wtmp',
                  evidence: [
                    { source: 'journal', line: 0, text: 'sshd-session[2100]: Accepted password for bob' },
                    { source: '/var/log/auth.log', line: 7, text: 'sshd[7]: Accepted password for bob' },
                  ],
                  data: { what: 'state', path: 'x', reason: 'y' },
                },
              ],
            },
          ],
        }),
    };
    const { report } = await runChecks(loaded(), new StateStore(tempDir()), {
      kinds: ['spy'],
      options: { all: false },
      registry: { spy },
    });
    expect(report.checks[0]?.results[0]?.findings[0]?.evidence).toEqual([
      { source: 'journal', text: 'sshd-session[2100]: Accepted password for bob' },
      { source: '/var/log/auth.log', line: 7, text: 'sshd[7]: Accepted password for bob' },
    ]);
    const text = renderText(report, { color: false });
    expect(text).toContain('| journal: sshd-session[2100]: Accepted password for bob');
    expect(text).toContain('| /var/log/auth.log:7: sshd[7]');
  });

  it('says an unreadable state file once in the text report', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'spy.json'), 'garbage');
    const spy: CheckKind = { description: 'reads state', run: () => Promise.resolve({ results: [] }) };
    const store = new StateStore(dir);
    const { report } = await runChecks(loaded(), store, {
      kinds: ['spy'],
      options: { all: false },
      registry: { spy },
    });
    const text = renderText(report, { color: false });
    expect(text.split('spy.json').length - 1, text).toBe(1);
    expect(text).toMatch(/spy\.json: not valid JSON.*this run starts afresh for it/);
  });

  it('says that a state file it could not read is left as it is (the store then does not replace it)', async () => {
    const store = new StateStore(tempDir());
    // What StateStore.read records for root's 0600 file read by a user's run (store.test.ts runs that case).
    store.problems.push({
      file: '/var/lib/tenken/logs.json',
      reason: 'unreadable: permission denied',
      kept: true,
    });
    const { report } = await runChecks(loaded(), store, { kinds: [], options: { all: false } });
    expect(report.status).toBe('WARNING');
    expect(renderText(report, { color: false })).toContain(
      'State file /var/lib/tenken/logs.json: unreadable: permission denied; this run reads as if it were the first and leaves the file as it is',
    );
  });

  it("says once, as INFO, that a tree's times are read in UTC when its /etc/localtime or /etc/timezone tells no zone", async () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'etc'));
    writeFileSync(path.join(root, 'etc/localtime'), 'not a zone file');
    const tree = loadAll({ root, env: {}, now: new Date('2026-11-26T00:00:00Z') });
    const { report } = await runChecks(tree, new StateStore(tempDir()), {
      kinds: [],
      options: { all: false },
    });
    expect(report.status).toBe('INFO');
    const text = renderText(report, { color: false });
    const notice = 'zone: UTC (cannot tell the zone of /etc/localtime: not a zone file (TZif), or cut short)';
    expect(text).toContain(notice);
    expect(report.checks.map((c) => [c.kind, c.status, c.results[0]?.findings[0]?.data])).toEqual([
      [
        'zone',
        'INFO',
        { what: 'zone', path: '/etc/localtime', reason: 'not a zone file (TZif), or cut short' },
      ],
    ]);
    // No /etc/localtime, and an /etc/timezone naming no zone: the notice and its data name /etc/timezone.
    rmSync(path.join(root, 'etc/localtime'));
    writeFileSync(path.join(root, 'etc/timezone'), 'Asia/Nowhere\n');
    const named = await runChecks(tree, new StateStore(tempDir()), { kinds: [], options: { all: false } });
    expect(named.report.checks.map((c) => c.results[0]?.findings[0]?.data)).toEqual([
      {
        what: 'zone',
        path: '/etc/timezone',
        reason: 'it names "Asia/Nowhere", which is no zone this system knows',
      },
    ]);
    // The demo tree's zone is known: nothing is said.
    const demo = await runChecks(loaded(), new StateStore(tempDir()), { kinds: [], options: { all: false } });
    expect(demo.report.checks).toEqual([]);
  });

  it('sets aside, and says so, a saved state of the wrong shape (valid JSON another version wrote)', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'spy.json'), '{"version":2}');
    const seen: unknown[] = [];
    const spy: CheckKind = {
      description: 'reads state',
      readsState: (raw) => typeof raw === 'object' && raw !== null && (raw as { v?: unknown }).v === 1,
      run: (ctx) => {
        seen.push(ctx.state);
        return Promise.resolve({ results: [] });
      },
    };
    const { report } = await runChecks(loaded(), new StateStore(dir), {
      kinds: ['spy'],
      options: { all: false },
      registry: { spy },
    });
    expect(seen).toEqual([undefined]);
    expect(report.status).toBe('WARNING');
    expect(renderText(report, { color: false })).toMatch(
      /spy\.json: not a state this version of tenken writes \(ignored\); this run starts afresh for it/,
    );
  });

  it('says so when a real check kind is handed a state file of the wrong shape', async () => {
    const { checkKinds } = await import('./registry.ts');
    for (const name of ['logs', 'attacks', 'logins'] as const)
      expect([name, checkKinds[name].readsState?.({ version: 2 })]).toEqual([name, false]);
  });

  it('shows a check that throws as UNKNOWN while the others still run', async () => {
    const boom: CheckKind = {
      description: 'always fails',
      run: () => Promise.reject(new Error('simulated bug')),
    };
    const fine: CheckKind = {
      description: 'always fine',
      run: () =>
        Promise.resolve({
          results: [{ service: 'sshd', status: 'WARNING', summary: 'a warning', findings: [] }],
          state: { n: 1 },
        }),
    };
    const store = new StateStore(tempDir());
    const { report, pending } = await runChecks(loaded(), store, {
      kinds: ['boom', 'fine'],
      options: { all: false },
      registry: { boom, fine },
    });
    const byKind = Object.fromEntries(report.checks.map((c) => [c.kind, c]));
    expect(byKind.boom?.status).toBe('UNKNOWN');
    expect(byKind.boom?.results[0]?.findings[0]).toMatchObject({
      kind: 'check-error',
      data: { check: 'boom', error: 'simulated bug' },
      evidence: [], // no stack trace in the report (TENKEN_DEBUG is not set)
    });
    expect(byKind.fine?.status).toBe('WARNING');
    expect(report.status).toBe('UNKNOWN');
    expect(pending).toEqual([{ kind: 'fine', state: { n: 1 } }]);
  });

  it('gives each check its committed state, and none with --all', async () => {
    const seen: unknown[] = [];
    const spy: CheckKind = {
      description: 'records its state',
      run: (ctx) => {
        seen.push(ctx.state);
        return Promise.resolve({
          results: [],
          state: { runs: ((ctx.state as { runs?: number } | undefined)?.runs ?? 0) + 1 },
        });
      },
    };
    const store = new StateStore(tempDir());
    const run = (all: boolean) =>
      runChecks(loaded(), store, { kinds: ['spy'], options: { all }, registry: { spy } });
    commitPending(store, (await run(false)).pending);
    commitPending(store, (await run(false)).pending);
    const withAll = await run(true);
    expect(withAll.pending).toEqual([]);
    expect(seen).toEqual([undefined, { runs: 1 }, undefined]);
    expect(store.read('spy')).toEqual({ runs: 2 });
  });

  it("saves every other kind's state when one kind's file cannot be written, then says which failed", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'attacks.json'));
    mkdirSync(path.join(dir, 'dialup.json'));
    const store = new StateStore(dir);
    expect(() =>
      commitPending(store, [
        { kind: 'attacks', state: { a: 1 } },
        { kind: 'logins', state: { l: 1 } },
        { kind: 'dialup', state: { d: 1 } },
        { kind: 'logs', state: { o: 1 } },
      ]),
    ).toThrow(
      `Cannot write ${path.join(dir, 'attacks.json')}: is a directory (remove it); ` +
        `Cannot write ${path.join(dir, 'dialup.json')}: is a directory (remove it)`,
    );
    const next = new StateStore(dir);
    expect([next.read('logins'), next.read('logs')]).toEqual([{ l: 1 }, { o: 1 }]);
  });

  it('rejects unknown kinds in --only and disable', () => {
    expect(() => selectKinds(['nope'], [])).toThrow(/unknown check kind "nope"/);
    expect(selectKinds(undefined, ['services'])).not.toContain('services');
  });
});
