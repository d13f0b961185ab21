import {
  appendFileSync,
  lchownSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckContext } from '../checks/types.ts';
import type { Plan } from '../config/plan.ts';
import { configSchema } from '../config/schema.ts';
import { makeHost } from '../core/host.ts';
import type { CheckResult } from '../core/report.ts';
import { buildPlan } from '../config/build-plan.ts';
import { gatherFacts } from '../config/facts.ts';
import { builtinProfiles } from '../config/profile.ts';
import { type LogFinding, logsCheck, makeLogsCheck } from './check.ts';
import type { AttackLines } from './route.ts';
import { writeJournal } from '../../test/helpers/journal.ts';
import { servicePlan, testPlan } from '../../test/helpers/plan.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tenken-logs-check-'));
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const service = servicePlan;

function ctx(
  plan: Plan,
  state: unknown,
  extra: Record<string, unknown> = {},
  options: CheckContext['options'] = { all: false },
): CheckContext {
  return {
    host: makeHost({ root, name: 'gw', now: new Date('2026-11-25T00:00:00Z'), env: { TZ: 'UTC' } }),
    config: configSchema.parse({ checks: { logs: extra } }),
    plan,
    state,
    options,
    signal: new AbortController().signal,
  };
}

const findings = (r: CheckResult[], svc: string) =>
  (r.find((x) => x.service === svc)?.findings ?? []) as unknown as LogFinding[];
const counts = (r: CheckResult[], svc: string) =>
  Object.fromEntries(
    findings(r, svc).flatMap((f) => (f.kind === 'log-category' ? [[f.data.category, f.data.count]] : [])),
  );

const SYSLOG = [
  'Nov 24 10:00:00 gw sendmail[5836]: j4P1a2b3c: SYSERR(root): mailer prog died with signal 213',
  'Nov 24 10:00:05 gw sendmail[5837]: getrequests: accept: No route to host',
  'Nov 24 10:01:00 gw sshd[900]: Failed password for root from 203.0.113.45 port 4242 ssh2',
  'Nov 24 10:02:00 gw kernel: [12.0] sendmail error in a kernel line (not sendmail)',
  'Nov 24 10:03:00 gw CRON[1]: (root) CMD (run-parts /etc/cron.hourly)',
  '',
].join('\n');

