import { makeFifo } from '../../test/helpers/fifo.ts';
import { lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../config/plan.ts';
import { configSchema } from '../config/schema.ts';
import { makeHost } from '../core/host.ts';
import { encodeRecords } from '../logins/utmp.ts';
import { hostZoneName } from '../core/tz.ts';
import { dialupCheck, dialupEnabled, dialupResult, inspectDialup, syslogLines } from './check.ts';
import { dialupConfig } from './config.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function root(): string {
  const r = mkdtempSync(path.join(tmpdir(), 'tenken-dialup-check-'));
  roots.push(r);
  return r;
}

function put(r: string, p: string, content: string | Uint8Array, mtime = '2026-06-01T00:00:00Z'): void {
  const file = path.join(r, p);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  utimesSync(file, new Date(mtime), new Date(mtime));
}

const NOW = new Date('2026-06-02T00:00:00Z');
const plan = (syslogFiles: string[] = []): Plan => ({
  services: [],
  syslogFiles,
  journal: 'off',
  skipped: [],
});
const sec = (iso: string): number => Date.parse(iso) / 1000;

describe('reading syslog for mgetty lines', () => {
  it('keeps exactly the getty lines with their line numbers, whatever the chunk size (property)', async () => {
    const r = root();
    const pool = [
      "May 25 06:01:58 gauntlet mgetty[612]: data dev=ttyS0, pid=612, caller='none', conn='', name='', cmd='/bin/login', user='ユーザ'",
      'May 25 06:02:00 gauntlet sshd[700]: Accepted password for joe from 10.0.1.23 port 40000 ssh2',
      'May 25 06:03:00 gauntlet vgetty[9]: init chat failed, exiting...: Interrupted system call',
      '',
      'x'.repeat(40),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { maxLength: 30 }),
        // Buffers from just over the longest line up: lines cross buffer ends at every offset.
        fc.integer({ min: 160, max: 700 }),
        fc.boolean(),
        async (picks, chunk, finalNewline) => {
          const lines = picks.map((i) => pool[i] as string);
          const file = path.join(r, 'syslog');
          writeFileSync(file, lines.join('\n') + (finalNewline && lines.length ? '\n' : ''));
          const got = await syslogLines(file, chunk);
          const want = lines.flatMap((l, i) => (l.includes('getty[') ? [[l, i + 1] as const] : []));
          expect(got.text === '' ? [] : got.text.split('\n')).toEqual(want.map(([l]) => l));
          expect(got.lineNos).toEqual(want.map(([, n]) => n));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("finds mgetty calls in the plan's syslog files, pointing at their lines", async () => {
    const r = root();
    put(r, 'var/log/mgetty.ttyS1', '05/01 00:00:00 yS1  waiting...\n');
    put(
      r,
      'var/log/syslog',
      [
        'May 25 06:00:00 gauntlet kernel: Linux version 5.10.0-demo',
        "May 25 06:01:58 gauntlet mgetty[612]: data dev=ttyS0, pid=612, caller='none', conn='', name='', cmd='/bin/login', user='yanagi'",
        '',
      ].join('\n'),
    );
    put(
      r,
      'var/log/wtmp',
      encodeRecords([{ type: 7, pid: 612, line: 'ttyS0', user: 'yanagi', sec: sec('2026-05-25T06:02:20Z') }]),
    );
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(['/var/log/syslog']),
    );
    expect(insp.logs).toEqual(['/var/log/mgetty.ttyS1', '/var/log/syslog']);
    const s0 = insp.lines.find((l) => l.line === 'ttyS0');
    expect(
      s0?.matches.map((m) => [m.login.user, m.call.evidence[0]?.source, m.call.evidence[0]?.line]),
    ).toEqual([['yanagi', '/var/log/syslog', 2]]);
    expect(dialupResult(insp).summary).toMatch(/^2 lines, 1 call, 1 login matched\b/);
  });
});

describe('syslog lines anyone can write', () => {
  it('does not take a forged mgetty line naming a pseudo-terminal as a dial-up line: no false intrusion for ssh logins there', async () => {
    const r = root();
    // A local user: logger -t 'mgetty[4242]' "data dev=pts/0, ..." and the same for tty1; then a real
    // mgetty call on ttyS0, and ssh logins on pts/0 (no call, of course).
    put(r, 'var/log/mgetty.ttyS1', '05/01 00:00:00 yS1  waiting...\n');
    put(
      r,
      'var/log/syslog',
      [
        "May 25 06:00:00 gauntlet mgetty[4242]: data dev=pts/0, pid=4242, caller='none', conn='', name='', cmd='/bin/login', user='x'",
        "May 25 06:00:01 gauntlet mgetty[4243]: data dev=tty1, pid=4243, caller='none', conn='', name='', cmd='/bin/login', user='x'",
        "May 25 06:01:58 gauntlet mgetty[612]: data dev=ttyS0, pid=612, caller='none', conn='', name='', cmd='/bin/login', user='yanagi'",
        '',
      ].join('\n'),
    );
    put(
      r,
      'var/log/wtmp',
      encodeRecords([
        { type: 7, pid: 612, line: 'ttyS0', user: 'yanagi', sec: sec('2026-05-25T06:02:20Z') },
        {
          type: 7,
          pid: 7001,
          line: 'pts/0',
          user: 'admin',
          host: '192.0.2.10',
          sec: sec('2026-05-25T07:00:00Z'),
        },
      ]),
    );
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(['/var/log/syslog']),
    );
    expect(insp.lines.map((l) => l.line)).toEqual(['ttyS0', 'ttyS1']);
    const result = dialupResult(insp);
    expect(result.findings.filter((f) => f.status === 'CRITICAL')).toEqual([]);
    expect(result.findings.map((f) => `${f.status} ${f.summary}`)).toContainEqual(
      "INFO Syslog lines under mgetty's tag name pts/0 (1 line), tty1 (1 line), no serial line and no line with an mgetty log: not read as calls (anyone can write such lines with logger)",
    );
  });
});

describe('finding the logs', () => {
  it('reads files named on the command line as host paths under --root (as last -f does)', async () => {
    const r = root();
    put(r, 'var/log/mgetty.log.ttyS0', '05/20 10:00:00 yS0  mgetty: interim release 1.2.1\n');
    put(
      r,
      'var/log/wtmp.old',
      encodeRecords([{ type: 7, pid: 1, line: 'ttyS0', user: 'yanagi', sec: sec('2026-05-20T10:02:10Z') }]),
    );
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(),
      {
        logs: ['/var/log/mgetty.log.ttyS0'],
        wtmp: ['/var/log/wtmp.old'],
        cwd: '/',
      },
    );
    expect([insp.problems, insp.logs, insp.wtmp]).toEqual([
      [],
      ['/var/log/mgetty.log.ttyS0'],
      ['/var/log/wtmp.old'],
    ]);
  });

  it("finds a call's login in a dated, compressed wtmp backup (RHEL's logrotate dateext)", async () => {
    const r = root();
    put(
      r,
      'var/log/mgetty.log.ttyS0',
      [
        '--',
        '05/20 10:00:00 yS0  mgetty: interim release 1.2.1',
        '05/20 10:00:00 yS0  user id: 0, pid: 612, parent pid: 1',
        "05/20 10:01:44 yS0  waiting for ``CONNECT'' ** found **",
        "05/20 10:01:58 ##### data dev=ttyS0, pid=612, caller='none', conn='', name='', cmd='/bin/login', user='yanagi'",
        '',
      ].join('\n'),
    );
    const login = encodeRecords([
      { type: 7, pid: 612, line: 'ttyS0', user: 'yanagi', sec: sec('2026-05-20T10:02:10Z') },
    ]);
    put(r, 'var/log/wtmp-20260601.gz', gzipSync(login));
    put(r, 'var/log/wtmp', new Uint8Array(0));
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(),
    );
    expect(insp.wtmp).toEqual(['/var/log/wtmp-20260601.gz', '/var/log/wtmp']);
    expect(insp.lines[0]?.matches.map((m) => m.login.user)).toEqual(['yanagi']);
    expect(insp.lines[0]?.callsWithoutLogin).toEqual([]);
  });

  it("judges no call from before wtmp's oldest record once rotation dropped the old wtmp (rotate 1)", async () => {
    const r = root();
    const connect = (day: string, pid: number, user: string): string[] => [
      '--',
      `05/${day} 10:00:00 yS0  mgetty: interim release 1.2.1`,
      `05/${day} 10:00:00 yS0  user id: 0, pid: ${pid}, parent pid: 1`,
      `05/${day} 10:01:44 yS0  waiting for \`\`CONNECT'' ** found **`,
      `05/${day} 10:01:58 ##### data dev=ttyS0, pid=${pid}, caller='none', conn='', name='', cmd='/bin/login', user='${user}'`,
    ];
    put(
      r,
      'var/log/mgetty.ttyS0',
      [
        ...connect('10', 600, 'yanagi'),
        ...connect('20', 612, 'yanagi'),
        ...connect('25', 640, 'kato'),
        '',
      ].join('\n'),
    );
    // wtmp was rotated on the 15th and wtmp.1 (the 10th's login) is gone; kato's login failed on the 25th.
    put(
      r,
      'var/log/wtmp',
      encodeRecords([{ type: 7, pid: 612, line: 'ttyS0', user: 'yanagi', sec: sec('2026-05-20T10:02:10Z') }]),
    );
    const host = makeHost({ root: r, name: 'h', now: NOW });
    const insp = await inspectDialup(host, dialupConfig.parse({}), plan());
    expect(insp.lines[0]?.callsWithoutLogin.map((c) => [c.call.pid, c.outcome])).toEqual([
      [640, 'login-failed'],
    ]);
    const summary = insp.findings.find((f) => f.kind === 'dialup-line-summary');
    expect(summary?.kind === 'dialup-line-summary' && summary.data.callsBeforeWtmp).toBe(1);
    // A wtmp with no record yet covers the time since it was created (its mtime): older calls are not judged.
    put(r, 'var/log/wtmp', new Uint8Array(0), '2026-05-22T00:00:00Z');
    const empty = await inspectDialup(host, dialupConfig.parse({}), plan());
    expect(empty.lines[0]?.callsWithoutLogin.map((c) => [c.call.pid, c.outcome])).toEqual([
      [640, 'login-failed'],
    ]);
  });

  it('leaves logins after mgetty stopped for good to the serial console, and says so (INFO)', async () => {
    const r = root();
    put(
      r,
      'var/log/mgetty.log.ttyS0',
      [
        '--',
        '05/20 10:00:00 yS0  mgetty: interim release 1.2.1',
        '05/20 10:00:00 yS0  user id: 0, pid: 700, parent pid: 1',
        '05/24 09:00:00 ##### failed dev=ttyS0, pid=700, got signal 15, exiting',
        '',
      ].join('\n'),
      '2026-05-24T09:00:00Z',
    );
    // The line became a serial console: agetty's login as root, days after mgetty's last word.
    put(
      r,
      'var/log/wtmp',
      encodeRecords([{ type: 7, pid: 1234, line: 'ttyS0', user: 'root', sec: sec('2026-05-30T03:00:00Z') }]),
    );
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(),
    );
    expect(insp.findings.filter((f) => f.status === 'CRITICAL')).toEqual([]);
    const summary = insp.findings.find((f) => f.kind === 'dialup-line-summary');
    expect([summary?.status, summary?.summary]).toEqual([
      'INFO',
      "ttyS0: 0 calls, 0 logins (0 matched), 0 failed, 1 later login not compared: mgetty's log ends with mgetty stopping at 2026-05-24 09:00:00 UTC (is another getty serving ttyS0?)",
    ]);
  });

  it('reads rotated copies oldest first, gzip included, and nothing when no mgetty log exists', async () => {
    const r = root();
    expect(dialupEnabled(makeHost({ root: r, name: 'h' }), dialupConfig.parse({}))).toBe(false);
    put(
      r,
      'var/log/mgetty.log.ttyS0.2.gz',
      gzipSync("04/01 10:00:00 yS0  waiting for ``CONNECT'' ** found **\n"),
    );
    put(r, 'var/log/mgetty.log.ttyS0.1', "05/01 10:00:00 yS0  waiting for ``CONNECT'' ** found **\n");
    put(r, 'var/log/mgetty.log.ttyS0', "05/20 10:00:00 yS0  waiting for ``CONNECT'' ** found **\n");
    put(r, 'var/log/mgetty.ttyS1', "05/21 10:00:00 yS1  waiting for ``CONNECT'' ** found **\n");
    put(
      r,
      'var/log/mgetty.ttyS1-20260501.gz',
      gzipSync("04/21 10:00:00 yS1  waiting for ``CONNECT'' ** found **\n"),
    );
    put(r, 'var/log/wtmp', new Uint8Array(0));
    const host = makeHost({ root: r, name: 'h', now: NOW });
    expect(dialupEnabled(host, dialupConfig.parse({}))).toBe(true);
    const insp = await inspectDialup(host, dialupConfig.parse({}), plan());
    expect(insp.logs).toEqual([
      '/var/log/mgetty.ttyS1-20260501.gz',
      '/var/log/mgetty.ttyS1',
      '/var/log/mgetty.log.ttyS0.2.gz',
      '/var/log/mgetty.log.ttyS0.1',
      '/var/log/mgetty.log.ttyS0',
    ]);
    expect(insp.lines.map((l) => [l.line, l.calls.map((c) => c.start.toISOString().slice(0, 10))])).toEqual([
      ['ttyS0', ['2026-04-01', '2026-05-01', '2026-05-20']],
      ['ttyS1', ['2026-04-21', '2026-05-21']],
    ]);
  });

  it('counts the lines of a copy beside its original once (copytruncate caught half-way, .1 beside .1.gz)', async () => {
    const r = root();
    const log = [
      '--',
      '05/20 10:00:00 yS0  mgetty: interim release 1.2.1',
      '05/20 10:00:00 yS0  user id: 0, pid: 612, parent pid: 1',
      '05/20 10:00:05 yS0  WARNING: DSR is off - modem turned off or bad cable?',
      '05/20 10:03:05 yS0  WARNING: DSR is off - modem turned off or bad cable?',
      "05/20 10:05:44 yS0  waiting for ``CONNECT'' ** found **",
      '',
    ].join('\n');
    put(
      r,
      'var/log/mgetty.ttyS0',
      `${log}05/20 10:07:00 yS0  WARNING: DSR is off - modem turned off or bad cable?\n`,
    );
    put(r, 'var/log/mgetty.ttyS0.1', log);
    put(r, 'var/log/wtmp', new Uint8Array(0));
    // gzip still writing: the .gz ends short of its plain twin (a few lines in, or its header alone).
    for (const cut of [60, 10]) {
      put(r, 'var/log/mgetty.ttyS0.1.gz', gzipSync(log).subarray(0, cut));
      const insp = await inspectDialup(
        makeHost({ root: r, name: 'h', now: NOW }),
        dialupConfig.parse({}),
        plan(),
      );
      expect(insp.problems).toEqual([]);
      expect(insp.trouble.map((g) => [g.line, g.kind, g.count])).toEqual([['ttyS0', 'dsr-off', 3]]);
      // A CONNECT with no hand-over is no merged twin: it too is counted once.
      expect(insp.lines.map((l) => [l.line, l.calls.length])).toEqual([['ttyS0', 1]]);
    }
  });

  it('counts modem trouble within --since only', async () => {
    const r = root();
    put(
      r,
      'var/log/mgetty.ttyS0',
      [
        '05/20 10:00:05 yS0  WARNING: DSR is off - modem turned off or bad cable?',
        '06/01 10:03:05 yS0  WARNING: DSR is off - modem turned off or bad cable?',
        '06/01 10:04:05 yS0  WARNING: DSR is off - modem turned off or bad cable?',
        '',
      ].join('\n'),
    );
    put(r, 'var/log/wtmp', new Uint8Array(0));
    const host = makeHost({ root: r, name: 'h', now: NOW });
    const all = await inspectDialup(host, dialupConfig.parse({}), plan());
    expect(all.trouble.map((g) => [g.kind, g.count])).toEqual([['dsr-off', 3]]);
    const day = await inspectDialup(host, dialupConfig.parse({}), plan(), {
      since: new Date('2026-06-01T00:00:00Z'),
    });
    expect(day.trouble.map((g) => [g.kind, g.count])).toEqual([['dsr-off', 2]]);
    const none = await inspectDialup(host, dialupConfig.parse({}), plan(), {
      since: new Date('2026-06-01T12:00:00Z'),
    });
    expect(none.trouble).toEqual([]);
  });

  it('still reports a cut .gz that is no copy of another member', async () => {
    const r = root();
    const log = "05/20 10:05:44 yS0  waiting for ``CONNECT'' ** found **\n".repeat(40);
    put(r, 'var/log/mgetty.ttyS0.1.gz', gzipSync(log).subarray(0, 40));
    put(r, 'var/log/mgetty.ttyS0', "05/21 10:05:44 yS0  waiting for ``CONNECT'' ** found **\n");
    put(r, 'var/log/wtmp', new Uint8Array(0));
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(),
    );
    expect(insp.problems.map((p) => p.summary)).toEqual([
      'Cannot read /var/log/mgetty.ttyS0.1.gz: unexpected end of file',
    ]);
  });

  it('reports a rotated .gz whose CRC does not match, with zlib’s reason', async () => {
    const r = root();
    const gz = Buffer.from(gzipSync("05/20 10:05:44 yS0  waiting for ``CONNECT'' ** found **\n".repeat(40)));
    gz[gz.length - 8] = (gz[gz.length - 8] as number) ^ 0xff;
    put(r, 'var/log/mgetty.ttyS0.1.gz', gz);
    put(r, 'var/log/mgetty.ttyS0', "05/21 10:05:44 yS0  waiting for ``CONNECT'' ** found **\n");
    put(r, 'var/log/wtmp', new Uint8Array(0));
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(),
    );
    expect(insp.problems.map((p) => p.summary)).toEqual([
      'Cannot read /var/log/mgetty.ttyS0.1.gz: incorrect data check',
    ]);
    expect(insp.lines.map((l) => [l.line, l.calls.length])).toEqual([['ttyS0', 1]]);
  });

  it('keeps the event loop turning while it inflates a big rotated .gz (other checks run meanwhile)', async () => {
    const r = root();
    // ~24 MB of lines that make no entry: inflating them takes tens of milliseconds.
    const line = "05/20 10:05:44 yS0  waiting for ``CONNECT'' ** found **\n";
    put(r, 'var/log/mgetty.ttyS0.1.gz', gzipSync(`${'-'.repeat(59)}\n`.repeat(400_000) + line));
    put(r, 'var/log/mgetty.ttyS0', line);
    put(r, 'var/log/wtmp', new Uint8Array(0));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const insp = await inspectDialup(
        makeHost({ root: r, name: 'h', now: NOW }),
        dialupConfig.parse({}),
        plan(),
      );
      expect(insp.problems).toEqual([]);
      expect(insp.logs).toEqual(['/var/log/mgetty.ttyS0.1.gz', '/var/log/mgetty.ttyS0']);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it('says it cannot read a FIFO where the mgetty log should be, instead of "No mgetty log found"', async () => {
    const r = root();
    mkdirSync(path.join(r, 'var/log'), { recursive: true });
    makeFifo(path.join(r, 'var/log/mgetty.ttyS0'));
    put(r, 'var/log/wtmp', new Uint8Array(0));
    const host = makeHost({ root: r, name: 'h', now: NOW });
    expect(dialupEnabled(host, dialupConfig.parse({}), plan())).toBe(true);
    const insp = await inspectDialup(host, dialupConfig.parse({}), plan());
    expect(insp.enabled).toBe(true);
    expect(insp.problems.map((p) => [p.status, p.summary])).toEqual([
      ['WARNING', 'Cannot read /var/log/mgetty.ttyS0: not a regular file'],
    ]);
  });

  it.runIf(process.geteuid?.() === 0)(
    'refuses an mgetty log that is a symbolic link another user planted to a root-only file (needs root: lchown)',
    async () => {
      const r = root();
      put(r, 'secret', '06/01 10:00:00 yS3  echo root:Hunter2 | chpasswd\n');
      mkdirSync(path.join(r, 'var/log/mgetty'), { recursive: true });
      const link = path.join(r, 'var/log/mgetty/mg_ttyS3.log');
      // A link in the inspected tree names the tree's own path (`/secret` is ROOT/secret under --root).
      symlinkSync('/secret', link);
      lchownSync(link, 65534, 65534);
      put(r, 'var/log/wtmp', new Uint8Array(0));
      const host = makeHost({ root: r, name: 'h', now: NOW });
      const insp = await inspectDialup(host, dialupConfig.parse({}), plan());
      expect(JSON.stringify(insp)).not.toContain('Hunter2');
      expect(insp.problems.map((p) => [p.status, p.summary])).toEqual([
        [
          'WARNING',
          expect.stringMatching(
            /^Cannot read \/var\/log\/mgetty\/mg_ttyS3\.log: a symbolic link owned by (?:\S+ \()?uid 65534\)? to a file it does not own \(refusing to follow it\)$/,
          ),
        ],
      ]);
      // Named on the command line, the admin's choice: followed.
      const given = await inspectDialup(host, dialupConfig.parse({}), plan(), {
        logs: ['/var/log/mgetty/mg_ttyS3.log'],
      });
      expect(given.problems).toEqual([]);
      expect(given.logs).toEqual(['/var/log/mgetty/mg_ttyS3.log']);
    },
  );

  it('caps a log mtime in the future at the inspection time when inferring years', async () => {
    const r = root();
    put(
      r,
      'var/log/mgetty.ttyS0',
      "05/20 10:00:00 yS0  waiting for ``CONNECT'' ** found **\n",
      '2027-08-01T00:00:00Z',
    );
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(),
    );
    expect(insp.lines[0]?.calls[0]?.start.toISOString()).toBe('2026-05-20T10:00:00.000Z');
  });

  it('returns no result from the check when no mgetty log exists', async () => {
    const r = root();
    const config = configSchema.parse({});
    const out = await dialupCheck.run({
      host: makeHost({ root: r, name: 'h', now: NOW }),
      config,
      plan: plan(),
      state: undefined,
      options: { all: false },
      signal: AbortSignal.timeout(10_000),
    });
    expect(out.results).toEqual([]);
  });

  it("stops at the run's deadline instead of reading on, and does not blame the logs for it", async () => {
    const r = root();
    put(r, 'var/log/mgetty.ttyS0', '05/20 10:00:00 yS0  mgetty: interim release 1.2.1\n');
    put(r, 'var/log/syslog', 'May 20 10:00:00 h kernel: Linux version 6.1\n');
    const deadline = new AbortController();
    deadline.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    const run = dialupCheck.run({
      host: makeHost({ root: r, name: 'h', now: NOW }),
      config: configSchema.parse({}),
      plan: plan(['/var/log/syslog']),
      state: undefined,
      options: { all: false },
      signal: deadline.signal,
    });
    await expect(run).rejects.toThrow('The operation timed out.');
  });

  it('reports a wtmp that is not one, and still counts the calls', async () => {
    const r = root();
    put(r, 'var/log/mgetty.ttyS0', "05/20 10:00:00 yS0  waiting for ``CONNECT'' ** found **\n");
    put(r, 'var/log/wtmp', 'this is not a wtmp file at all, just some text '.repeat(20));
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(),
    );
    expect(insp.problems.map((p) => p.summary)).toEqual([
      expect.stringMatching(/^Cannot read \/var\/log\/wtmp: not a utmp\/wtmp file/),
    ]);
    expect(insp.lines[0]?.calls).toHaveLength(1);
    expect(insp.findings.filter((f) => f.kind === 'dialup-call-without-login')).toEqual([]);
  });

  it('reports a wtmp or syslog that is a FIFO as not a regular file, without waiting for a writer', {
    timeout: 5000,
  }, async () => {
    const r = root();
    put(r, 'var/log/mgetty.ttyS0', "05/20 10:00:00 yS0  waiting for ``CONNECT'' ** found **\n");
    mkdirSync(path.join(r, 'var/log'), { recursive: true });
    makeFifo(path.join(r, 'var/log/wtmp'));
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(),
    );
    expect(insp.problems.map((p) => p.summary)).toEqual([
      'Cannot read /var/log/wtmp: not a regular file: logins on dial-up lines not compared with calls',
    ]);
    expect(insp.lines[0]?.calls).toHaveLength(1);
    const fifo = path.join(r, 'syslog-fifo');
    makeFifo(fifo);
    await expect(syslogLines(fifo)).rejects.toThrow('not a regular file');
  });
});

