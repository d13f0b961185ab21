/**
 * Conformance of `tenken last` with util-linux `last` 2.38:
 * 1. the peer fixtures in ../shared/data/util-linux-utmp (expected outputs recorded with `last` 2.38), read at
 *    test time and never copied into the repo;
 * 2. the machine's own /usr/bin/last on files generated here, built both by tenken's encoder and by
 *    `utmpdump -r` (which also checks the encoder byte for byte), across options and time zones.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { register } from '../../src/cli/commands/last.ts';
import { runCommand, utmpdumpText } from '../../src/logins/testing.ts';
import { addrFromText, encodeRecords, type UtmpRecordInput } from '../../src/logins/utmp.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const peer = path.resolve(repo, process.env.TENKEN_PEER_DATA ?? '../shared/data', 'util-linux-utmp');
const havePeer = fs.existsSync(path.join(peer, 'README.md'));
if (!havePeer) console.log(`utmp conformance: ${peer} not found, peer fixture tests not run`);
const haveLast = fs.existsSync('/usr/bin/last') && fs.existsSync('/usr/bin/utmpdump');
if (!haveLast) console.log('utmp conformance: /usr/bin/last or utmpdump missing, live oracle tests not run');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-utmp-conf-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const last = { register };

/** Sections of an expected-output file: `~~~ name ~~~` then the exact text `last` printed. */
function sections(text: string): { name: string; body: string }[] {
  const out: { name: string; body: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^~~~ (.*) ~~~$/.exec(line);
    if (m) out.push({ name: m[1] ?? '', body: '' });
    else if (out.length > 0) (out[out.length - 1] as { body: string }).body += `${line}\n`;
  }
  // The file ends with a newline: the split leaves one empty line too many on the last section.
  const lastSection = out[out.length - 1];
  if (lastSection) lastSection.body = lastSection.body.replace(/\n$/, '');
  return out;
}

/** A link named like the file `last` was given, so the `begins` trailer carries the same basename. */
function linked(name: string, target: string): string {
  const p = path.join(tmp, name);
  if (!fs.existsSync(p)) fs.symlinkSync(target, p);
  return p;
}

describe.runIf(havePeer)('tenken last against util-linux 2.38 expected outputs (peer data)', () => {
  // The option sets of README.md, in the order of expected-last-nodns.
  const optionSets: string[][] = [
    [],
    ['-x'],
    ['-i', 'torvalds'],
    ['-R', 'torvalds'],
    ['-F'],
    ['--time-format=full'],
    ['--time-format=notime'],
    ['--time-format=iso', '-w'],
    ['-s', '2013-08-28 02:20', '-t', '2013-08-28 08:20'],
    ['-p', '2013-08-28 11:20'],
  ];
  const expected = havePeer
    ? sections(fs.readFileSync(path.join(peer, 'expected-last-nodns'), 'latin1'))
    : [];
  it('has one expected section per README option set', () => {
    expect(expected).toHaveLength(optionSets.length);
  });
  optionSets.forEach((opts, i) => {
    it(`prints byte-identical output for last -f wtmp-a ${opts.join(' ')}`, async () => {
      const file = linked('wtmp-a', path.join(peer, 'wtmp-a.LE'));
      const run = await runCommand([last], ['last', '-f', file, ...opts]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(expected[i]?.body);
    });
  });

  const ipv6 = havePeer
    ? sections(fs.readFileSync(path.join(peer, 'expected-last-ipv6-nodns'), 'latin1'))
    : [];
  [['-i'], ['-i', '-a']].forEach((opts, i) => {
    it(`prints byte-identical output for last -f wtmp-ipv6 ${opts.join(' ')}`, async () => {
      const file = linked('wtmp-ipv6', path.join(peer, 'wtmp-ipv6.LE'));
      const run = await runCommand([last], ['last', '-f', file, ...opts]);
      expect(run.stdout).toBe(ipv6[i]?.body);
    });
  });

  for (const name of ['wtmp-a', 'wtmp-b', 'wtmp-ipv6']) {
    it(`refuses big-endian ${name}.BE with a one-line message instead of printing garbage`, async () => {
      const run = await runCommand([last], ['last', '-f', path.join(peer, `${name}.BE`)]);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^tenken: Cannot read .*\.BE: big-endian utmp records.*\n$/);
      expect(run.code).not.toBe(0);
    });
  }

  it('matches the machine last on wtmp-b as well', async () => {
    if (!haveLast) return;
    const file = linked('wtmp-b', path.join(peer, 'wtmp-b.LE'));
    for (const opts of [[], ['-x'], ['-F', '-i'], ['-a', '-w']]) {
      const run = await runCommand([last], ['last', '-f', file, ...opts]);
      expect(run.stdout).toBe(realLast(['-f', file, ...opts], 'GMT'));
    }
  });
});

