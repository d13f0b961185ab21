import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRoot, runAsNobody } from '../../../test/helpers/as-nobody.ts';
import { type ExportValue, exportFormat, writeJournal } from '../../../test/helpers/journal.ts';
import { logsConfig } from '../config.ts';
import { compileRules, maskIds } from '../scan/rules.ts';
import {
  FIELDS_ARG,
  journalAt,
  journalctlRunner,
  type JournalGap,
  journalGapReason,
  JournalPartialError,
  type JournalEntry,
  type JournalStart,
  journalEntries,
  type JournalRunner,
  readJournal,
  spawnJournalctl,
} from './journal.ts';

const entry = (cursor: string, fields: Record<string, ExportValue>) => ({
  __CURSOR: cursor,
  __REALTIME_TIMESTAMP: '1795514400000000',
  _HOSTNAME: 'gw',
  ...fields,
});

/** The entries of export-format bytes delivered in the given pieces. */
async function parse(bytes: Buffer, cuts: number[] = []): Promise<JournalEntry[]> {
  async function* pieces() {
    let at = 0;
    for (const c of [...cuts].sort((a, b) => a - b)) {
      await Promise.resolve(); // pipe reads arrive one by one
      yield bytes.subarray(at, Math.max(at, c));
      at = Math.max(at, c);
    }
    yield bytes.subarray(at);
  }
  const out: JournalEntry[] = [];
  for await (const e of journalEntries(pieces())) out.push(e);
  return out;
}

describe('the journal', () => {
  it('resumes at the saved cursor, drops its entry (read last run) and returns the last cursor seen', async () => {
    const calls: string[][] = [];
    const runner: JournalRunner = async function* (args) {
      calls.push(args);
      await Promise.resolve(); // journalctl's output arrives asynchronously
      yield exportFormat([
        entry('s=a;i=0', { SYSLOG_IDENTIFIER: 'named', MESSAGE: 'error: read by the last run' }),
        entry('s=a;i=1', { SYSLOG_IDENTIFIER: 'sendmail', MESSAGE: 'SYSERR(root): mailer prog died' }),
        entry('s=a;i=2', { _COMM: 'sshd', MESSAGE: 'Accepted publickey' }),
      ]);
    };
    const hits: [string | null, string[]][] = [];
    const rules = compileRules(logsConfig.parse({}));
    const r = await readJournal({
      runner,
      start: { after: 's=a;i=0' },
      rules,
      onHit: (e, mask) => hits.push([e.program, maskIds(rules, mask)]),
    });
    expect(calls).toEqual([[...['-o', 'export', '--no-pager', '-q', '--cursor', 's=a;i=0'], FIELDS_ARG]]);
    expect(hits).toEqual([['sendmail', ['error']]]);
    expect(r).toEqual({ cursor: 's=a;i=2', entries: 2 });
  });

  it('reads the pid the syslog tag would carry: SYSLOG_PID, else the sender’s _PID', async () => {
    const pids = await parse(
      exportFormat([
        entry('a', { MESSAGE: 'x', SYSLOG_PID: '42', _PID: '43' }),
        entry('b', { MESSAGE: 'x', _PID: '7' }),
        entry('c', { MESSAGE: 'x', SYSLOG_PID: 'abc' }),
        entry('d', { MESSAGE: 'x' }),
      ]),
    );
    expect(pids.map((e) => e.pid)).toEqual([42, 7, null, null]);
  });

  it('takes every field, binary ones included, from output cut anywhere', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 12 }).filter((v) => !v.includes('\n')),
      fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
      fc.constantFrom(Buffer.from('a\nb'), Buffer.from([0xff, 0x0a, 0x00]), 'x=y', ''),
    );
    const record = fc.record({ MESSAGE: value, SYSLOG_IDENTIFIER: value, _HOSTNAME: value });
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat({ max: 400 }), { maxLength: 8 }),
        async (records, cuts) => {
          const bytes = exportFormat(records.map((r, i) => entry(`c${i}`, r)));
          const got = await parse(bytes, cuts);
          const latin1 = (v: ExportValue) =>
            (Buffer.isBuffer(v) ? v : Buffer.from(String(v))).toString('latin1');
          const utf8 = (v: ExportValue) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v))).toString('utf8');
          expect(got).toEqual(
            records.map((r, i) => ({
              text: latin1(r.MESSAGE),
              program: utf8(r.SYSLOG_IDENTIFIER),
              pid: null,
              host: utf8(r._HOSTNAME),
              time: 1795514400000,
              cursor: `c${i}`,
            })),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects output that is not the export format in one line, without waiting for a huge field', async () => {
    const huge = Buffer.concat([
      Buffer.from('MESSAGE\n'),
      Buffer.from([0, 0, 0, 0, 0, 1, 0, 0]),
      Buffer.from('x'),
    ]);
    await expect(parse(huge)).rejects.toThrow(
      'journalctl printed a 1099511627776-byte field: not the export format',
    );
    await expect(parse(Buffer.from('MESSAGE=half an entry'))).rejects.toThrow(
      'journalctl output ends inside an entry',
    );
  });
});

