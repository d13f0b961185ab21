import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import type { App, GlobalOptions } from '../cli/app.ts';
import { register } from '../cli/commands/dialup.ts';
import { configSchema } from '../config/schema.ts';
import { TenkenError } from '../core/errors.ts';
import { makeHost } from '../core/host.ts';
import { encodeRecords } from '../logins/utmp.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const t = (iso: string, hours = 0): number => Date.parse(iso) / 1000 - hours * 3600;

/**
 * A tree with one mgetty log (a call and its login, then an unexplained login) and its wtmp; with a zone, the
 * tree's /etc/timezone names it and wtmp's instants are those of the log's local times there.
 */
function tree(zone?: { name: string; hours: number }): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tenken-dialup-cli-'));
  roots.push(root);
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  const log = path.join(root, 'var/log/mgetty.ttyS0');
  writeFileSync(
    log,
    [
      '--',
      '03/13 08:50:00 yS0  mgetty: interim release 1.2.1',
      '03/13 08:50:00 yS0  user id: 0, pid: 612, parent pid: 1',
      '03/13 08:59:25 yS0  WARNING: DSR is off - modem turned off or bad cable?',
      "05/25 06:01:44 yS0  waiting for ``CONNECT'' ** found **",
      "05/25 06:01:58 ##### data dev=ttyS0, pid=612, caller='none', conn='38400/V.34', name='', cmd='/bin/login', user='yanagi'",
      '',
    ].join('\n'),
  );
  utimesSync(log, new Date('2026-06-01T00:00:00Z'), new Date('2026-06-01T00:00:00Z'));
  writeFileSync(
    path.join(root, 'var/log/wtmp'),
    encodeRecords([
      {
        type: 7,
        pid: 612,
        line: 'ttyS0',
        id: 'S0',
        user: 'yanagi',
        sec: t('2026-05-25T06:02:10Z', zone?.hours),
      },
      { type: 8, pid: 612, line: 'ttyS0', id: 'S0', sec: t('2026-05-25T06:40:10Z', zone?.hours) },
      {
        type: 7,
        pid: 999,
        line: 'ttyS0',
        id: 'S0',
        user: 'intruder',
        host: '<b>x</b>\u001b[2J',
        sec: t('2026-05-28T03:00:00Z', zone?.hours),
      },
    ]),
  );
  if (zone) {
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    writeFileSync(path.join(root, 'etc/timezone'), `${zone.name}\n`);
  }
  return root;
}

/** Runs `tenken dialup ARGS` in-process against a tree; returns stdout and the exit code. */
async function run(
  root: string,
  args: string[],
  format: 'text' | 'json' = 'text',
  config: unknown = {},
): Promise<{ out: string; code: number }> {
  let out = '';
  let code = 0;
  const app: App = {
    io: {
      write: (s) => {
        out += s;
        return Promise.resolve();
      },
      error: () => undefined,
      isTTY: false,
      env: {},
      cwd: root,
    },
    globals: (): GlobalOptions => ({
      root,
      config: undefined,
      state: path.join(root, 'state'),
      format,
      only: undefined,
      quiet: false,
      color: false,
    }),
    load: () =>
      Promise.resolve({
        config: configSchema.parse(config),
        configPath: null,
        host: makeHost({ root, name: 'gauntlet', now: new Date('2026-06-02T00:00:00Z') }),
        plan: { services: [], syslogFiles: [], journal: 'off', skipped: [] },
      }),
    exit: (c) => {
      code = c;
    },
  };
  const program = new Command('tenken').exitOverride();
  register(program, app);
  await program.parseAsync(['dialup', ...args], { from: 'user' });
  return { out, code };
}

