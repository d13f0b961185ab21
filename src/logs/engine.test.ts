import {
  appendFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAll } from '../config/load.ts';
import type { Plan } from '../config/plan.ts';
import { type Host, makeHost } from '../core/host.ts';
import { type LogsConfig, logsConfig } from './config.ts';
import { buildResults } from './check.ts';
import { type LogsState, planSources, runEngine } from './engine.ts';
import { JournalAccessError, type JournalRunner, spawnJournalctl } from './read/journal.ts';
import { writeJournal } from '../../test/helpers/journal.ts';
import { compileRules } from './scan/rules.ts';
import { servicePlan, testPlan } from '../../test/helpers/plan.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Reads the plan's logs whole, as `check --all` does. */
async function readAll(
  host: Host,
  plan: Plan,
  config: LogsConfig = logsConfig.parse({}),
  threads = 1,
): Promise<Awaited<ReturnType<typeof runEngine>>> {
  return runEngine({
    host,
    plan,
    config,
    rules: compileRules(config),
    sources: await planSources(host, plan),
    mode: { kind: 'all' },
    journal: 'off',
    countLines: true,
    consumeTrailing: true,
    noIgnore: false,
    threads,
  });
}

const SYSLOG = 'Nov 24 10:00:00 gw sshd[7]: error: Could not load host key: /etc/ssh/ssh_host_ed25519_key\n';

function tree(link: (target: string, name: string) => void) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-engine-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  const syslog = path.join(root, 'var/log/syslog');
  writeFileSync(syslog, SYSLOG.repeat(3));
  link(syslog, path.join(root, 'var/log/messages'));
  return makeHost({ root, name: 'gw', now: new Date('2026-11-25T00:00:00Z'), env: { TZ: 'UTC' } });
}

describe('planSources', () => {
  const plan = testPlan(
    [servicePlan('sshd', { syslog: ['sshd'] })],
    ['/var/log/syslog', '/var/log/messages'],
  );

  for (const [kind, link] of [
    // A symbolic link names the tree's own path (`/var/log/syslog` is ROOT/var/log/syslog under --root).
    ['symbolic', (_t: string, n: string) => symlinkSync('/var/log/syslog', n)],
    ['hard', (t: string, n: string) => linkSync(t, n)],
  ] as const) {
    it(`reads a system log once when another listed name is a ${kind} link to it`, async () => {
      const host = tree(link);
      const sources = await planSources(host, plan);
      expect(sources.map((s) => s.path)).toEqual(['/var/log/syslog']);
      const r = await readAll(host, plan);
      const errors = r.stats.services.get('sshd')?.get('error');
      expect(errors?.count).toBe(3);
    });
  }
});

describe("the samba profile's logs", () => {
  it("reads Debian's per-client log.%m files, each rotated family once", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-engine-samba-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'var/log/samba'), { recursive: true });
    mkdirSync(path.join(root, 'etc/tenken'), { recursive: true });
    writeFileSync(path.join(root, 'etc/tenken/tenken.yaml'), 'detect: false\nservices:\n  samba: {}\n');
    for (const f of ['log.smbd', 'log.smbd.1', 'log.smbd.2.gz', 'log.pc1', 'log.pc1.1', 'log.192.0.2.7'])
      writeFileSync(path.join(root, 'var/log/samba', f), '');
    const { host, plan } = loadAll({ root, env: {} });
    const samba = (await planSources(host, plan)).filter((s) => s.owners.includes('samba'));
    // The profile's other paths are sources too (reported missing); the files that exist are read so:
    const found = samba.map((s) => s.path).filter((p) => existsSync(path.join(root, p)));
    expect(found.sort()).toEqual([
      '/var/log/samba/log.192.0.2.7',
      '/var/log/samba/log.pc1',
      '/var/log/samba/log.smbd',
    ]);
  });
});