describe('the logs check', () => {
  it("counts a service's syslog lines by program tag, not by a word anywhere in the line", async () => {
    writeFileSync(path.join(root, 'var/log/syslog'), SYSLOG);
    const plan: Plan = testPlan([
      service('sendmail', { syslog: ['sendmail'] }),
      service('sshd', { syslog: ['sshd'] }),
    ]);
    const out = await logsCheck.run(ctx(plan, undefined));
    expect(counts(out.results, 'sendmail')).toEqual({ error: 1 });
    expect(counts(out.results, 'sshd')).toEqual({ invalid: 1 });
    expect(counts(out.results, 'host')).toEqual({ error: 1 });
    const err = findings(out.results, 'sendmail')[0];
    expect(err?.evidence[0]).toMatchObject({
      source: '/var/log/syslog',
      line: 1,
      time: '2026-11-24T10:00:00.000Z',
    });
    expect(err?.kind === 'log-category' && err.data.top).toEqual([
      { message: '# SYSERR(root): mailer prog died with signal #', count: 1 },
    ]);
  });

  it('reports nothing new on a second run with the saved state, and only appended lines after that', async () => {
    const file = path.join(root, 'var/log/syslog');
    writeFileSync(file, SYSLOG);
    const plan: Plan = testPlan([service('sendmail', { syslog: ['sendmail'] })]);
    const first = await logsCheck.run(ctx(plan, undefined));
    const second = await logsCheck.run(ctx(plan, first.state));
    expect(counts(second.results, 'sendmail')).toEqual({});
    writeFileSync(file, `${SYSLOG}Nov 24 11:00:00 gw sendmail[1]: timeout waiting for input\n`);
    const third = await logsCheck.run(ctx(plan, second.state));
    expect(counts(third.results, 'sendmail')).toEqual({ network: 1 });
    expect(findings(third.results, 'sendmail')[0]?.evidence[0]?.line).toBe(6);
  });

  it('reads at most maxReadPerRun of a log per run, says so as a WARNING, and the next runs go on from there', async () => {
    const file = path.join(root, 'var/log/app.log');
    // 3 MiB of lines, one error line in a thousand.
    const lines = Array.from({ length: 120_000 }, (_, i) =>
      i % 1000 === 0 ? `line ${i} error\n` : `line ${i} all is well here\n`,
    ).join('');
    writeFileSync(file, lines);
    const plan: Plan = testPlan([service('app', { logs: ['/var/log/app.log'] })]);
    let state: unknown;
    let errors = 0;
    const said: string[] = [];
    for (let run = 0; run < 6; run++) {
      const r = await logsCheck.run(ctx(plan, state, { maxReadPerRun: '1MiB' }));
      state = r.state;
      errors += counts(r.results, 'app').error ?? 0;
      const limited = findings(r.results, 'app').filter((f) => f.kind === 'log-source');
      if (limited.length === 0) break;
      expect(limited.map((f) => [f.status, f.data.problem])).toEqual([['WARNING', 'limited']]);
      said.push(limited[0]?.summary ?? '');
    }
    expect(errors).toBe(120);
    expect(said.length).toBeGreaterThanOrEqual(2);
    expect(said[0]).toMatch(
      /^\/var\/log\/app\.log: 2\.\d MB not read in this run \(over the 1 MiB per-run limit\); the next run goes on from here$/,
    );
    // --all looks at everything, whatever the limit.
    const all = await logsCheck.run(ctx(plan, undefined, { maxReadPerRun: '1MiB' }, { all: true }));
    expect(counts(all.results, 'app').error).toBe(120);
  });

  it('loads cursors saved before they said whether they stop inside a line, and commits an endless line once', async () => {
    const file = path.join(root, 'var/log/app.log');
    writeFileSync(file, 'line 1 error\nendless error ');
    truncateSync(file, 3 << 20); // NULs, no newline: over the 1 MiB long-line limit
    const plan: Plan = testPlan([service('app', { logs: ['/var/log/app.log'] })]);
    const first = await logsCheck.run(ctx(plan, undefined));
    expect(counts(first.results, 'app')).toEqual({ error: 2 });
    const saved = JSON.parse(JSON.stringify(first.state)) as {
      sources: Record<string, { cursors: Record<string, unknown>[] }>;
    };
    const cursor = saved.sources['/var/log/app.log']?.cursors[0];
    expect(cursor).toMatchObject({ offset: 3 << 20, inLine: true });
    const second = await logsCheck.run(ctx(plan, first.state));
    expect(counts(second.results, 'app')).toEqual({});
    // The same state as an older tenken saved it: no inLine. It loads (taken as not inside a line).
    delete cursor?.inLine;
    expect(logsCheck.readsState?.(saved)).toBe(true);
    appendFileSync(file, '\nline 3 error\n');
    const third = await logsCheck.run(ctx(plan, saved));
    expect(counts(third.results, 'app')).toEqual({ error: 1 });
  });

  it('--all rescans from the start and returns no state to commit', async () => {
    writeFileSync(path.join(root, 'var/log/syslog'), SYSLOG);
    const plan: Plan = testPlan([service('sendmail', { syslog: ['sendmail'] })]);
    const first = await logsCheck.run(ctx(plan, undefined));
    const again = await logsCheck.run(ctx(plan, first.state, {}, { all: true }));
    expect(counts(again.results, 'sendmail')).toEqual({ error: 1 });
    expect(again.state).toBeUndefined();
  });

  it('--since counts only lines at or after the time', async () => {
    writeFileSync(path.join(root, 'var/log/syslog'), SYSLOG);
    utimesSync(
      path.join(root, 'var/log/syslog'),
      new Date('2026-11-24T12:00:00Z'),
      new Date('2026-11-24T12:00:00Z'),
    );
    const plan: Plan = testPlan([service('sendmail', { syslog: ['sendmail'] })]);
    const out = await logsCheck.run(
      ctx(plan, undefined, {}, { all: false, since: new Date('2026-11-24T10:00:03Z') }),
    );
    expect(counts(out.results, 'sendmail')).toEqual({});
    expect(out.state).toBeUndefined();
  });

  it('turns counts into WARNING / CRITICAL with thresholds, service ones over config ones', async () => {
    const lines = Array.from(
      { length: 12 },
      (_, i) => `Nov 24 10:0${i % 10}:00 gw sendmail[${i}]: SYSERR: mailer died`,
    ).join('\n');
    writeFileSync(path.join(root, 'var/log/syslog'), `${lines}\n`);
    const plan: Plan = testPlan([
      service('sendmail', { syslog: ['sendmail'], thresholds: { error: { crit: 12 } } }),
    ]);
    // A run after an earlier one (saved state, this file new to it): the per-run limits apply.
    const earlier = { version: 1, sources: {} };
    const crit = await logsCheck.run(
      ctx(plan, earlier, {
        thresholds: { error: { warn: 5, crit: 100, warnPerHour: 100, critPerHour: 100 } },
      }),
    );
    expect(findings(crit.results, 'sendmail')[0]?.status).toBe('CRITICAL');
    plan.services[0] = service('sendmail', { syslog: ['sendmail'] });
    const warn = await logsCheck.run(
      ctx(plan, earlier, {
        thresholds: { error: { warn: 5, crit: 100, warnPerHour: 100, critPerHour: 100 } },
      }),
    );
    expect(findings(warn.results, 'sendmail')[0]?.status).toBe('WARNING');
    expect(warn.results.find((r) => r.service === 'sendmail')?.status).toBe('WARNING');
  });

  it('judges a first run by the per-hour limits only: its count is the backlog since the last rotation', async () => {
    // 25 hours of ordinary scanner noise, one `Invalid user` an hour: under every per-hour limit.
    const day = Array.from(
      { length: 25 },
      (_, i) =>
        `Nov ${23 + Math.floor((i + 1) / 24)} ${String((i + 1) % 24).padStart(2, '0')}:10:00 gw sshd[${100 + i}]: Invalid user admin from 203.0.113.${i} port 4000`,
    ).join('\n');
    writeFileSync(path.join(root, 'var/log/auth.log'), `${day}\n`);
    const plan: Plan = testPlan([service('sshd', { syslog: ['sshd'] })], ['/var/log/auth.log']);
    const first = await logsCheck.run(ctx(plan, undefined));
    const f = findings(first.results, 'sshd').find((x) => x.kind === 'log-category');
    expect(f).toMatchObject({ status: 'OK', data: { category: 'invalid', count: 25 } });
    // The next run's 25 new lines are over the per-run limit of 20.
    appendFileSync(path.join(root, 'var/log/auth.log'), `${day}\n`);
    const next = await logsCheck.run(ctx(plan, first.state));
    const g = findings(next.results, 'sshd').find((x) => x.kind === 'log-category');
    expect(g).toMatchObject({ status: 'WARNING', data: { category: 'invalid', count: 25 } });
    expect(g?.summary).toContain('(warning at 20 per run or 10 per hour)');
  });

  it("still judges a first run's lines without a time by the per-run limits: they fall in no hour", async () => {
    const lines = Array.from({ length: 25 }, (_, i) => `ERROR: database connection failed (worker ${i})`);
    writeFileSync(path.join(root, 'var/log/app.log'), `${lines.join('\n')}\n`);
    const plan: Plan = testPlan([service('app', { logs: ['/var/log/app.log'] })]);
    const first = await logsCheck.run(ctx(plan, undefined));
    const f = findings(first.results, 'app').find(
      (x) => x.kind === 'log-category' && x.data.category === 'error',
    );
    expect(f).toMatchObject({ status: 'WARNING', data: { count: 25 } });
    expect(f?.summary).toContain('(warning at 20 per run for its 25 lines without a time;');
  });

  it('applies per-service ignore rules to that service only', async () => {
    writeFileSync(path.join(root, 'var/log/syslog'), SYSLOG);
    const plan: Plan = testPlan([service('sendmail', { syslog: ['sendmail'] })]);
    const out = await logsCheck.run(
      ctx(plan, undefined, {
        ignore: { sendmail: ['mailer prog died'], host: [{ keyword: 'FAILED PASSWORD' }] },
      }),
    );
    expect(counts(out.results, 'sendmail')).toEqual({});
    expect(counts(out.results, 'host')).toEqual({ error: 1 });
  });

  it("reads a service's own log whole and reports a missing or unreadable one as a finding", async () => {
    mkdirSync(path.join(root, 'var/log/apache'), { recursive: true });
    writeFileSync(
      path.join(root, 'var/log/apache/access.log'),
      '198.51.100.23 - - [24/Nov/2026:10:00:00 +0000] "GET /cgi-bin/phf HTTP/1.0" 200 12\n',
    );
    mkdirSync(path.join(root, 'var/log/samba.log')); // a directory where a file is expected
    const plan: Plan = testPlan(
      [
        service('apache', { logs: ['/var/log/apache/access.log', '/var/log/apache/error.log'] }),
        service('samba', { logs: ['/var/log/samba.log'] }),
        service('ftpd', { logs: ['/var/log/xferlog', '/var/log/ftpd.log'] }),
      ],
      [],
    );
    const out = await logsCheck.run(ctx(plan, undefined));
    expect(counts(out.results, 'apache')).toEqual({ cgi: 1 });
    const problems = (svc: string) => findings(out.results, svc).filter((f) => f.kind === 'log-source');
    // Profiles list logs under every distribution's path: one existing is enough.
    expect(problems('apache')).toEqual([]);
    expect(problems('samba').map((f) => [f.status, f.summary])).toEqual([
      ['UNKNOWN', 'Cannot read /var/log/samba.log: is a directory'],
    ]);
    expect(problems('ftpd').map((f) => [f.status, f.summary])).toEqual([
      ['WARNING', 'Cannot read /var/log/xferlog, /var/log/ftpd.log: none of its 2 log paths exists'],
    ]);
  });

  it('reports a log that cannot be read as UNKNOWN, with the reason (also when running as root)', async () => {
    // Root reads files whatever their mode, so the sources are made unreadable in ways that fail for
    // root too: a directory where the log should be, and a symbolic link that points to itself.
    // Without root, a file with mode 000 is the everyday case and is checked as well.
    mkdirSync(path.join(root, 'var/log/dir.log'));
    symlinkSync('loop.log', path.join(root, 'var/log/loop.log'));
    const logs = ['/var/log/dir.log', '/var/log/loop.log'];
    const expected = [
      ['UNKNOWN', 'Cannot read /var/log/dir.log: is a directory'],
      ['UNKNOWN', 'Cannot read /var/log/loop.log: refusing to follow a symbolic link'],
    ];
    if (process.getuid?.() !== 0) {
      writeFileSync(path.join(root, 'var/log/secret.log'), 'x error\n');
      chmodSync(path.join(root, 'var/log/secret.log'), 0);
      logs.push('/var/log/secret.log');
      expected.push(['UNKNOWN', 'Cannot read /var/log/secret.log: permission denied']);
    }
    const plan: Plan = testPlan([service('app', { logs })], []);
    const out = await logsCheck.run(ctx(plan, undefined));
    expect(findings(out.results, 'app').map((f) => [f.status, f.summary])).toEqual(expected);
  });

  it('says in the summary which logs could not be read, not only that no line matched', async () => {
    // A directory where a log should be fails for root too (a mode 000 file does only for other users).
    writeFileSync(path.join(root, 'var/log/syslog'), 'Nov 24 10:00:00 gw cron[1]: (root) CMD (true)\n');
    mkdirSync(path.join(root, 'var/log/messages'));
    mkdirSync(path.join(root, 'var/log/app.log'));
    mkdirSync(path.join(root, 'var/log/web'), { recursive: true });
    mkdirSync(path.join(root, 'var/log/web/error.log'));
    writeFileSync(path.join(root, 'var/log/web/access.log'), 'GET /cgi-bin/phf HTTP/1.0\n');
    const plan: Plan = testPlan(
      [
        service('app', { logs: ['/var/log/app.log'] }),
        service('web', { logs: ['/var/log/web/access.log', '/var/log/web/error.log'] }),
      ],
      ['/var/log/syslog', '/var/log/messages'],
    );
    // A run after an earlier one: the access log's one undated CGI line is over the per-run limit of 1.
    const out = await logsCheck.run(ctx(plan, { version: 1, sources: {} }));
    const summary = (svc: string) => out.results.find((r) => r.service === svc)?.summary;
    expect(summary('host')).toBe('1 log not readable (is a directory); no new matching lines in the others');
    expect(summary('app')).toBe('1 log not readable (is a directory)');
    expect(summary('web')).toBe('1 log not readable (is a directory); frequent cgi (1) in the others');
    expect(out.results.find((r) => r.service === 'host')?.status).toBe('UNKNOWN');
  });

  it('says nothing of a syslog-tagged daemon without its own log file while a system log is read', async () => {
    const plan: Plan = testPlan(
      [service('postfix', { syslog: ['postfix'], logs: ['/var/log/mail.err'] })],
      ['/var/log/syslog'],
    );
    const problems = async () =>
      findings((await logsCheck.run(ctx(plan, undefined))).results, 'postfix').filter(
        (f) => f.kind === 'log-source',
      );
    // No system log either: its lines may be nowhere, worth knowing.
    expect((await problems()).map((f) => [f.status, f.summary])).toEqual([
      ['INFO', 'Cannot read /var/log/mail.err: no such file or directory'],
    ]);
    // Debian has no mail.err; postfix's lines are in the system log, read by tag.
    writeFileSync(path.join(root, 'var/log/syslog'), SYSLOG);
    expect(await problems()).toEqual([]);
  });

  it('says a syslog-tagged daemon read only from an unreadable system log was not checked, as the host is', async () => {
    // A directory where auth.log should be fails for root too, as a mode 0640 root:adm file does for others.
    mkdirSync(path.join(root, 'var/log/auth.log'));
    const plan: Plan = testPlan(
      [
        service('sshd', { syslog: ['sshd'] }),
        service('dovecot', { syslog: ['dovecot'], logs: ['/var/log/dovecot.log'] }),
      ],
      ['/var/log/auth.log'],
    );
    const out = await logsCheck.run(ctx(plan, undefined));
    const result = (svc: string) => out.results.find((r) => r.service === svc);
    expect([result('host')?.status, result('host')?.summary]).toEqual([
      'UNKNOWN',
      '1 log not readable (is a directory)',
    ]);
    expect([result('sshd')?.status, result('sshd')?.summary]).toEqual([
      'UNKNOWN',
      '1 log not readable (is a directory)',
    ]);
    expect(findings(out.results, 'sshd').map((f) => [f.status, f.summary])).toEqual([
      ['UNKNOWN', 'Cannot read /var/log/auth.log: is a directory'],
    ]);
    // An unreadable system log is no system log read: dovecot's own missing log is said again.
    expect(findings(out.results, 'dovecot').map((f) => [f.status, f.summary])).toEqual([
      ['UNKNOWN', 'Cannot read /var/log/auth.log: is a directory'],
      ['INFO', 'Cannot read /var/log/dovecot.log: no such file or directory'],
    ]);
    // With the system log readable, sshd is checked and clean.
    rmSync(path.join(root, 'var/log/auth.log'), { recursive: true });
    writeFileSync(path.join(root, 'var/log/auth.log'), 'Nov 24 10:00:00 gw CRON[1]: (root) CMD (true)\n');
    const again = await logsCheck.run(ctx(plan, undefined));
    const sshd = again.results.find((r) => r.service === 'sshd');
    expect([sshd?.status, sshd?.summary, sshd?.findings]).toEqual(['OK', 'no new matching lines', []]);
  });

  it('counts a line in two categories as one matching line in the summary', async () => {
    writeFileSync(
      path.join(root, 'var/log/syslog'),
      'Nov 24 10:00:00 gw mgetty[7]: init chat failed, exiting...: Interrupted system call\nNov 24 10:00:05 gw mgetty[7]: warning: DSR is off\n',
    );
    const plan: Plan = testPlan([service('mgetty', { syslog: ['mgetty'] })], ['/var/log/syslog']);
    const out = await logsCheck.run(ctx(plan, undefined));
    expect(counts(out.results, 'mgetty')).toEqual({ error: 2, invalid: 1 });
    expect(out.results.find((r) => r.service === 'mgetty')?.summary).toBe(
      '2 matching lines, all categories under their thresholds',
    );
  });

  it('says, as INFO, that the lines left in a log rotated to a name it does not follow are not read', async () => {
    const plan: Plan = testPlan([service('sshd', { syslog: ['sshd'] })], ['/var/log/syslog']);
    const log = path.join(root, 'var/log/syslog');
    writeFileSync(log, SYSLOG);
    const first = await logsCheck.run(ctx(plan, undefined));
    renameSync(log, `${log}.bak`);
    writeFileSync(log, SYSLOG.replaceAll('Nov 24', 'Nov 25'));
    const out = await logsCheck.run(ctx(plan, first.state));
    expect(
      findings(out.results, 'host')
        .filter((f) => f.kind === 'log-source')
        .map((f) => [f.status, f.summary]),
    ).toEqual([
      [
        'INFO',
        'Cannot follow the rotation of /var/log/syslog: the file read last time was renamed /var/log/syslog.bak, a name tenken does not take for a rotation of it: lines written to it after the last run are not read',
      ],
    ]);
  });

  it("says a log that is a symbolic link to nothing: a service's only log as missing, a system log as INFO", async () => {
    symlinkSync('/nonexistent/app.log', path.join(root, 'var/log/app.log'));
    symlinkSync('../../nonexistent/syslog', path.join(root, 'var/log/syslog'));
    const plan: Plan = testPlan([service('app', { logs: ['/var/log/app.log'] })], ['/var/log/syslog']);
    const out = await logsCheck.run(ctx(plan, undefined));
    const problems = (svc: string) =>
      findings(out.results, svc)
        .filter((f) => f.kind === 'log-source')
        .map((f) => [f.status, f.summary]);
    expect(problems('app')).toEqual([
      ['WARNING', 'Cannot read /var/log/app.log: dangling symbolic link to /nonexistent/app.log'],
    ]);
    expect(problems('host')).toEqual([
      ['INFO', 'Cannot read /var/log/syslog: dangling symbolic link to ../../nonexistent/syslog'],
    ]);
  });

  it.runIf(process.geteuid?.() === 0)(
    'refuses, as a WARNING, a symbolic link a daemon planted at a log name or a rotated one (needs root: lchown)',
    async () => {
      const secret = path.join(root, 'secret');
      writeFileSync(secret, 'echo "root:Hunter2" | chpasswd\nssh-keygen failed here\n', { mode: 0o600 });
      const live = path.join(root, 'var/log/app.log');
      // Links in the inspected tree name its own paths (`/secret` is ROOT/secret under --root).
      symlinkSync('/secret', live);
      symlinkSync('/secret', `${live}.1`);
      lchownSync(live, 65534, 65534);
      lchownSync(`${live}.1`, 65534, 65534);
      const plan: Plan = testPlan([service('app', { logs: ['/var/log/app.log'] })], []);
      const out = await logsCheck.run(ctx(plan, undefined));
      expect(JSON.stringify(out.results)).not.toContain('Hunter2');
      const refused = findings(out.results, 'app').filter((f) => f.kind === 'log-source');
      expect(refused.map((f) => [f.status, f.data.path, f.data.problem])).toEqual([
        ['WARNING', '/var/log/app.log.1', 'untrusted'],
        ['WARNING', '/var/log/app.log', 'untrusted'],
      ]);
      expect(refused[1]?.summary).toMatch(
        /^Cannot read \/var\/log\/app\.log: a symbolic link owned by (?:\S+ \()?uid 65534\)? to a file it does not own \(refusing to follow it\)$/,
      );
      // The same link made by root (an admin's ln -s) is followed.
      lchownSync(live, 0, 0);
      const again = await logsCheck.run(ctx(plan, undefined));
      expect(JSON.stringify(again.results)).toContain('Hunter2');
    },
  );

  it('says so when no system log exists and the journal is off', async () => {
    const plan: Plan = testPlan([], ['/var/log/syslog', '/var/log/messages']);
    const out = await logsCheck.run(ctx(plan, undefined));
    expect(findings(out.results, 'host').map((f) => [f.status, f.kind])).toEqual([['INFO', 'log-source']]);
  });
});

