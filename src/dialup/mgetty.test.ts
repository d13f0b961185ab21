// Log lines below follow mgetty's own formats (logfile.c, login.c, mgetty.c, ring.c, faxrec.c of mgetty 1.2)
// and quote published logs: the runbook's two lines, the syslog examples of mgetty's texinfo manual (section
// "mgetty, logging into syslog"), and users' logs posted to the mgetty list, debian-user and Ubuntu forums.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { correlate } from './correlate.ts';
import { decodeWtmp } from './logins-source.ts';
import {
  auditFields,
  deviceFromFileName,
  evidenceOf,
  extractCalls,
  groupModemIssues,
  type MgettyEntry,
  modemIssue,
  newModemIssues,
  parseAudit,
  parseMgettyLog,
} from './mgetty.ts';

const MTIME = new Date('2026-06-01T00:00:00Z');
const parse = (
  lines: string[],
  opts: { source?: string; device?: string | null; mtime?: Date; timeZone?: string } = {},
): MgettyEntry[] =>
  parseMgettyLog(lines.join('\n'), {
    source: opts.source ?? '/var/log/mgetty.ttyS0',
    mtime: opts.mtime ?? MTIME,
    timeZone: opts.timeZone ?? 'UTC',
    device: opts.device === undefined ? 'ttyS0' : opts.device,
  });