describe('a line rsyslog wrote to two logs', () => {
  /** 16 postfix error lines of a healthy day, each with its own time and queue id. */
  const POSTFIX = Array.from(
    { length: 16 },
    (_, i) =>
      `Nov 24 ${String(i + 4).padStart(2, '0')}:17:0${i % 10} mx postfix/smtp[${900 + i}]: error: 4F${i}A: lost connection with mx.example.net[192.0.2.${i + 1}]`,
  );
  const body = (lines: string[]) => lines.map((l) => `${l}\n`).join('');

  /** A root with the postfix profile (own logs mail.log, maillog, mail.err; syslog tags postfix/*). */
  function mailHost(files: Record<string, string>, yaml = '') {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-engine-same-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    mkdirSync(path.join(root, 'etc/tenken'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc/tenken/tenken.yaml'),
      `detect: false\nservices:\n  postfix:\n    enabled: true\n${yaml}`,
    );
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, 'var/log', name), text);
    // Year-less stamps take their year from the file's time, capped at the inspection time: a fixed
    // one, not the day the test runs.
    return loadAll({ root, env: { TZ: 'UTC' }, now: new Date('2026-11-25T12:00:00Z') });
  }

  async function postfixErrors(files: Record<string, string>, threads = 1) {
    const { host, plan } = mailHost(files);
    const r = await readAll(host, plan, logsConfig.parse({}), threads);
    return r.stats.services.get('postfix')?.get('error');
  }

  it('counts each postfix error once when syslog and mail.log both have it', async () => {
    const errors = await postfixErrors({ syslog: body(POSTFIX), 'mail.log': body(POSTFIX) });
    expect(errors?.count).toBe(16);
    expect(Math.max(...(errors?.perHour.values() ?? []))).toBe(1);
    expect([...(errors?.sources ?? [])]).toEqual(['/var/log/syslog']);
    expect(errors?.samples.map((s) => s.source)).toEqual([
      '/var/log/syslog',
      '/var/log/syslog',
      '/var/log/syslog',
    ]);
  });

  it('never dates a year-less line after the inspection: a future mtime (copied tree) counts as now', async () => {
    const { host, plan } = mailHost({ 'mail.log': body([POSTFIX[0] as string]) });
    const ahead = new Date('2027-11-26T12:00:00Z');
    utimesSync(path.join(host.root, 'var/log/mail.log'), ahead, ahead);
    const r = await readAll(host, plan, logsConfig.parse({}), 1);
    const errors = r.stats.services.get('postfix')?.get('error');
    expect(new Date(errors?.last ?? 0).getUTCFullYear()).toBe(2026);
  });

  it('counts a line once in syslog, mail.log and mail.err, CRLF or not, and the lines only one log has', async () => {
    const onlyMail = 'Nov 24 23:00:00 mx postfix/qmgr[5]: error: open database /etc/postfix/x.db';
    const errors = await postfixErrors({
      syslog: body(POSTFIX),
      'mail.log': body([...POSTFIX.map((l) => `${l}\r`), onlyMail]),
      'mail.err': body(POSTFIX.slice(0, 5)),
    });
    expect(errors?.count).toBe(17);
    expect(errors?.last).toBe(Date.parse('2026-11-24T23:00:00Z'));
  });

  it('counts every copy of a line repeated within one log', async () => {
    const twice = [POSTFIX[0] as string, POSTFIX[0] as string];
    expect((await postfixErrors({ 'mail.log': body(twice) }))?.count).toBe(2);
    // n copies in one log and m in another count max(n, m).
    expect(
      (await postfixErrors({ syslog: body(twice), 'mail.log': body([...twice, ...twice]) }))?.count,
    ).toBe(4);
  });

  it("counts a line in each of one log's rotated members (one stream, not copies)", async () => {
    const line = POSTFIX[3] as string;
    const errors = await postfixErrors({ 'mail.log.1': body([line]), 'mail.log': body([line]) });
    expect(errors?.count).toBe(2);
    // With syslog holding it twice too, the family's two copies are the same two lines.
    expect(
      (
        await postfixErrors({
          syslog: body([line, line]),
          'mail.log.1': body([line]),
          'mail.log': body([line]),
        })
      )?.count,
    ).toBe(2);
  });

  it('counts a line a later log has when the earlier one sent it to no service', async () => {
    // syslog is the only system log: there a line of an unknown program goes nowhere (unmatched: ignore);
    // mail.log is postfix's own log, all its lines postfix's.
    const odd = 'Nov 24 12:00:00 mx opendkim[77]: error: key retrieval failed';
    const { host, plan } = mailHost(
      { syslog: body([odd]), 'mail.log': body([odd]) },
      'syslog:\n  files: [/var/log/syslog]\n',
    );
    const r = await readAll(host, plan, logsConfig.parse({ unmatched: 'ignore' }));
    expect(r.stats.services.get('postfix')?.get('error')?.count).toBe(1);
  });

  it("counts the same text in two services' own logs for each (they are no copies of one line)", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-engine-two-apps-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'var/log/a'), { recursive: true });
    mkdirSync(path.join(root, 'var/log/b'), { recursive: true });
    mkdirSync(path.join(root, 'etc/tenken'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc/tenken/tenken.yaml'),
      'detect: false\nservices:\n  a:\n    logs: [/var/log/a/a.log]\n  b:\n    logs: [/var/log/b/b.log]\n',
    );
    for (const f of ['a/a.log', 'b/b.log'])
      writeFileSync(path.join(root, 'var/log', f), 'warning: cache full\n'.repeat(3));
    const { host, plan } = loadAll({ root, env: { TZ: 'UTC' } });
    const r = await readAll(host, plan);
    expect(['a', 'b'].map((svc) => r.stats.services.get(svc)?.get('error')?.count)).toEqual([3, 3]);
  });
});