/** The file before an edit, under the same base name (for the `begins` line) in another directory. */
function intactCopy(img: Uint8Array, name: string): string {
  const file = path.join(tmp, 'intact', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, img);
  return file;
}

function realLast(
  args: string[],
  tz: string,
  lastb = false,
  locale: Record<string, string> = { LANG: 'C', LC_ALL: 'C' },
): string {
  const r = spawnSync(lastb ? '/usr/bin/lastb' : '/usr/bin/last', args, {
    env: { ...locale, TZ: tz, PATH: '/usr/bin:/bin' },
  });
  // In C the output is ASCII (escapes); in a UTF-8 locale it is UTF-8, as tenken's text once encoded.
  return r.stdout.toString(Object.values(locale).some((v) => /utf-?8/i.test(v)) ? 'utf8' : 'latin1');
}

/** utmpdump's text has fixed 4-column ids: shorter ones would come back space-padded, so ids are 4 wide. */
const id4 = (s: string): string => s.slice(-4).padEnd(4);

/** A random but plausible wtmp history: boots, shutdowns, run levels, logins, logouts, ghosts, LOGIN lines. */
function history(seed: number, count: number): UtmpRecordInput[] {
  const rnd = fc.sample(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { seed, numRuns: count * 4 });
  let k = 0;
  const r = (n: number): number => (rnd[k++ % rnd.length] as number) % n;
  const users = ['root', 'alice', 'bob', 'a-very-long-user-name', 'yanagi', 'LOGIN', 'date'];
  const ttys = ['pts/0', 'pts/1', 'pts/2', 'tty1', 'ttyS0', 'ftp1234', 'uucp7', ':0', 'pts/10'];
  const hosts = ['', '192.0.2.7', 'example.org', 'a.very.long.host.name.example.com', '2001:db8::1', ':0'];
  let t = 1_700_000_000 + r(50_000_000);
  const out: UtmpRecordInput[] = [];
  const open = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    t += 1 + r(20_000);
    const roll = r(100);
    if (roll < 6) {
      out.push({
        type: 2,
        pid: 0,
        line: '~',
        id: id4('~~'),
        user: 'reboot',
        host: '6.1.0-13-amd64',
        sec: t,
        usec: r(1_000_000),
      });
      open.clear();
    } else if (roll < 10) {
      out.push({
        type: 1,
        pid: 0,
        line: '~',
        id: id4('~~'),
        user: 'shutdown',
        host: '6.1.0-13-amd64',
        sec: t,
      });
    } else if (roll < 13) {
      const lvl = '0123456S'[r(8)] as string;
      out.push({
        type: 1,
        pid: lvl.charCodeAt(0) + 256 * 0x4e,
        line: '~',
        id: id4('~~'),
        user: 'runlevel',
        host: '6.1.0',
        sec: t,
      });
    } else if (roll < 15) {
      out.push({ type: r(2) ? 3 : 4, pid: 0, line: r(2) ? '|' : '{', id: id4(''), user: 'date', sec: t });
    } else if (roll < 18) {
      out.push({
        type: 6,
        pid: 300 + r(1000),
        line: ttys[r(ttys.length)] as string,
        id: id4('tty'),
        user: 'LOGIN',
        sec: t,
      });
    } else if (roll < 60 || open.size === 0) {
      const line = ttys[r(ttys.length)] as string;
      const host = hosts[r(hosts.length)] as string;
      let addr: [number, number, number, number] = [0, 0, 0, 0];
      if (/^[\d.]+$|:.*:/.test(host)) addr = addrFromText(host);
      const pid = 1000 + r(3_000_000);
      out.push({
        type: 7,
        pid,
        line,
        id: id4(line),
        user: users[r(users.length)] as string,
        host,
        addr,
        sec: t,
        usec: r(1_000_000),
      });
      open.set(line, pid);
    } else {
      const lines = [...open.keys()];
      const line = lines[r(lines.length)] as string;
      out.push({ type: 8, pid: open.get(line) ?? 0, line, id: id4(line), user: '', sec: t });
      open.delete(line);
    }
  }
  return out;
}