describe('per-line log lines', () => {
  it("reads the runbook's CONNECT line as an answered call on ttyS0", () => {
    const entries = parse(["05/25 06:01:44 yS0 waiting for ``CONNECT'' ** found **"]);
    expect(entries[0]).toMatchObject({
      tty: 'ttyS0',
      format: 'mgetty',
      lineNo: 1,
      event: { type: 'expect', what: 'CONNECT', found: true },
    });
    expect(entries[0]?.time.toISOString()).toBe('2026-05-25T06:01:44.000Z');
    const { calls } = extractCalls(entries);
    expect(calls.map((c) => [c.line, c.start.toISOString(), c.outcome, c.pid])).toEqual([
      ['ttyS0', '2026-05-25T06:01:44.000Z', 'connect', null],
    ]);
  });

  it("reads the runbook's DSR warning as modem trouble", () => {
    const [e] = parse(['03/13 08:59:25 yS0 WARNING: DSR is off - modem turned off or bad cable?']);
    expect(e?.issue).toBe('dsr-off');
    expect(e?.message).toBe('WARNING: DSR is off - modem turned off or bad cable?');
  });

  it('takes the CONNECT time from the `** found **` line when debug output came in between', () => {
    const entries = parse(
      [
        "05/13 11:20:55 yS2  wfr: waiting for ``RING''",
        '05/13 11:20:55 yS2   got: [0a][0d][0a]RING[0d]',
        '05/13 11:20:56 yS2  send: ATA[0d]',
        "05/13 11:20:56 yS2  waiting for ``CONNECT''",
        '05/13 11:20:56 yS2   got: ATA[0d]',
        '05/13 11:21:09 yS2    CND: ATA[0d][0a]CONNECT 26400/ARQ ** found **',
        "05/13 11:21:09 yS2  waiting for ``_'' ** found **",
      ],
      { source: '/var/log/mgetty.log.ttyS2', device: 'ttyS2' },
    );
    const { calls } = extractCalls(entries);
    expect(calls.map((c) => [c.line, c.start.toISOString()])).toEqual([
      ['ttyS2', '2026-05-13T11:21:09.000Z'],
    ]);
  });

  it('counts a CONNECT seen while waiting for RING (auto-answer) as a call, not a failed chat', () => {
    const { calls } = extractCalls(
      parse(["06/01 10:00:00 yS0  wfr: found action string: ``CONNECT''"], {
        mtime: new Date('2026-06-02T00:00:00Z'),
      }),
    );
    expect(calls).toHaveLength(1);
    const { calls: none } = extractCalls(
      parse(
        [
          "06/01 10:00:00 yS0  waiting for ``CONNECT''",
          "06/01 10:00:30 yS0  found action string: ``NO CARRIER''",
        ],
        {
          mtime: new Date('2026-06-02T00:00:00Z'),
        },
      ),
    );
    expect(none).toEqual([]);
  });

  it('completes a call with its audit line, taking the pid and the typed login name', () => {
    const entries = parse([
      '--',
      '05/25 06:00:02 yS0  mgetty: interim release 1.2.1',
      '05/25 06:00:02 yS0  user id: 0, pid: 612, parent pid: 1',
      "05/25 06:01:44 yS0  waiting for ``CONNECT'' ** found **",
      "05/25 06:01:58 ##### data dev=ttyS0, pid=612, caller='none', conn='38400/V.34', name='', cmd='/bin/login', user='yanagi'",
    ]);
    expect(entries.map((e) => e.event.type)).toEqual(['separator', 'start', 'pid', 'expect', 'audit']);
    expect(entries[0]?.time.toISOString()).toBe('2026-05-25T06:00:02.000Z');
    const { calls } = extractCalls(entries);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ line: 'ttyS0', pid: 612, outcome: 'login' });
    expect(calls[0]?.start.toISOString()).toBe('2026-05-25T06:01:44.000Z');
    expect(calls[0]?.auditTime?.toISOString()).toBe('2026-05-25T06:01:58.000Z');
    expect(calls[0]?.audit?.fields).toMatchObject({
      caller: 'none',
      conn: '38400/V.34',
      cmd: '/bin/login',
      user: 'yanagi',
    });
    expect(calls[0]?.evidence.map((e) => e.line)).toEqual([4, 5]);
  });

  it('keeps an audit line whose typed login name holds a CR or U+2028 (mgetty writes it as typed)', () => {
    for (const odd of ['\r', '\u2028', '\u2029']) {
      const entries = parse([
        '--',
        '05/25 06:00:02 yS0  user id: 0, pid: 612, parent pid: 1',
        "05/25 06:01:44 yS0  waiting for ``CONNECT'' ** found **",
        `05/25 06:01:58 ##### data dev=ttyS0, pid=612, caller='none', conn='', name='', cmd='/bin/login', user='ali${odd}ce'`,
        "May 25 06:02:58 gauntlet mgetty[613]: data dev=ttyS0, pid=613, caller='none', conn='', name='', cmd='/bin/login', user='b" +
          odd +
          "ob'",
      ]);
      const { calls } = extractCalls(entries);
      expect(calls.map((c) => [c.pid, c.audit?.fields.user])).toEqual([
        [612, `ali${odd}ce`],
        [613, `b${odd}ob`],
      ]);
    }
  });

  it("clips a line's evidence and drops the NULs a power loss leaves after mgetty's last line", () => {
    const entries = parse([
      '--',
      '05/25 06:00:02 yS0  user id: 0, pid: 612, parent pid: 1',
      "05/25 06:01:44 yS0  waiting for ``CONNECT'' ** found **",
      `05/25 06:01:58 ##### data dev=ttyS0, pid=612, caller='none', conn='', name='', cmd='/bin/login', user='x'${'\0'.repeat(100_000)}`,
    ]);
    const evidence = extractCalls(entries).calls[0]?.evidence.at(-1)?.text ?? '';
    expect(evidence).toBe(
      "05/25 06:01:58 ##### data dev=ttyS0, pid=612, caller='none', conn='', name='', cmd='/bin/login', user='x'",
    );
    const long = parse([`05/25 06:01:58 yS0  ${'DSR not active '.repeat(1000)}`]);
    expect(long[0] ? evidenceOf(long[0]).text.length : 0).toBe(2000);
  });

  it("keeps mgetty's pid from its `user id` line for a call that ended without an audit line", () => {
    const { calls } = extractCalls(
      parse([
        '05/25 06:00:02 yS0  user id: 0, pid: 612, parent pid: 1',
        "05/25 06:01:44 yS0  waiting for ``CONNECT'' ** found **",
        '--',
        '05/25 06:03:00 yS0  mgetty: interim release 1.2.1',
        "05/25 06:09:44 yS0  waiting for ``CONNECT'' ** found **",
      ]),
    );
    expect(calls.map((c) => c.pid)).toEqual([612, null]);
  });

  it('reads the version line of an experimental release', () => {
    const [e] = parse(['01/03 11:33:23 yS0 mgetty: experimental test release 1.1.18-Sep11']);
    expect(e?.event).toEqual({
      type: 'start',
      program: 'mgetty',
      version: 'experimental test release 1.1.18-Sep11',
    });
  });

  it('finds the device of an audit-named line (/dev/modem logs with the infix "dem")', () => {
    const entries = parse(
      [
        '09/07 18:26:01 dem  vgetty: experimental test release 0.9.32 / 24Dec01',
        '09/07 18:26:01 dem  WARNING: DSR is off - modem turned off or bad cable?',
        '09/07 18:26:24 ##### failed dev=modem, pid=6392, got signal 2, exiting',
      ],
      { source: '/var/log/vgetty.log', device: null },
    );
    expect(entries.map((e) => e.tty)).toEqual(['modem', 'modem', 'modem']);
    expect(entries[0]?.event).toMatchObject({ type: 'start', program: 'vgetty' });
    expect(groupModemIssues(entries).map((g) => [g.line, g.kind, g.count])).toEqual([
      ['modem', 'dsr-off', 1],
    ]);
  });

  it('skips continuation lines, other text and impossible dates, and strips CR', () => {
    const entries = parse([
      '05/13 11:16:09 yS2  CND:',
      'CONNECT[1a][f0][f8][fe][fe][e6][e6]`[0c][00]',
      '13/40 99:99:99 yS0  not a date',
      '05/13 11:16:10 yS2  waiting...\r',
    ]);
    expect(entries.map((e) => e.raw)).toEqual(['05/13 11:16:09 yS2  CND:', '05/13 11:16:10 yS2  waiting...']);
    expect(entries.map((e) => e.lineNo)).toEqual([1, 4]);
  });
});