describe('a journal this run may not read', () => {
  it('is one UNKNOWN on the host (not INFO, not a "saved cursor not usable" reset), and keeps the cursor', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-engine-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'var/log/journal'), { recursive: true });
    writeFileSync(path.join(root, 'var/log/journal/system.journal'), ''); // a journal is there
    const host = makeHost({ root, name: 'gw', now: new Date('2026-11-25T00:00:00Z'), env: { TZ: 'UTC' } });
    const plan: Plan = { ...testPlan([], ['/var/log/syslog']), journal: 'auto' };
    const config = logsConfig.parse({});
    const rules = compileRules(config);
    const denied: JournalRunner = async function* () {
      await Promise.resolve();
      yield* [];
      throw new JournalAccessError('permission denied: the system journal is readable only by root');
    };
    const result = await runEngine({
      host,
      plan,
      config,
      rules,
      sources: await planSources(host, plan),
      mode: { kind: 'resume', state: { version: 1, sources: {}, journal: { cursor: 's=1' } } },
      journal: 'auto',
      journalRunner: denied,
      countLines: true,
      consumeTrailing: false,
      noIgnore: false,
    });
    expect(result.problems.filter((p) => p.path === 'journal').map((p) => [p.problem, p.reason])).toEqual([
      ['journal', 'permission denied: the system journal is readable only by root'],
    ]);
    expect(result.state.journal).toEqual({ cursor: 's=1' });
    const host_ = buildResults(plan, config, rules, result).find((r) => r.service === 'host');
    expect(host_?.findings.map((f) => [f.status, f.summary])).toContainEqual([
      'UNKNOWN',
      'Cannot read the journal: permission denied: the system journal is readable only by root',
    ]);
    // The failed journal is said once, as such: not also as "the journal was not read".
    expect(host_?.findings.filter((f) => /journal was not read/.test(f.summary))).toEqual([]);
  });
});

describe('a glob-matched log whose live file is missing', () => {
  /** mgetty's own logs by glob, as its profile lists them; each run resumes from the last one's state. */
  function mgettyHost() {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-engine-glob-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'var/log/mgetty'), { recursive: true });
    const host = makeHost({ root, name: 'gw', now: new Date('2026-11-26T12:00:00Z'), env: { TZ: 'UTC' } });
    const plan = testPlan(
      [servicePlan('mgetty', { logs: ['/var/log/mgetty/*', '/var/log/mgetty.ttyS*'] })],
      [],
    );
    const config = logsConfig.parse({});
    let state: LogsState | undefined;
    let k = 0;
    const lines = (n: number) =>
      Array.from({ length: n }, () => {
        k++;
        return `11/26 09:${String(Math.floor(k / 60)).padStart(2, '0')}:${String(k % 60).padStart(2, '0')}  yS1  mdm_send: '' -> read timed out (line ${k})\n`;
      }).join('');
    return {
      log: (name: string) => path.join(root, 'var/log', name),
      lines,
      /** Network lines this run reports (and its state kept for the next). */
      async run(): Promise<number> {
        const r = await runEngine({
          host,
          plan,
          config,
          rules: compileRules(config),
          sources: await planSources(host, plan),
          mode: { kind: 'resume', state },
          journal: 'off',
          countLines: true,
          consumeTrailing: false,
          noIgnore: false,
          threads: 1,
        });
        state = r.state;
        return r.stats.services.get('mgetty')?.get('network')?.count ?? 0;
      },
    };
  }

  it('reads the rotated copy from where the live file stopped during a rotation gap', async () => {
    const h = mgettyHost();
    const live = h.log('mgetty/mg_ttyS1.log');
    writeFileSync(live, h.lines(3));
    expect(await h.run()).toBe(3);
    appendFileSync(live, h.lines(2));
    renameSync(live, `${live}.1`); // `create` rotation, the new file not there yet
    expect(await h.run()).toBe(2);
    writeFileSync(live, h.lines(1));
    expect(await h.run()).toBe(1);
    expect(await h.run()).toBe(0);
  });

  it('reports nothing again when the live file is deleted and its rotated copies are renamed or compressed', async () => {
    const h = mgettyHost();
    const live = h.log('mgetty.ttyS1');
    writeFileSync(live, h.lines(3));
    expect(await h.run()).toBe(3);
    appendFileSync(live, h.lines(2));
    renameSync(live, `${live}.1`);
    writeFileSync(live, h.lines(4));
    expect(await h.run()).toBe(6);
    writeFileSync(`${live}.2.gz`, gzipSync(readFileSync(`${live}.1`)));
    rmSync(`${live}.1`);
    renameSync(live, `${live}.1`);
    expect(await h.run()).toBe(0);
    // The tty is retired: its live log goes, the rotated ones stay and age.
    writeFileSync(`${live}.3.gz`, gzipSync(readFileSync(`${live}.2.gz`)));
    rmSync(`${live}.2.gz`);
    writeFileSync(`${live}.2.gz`, gzipSync(readFileSync(`${live}.1`)));
    rmSync(`${live}.1`);
    expect(await h.run()).toBe(0);
    expect(await h.run()).toBe(0);
  });

  it('reads on a first run with only rotated copies what a first run with the live file reads', async () => {
    const h = mgettyHost();
    const live = h.log('mgetty/mg_ttyS2.log');
    writeFileSync(`${live}.1`, h.lines(5));
    expect(await h.run()).toBe(0);
    writeFileSync(live, h.lines(2));
    expect(await h.run()).toBe(2);
  });
});