describe('big inputs', () => {
  it('reads a wtmp of more than 200k records (a spread push overflowed the stack)', {
    timeout: 60_000,
  }, async () => {
    const r = root();
    put(r, 'var/log/mgetty.ttyS0', "05/20 10:00:00 yS0  waiting for ``CONNECT'' ** found **\n");
    const one = encodeRecords([
      { type: 7, pid: 612, line: 'pts/0', user: 'kato', sec: sec('2026-05-20T10:00:00Z') },
    ]);
    put(r, 'var/log/wtmp', Buffer.concat(new Array<Buffer>(210_000).fill(Buffer.from(one))));
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(),
    );
    expect(insp.problems).toEqual([]);
    expect(insp.lines[0]?.calls).toHaveLength(1);
  });
});

describe("the host's time zone", () => {
  it("comes from the config, else the tree's /etc/localtime link or /etc/timezone, else UTC under --root", () => {
    const r = root();
    const host = makeHost({ root: r, name: 'h', env: { TZ: 'America/New_York' } });
    expect(hostZoneName(host, undefined)).toBe('UTC');
    mkdirSync(path.join(r, 'etc'), { recursive: true });
    symlinkSync('/usr/share/zoneinfo/Europe/Berlin', path.join(r, 'etc/localtime'));
    expect(hostZoneName(host, undefined)).toBe('Europe/Berlin');
    // A stale /etc/timezone beside the link (timedatectl moves only the link) does not win.
    put(r, 'etc/timezone', 'Asia/Tokyo\n');
    expect(hostZoneName(host, undefined)).toBe('Europe/Berlin');
    expect(hostZoneName(host, 'Europe/Paris')).toBe('Europe/Paris');
  });

  it('rejects an unknown zone and malformed hours in the config', () => {
    expect(dialupConfig.safeParse({ timeZone: 'Mars/Olympus' }).success).toBe(false);
    expect(dialupConfig.safeParse({ hours: { ttyS0: '8 to 6' } }).success).toBe(false);
    expect(dialupConfig.safeParse({ hours: { ttyS0: '22:00-06:00', '*': '08:00-18:00' } }).success).toBe(
      true,
    );
    expect(dialupConfig.safeParse({ windowSecs: 60 }).success).toBe(false);
  });
});