describe('the journal, read by the real journalctl', () => {
  it('gives each entry’s message, program, pid, host and time, and resumes after the last cursor', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    const at = Date.UTC(2026, 10, 24, 10, 0, 0);
    writeJournal(dir, [
      { at, _HOSTNAME: 'gw', SYSLOG_IDENTIFIER: 'sendmail', SYSLOG_PID: 5836, MESSAGE: 'SYSERR(root): died' },
      { at: at + 1000, _HOSTNAME: 'gw', SYSLOG_IDENTIFIER: 'CRON', _PID: 77, MESSAGE: '(root) CMD (true)' },
      // No SYSLOG_IDENTIFIER: the program is the process name, the pid the sender's.
      {
        at: at + 1500,
        _HOSTNAME: 'gw',
        _COMM: 'named',
        _PID: 78,
        _SYSTEMD_UNIT: 'named.service',
        MESSAGE: 'transfer denied',
      },
    ]);
    const rules = compileRules(logsConfig.parse({}));
    const hits: unknown[] = [];
    const first = await readJournal({
      runner: spawnJournalctl,
      directory: dir,
      start: { all: true },
      rules,
      onHit: (e) => hits.push({ text: e.text, program: e.program, pid: e.pid, host: e.host, time: e.time }),
    });
    expect(hits).toEqual([
      { text: 'SYSERR(root): died', program: 'sendmail', pid: 5836, host: 'gw', time: at },
      { text: 'transfer denied', program: 'named', pid: 78, host: 'gw', time: at + 1500 },
    ]);
    expect(first.entries).toBe(3);
    writeJournal(
      dir,
      [{ at: at + 2000, _HOSTNAME: 'gw', SYSLOG_IDENTIFIER: 'named', MESSAGE: 'zone load error' }],
      'later.journal',
    );
    hits.length = 0;
    const next = await readJournal({
      runner: spawnJournalctl,
      directory: dir,
      start: { after: first.cursor as string },
      rules,
      onHit: (e) => hits.push(e.text),
    });
    expect(hits).toEqual(['zone load error']);
    expect(next.entries).toBe(1);
  });
});