describe('audit lines', () => {
  it('parses every audit type mgetty writes', () => {
    const types = [
      "data dev=ttyS0, pid=4038, caller='none', conn='38400/V.32  9600/MNP5', name='', cmd='/bin/login', user='mbox'",
      "failed A_FAIL dev=ttyS0, pid=673, caller='none', conn='', name=''",
      "failed timeout dev=ttyS0, pid=674, caller='none', conn='', name=''",
      'failed in mg_init_data, dev=ttyS0, pid=675',
      'failed dev=ttyS0, pid=676, got signal 15, exiting',
      "fax dev=ttyS0, pid=1866, caller='none', name='', id='49 89 3243328        ', +FHNG=100, pages=1, time=00:00:29",
      "denied caller dev=ttyS0, pid=677, caller='0301234567'",
      'rejected, rings=3',
      "phone stopped ringing (rings=1, dev=ttyS0, pid=678, caller='none')",
      'missed ringback!',
      'exit dev=ttyS0, pid=679, got signal USR2, exiting',
    ].map((m) => parseAudit(m));
    expect(types.map((a) => [a?.type, a?.reason, a?.dev, a?.pid])).toEqual([
      ['data', null, 'ttyS0', 4038],
      ['failed', 'A_FAIL', 'ttyS0', 673],
      ['failed', 'timeout', 'ttyS0', 674],
      ['init-failed', null, 'ttyS0', 675],
      ['signal', null, 'ttyS0', 676],
      ['fax', null, 'ttyS0', 1866],
      ['denied', null, 'ttyS0', 677],
      ['rejected', null, null, null],
      ['stopped', null, 'ttyS0', 678],
      ['ringback', null, null, null],
      ['exit', null, 'ttyS0', 679],
    ]);
    expect(types[5]?.fields).toMatchObject({
      id: '49 89 3243328        ',
      '+FHNG': '100',
      pages: '1',
      time: '00:00:29',
    });
    expect(types[0]?.fields.conn).toBe('38400/V.32  9600/MNP5');
    expect(parseAudit("waiting for ``CONNECT''")).toBeNull();
  });

  it('reads unquoted values (older releases) and quoted ones holding commas', () => {
    expect(auditFields("failed A_FAIL dev=tty4d, pid=673, caller=none, conn='', name='Doe, J.'")).toEqual({
      dev: 'tty4d',
      pid: '673',
      caller: 'none',
      conn: '',
      name: 'Doe, J.',
    });
  });

  it('cannot be fooled by a login name that imitates more fields', () => {
    const f = auditFields(
      "data dev=ttyS0, pid=1, caller='none', conn='x', name='', cmd='/bin/login', user='a', cmd='/bin/sh'",
    );
    expect(f.cmd).toBe('/bin/login');
    expect(f.user).toBe("a', cmd='/bin/sh");
  });

  it('sorts calls by outcome: login, handoff, failed, fax; unanswered rings apart', () => {
    const { calls, unanswered } = extractCalls(
      parse([
        "05/01 10:00:00 ##### data dev=ttyS0, pid=10, caller='none', conn='x', name='', cmd='/bin/login', user='a'",
        "05/02 10:00:00 ##### data dev=ttyS0, pid=11, caller='none', conn='x', name='', cmd='/usr/sbin/pppd', user='/AutoPPP/'",
        "05/03 10:00:00 ##### failed A_FAIL dev=ttyS0, pid=12, caller='none', conn='', name=''",
        "05/04 10:00:00 ##### fax dev=ttyS0, pid=13, caller='none', name='', id='x', +FHNG=000, pages=1, time=00:00:10",
        "05/05 10:00:00 ##### phone stopped ringing (rings=1, dev=ttyS0, pid=14, caller='none')",
        "05/06 10:00:00 ##### denied caller dev=ttyS0, pid=15, caller='0301234567'",
        'rejected, rings=3',
      ]),
    );
    expect(calls.map((c) => [c.outcome, c.pid])).toEqual([
      ['login', 10],
      ['handoff', 11],
      ['failed', 12],
      ['fax', 13],
    ]);
    expect(unanswered.map((u) => u.type)).toEqual(['stopped', 'denied']);
  });
});