describe('a journal vacuumed since the last run', () => {
  it("counts every entry it still holds and says, as INFO, that the saved cursor's entry and those after it are gone", async () => {
    const dir = path.join(root, 'var/log/journal');
    const at = Date.UTC(2026, 10, 20, 0, 0, 0);
    const invalid = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => ({
        at: at + (from + k) * 60_000,
        _HOSTNAME: 'gw',
        SYSLOG_IDENTIFIER: 'sshd-session',
        SYSLOG_PID: 1000 + from + k,
        MESSAGE: `Invalid user u${from + k} from 203.0.113.5 port ${40000 + from + k}`,
      }));
    const plan: Plan = {
      ...testPlan([service('sshd', { syslog: ['sshd', 'sshd-session'] })], []),
      journal: 'on',
    };
    writeJournal(dir, invalid(0, 10), 'system.journal');
    const first = await logsCheck.run(ctx(plan, undefined));
    expect(counts(first.results, 'sshd')).toEqual({ invalid: 10 });
    // journald appends u10-u19, rotates the file, writes u20-u29 to a new one; a vacuum deletes the old one.
    writeJournal(dir, invalid(10, 10), 'system.journal');
    const archived = path.join(
      dir,
      'system@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-0000000000000001-0000000000000001.journal',
    );
    renameSync(path.join(dir, 'system.journal'), archived);
    writeJournal(dir, invalid(20, 10), 'system.journal');
    rmSync(archived);
    const next = await logsCheck.run(ctx(plan, first.state));
    expect(counts(next.results, 'sshd')).toEqual({ invalid: 10 });
    const said = findings(next.results, 'host').filter((f) => f.kind === 'log-source');
    expect(said.map((f) => [f.status, f.summary, f.data])).toEqual([
      [
        'INFO',
        'The journal no longer holds the entry of the saved cursor (vacuumed or rotated away): entries between 2026-11-20T00:09:00Z and 2026-11-20T00:20:00Z were not read',
        {
          path: 'journal',
          problem: 'rotated',
          reason:
            'the journal no longer holds the entry of the saved cursor (vacuumed or rotated away): entries between 2026-11-20T00:09:00Z and 2026-11-20T00:20:00Z were not read',
        },
      ],
    ]);
  });
});