describe('a saved cursor whose entry the journal no longer holds', () => {
  const at = Date.UTC(2026, 10, 20, 0, 0, 0);
  /** Entries u<from>..u<from+n-1>, one a minute from `at`, each a hit (`error`). */
  const users = (from: number, n: number) =>
    Array.from({ length: n }, (_, k) => ({
      at: at + (from + k) * 60_000,
      _HOSTNAME: 'gw',
      SYSLOG_IDENTIFIER: 'sshd-session',
      SYSLOG_PID: 1000 + from + k,
      MESSAGE: `error: u${from + k}`,
    }));
  const rules = compileRules(logsConfig.parse({}));
  const readFrom = async (dir: string, start: JournalStart) => {
    const hits: string[] = [];
    const r = await readJournal({
      runner: spawnJournalctl,
      directory: dir,
      start,
      rules,
      onHit: (e) => hits.push(e.text),
    });
    return { ...r, hits };
  };
  const archived = 'system@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-0000000000000001-0000000000000001.journal';

  it('reads every entry the journal still holds after it and says between which times entries were lost', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    writeJournal(dir, users(0, 10), 'system.journal');
    const first = await readFrom(dir, { all: true });
    expect(first.entries).toBe(10);
    // journald appends u10-u19, rotates the file (renames it system@...journal), writes u20-u29 to a new
    // system.journal, and a vacuum deletes the archived file.
    writeJournal(dir, users(10, 10), 'system.journal');
    fs.renameSync(path.join(dir, 'system.journal'), path.join(dir, archived));
    writeJournal(dir, users(20, 10), 'system.journal');
    fs.rmSync(path.join(dir, archived));
    const next = await readFrom(dir, { after: first.cursor as string });
    // u20 too: `--after-cursor` on systemd before 255 skipped it, the first entry it landed on.
    expect(next.hits).toEqual(users(20, 10).map((e) => e.MESSAGE));
    expect(next.entries).toBe(10);
    expect(next.gap).toEqual({ from: at + 9 * 60_000, to: at + 20 * 60_000 });
    expect(journalGapReason(next.gap as JournalGap)).toBe(
      'the journal no longer holds the entry of the saved cursor (vacuumed or rotated away): entries between 2026-11-20T00:09:00Z and 2026-11-20T00:20:00Z were not read',
    );
    // The next run resumes at the last entry read, which is there: nothing new, nothing lost.
    const third = await readFrom(dir, { after: next.cursor as string });
    expect([third.entries, third.gap, third.cursor]).toEqual([0, undefined, next.cursor]);
  });

  it('is not said while the entry is there, rotated to an archived file: the entries after it are read once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    writeJournal(dir, users(0, 10), 'system.journal');
    const first = await readFrom(dir, { all: true });
    writeJournal(dir, users(10, 10), 'system.journal');
    fs.renameSync(path.join(dir, 'system.journal'), path.join(dir, archived));
    writeJournal(dir, users(20, 10), 'system.journal');
    const next = await readFrom(dir, { after: first.cursor as string });
    expect(next.hits).toEqual(users(10, 20).map((e) => e.MESSAGE));
    expect([next.entries, next.gap]).toEqual([20, undefined]);
  });

  it('is said for a cursor of another journal (a restored state): the entries from its time on are read', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    writeJournal(other, users(0, 10), 'system.journal');
    const restored = (await readFrom(other, { all: true })).cursor as string;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    writeJournal(dir, [...users(5, 2), ...users(20, 3)], 'system.journal');
    const r = await readFrom(dir, { after: restored });
    expect(r.hits).toEqual(users(20, 3).map((e) => e.MESSAGE));
    expect([r.entries, r.gap]).toEqual([3, { from: at + 9 * 60_000, to: at + 20 * 60_000 }]);
  });
});

describe('a journal this user may not read', () => {
  it("is an error, not a silent partial read of the user's own file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    fs.chmodSync(dir, 0o755);
    const at = Date.UTC(2026, 10, 24, 10, 0, 0);
    const failed = { at, _HOSTNAME: 'gw', SYSLOG_IDENTIFIER: 'sshd', _PID: 9, MESSAGE: 'Failed password' };
    writeJournal(dir, [failed], 'system.journal');
    // The user's own file, which journalctl as that user reads without a word about the rest.
    writeJournal(dir, [{ ...failed, MESSAGE: 'own' }], 'user-65534.journal');
    fs.chmodSync(path.join(dir, 'system.journal'), 0o640);
    fs.chownSync(path.join(dir, 'user-65534.journal'), 65534, 0);
    const read = `try {
        const r = await m.readJournal({ runner: m.spawnJournalctl, directory: ${JSON.stringify(dir)},
          start: { all: true }, rules: { categories: [], finder: null, perLine: true, maxKeyword: 0, ignore: new Map() },
          onHit: () => {} });
        console.log('read ' + r.entries);
      } catch (e) { console.log(e.name + ': ' + e.message); }`;
    let out: string;
    if (isRoot()) out = await runAsNobody(path.join(import.meta.dirname, 'journal.ts'), read);
    else {
      fs.chmodSync(path.join(dir, 'system.journal'), 0);
      out = await readJournal({
        runner: spawnJournalctl,
        directory: dir,
        start: { all: true },
        rules: compileRules(logsConfig.parse({})),
        onHit: () => undefined,
      }).then(
        (r) => `read ${r.entries}`,
        (e: Error) => `${e.name}: ${e.message}`,
      );
    }
    expect(out).toBe(
      "JournalAccessError: permission denied: the system journal is readable only by root and the groups systemd-journal and adm (this run's user is in neither)",
    );
    // Root reads both.
    if (isRoot()) {
      const r = await readJournal({
        runner: spawnJournalctl,
        directory: dir,
        start: { all: true },
        rules: compileRules(logsConfig.parse({})),
        onHit: () => undefined,
      });
      expect(r.entries).toBe(2);
    }
  });
});