describe('a dial-up line with many calls', () => {
  it('lists the line summaries and the most serious findings, and counts the rest', async () => {
    // 300 calls with no login each (one INFO each before), and one login with no call (CRITICAL).
    const r = root();
    const calls = Array.from({ length: 300 }, (_, i) => {
      // A two-hour pause after the 150th call, in which the login happens.
      const t = new Date(Date.UTC(2026, 4, 25, 6, 0) + i * 120_000 + (i >= 150 ? 7_200_000 : 0));
      const p = (n: number) => String(n).padStart(2, '0');
      return `May 25 ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:00 gauntlet mgetty[${1000 + i}]: data dev=ttyS0, pid=${1000 + i}, caller='none', conn='', name='', cmd='/bin/login', user='nobody${i}'`;
    });
    put(r, 'var/log/mgetty.ttyS1', '05/01 00:00:00 yS1  waiting...\n');
    put(
      r,
      'var/log/syslog',
      `May 25 05:00:00 gauntlet kernel: Linux version 5.10.0-demo\n${calls.join('\n')}\n`,
    );
    put(
      r,
      'var/log/wtmp',
      encodeRecords([
        { type: 2, line: '~', id: '~~', user: 'reboot', sec: sec('2026-05-25T05:00:00Z') },
        { type: 7, pid: 99, line: 'ttyS0', user: 'mallory', sec: sec('2026-05-25T12:00:00Z') },
        { type: 8, pid: 99, line: 'ttyS0', sec: sec('2026-05-25T12:05:00Z') },
      ]),
    );
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan(['/var/log/syslog']),
    );
    const total = insp.problems.length + insp.findings.length;
    expect(insp.findings.filter((f) => f.kind === 'dialup-call-without-login')).toHaveLength(300);
    const result = dialupResult(insp);
    expect(result.findings).toHaveLength(50);
    expect(result.findings[0]).toMatchObject({ kind: 'dialup-login-without-call', status: 'CRITICAL' });
    expect(result.findings.filter((f) => f.kind === 'dialup-line-summary')).toHaveLength(
      insp.findings.filter((f) => f.kind === 'dialup-line-summary').length,
    );
    expect(result.omitted?.count).toBe(total - 50);
    expect(result.status).toBe('CRITICAL');
    expect(result.summary).toMatch(/\b300 calls\b/);
  });
});