describe('syslog lines', () => {
  const manual = [
    "Mar  3 18:36:16 greenie mgetty[673]: failed A_FAIL dev=tty4d, pid=673, caller=none, conn='', name=''",
    "Mar  3 18:41:56 greenie mgetty[1866]: fax dev=tty4d, pid=1866, caller=none, name='', id='49 89 3243328        ', +FHNG=100, pages=1, time=00:00:29 ",
    "Mar  3 20:45:59 greenie mgetty[4038]: data dev=tty4d, pid=4038, caller=none, conn='38400/V.32  9600/MNP5', name='', cmd='/bin/login', user='mbox'",
    "Mar  3 22:41:43 greenie mgetty[6470]: data dev=tty4c, pid=6470, caller=none, conn='38400/ZyX  16800/V42b', name='', cmd='/usr/lib/uucp/uucico', user='Uartinet'",
    'Mar  3 22:50:00 greenie sshd[700]: Accepted password for joe from 10.0.1.23 port 40000 ssh2',
  ];

  it("reads the manual's syslog examples as calls on their lines", () => {
    const entries = parse(manual, { source: '/var/log/syslog', device: null });
    expect(entries).toHaveLength(4);
    expect(entries.every((e) => e.format === 'syslog')).toBe(true);
    const { calls } = extractCalls(entries);
    expect(calls.map((c) => [c.line, c.outcome, c.pid, c.start.toISOString()])).toEqual([
      ['tty4d', 'failed', 673, '2026-03-03T18:36:16.000Z'],
      ['tty4d', 'fax', 1866, '2026-03-03T18:41:56.000Z'],
      ['tty4d', 'login', 4038, '2026-03-03T20:45:59.000Z'],
      ['tty4c', 'handoff', 6470, '2026-03-03T22:41:43.000Z'],
    ]);
  });

  it('attributes an error line to the line its pid audited, and reads ISO timestamps with their offset', () => {
    const entries = parse(
      [
        '2026-05-25T15:01:40.123456+09:00 gauntlet mgetty[612]: init chat failed, exiting...: Interrupted system call',
        '2026-05-25T15:01:41+09:00 gauntlet mgetty[612]: failed in mg_init_data, dev=ttyS1, pid=612',
      ],
      { source: '/var/log/syslog', device: null },
    );
    expect(entries.map((e) => [e.tty, e.pid, e.issue, e.time.toISOString(), e.wall.hour])).toEqual([
      ['ttyS1', 612, 'init-failed', '2026-05-25T06:01:40.000Z', 15],
      // the same process's audit line of that failure: not a second one
      ['ttyS1', 612, null, '2026-05-25T06:01:41.000Z', 15],
    ]);
  });

  it('merges the same call seen in the per-line log and in syslog', () => {
    const perLine = parse([
      "05/25 06:01:44 yS0  waiting for ``CONNECT'' ** found **",
      "05/25 06:01:58 ##### data dev=ttyS0, pid=612, caller='none', conn='38400', name='', cmd='/bin/login', user='yanagi'",
    ]);
    const sys = parse(
      [
        "May 25 06:01:58 gauntlet mgetty[612]: data dev=ttyS0, pid=612, caller='none', conn='38400', name='', cmd='/bin/login', user='yanagi'",
      ],
      { source: '/var/log/syslog', device: null },
    );
    const { calls } = extractCalls([...perLine, ...sys]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.start.toISOString()).toBe('2026-05-25T06:01:44.000Z');
    expect(calls[0]?.evidence.map((e) => e.source)).toEqual([
      '/var/log/mgetty.ttyS0',
      '/var/log/mgetty.ttyS0',
      '/var/log/syslog',
    ]);
    // Trouble is counted once: syslog copies of a line that has its own log are ignored.
    const errs = [
      ...parse(['05/25 06:30:00 yS0  init chat failed, exiting...: Interrupted system call']),
      ...parse(
        ['May 25 06:30:00 gauntlet mgetty[612]: init chat failed, exiting...: Interrupted system call'],
        {
          source: '/var/log/syslog',
          device: null,
        },
      ),
    ];
    expect(groupModemIssues(errs).map((g) => [g.line, g.kind, g.count])).toEqual([
      ['ttyS0', 'init-failed', 1],
      ['unknown', 'init-failed', 1],
    ]);
  });
});