describe("tenken's own known-benign lines", () => {
  const CHANGES = [
    'Nov 24 10:00:00 gw passwd[1234]: pam_unix(passwd:chauthtok): password changed for kato',
    "Nov 24 10:01:00 gw passwd[1235]: password for 'kato' changed by 'kato'",
    'Nov 24 10:02:00 gw chpasswd[1236]: pam_unix(chpasswd:chauthtok): password changed for joe',
    "Nov 24 10:03:00 gw passwd[4001]: password for `kato' changed by `root'",
  ];

  it('leave an ordinary password change out of passwd, unless turned off', async () => {
    writeFileSync(path.join(root, 'var/log/auth.log'), `${CHANGES.join('\n')}\n`);
    const plan: Plan = testPlan([], ['/var/log/auth.log']);
    expect(counts((await logsCheck.run(ctx(plan, undefined))).results, 'host')).toEqual({});
    expect(
      counts((await logsCheck.run(ctx(plan, undefined, { builtinIgnore: false }))).results, 'host'),
    ).toEqual({ passwd: 4 });
  });

  it('still count a failed change, the same words from another program, and more than the message', async () => {
    writeFileSync(
      path.join(root, 'var/log/auth.log'),
      `${[
        'Nov 24 10:00:00 gw passwd[1234]: pam_unix(passwd:chauthtok): authentication failure; logname=kato uid=1000 euid=0 tty=pts/0 ruser= rhost=  user=kato',
        'Nov 24 10:01:00 gw evil[66]: pam_unix(passwd:chauthtok): password changed for kato',
        'Nov 24 10:02:00 gw passwd[1236]: pam_unix(passwd:chauthtok): password changed for kato; cat /etc/shadow',
      ].join('\n')}\n`,
    );
    const plan: Plan = testPlan([], ['/var/log/auth.log']);
    expect(counts((await logsCheck.run(ctx(plan, undefined))).results, 'host')).toEqual({
      passwd: 3,
      invalid: 1,
    });
  });
});