describe('messages of a real journal', () => {
  it('are hit whatever their case or bytes: non-ASCII, binary, keywords with regex characters', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    const at = Date.UTC(2026, 10, 24, 10, 0, 0);
    const messages = [
      'FAILED password for root',
      'all good',
      'GET /PHF?x HTTP/1.0',
      'ディスクのエラー',
      'a.b literal',
      'axb not literal',
      'x(y) [z]',
    ];
    writeJournal(
      dir,
      messages.map((MESSAGE, i) => ({ at: at + i * 1000, SYSLOG_IDENTIFIER: 'x', MESSAGE })),
    );
    // Messages that are not UTF-8 (the journal keeps them as bytes), with a keyword and without.
    writeJournal(
      dir,
      [
        {
          at: at + 20_000,
          SYSLOG_IDENTIFIER: 'x',
          MESSAGE: Buffer.from([0xff, 0xfe, 0x20, 0x65, 0x72, 0x72]),
        },
        { at: at + 21_000, SYSLOG_IDENTIFIER: 'x', MESSAGE: Buffer.from([0xff, 0xfe, 0x20, 0x6f, 0x6b]) },
        // A message of several lines (journalctl prints it in the binary form) and one holding `=`.
        { at: at + 22_000, SYSLOG_IDENTIFIER: 'x', MESSAGE: Buffer.from('first line\nsecond line: err') },
        { at: at + 23_000, SYSLOG_IDENTIFIER: 'x', MESSAGE: 'key=value err' },
      ],
      'later.journal',
    );
    const rules = compileRules(
      logsConfig.parse({ categories: { mine: { keywords: ['a.b', 'エラー', 'x(y)', '[z]'] } } }),
    );
    const hits: string[] = [];
    await readJournal({
      runner: spawnJournalctl,
      directory: dir,
      start: { all: true },
      rules,
      onHit: (e) => hits.push(e.text),
    });
    const latin1 = (t: string) => Buffer.from(t, 'utf8').toString('latin1');
    expect(hits).toEqual([
      'FAILED password for root',
      'GET /PHF?x HTTP/1.0',
      latin1('ディスクのエラー'),
      'a.b literal',
      'x(y) [z]',
      '\u00ff\u00fe err',
      'first line\nsecond line: err',
      'key=value err',
    ]);
  });

  it('are read again without --output-fields when journalctl lacks the option', async () => {
    const calls: string[][] = [];
    const runner: JournalRunner = async function* (args) {
      calls.push(args);
      await Promise.resolve();
      if (args.includes(FIELDS_ARG)) throw new Error("journalctl: unrecognized option '--output-fields'");
      yield exportFormat([
        entry('c1', { SYSLOG_IDENTIFIER: 'sendmail', MESSAGE: 'SYSERR(root): mailer prog died' }),
      ]);
    };
    const hits: string[] = [];
    const rules = compileRules(logsConfig.parse({}));
    const r = await readJournal({ runner, start: { all: true }, rules, onHit: (e) => hits.push(e.text) });
    expect(hits).toEqual(['SYSERR(root): mailer prog died']);
    expect(r.cursor).toBe('c1');
    expect(calls.map((a) => a.includes(FIELDS_ARG))).toEqual([true, false]);
  });
});

describe('journalAt', () => {
  it('reads the live journal only where journald keeps one (the systemd package ships /var/log/journal empty)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-at-'));
    const live = { live: true, root };
    expect(journalAt(live)).toBeNull();
    fs.mkdirSync(path.join(root, 'var/log/journal'), { recursive: true });
    expect(journalAt(live)).toBeNull();
    fs.mkdirSync(path.join(root, 'run/log/journal/0123abcd'), { recursive: true });
    fs.writeFileSync(path.join(root, 'run/log/journal/0123abcd/system.journal'), '');
    expect(journalAt(live)).toEqual({});
    // A tree under --root: its /var/log/journal, read with -D, when it holds journal files (empty, `-b`
    // failed: "Data from the specified boot (+0) is not available", an UNKNOWN on every run).
    expect(journalAt({ live: false, root })).toBeNull();
    fs.mkdirSync(path.join(root, 'var/log/journal/0123abcd'));
    fs.writeFileSync(path.join(root, 'var/log/journal/0123abcd/system.journal'), '');
    expect(journalAt({ live: false, root })).toEqual({ directory: path.join(root, 'var/log/journal') });
  });
});