describe('modem trouble', () => {
  it.each([
    ['WARNING: DSR is off - modem turned off or bad cable?', 'dsr-off'],
    ["found action string: ``NO DIALTONE''", 'no-dialtone'],
    ['dial: NO DIAL TONE', 'no-dialtone'],
    ["modem on dev=ttyS0 doesn't react!: Interrupted system call", 'no-response'],
    ['init chat failed, exiting...: Interrupted system call', 'init-failed'],
    ['init chat timed out, trying force-init-chat', 'init-failed'],
    ['mg_init_device failed, trying again', 'init-failed'],
    ['cannot get terminal line dev=ttyS0, exiting: No such device', 'init-failed'],
    ["can't lock /dev/ttyS0", 'lock'],
    ['lock not made: link(temp,lock) failed: Permission denied', 'lock'],
    ['huh? Junk on the line?', 'lock'],
    ['compiled with ascii locks, found binary lock file (length=4, pid=3)!', 'lock'],
    ['giving up', 'gave-up'],
    ['WARNING: parent process not init(pid=1), but pid=5748 (bash)', 'warning'],
    ['warning: carrier signal is ignored', 'warning'],
    ["waiting for ``OK'' ** found **", null],
    ['lock not made: lock file exists', null],
  ])('%s → %s', (message, kind) => {
    expect(modemIssue(message)).toBe(kind);
  });

  it('groups by line and kind with first and last time and a few samples', () => {
    const entries = parse([
      '05/01 01:00:00 yS0  WARNING: DSR is off - modem turned off or bad cable?',
      '05/01 01:10:00 yS0  WARNING: DSR is off - modem turned off or bad cable?',
      '05/01 01:20:00 yS0  WARNING: DSR is off - modem turned off or bad cable?',
      '05/01 01:30:00 yS0  WARNING: DSR is off - modem turned off or bad cable?',
      '05/02 01:30:00 yS1  WARNING: DSR is off - modem turned off or bad cable?',
    ]);
    const groups = groupModemIssues(entries);
    expect(
      groups.map((g) => [
        g.line,
        g.kind,
        g.count,
        g.first.toISOString(),
        g.last.toISOString(),
        g.samples.map((s) => s.lineNo),
      ]),
    ).toEqual([
      ['ttyS0', 'dsr-off', 4, '2026-05-01T01:00:00.000Z', '2026-05-01T01:30:00.000Z', [1, 2, 4]],
      ['ttyS1', 'dsr-off', 1, '2026-05-02T01:30:00.000Z', '2026-05-02T01:30:00.000Z', [5]],
    ]);
  });
});