describe("the profiles' known-benign lines", () => {
  it("leave nginx's missing favicons out of error and invalid, but not a CGI probe, and cron's PHP session cleaner out of cgi", async () => {
    const profiles = builtinProfiles();
    const nginx = profiles.get('nginx');
    const cron = profiles.get('cron');
    mkdirSync(path.join(root, 'var/log/nginx'), { recursive: true });
    const err = (i: number, file: string) =>
      `2026/11/24 10:${String(i).padStart(2, '0')}:00 [error] 812#812: *${i} open() "/var/www/html${file}" failed (2: No such file or directory), client: 198.51.100.${i}, server: _, request: "GET ${file} HTTP/1.1", host: "example.org"`;
    writeFileSync(
      path.join(root, 'var/log/nginx/error.log'),
      `${[...Array.from({ length: 30 }, (_, i) => err(i, '/favicon.ico')), err(31, '/phpmyadmin/index.php')].join('\n')}\n`,
    );
    writeFileSync(
      path.join(root, 'var/log/syslog'),
      `${Array.from({ length: 4 }, (_, i) => `Nov 24 10:0${i}:00 gw CRON[${100 + i}]: (root) CMD ([ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi)`).join('\n')}\n`,
    );
    const plan: Plan = testPlan([
      service('nginx', { logs: ['/var/log/nginx/error.log'], ignore: nginx?.ignore ?? [] }),
      service('cron', { syslog: ['CRON'], ignore: cron?.ignore ?? [] }),
    ]);
    const out = await logsCheck.run(ctx(plan, undefined));
    expect(counts(out.results, 'nginx')).toEqual({ cgi: 1 });
    expect(counts(out.results, 'cron')).toEqual({});
  });
});

describe("fail2ban's own log", () => {
  it('has its routine Found/Ban/Unban lines (fail2ban holds `fail`) out of invalid, and its ERROR lines in', async () => {
    const f2b = builtinProfiles().get('fail2ban');
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    const line = (i: number, rest: string) => `2026-11-24 10:${String(i).padStart(2, '0')}:00,600 ${rest}`;
    writeFileSync(
      path.join(root, 'var/log/fail2ban.log'),
      `${[
        ...Array.from({ length: 40 }, (_, i) =>
          line(
            i,
            `fail2ban.filter         [1040]: INFO    [sshd] Found 203.0.113.${i} - 2026-11-24 10:${String(i).padStart(2, '0')}:00`,
          ),
        ),
        line(41, 'fail2ban.actions        [1040]: NOTICE  [sshd] Ban 203.0.113.7'),
        line(42, 'fail2ban.actions        [1040]: NOTICE  [sshd] Unban 203.0.113.7'),
        line(43, "fail2ban.jail           [1040]: INFO    Jail 'sshd' started"),
        line(
          44,
          "fail2ban.actions        [1040]: ERROR   Failed to execute ban jail 'sshd' action 'iptables-multiport' info 'ActionInfo({'ip': '203.0.113.8'})': Error banning 203.0.113.8",
        ),
      ].join('\n')}\n`,
    );
    const plan: Plan = testPlan([
      service('fail2ban', { logs: ['/var/log/fail2ban.log'], ignore: f2b?.ignore ?? [] }),
    ]);
    const out = await logsCheck.run(ctx(plan, undefined));
    expect(counts(out.results, 'fail2ban')).toEqual({ error: 1, invalid: 1 });
  });
});

describe("auditd's audit.log (SELinux denials on RHEL)", () => {
  const stamp = (iso: string, serial: number) => `msg=audit(${Date.parse(iso) / 1000}.123:${serial}):`;
  const avc = (iso: string, serial: number) =>
    `type=AVC ${stamp(iso, serial)} avc:  denied  { read } for  pid=2211 comm="httpd" name="index.html" dev="dm-0" ino=123 scontext=system_u:system_r:httpd_t:s0 tcontext=unconfined_u:object_r:user_home_t:s0 tclass=file permissive=0`;
  const AUDIT = [
    avc('2026-11-24T09:10:00Z', 410),
    `type=SYSCALL ${stamp('2026-11-24T09:10:00Z', 410)} arch=c000003e syscall=257 success=no exit=-13 comm="httpd" exe="/usr/sbin/httpd" subj=system_u:system_r:httpd_t:s0 key=(null)`,
    avc('2026-11-24T10:00:00Z', 411),
    `node=rhel9 ${avc('2026-11-24T10:30:00Z', 412)}`,
    `type=USER_AUTH ${stamp('2026-11-24T10:31:00Z', 413)} pid=3001 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:authentication grantors=? acct="root" exe="/usr/sbin/sshd" hostname=203.0.113.9 addr=203.0.113.9 terminal=ssh res=failed'`,
    `type=SERVICE_START ${stamp('2026-11-24T10:32:00Z', 414)} pid=1 uid=0 auid=4294967295 ses=4294967295 msg='unit=httpd comm="systemd" exe="/usr/lib/systemd/systemd" hostname=? addr=? terminal=? res=success'`,
    '',
  ].join('\n');
  const planOf = () => buildPlan(configSchema.parse({}), builtinProfiles(), gatherFacts(root), root);

  beforeEach(() => {
    mkdirSync(path.join(root, 'var/log/audit'), { recursive: true });
    writeFileSync(path.join(root, 'var/log/audit/audit.log'), AUDIT);
    utimesSync(
      path.join(root, 'var/log/audit/audit.log'),
      new Date('2026-11-24T12:00:00Z'),
      new Date('2026-11-24T12:00:00Z'),
    );
  });

  it('is read when it exists: AVC denials count in access, in the hours of their msg=audit stamps; PAM records are left to the auth log', async () => {
    const plan = planOf();
    expect(plan.services.find((s) => s.name === 'auditd')?.reasons).toEqual(['log /var/log/audit/audit.log']);
    const out = await logsCheck.run(ctx(plan, undefined));
    expect(counts(out.results, 'auditd')).toEqual({ access: 3 });
    const access = findings(out.results, 'auditd').find((f) => f.kind === 'log-category');
    expect(access?.data).toMatchObject({
      perHour: { '2026-11-24T09:00:00.000Z': 1, '2026-11-24T10:00:00.000Z': 2 },
      sources: ['/var/log/audit/audit.log'],
    });
    expect(access?.evidence[0]?.text).toContain('avc:  denied  { read } for  pid=2211 comm="httpd"');
  });

  it('honours --since by the msg=audit stamp', async () => {
    const out = await logsCheck.run(
      ctx(planOf(), undefined, {}, { all: false, since: new Date('2026-11-24T10:00:00Z') }),
    );
    expect(counts(out.results, 'auditd')).toEqual({ access: 2 });
  });
});

describe('attack lines given by another check of the run', () => {
  // A stand-in for the attacks check's reading (src/attacks/attack-lines.ts): lines saying `GUESS` are its.
  const attackLines: AttackLines = {
    file: () => (text) => text.includes('GUESS'),
    journal: () => undefined,
  };
  const check = makeLogsCheck({ attackLines: { kind: 'attacks', make: () => attackLines } });
  const lines = (n: number, what: string) =>
    Array.from(
      { length: n },
      (_, i) => `Nov 24 10:${String(i % 60).padStart(2, '0')}:00 gw sshd[${i}]: ${what}`,
    );
  const plan = () => testPlan([service('sshd', { syslog: ['sshd'] })]);

  it('leave the thresholds to that check when it runs, but stay in the counts, hours and top messages', async () => {
    writeFileSync(
      path.join(root, 'var/log/syslog'),
      `${[...lines(30, 'Failed GUESS'), ...lines(4, 'Failed to create session')].join('\n')}\n`,
    );
    const withPeer = await check.run({ ...ctx(plan(), undefined), kinds: ['logs', 'attacks'] });
    const f = findings(withPeer.results, 'sshd').find((x) => x.kind === 'log-category');
    expect(f?.status).toBe('OK');
    expect(f?.data).toMatchObject({ count: 34, peakPerHour: 34 });
    expect(f?.kind === 'log-category' && f.data.attackLines).toEqual({
      count: 30,
      otherCount: 4,
      otherPeakPerHour: 4,
    });
    // Without that check in the run (`--only logs`, or disabled), every line is judged, as before.
    const alone = await check.run({ ...ctx(plan(), undefined), kinds: ['logs'] });
    const g = findings(alone.results, 'sshd').find((x) => x.kind === 'log-category');
    expect(g?.status).toBe('WARNING');
    expect(g?.kind === 'log-category' && g.data.attackLines).toBeUndefined();
    expect(g?.summary).toBe(
      '34 invalid lines, 34 in the busiest hour (warning at 10 per hour; a first run, which reads the whole backlog, has no per-run limit)',
    );
  });

  it('judge a later run per run on the other lines too', async () => {
    const file = path.join(root, 'var/log/syslog');
    writeFileSync(file, '');
    const first = await check.run({ ...ctx(plan(), undefined), kinds: ['logs', 'attacks'] });
    writeFileSync(
      file,
      `${[...lines(25, 'Failed GUESS'), ...lines(8, 'Failed to create session')].join('\n')}\n`,
    );
    const cfg = { thresholds: { invalid: { warn: 10, warnPerHour: 100, critPerHour: 1000, crit: 1000 } } };
    const next = await check.run({ ...ctx(plan(), first.state, cfg), kinds: ['logs', 'attacks'] });
    const f = findings(next.results, 'sshd').find((x) => x.kind === 'log-category');
    expect(f?.status).toBe('OK');
    expect(f?.summary).toBe(
      '33 invalid lines (25 of them attack lines judged by the attacks check), 8 others, 8 in their busiest hour, under the thresholds',
    );
  });
});