describe('a journalctl that hangs', () => {
  it('is stopped when it prints nothing for its idle time, with one line, and leaves no process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    const pidFile = path.join(dir, 'pid');
    const script = path.join(dir, 'journalctl');
    // One entry, then silence: a journalctl stuck on a damaged file or a hung filesystem.
    fs.writeFileSync(
      script,
      `#!/bin/sh\necho $$ > ${pidFile}\nprintf '__CURSOR=c1\\nMESSAGE=error: one\\n\\n'\nexec sleep 60\n`,
      { mode: 0o755 },
    );
    const hits: string[] = [];
    const started = Date.now();
    await expect(
      readJournal({
        runner: journalctlRunner({ command: script, idleMs: 300 }),
        start: { all: true },
        rules: compileRules(logsConfig.parse({})),
        onHit: (e) => hits.push(e.text),
      }),
    ).rejects.toThrow(/^journalctl printed nothing for 0\.3 s: stopped it$/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(hits).toEqual(['error: one']);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(() => process.kill(pid, 0)).toThrow();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is ended when the reader stops on output that breaks the format', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    const pidFile = path.join(dir, 'pid');
    const script = path.join(dir, 'journalctl');
    // A field that claims 2^40 bytes, then a journalctl that would go on for a minute.
    fs.writeFileSync(
      script,
      `#!/bin/sh\necho $$ > ${pidFile}\nprintf 'MESSAGE\\n\\000\\000\\000\\000\\001\\000\\000\\000'\nexec sleep 60\n`,
      { mode: 0o755 },
    );
    await expect(
      readJournal({
        runner: journalctlRunner({ command: script }),
        start: { all: true },
        rules: compileRules(logsConfig.parse({})),
        onHit: () => {},
      }),
    ).rejects.toThrow(/not the export format/);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(() => process.kill(pid, 0)).toThrow();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('a journalctl that fails after some entries', () => {
  it('fails the read with the cursor of the last entry read whole, so that the next run reads on after it', async () => {
    const runner: JournalRunner = async function* () {
      await Promise.resolve();
      yield exportFormat([entry('c1', { MESSAGE: 'error: one' }), entry('c2', { MESSAGE: 'error: two' })]);
      yield Buffer.from('__CURSOR=c3\nMESSAGE=error: thr'); // cut inside the third
      throw new Error('journalctl: Input/output error');
    };
    const hits: string[] = [];
    const err = await readJournal({
      runner,
      start: { after: 'c0' },
      rules: compileRules(logsConfig.parse({})),
      onHit: (e) => hits.push(e.text),
    }).catch((e: unknown) => e);
    expect(hits).toEqual(['error: one', 'error: two']);
    expect(err).toBeInstanceOf(JournalPartialError);
    expect([(err as JournalPartialError).message, (err as JournalPartialError).cursor]).toEqual([
      'journalctl: Input/output error',
      'c2',
    ]);
  });
});

describe('a journalctl that fails after the first entries past a vacuumed cursor', () => {
  it('keeps the gap on the error, so that it is said now: the next run resumes past it', async () => {
    const runner: JournalRunner = async function* () {
      await Promise.resolve();
      yield exportFormat([entry('s=a;i=7', { MESSAGE: 'error: seven' })]);
      throw new Error('journalctl: Input/output error');
    };
    const err = await readJournal({
      runner,
      start: { after: 's=a;i=3;t=660aa0d0e1f00' },
      rules: compileRules(logsConfig.parse({})),
      onHit: () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalPartialError);
    expect([(err as JournalPartialError).cursor, (err as JournalPartialError).gap]).toEqual([
      's=a;i=7',
      { from: 1795133340000, to: 1795514400000 },
    ]);
  });
});

describe('a journalctl that fails before its first entry', () => {
  it('is run once: only a journalctl that lacks --output-fields is asked again without it', async () => {
    const calls: string[][] = [];
    const runner: JournalRunner = async function* (args) {
      calls.push(args);
      await Promise.resolve();
      yield* [];
      throw new Error('journalctl printed nothing for 120 s: stopped it');
    };
    await expect(
      readJournal({
        runner,
        start: { all: true },
        rules: compileRules(logsConfig.parse({})),
        onHit: () => {},
      }),
    ).rejects.toThrow('journalctl printed nothing for 120 s: stopped it');
    expect(calls).toHaveLength(1);
  });
});