describe('tenken dialup', () => {
  it('names the login without a call as CRITICAL and exits 2, escaping what wtmp says', async () => {
    const { out, code } = await run(tree(), []);
    expect(code).toBe(2);
    expect(out).toMatch(
      /CRITICAL Login by intruder on ttyS0 at 2026-05-28 03:00:00 UTC with no call answered in the 120 s before it/,
    );
    expect(out).toMatch(
      /WARNING {2}Modem on ttyS0: DSR off .* at 2026-03-13 08:59:25 UTC\n +advice: check that the modem is powered on/,
    );
    expect(out).toContain('ttyS0: 1 call, 2 logins (1 matched)');
    expect(out).not.toContain('\u001b');
    expect(out).toContain('\\x1b[2J');
  });

  it("gives every time in the host's zone with its name, details included (no UTC stamp beside a local one)", async () => {
    const { out } = await run(tree({ name: 'Asia/Tokyo', hours: 9 }), ['-v']);
    expect(out).toContain('Login by intruder on ttyS0 at 2026-05-28 03:00:00 Asia/Tokyo');
    expect(out).toContain('last call before it: 2026-05-25 06:01:44 Asia/Tokyo (');
    expect(out).toContain('longest session: intruder from 2026-05-28 03:00:00 Asia/Tokyo, 126h 00m 00s');
    // Only the header says when the inspection ran, in UTC as every command's header does.
    expect(out.split('\n').filter((l) => /\d{2}:\d{2}:\d{2}(\.\d+)?Z/.test(l) && !l.includes('|'))).toEqual([
      expect.stringMatching(/^Dial-up lines of gauntlet /),
    ]);
  });

  it('writes JSON with every finding', async () => {
    const { out, code } = await run(tree(), [], 'json');
    expect(code).toBe(2);
    const doc = JSON.parse(out) as { status: string; findings: { kind: string; data: { line: string } }[] };
    expect(doc.status).toBe('CRITICAL');
    expect(doc.findings.map((f) => f.kind).sort()).toEqual([
      'dialup-line-summary',
      'dialup-login-without-call',
      'dialup-modem-trouble',
    ]);
  });

  it('reads the log and wtmp given on the command line, and keeps to --tty', async () => {
    const root = tree();
    writeFileSync(path.join(root, 'var/log/mgetty.ttyS1'), '');
    const { out: other } = await run(root, ['--tty', 'ttyS1']);
    expect(other).not.toMatch(/Modem on ttyS0|ttyS0: \d+ call|on ttyS0 at/);
    expect(other).toMatch(/^OK$/m);
    const { out, code } = await run(root, ['--mgetty-log', 'var/log/mgetty.ttyS0', '-f', 'var/log/wtmp']);
    expect(code).toBe(2);
    expect(out).toContain('logs: var/log/mgetty.ttyS0');
    expect(out).toMatch(/wtmp: var\/log\/wtmp;/);
  });

  it('refuses a --tty the host does not know (a typo) with a one-line error naming its lines, exit 3', async () => {
    const root = tree();
    writeFileSync(path.join(root, 'var/log/mgetty.ttyS1'), '');
    await expect(run(root, ['--tty', 'ttys0'])).rejects.toThrow(
      new TenkenError('no dial-up line ttys0 (lines: ttyS0, ttyS1)'),
    );
    await expect(run(root, ['--tty', 'ttyS0', '--tty', '/dev/ttyS9'], 'json')).rejects.toMatchObject({
      message: 'no dial-up line ttyS9 (lines: ttyS0, ttyS1)',
      exitCode: 3,
    });
  });

  it('takes a --tty the host knows with no calls yet: a log, configured hours, a serial line in wtmp', async () => {
    const root = tree();
    // An empty log: mgetty has taken no call on ttyS1 yet.
    writeFileSync(path.join(root, 'var/log/mgetty.ttyS1'), '');
    expect((await run(root, ['--tty', 'ttyS1'])).code).toBe(0);
    // Configured hours for ttyS2.
    expect(
      (
        await run(root, ['--tty', 'ttyS2'], 'text', {
          checks: { dialup: { hours: { ttyS2: '08:00-18:00' } } },
        })
      ).code,
    ).toBe(0);
    // A serial console login on ttyS3 in wtmp (no mgetty there): known, not a typo.
    writeFileSync(
      path.join(root, 'var/log/wtmp'),
      encodeRecords([
        { type: 7, pid: 50, line: 'ttyS3', id: 'S3', user: 'root', sec: t('2026-05-20T00:00:00Z') },
      ]),
    );
    expect((await run(root, ['--tty', '/dev/ttyS3'])).code).toBe(0);
    await expect(run(root, ['--tty', 'ttyS4'])).rejects.toThrow(
      new TenkenError('no dial-up line ttyS4 (lines: ttyS0, ttyS1, ttyS3)'),
    );
  });

  it('stops with a one-line error (exit 3) on a wtmp given with -f that cannot be read: nothing was checked', async () => {
    const root = tree();
    await expect(run(root, ['-f', 'nope/wtmp'])).rejects.toThrow(
      new TenkenError('Cannot read nope/wtmp: no such file or directory'),
    );
    await expect(run(root, ['-f', 'nope/wtmp'])).rejects.toMatchObject({ exitCode: 3 });
    // A file that is no wtmp at all, as `last -f` says it.
    writeFileSync(path.join(root, 'passwd'), 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n'.repeat(100));
    await expect(run(root, ['-f', 'passwd'])).rejects.toThrow(/^Cannot read passwd: not a utmp\/wtmp file/);
  });

  it('stops with a one-line error (exit 3) on an mgetty log given with --mgetty-log that cannot be read', async () => {
    const root = tree();
    await expect(run(root, ['--mgetty-log', '/nonexistent'])).rejects.toThrow(
      new TenkenError('Cannot read /nonexistent: no such file or directory'),
    );
    await expect(run(root, ['--mgetty-log', 'var/log'])).rejects.toMatchObject({
      message: 'Cannot read var/log: is a directory',
      exitCode: 3,
    });
  });

  it('keeps the WARNING for a configured wtmp found missing during a normal run', async () => {
    const root = tree();
    rmSync(path.join(root, 'var/log/wtmp'));
    const { out, code } = await run(root, []);
    expect(code).toBe(1);
    expect(out).toMatch(
      /WARNING +Cannot read \/var\/log\/wtmp: no such file or directory: logins on dial-up/,
    );
  });
});