describe('years and zones', () => {
  it('reads a December log in January as last year, rolling over at the turn of the year', () => {
    const lines = [
      "12/30 23:59:00 yS0  waiting for ``CONNECT'' ** found **",
      '12/31 10:00:00 yS0  waiting...',
      '01/01 00:00:05 yS0  waiting...',
    ];
    const entries = parse(lines, { mtime: new Date('2027-01-02T08:00:00Z') });
    expect(entries.map((e) => e.time.toISOString())).toEqual([
      '2026-12-30T23:59:00.000Z',
      '2026-12-31T10:00:00.000Z',
      '2027-01-01T00:00:05.000Z',
    ]);
    const december = parse(lines.slice(0, 2), { mtime: new Date('2027-01-03T00:00:00Z') });
    expect(december.map((e) => e.wall.year)).toEqual([2026, 2026]);
  });

  it("reads local times in the host's zone", () => {
    const [e] = parse(["05/25 06:01:44 yS0  waiting for ``CONNECT'' ** found **"], {
      timeZone: 'Asia/Tokyo',
    });
    expect(e?.time.toISOString()).toBe('2026-05-24T21:01:44.000Z');
    expect(e?.wall).toMatchObject({ year: 2026, month: 5, day: 25, hour: 6 });
  });

  it('reads a stamp an hour before the line before, where the clocks fell back, as the second pass', () => {
    const entries = parse(
      ['11/01 01:50:00 yS0  waiting...', "11/01 01:10:17 yS0  waiting for ``CONNECT'' ** found **"],
      { timeZone: 'America/New_York', mtime: new Date('2026-11-02T00:00:00Z') },
    );
    expect(entries.map((e) => e.time.toISOString())).toEqual([
      '2026-11-01T05:50:00.000Z',
      '2026-11-01T06:10:17.000Z',
    ]);
  });
});

describe('device from the file name', () => {
  it.each([
    ['/var/log/mgetty.ttyS0', 'ttyS0'],
    ['/var/log/mgetty.log.ttyS1', 'ttyS1'],
    ['/var/log/mgetty.log.ttyS0.1.gz', 'ttyS0'],
    ['/var/log/mgetty/mg_ttyS1.log', 'ttyS1'],
    ['/var/log/mgetty/vg_ttyS3.log', 'ttyS3'],
    ['/var/log/log_mg.ttyUSB0', 'ttyUSB0'],
    ['/var/log/mgetty/mg_modem.log', 'modem'],
    ['/var/log/mgetty/sendfax.log', null],
  ])('%s → %s', (name, device) => {
    expect(deviceFromFileName(name)).toBe(device);
  });

  it('uses the file name for a USB modem whose infix cannot be expanded', () => {
    const [e] = parse(['05/25 06:01:44 SB0  waiting...'], {
      source: '/var/log/log_mg.ttyUSB0',
      device: 'ttyUSB0',
    });
    expect(e?.tty).toBe('ttyUSB0');
  });
});

describe('modem trouble from new lines only', () => {
  it('counts lines after the mark: later ones, and those of its own second past the ones counted', () => {
    const dsr = 'WARNING: DSR is off - modem turned off or bad cable?';
    const entries = parse([`05/01 01:00:00 yS0  ${dsr}`, `05/01 01:00:00 yS0  ${dsr}`]);
    const first = newModemIssues(entries, new Map());
    expect(first.groups.map((g) => g.count)).toEqual([2]);
    expect(first.marks.get('ttyS0')).toEqual({ time: Date.parse('2026-05-01T01:00:00Z'), count: 2 });
    expect(newModemIssues(entries, first.marks).groups).toEqual([]);
    const more = parse([
      `05/01 01:00:00 yS0  ${dsr}`,
      `05/01 01:00:00 yS0  ${dsr}`,
      `05/01 01:00:00 yS0  ${dsr}`,
      '05/01 02:00:00 yS0  init chat failed, exiting...: Interrupted system call',
    ]);
    const next = newModemIssues(more, first.marks);
    expect(next.groups.map((g) => [g.kind, g.count])).toEqual([
      ['dsr-off', 1],
      ['init-failed', 1],
    ]);
    expect(next.marks.get('ttyS0')).toEqual({ time: Date.parse('2026-05-01T02:00:00Z'), count: 1 });
  });
});