describe.runIf(haveLast)('tenken last against the machine util-linux last on generated files', () => {
  const zones = [
    'GMT',
    'Asia/Tokyo',
    'America/New_York',
    'Europe/Berlin',
    'Australia/Lord_Howe',
    'America/St_Johns',
    'Asia/Kolkata',
    // A tzdata zone file with a POSIX-looking name: glibc loads the file (with DST), not a fixed -5.
    'EST5EDT',
  ];
  const optionSets = [
    [],
    ['-x'],
    ['-F'],
    ['--time-format=iso'],
    ['--time-format=notime'],
    ['-i'],
    ['-a'],
    ['-w', '-x'],
    ['-R'],
    ['-n', '7'],
    ['-x', '-a', '-i', '-w'],
    ['root'],
    ['pts/1', 'alice'],
    ['ftp'],
    ['S0'],
    ['reboot'],
  ];

  it('builds byte-identical files to utmpdump -r (an independent oracle of the encoder)', () => {
    for (const seed of [1, 2, 3]) {
      const recs = history(seed, 120);
      const txt = path.join(tmp, `dump-${seed}.txt`);
      fs.writeFileSync(txt, utmpdumpText(recs));
      const rebuilt = execFileSync('/usr/bin/utmpdump', ['-r'], {
        input: fs.readFileSync(txt),
        env: { LANG: 'C', TZ: 'GMT' },
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      expect(Buffer.compare(rebuilt, Buffer.from(encodeRecords(recs)))).toBe(0);
    }
  });

  // Everything compared, to show that the generated histories reach every way `last` ends a session.
  let seen = '';
  afterAll(() => {
    if (!seen) return;
    for (const word of [
      '- crash',
      '- down',
      'gone - no logout',
      'still running',
      '(to lvl',
      'new time',
      'ftp ',
      'uucp ',
      '+',
    ]) {
      if (!seen.includes(word)) throw new Error(`generated histories never produced "${word}"`);
    }
  });

  for (const [i, tz] of zones.entries()) {
    it(`prints what /usr/bin/last prints in TZ=${tz} for every option set`, async () => {
      const recs = history(100 + i, 400);
      const file = path.join(tmp, `wtmp-gen-${i}`);
      fs.writeFileSync(file, encodeRecords(recs));
      for (const opts of optionSets) {
        const mine = await runCommand([last], ['last', '-f', file, ...opts], { env: { LANG: 'C', TZ: tz } });
        expect(mine.stdout, `last ${opts.join(' ')} TZ=${tz}`).toBe(realLast(['-f', file, ...opts], tz));
        seen += mine.stdout;
      }
    });
  }

  it('reads a file with bytes inserted inside it: the records after them as /usr/bin/last does (from the end), the ones before them from the start', async () => {
    const img = Buffer.from(encodeRecords(history(11, 40)));
    const file = path.join(tmp, 'wtmp-inserted');
    fs.writeFileSync(
      file,
      Buffer.concat([img.subarray(0, 5 * 384), Buffer.alloc(17, 0x41), img.subarray(5 * 384)]),
    );
    const mine = await runCommand([last], ['last', '-f', file], { env: { LANG: 'C', TZ: 'GMT' } });
    const theirs = realLast(['-f', file], 'GMT').split('\n');
    const lines = mine.stdout.split('\n');
    // /usr/bin/last misreads the 5 records before the insertion; tenken reads every record as it was written.
    expect(mine.stdout).toBe(realLast(['-f', intactCopy(img, 'wtmp-inserted')], 'GMT'));
    // The newest sessions (records after the insertion) are what /usr/bin/last prints of the damaged file.
    expect(lines.slice(0, 20)).toEqual(theirs.slice(0, 20));
    expect(mine.stderr).toMatch(
      /17 bytes too many in record 6 \(offset 1920\), not at the end: .*the 5 before it are read from the start of the file and the ones after it from its end/,
    );
  });

  it('reads a file with a byte inserted among its first records (util-linux reads it, tenken refused it)', async () => {
    const img = Buffer.from(encodeRecords(history(12, 120)));
    const file = path.join(tmp, 'wtmp-early');
    // One zero byte inside record 5 (0-based): only that record is misread.
    fs.writeFileSync(file, Buffer.concat([img.subarray(0, 2000), Buffer.alloc(1), img.subarray(2000)]));
    const mine = await runCommand([last], ['last', '-f', file], { env: { LANG: 'C', TZ: 'GMT' } });
    expect(mine.code).toBe(0);
    const theirs = realLast(['-f', file], 'GMT').split('\n');
    const lines = mine.stdout.split('\n');
    // As many lines as /usr/bin/last prints, and the same ones for the records after the damaged one.
    expect(lines.length).toBe(theirs.length);
    expect(lines.slice(0, 60)).toEqual(theirs.slice(0, 60));
    expect(mine.stderr).toMatch(/1 bytes too many in record 6 \(offset 1920\)/);
    // utmpdump (aligned from the start) shows the first five records intact, and tenken reads them so: its
    // output is /usr/bin/last's of the file before the edit but for the damaged record's session.
    const dump = execFileSync('/usr/bin/utmpdump', [file], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    expect(dump.split('\n').slice(0, 5).join('\n')).toBe(
      execFileSync('/usr/bin/utmpdump', [intactCopy(img, 'wtmp-early')], {
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .toString()
        .split('\n')
        .slice(0, 5)
        .join('\n'),
    );
    const before = realLast(['-f', intactCopy(img, 'wtmp-early')], 'GMT').split('\n');
    const differ = lines.filter((l, i) => l !== before[i]);
    expect(differ.length).toBeLessThanOrEqual(1);
  });

  it('keeps DST in TZ=EST5EDT and PST8PDT as /usr/bin/last does (tzdata files, not fixed offsets)', async () => {
    const july = Date.UTC(2026, 6, 15, 5, 20) / 1000;
    const file = path.join(tmp, 'wtmp-est5edt');
    fs.writeFileSync(
      file,
      encodeRecords([
        { type: 7, pid: 5, line: 'pts/0', id: 'ts/0', user: 'bob', host: '192.0.2.7', sec: july },
        { type: 8, pid: 5, line: 'pts/0', id: 'ts/0', user: '', sec: july + 600 },
      ]),
    );
    for (const tz of ['EST5EDT', 'PST8PDT']) {
      const mine = await runCommand([last], ['last', '-F', '-f', file], { env: { LANG: 'C', TZ: tz } });
      expect(mine.stdout, `TZ=${tz}`).toBe(realLast(['-F', '-f', file], tz));
    }
  });

  it('matches /usr/bin/last with --since, --until and --present in absolute and relative forms', async () => {
    const recs = history(7, 300);
    const file = path.join(tmp, 'wtmp-times');
    fs.writeFileSync(file, encodeRecords(recs));
    const mid = new Date(((recs[100]?.sec ?? 0) + 30) * 1000).toISOString();
    const day = mid.slice(0, 10);
    const hm = mid.slice(11, 16);
    const compact = mid.slice(0, 19).replace(/[-T:]/g, '');
    for (const tz of ['GMT', 'Asia/Tokyo']) {
      for (const opts of [
        ['-s', `${day} ${hm}`],
        ['-t', `${day}T${hm}:00`],
        ['-p', compact],
        ['-s', day, '-x'],
        ['-t', `${day.slice(2)} ${hm}`],
        ['-s', '-20000days'],
        ['-t', 'yesterday'],
      ]) {
        const mine = await runCommand([last], ['last', '-f', file, ...opts], { env: { LANG: 'C', TZ: tz } });
        expect(mine.stdout, `last ${opts.join(' ')} TZ=${tz}`).toBe(realLast(['-f', file, ...opts], tz));
      }
    }
  });

  it('matches /usr/bin/last on a file rebuilt by utmpdump -r', async () => {
    const recs = history(42, 200);
    const rebuilt = execFileSync('/usr/bin/utmpdump', ['-r'], {
      input: utmpdumpText(recs),
      env: { LANG: 'C', TZ: 'GMT' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const file = path.join(tmp, 'wtmp-utmpdump');
    fs.writeFileSync(file, rebuilt);
    for (const opts of [[], ['-x', '-F'], ['-i', '-a']]) {
      const mine = await runCommand([last], ['last', '-f', file, ...opts], {
        env: { LANG: 'C', TZ: 'Europe/Berlin' },
      });
      expect(mine.stdout).toBe(realLast(['-f', file, ...opts], 'Europe/Berlin'));
    }
  });

  it('selects non-ASCII user names given on the command line as /usr/bin/last and lastb do', async () => {
    const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
    const t0 = 1_763_600_000;
    const users = ['やまだ', 'ムラタ', 'あ'.repeat(11), 'kato'];
    const recs: UtmpRecordInput[] = users.flatMap((u, i): UtmpRecordInput[] => [
      {
        type: 7,
        pid: 100 + i,
        line: `pts/${i}`,
        id: id4(`s/${i}`),
        user: bytes(u).slice(0, 32),
        sec: t0 + i * 60,
      },
      { type: 8, pid: 100 + i, line: `pts/${i}`, id: id4(`s/${i}`), user: '', sec: t0 + 3600 + i * 60 },
    ]);
    const file = path.join(tmp, 'wtmp-names');
    fs.writeFileSync(file, encodeRecords(recs));
    // A name starting with a 32-byte ut_user selects it (strncmp); a shorter prefix does not.
    const cases: [string[], boolean][] = [
      [['やまだ'], true],
      [['ムラタ', 'kato'], true],
      [['あ'.repeat(11)], true],
      [['あ'.repeat(12)], true],
      [['やま'], false],
    ];
    for (const [names, listed] of cases) {
      for (const opts of [[], ['-w']]) {
        for (const cmd of ['last', 'lastb']) {
          const args = ['-f', file, ...opts, ...names];
          const mine = await runCommand([last], [cmd, ...args], { env: { LANG: 'C', TZ: 'GMT' } });
          expect(mine.stdout, `${cmd} ${args.join(' ')}`).toBe(realLast(args, 'GMT', cmd === 'lastb'));
          expect(mine.stdout.split('\n').length > 3, `${cmd} ${args.join(' ')}`).toBe(listed);
        }
      }
    }
  });

  it('prints multibyte users and hosts as /usr/bin/last does in C.UTF-8 and in C, the locale as glibc picks it', async () => {
    const bytes = (s: string, n: number): string => Buffer.from(s, 'utf8').subarray(0, n).toString('latin1');
    const t0 = 1_763_600_000;
    const sessions: [string, string][] = [
      [bytes('たなか', 32), bytes('東京.example.jp', 256)],
      [bytes('あ'.repeat(11), 32), 'host1'], // cut inside a character at 32 bytes
      ['kato', bytes('漢'.repeat(86), 256)], // a host cut inside a character at 256 bytes
      [
        Buffer.from([0xba, 0xb4, 0xc6, 0xa3]).toString('latin1'),
        Buffer.from([0x91, 0xe5, 0x8d, 0xe3]).toString('latin1'),
      ], // EUC-JP, Shift_JIS
      ['ev\x1b[31mil', 'h\x9bst'],
      [bytes('ｶﾀｶﾅ', 32), bytes('𠮷野家.jp', 256)],
      [bytes('やまだ', 32), '10.1.2.3'],
      [bytes('abcdefgあいう', 32), 'x'], // the 8-byte column ends inside a character
      [bytes('a\u00e9b\u0301c', 32), 'combining.example'],
      [`${bytes('a', 1)}\xc2\x9b\xe2\x80\xa8\xef\xbf\xbe`, 'c1.example'], // C1, U+2028, a noncharacter
    ];
    const recs: UtmpRecordInput[] = [
      { type: 2, line: '~', id: '~~', user: 'reboot', host: '6.1.0-ja', sec: t0 },
      ...sessions.flatMap(([user, host], i): UtmpRecordInput[] => [
        {
          type: 7,
          pid: 1000 + i,
          line: `pts/${i}`,
          id: id4(`s/${i}`),
          user,
          host,
          addr: [0x0302010a, 0, 0, 0],
          sec: t0 + 600 + i * 60,
        },
        { type: 8, pid: 1000 + i, line: `pts/${i}`, id: id4(`s/${i}`), user: '', sec: t0 + 4200 + i * 67 },
      ]),
    ];
    const file = path.join(tmp, 'wtmp-ja');
    fs.writeFileSync(file, encodeRecords(recs));
    const locales: Record<string, string>[] = [
      { LANG: 'C.UTF-8' },
      { LC_CTYPE: 'C.UTF-8', LANG: 'C' },
      { LC_ALL: 'C.UTF-8', LANG: 'C' },
      { LC_ALL: 'C', LANG: 'C.UTF-8' },
      { LC_ALL: '', LC_CTYPE: '', LANG: 'C.utf8' },
      { LANG: 'C' },
    ];
    const optionSets = [
      [],
      ['-w'],
      ['-a'],
      ['-i'],
      ['-F'],
      ['-R'],
      ['-w', '-a'],
      ['--time-format', 'iso'],
      ['-w', 'たなか'],
      ['-w', 'pts/3'],
      ['-x'],
    ];
    for (const locale of locales) {
      for (const opts of optionSets) {
        const mine = await runCommand([last], ['last', '-f', file, ...opts], {
          env: { ...locale, TZ: 'GMT' },
        });
        expect(mine.stdout, `${JSON.stringify(locale)} last ${opts.join(' ')}`).toBe(
          realLast(['-f', file, ...opts], 'GMT', false, locale),
        );
      }
    }
  });

  it('matches /usr/bin/lastb on a generated btmp', async () => {
    const recs = history(9, 150).map((r) => ({ ...r, type: 6 }));
    const file = path.join(tmp, 'btmp-gen');
    fs.writeFileSync(file, encodeRecords(recs));
    for (const opts of [[], ['-i'], ['-F', '-w']]) {
      const mine = await runCommand([last], ['lastb', '-f', file, ...opts], {
        env: { LANG: 'C', TZ: 'GMT' },
      });
      expect(mine.stdout).toBe(realLast(['-f', file, ...opts], 'GMT', true));
    }
  });
});