describe('a resume read of the journal that fails', () => {
  it('keeps the saved cursor and reads the missed entries next run, not only this boot (an I/O error is no lost cursor)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-engine-'));
    dirs.push(root);
    const journalDir = path.join(root, 'var/log/journal');
    const host = makeHost({ root, name: 'gw', now: new Date('2026-11-25T00:00:00Z'), env: { TZ: 'UTC' } });
    const plan: Plan = { ...testPlan([], []), journal: 'on' };
    const config = logsConfig.parse({});
    const rules = compileRules(config);
    const at = Date.UTC(2026, 10, 24, 10, 0, 0);
    const line = (sec: number, boot: string, MESSAGE: string) => ({
      at: at + sec * 1000,
      _BOOT_ID: boot.repeat(32),
      _HOSTNAME: 'gw',
      SYSLOG_IDENTIFIER: 'named',
      MESSAGE,
    });
    const run = async (state: LogsState | undefined, journalRunner: JournalRunner = spawnJournalctl) =>
      runEngine({
        host,
        plan,
        config,
        rules,
        sources: [],
        mode: { kind: 'resume', state },
        journal: 'on',
        journalRunner,
        countLines: true,
        consumeTrailing: false,
        noIgnore: false,
      });
    const errors = (r: Awaited<ReturnType<typeof run>>) =>
      [...r.stats.services.values()].reduce((n, s) => n + (s.get('error')?.count ?? 0), 0);
    writeJournal(journalDir, [line(0, 'a', 'error: zone one')], 'one.journal');
    const first = await run(undefined);
    expect(errors(first)).toBe(1);
    // The rest of boot a (after the first run, before the reboot), then boot b.
    writeJournal(
      journalDir,
      [
        line(60, 'a', 'error: zone two'),
        line(61, 'a', 'error: zone three'),
        line(3600, 'b', 'error: after boot'),
      ],
      'two.journal',
    );
    const ioError: JournalRunner = (args, signal) => {
      if (args.includes('--cursor'))
        return (async function* () {
          await Promise.resolve();
          yield* [];
          throw new Error('Error was encountered while opening journal files: Input/output error');
        })();
      return spawnJournalctl(args, signal);
    };
    const failed = await run(first.state, ioError);
    expect(failed.problems.filter((p) => p.path === 'journal').map((p) => [p.problem, p.reason])).toEqual([
      ['journal', 'Error was encountered while opening journal files: Input/output error'],
    ]);
    expect(failed.state.journal).toEqual(first.state.journal);
    const next = await run(failed.state);
    expect(errors(next)).toBe(3);
    expect(next.problems.filter((p) => p.path === 'journal')).toEqual([]);
  });

  it('reads this boot and says so (a reset) when journalctl refuses the saved cursor', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-engine-'));
    dirs.push(root);
    const host = makeHost({ root, name: 'gw', now: new Date('2026-11-25T00:00:00Z'), env: { TZ: 'UTC' } });
    const plan: Plan = { ...testPlan([], []), journal: 'on' };
    const config = logsConfig.parse({});
    const rules = compileRules(config);
    writeJournal(path.join(root, 'var/log/journal'), [
      { at: Date.UTC(2026, 10, 24, 10), _HOSTNAME: 'gw', SYSLOG_IDENTIFIER: 'sshd', MESSAGE: 'noise' },
    ]);
    const r = await runEngine({
      host,
      plan,
      config,
      rules,
      sources: [],
      mode: { kind: 'resume', state: { version: 1, sources: {}, journal: { cursor: 'not a cursor' } } },
      journal: 'on',
      journalRunner: spawnJournalctl,
      countLines: true,
      consumeTrailing: false,
      noIgnore: false,
    });
    expect(r.problems.map((p) => [p.problem, p.reason])).toEqual([
      ['reset', 'saved cursor not usable: Failed to seek to cursor: Invalid argument'],
    ]);
    expect(r.state.journal?.cursor).toMatch(/^s=/);
  });
});