describe("mgetty 1.2.1's own log (fixtures/mgetty-1.2.1, written by test/e2e-dialup.test.ts's runs)", () => {
  const dir = path.join(import.meta.dirname, 'fixtures', 'mgetty-1.2.1');
  const real = parseMgettyLog(readFileSync(path.join(dir, 'mg_ttyS7.log'), 'latin1'), {
    source: '/var/log/mgetty/mg_ttyS7.log',
    mtime: new Date('2026-11-26T15:32:00Z'),
    timeZone: 'Asia/Tokyo',
    device: deviceFromFileName('mg_ttyS7.log'),
  });

  it('gives a call whose caller hung up at the login prompt the pid mgetty named after CONNECT', () => {
    const { calls } = extractCalls(real);
    expect(calls.map((c) => [c.start.toISOString(), c.pid, c.outcome])).toEqual([
      ['2026-11-26T15:30:55.000Z', 3001, 'login'],
      ['2026-11-26T15:30:58.000Z', 4001, 'connect'],
      ['2026-11-26T15:31:00.000Z', 5001, 'login'],
      ['2026-11-26T15:31:06.000Z', 6001, 'failed'],
      ['2026-11-26T15:31:11.000Z', 7001, 'failed'],
    ]);
  });

  it('counts one failed modem initialisation once per mgetty process, not again for its audit line', () => {
    const trouble = groupModemIssues(real).map((g) => [g.kind, g.count]);
    expect(trouble).toContainEqual(['init-failed', 1]);
    // a second process that fails is counted again
    const twice = parseMgettyLog(
      [
        '--',
        '11/27 00:31:12 yS7  mgetty: stable release 1.2.1',
        '11/27 00:31:12 yS7  init chat timed out, trying force-init-chat',
        '11/27 00:31:12 yS7  init chat failed, exiting...: Invalid argument',
        '11/27 00:31:12 ##### failed in mg_init_data, dev=ttyS7, pid=8001',
        '--',
        '11/27 00:31:40 yS7  mgetty: stable release 1.2.1',
        '11/27 00:31:40 ##### failed in mg_init_data, dev=ttyS7, pid=8002',
      ].join('\n'),
      { source: '/var/log/mgetty/mg_ttyS7.log', mtime: new Date('2026-11-26T16:00:00Z'), device: 'ttyS7' },
    );
    expect(groupModemIssues(twice).map((g) => [g.kind, g.count])).toEqual([['init-failed', 2]]);
  });

  it('reports the console login after a hung-up call as a login without a call (pids differ)', () => {
    const wtmp = decodeWtmp(readFileSync(path.join(dir, 'wtmp')), '/var/log/wtmp');
    if (!wtmp.ok) throw new Error(wtmp.reason);
    const { calls, unanswered } = extractCalls(real);
    const [line] = correlate(
      {
        calls,
        unanswered,
        records: wtmp.records,
        coverage: new Map([['ttyS7', (real[0] as MgettyEntry).time]]),
      },
      // a short window: the whole run took 20 s, and logins within a window of the log's start are not judged
      { windowSeconds: 10, now: new Date('2026-11-26T16:00:00Z') },
    );
    expect(line?.matches.map((m) => [m.login.pid, m.call.pid, m.byPid])).toEqual([[3001, 3001, true]]);
    expect(line?.loginsWithoutCall.map((l) => [l.login.user, l.login.pid])).toEqual([['dialin', 9001]]);
    expect(line?.callsWithoutLogin.map((c) => [c.call.pid, c.outcome])).toEqual([
      [4001, 'no-login'],
      [5001, 'login-failed'],
      [6001, 'connect-failed'],
      [7001, 'connect-failed'],
    ]);
  });
});
