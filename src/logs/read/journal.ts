import { spawn } from 'node:child_process';
import { accessSync, constants, type Dirent, readdirSync } from 'node:fs';
import path from 'node:path';
import { type Host, hostPath } from '../../core/host.ts';
import { resolveInRoot } from '../../core/inroot.ts';
import { lineMask, type RuleSet } from '../scan/rules.ts';

/**
 * The systemd journal through `journalctl -o export`, resumed at a saved cursor (`--cursor`, its entry
 * dropped when it is still there: see readJournal). The export format keeps messages as bytes (a binary field carries its length), and journalctl writes it
 * about twice as fast as JSON, which it must escape (200,000 entries: 1.8 s against 3.8 s).
 */

/** Runs journalctl and yields its stdout as it arrives; throws with journalctl's message when it fails. */
export type JournalRunner = (args: string[], signal?: AbortSignal) => AsyncIterable<Uint8Array>;

/**
 * The journal exists but this user may not read the system's part of it. journalctl then reads what it can
 * (the user's own file, or nothing) and exits 0 without a word under `-D`: a user's run reported "no new
 * lines" where root's found an attack. Reported wherever the journal is read, whether `auto` chose it or not.
 */
export class JournalAccessError extends Error {
  override name = 'JournalAccessError';
}

/**
 * journalctl failed after some entries: `cursor` is the last entry read whole, whose hits were reported.
 * Kept as the saved cursor, the next run reads on from there; the old cursor read them again, and an
 * attack's failures counted twice could make a dictionary attack of half the threshold.
 */
export class JournalPartialError extends Error {
  override name = 'JournalPartialError';
  /** The cursor to resume after. */
  readonly cursor: string;
  /** The saved cursor's entry was gone: the entries read were not the first after it (said, not lost). */
  readonly gap: JournalGap | undefined;
  constructor(message: string, cursor: string, gap?: JournalGap) {
    super(message);
    this.cursor = cursor;
    this.gap = gap;
  }
}

/** The message of a JournalAccessError. */
const NO_ACCESS =
  "permission denied: the system journal is readable only by root and the groups systemd-journal and adm (this run's user is in neither)";

/** The system journal files (`system.journal`, `system@...journal`) in a journal directory and its machine dirs. */
function systemJournalFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return; // unreadable directory: journalctl says so itself
    }
    for (const e of entries) {
      if (e.isFile() && /^system(?:@.*)?\.journal~?$/.test(e.name)) out.push(path.join(d, e.name));
      else if (e.isDirectory() && depth === 0) visit(path.join(d, e.name), 1);
    }
  };
  visit(dir, 0);
  return out;
}

/** Whether some system journal file under these directories cannot be read by this process. */
function systemJournalUnreadable(dirs: readonly string[]): boolean {
  return dirs.some((d) =>
    systemJournalFiles(d).some((f) => {
      try {
        accessSync(f, constants.R_OK);
        return false;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EACCES';
      }
    }),
  );
}

/**
 * How long journalctl may print nothing before it is taken for hung and stopped. journalctl answers a local
 * journal in milliseconds to seconds (a `--list-boots` over gigabytes of journal prints its list only at the
 * end: tens of seconds); `tenken attacks` and `tenken scan` have no other deadline, and a journalctl stuck on
 * a damaged file or a hung filesystem held them for ever.
 */
export const JOURNAL_IDLE_MS = 120_000;

/**
 * A runner of the journalctl found as `command` (by default `journalctl` on the PATH): its output streamed,
 * stopped when it prints nothing for `idleMs` (an Error saying so, not an AbortError: the run goes on and
 * reports it) or when `signal` aborts (the AbortError of the caller's deadline). The process is ended when
 * the reader stops early (output that breaks the format), so no journalctl is left writing to a full pipe.
 */
export function journalctlRunner(opts: { command?: string; idleMs?: number } = {}): JournalRunner {
  const command = opts.command ?? 'journalctl';
  const idleMs = opts.idleMs ?? JOURNAL_IDLE_MS;
  return async function* (args, signal) {
    const d = args.indexOf('-D');
    const dirs =
      d >= 0 && args[d + 1] !== undefined
        ? [args[d + 1] as string]
        : ['/run/log/journal', '/var/log/journal'];
    if (systemJournalUnreadable(dirs)) throw new JournalAccessError(NO_ACCESS);
    const idle = new AbortController();
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: signal ? AbortSignal.any([signal, idle.signal]) : idle.signal,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    let exited = false;
    const closed = new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        exited = true;
        resolve(code);
      });
    });
    closed.catch(() => {}); // awaited below; a reader that stops early must not leave it unhandled
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => idle.abort(), idleMs);
    };
    try {
      arm();
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        clearTimeout(timer);
        yield chunk;
        arm();
      }
      const code = await closed;
      if (code !== 0) {
        const said = stderr.trim().split('\n')[0];
        if (said !== undefined && /insufficient permissions/.test(said))
          throw new JournalAccessError(NO_ACCESS);
        throw new Error(said || `journalctl exited with code ${code}`);
      }
    } catch (err) {
      if (idle.signal.aborted && !signal?.aborted)
        throw new Error(`journalctl printed nothing for ${idleMs / 1000} s: stopped it`);
      throw err;
    } finally {
      clearTimeout(timer);
      if (!exited) child.kill();
    }
  };
}

/** The real journalctl, stopped after JOURNAL_IDLE_MS of silence (the caller's deadline comes from `signal`). */
export const spawnJournalctl: JournalRunner = journalctlRunner();

/** Whether a journal directory holds journal files (`MACHINE-ID/*.journal`; the systemd package ships it empty). */
function hasJournalFiles(dir: string): boolean {
  try {
    return readdirSync(dir, { withFileTypes: true }).some(
      (d) =>
        (d.isFile() && /\.journal~?$/.test(d.name)) ||
        (d.isDirectory() && readdirSync(path.join(dir, d.name)).some((f) => /\.journal~?$/.test(f))),
    );
  } catch {
    return false;
  }
}

/**
 * Where the journal of `host` is read from: journalctl's default on the live host (when journald keeps one:
 * /run/log/journal or /var/log/journal), the tree's /var/log/journal under --root (`-D`, when it holds
 * journal files), or null when there is none. A host without journald (a container, SysV init) answers an empty read with success: counted as
 * read, it hid that no system log was read at all.
 */
export function journalAt(host: Pick<Host, 'live' | 'root'>): { directory?: string } | null {
  if (host.live)
    return hasJournalFiles(hostPath(host, '/run/log/journal')) ||
      hasJournalFiles(hostPath(host, '/var/log/journal'))
      ? {}
      : null;
  // Under --root too: an empty directory made `-b` fail ("Data from the specified boot (+0) is not
  // available") and the logs and attacks checks UNKNOWN on every run of a tree that has no journal at all.
  // Its links resolve inside the tree (an image's /var/log -> /data/log); journalctl reads the directory.
  let directory: string;
  try {
    directory = resolveInRoot(host, '/var/log/journal');
  } catch {
    return null;
  }
  return hasJournalFiles(directory) ? { directory } : null;
}

/** One journal entry, as the scanner needs it. */
export interface JournalEntry {
  /** The message as latin1 (bytes). */
  text: string;
  program: string | null;
  /** The pid the syslog tag would carry (`SYSLOG_PID`, else the sender's `_PID`): joins lines of one connection. */
  pid: number | null;
  host: string | null;
  time: number | null;
  cursor: string | null;
}

/**
 * The fields an entry is made of (`__CURSOR` and `__REALTIME_TIMESTAMP` always come with `-o export`). A
 * journal entry has twenty-odd fields (unit, command line, capabilities, cgroup...): asking journalctl for
 * these only halves its output (200,000 entries with the fields sshd-session's have: 6.4 → 3.9 s as JSON).
 */
export const JOURNAL_FIELDS = ['MESSAGE', 'SYSLOG_IDENTIFIER', '_COMM', 'SYSLOG_PID', '_PID', '_HOSTNAME'];

/** How every read asks journalctl for entries. */
export const JOURNAL_ARGS: readonly string[] = ['-o', 'export', '--no-pager', '-q'];
/** The option that limits the output to JOURNAL_FIELDS (systemd 236+). */
export const FIELDS_ARG = `--output-fields=${JOURNAL_FIELDS.join(',')}`;

/** A binary field longer than this is no journal entry (journald caps a message far below): corrupt output. */
const MAX_FIELD = 64 << 20;

const utf8 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');
const pidOf = (v: string | undefined): number | null =>
  v !== undefined && /^\d{1,10}$/.test(v) ? Number(v) : null;

function entryOf(f: Map<string, string>): JournalEntry {
  const id = f.get('SYSLOG_IDENTIFIER') ?? f.get('_COMM');
  const host = f.get('_HOSTNAME');
  const us = f.get('__REALTIME_TIMESTAMP');
  return {
    text: f.get('MESSAGE') ?? '',
    program: id === undefined ? null : utf8(id),
    pid: pidOf(f.get('SYSLOG_PID')) ?? pidOf(f.get('_PID')),
    host: host === undefined ? null : utf8(host),
    time: us !== undefined && /^\d{1,20}$/.test(us) ? Math.floor(Number(us) / 1000) : null,
    cursor: f.get('__CURSOR') ?? null,
  };
}

/**
 * The entries of journalctl's export format: `FIELD=value` lines, or `FIELD`, a 64-bit little-endian length
 * and that many bytes for a value that is not printable text, an empty line after each entry. Values are
 * kept as latin1 strings of their bytes (a message scans like a file's line). Written by hand: no package
 * reads this format, and it is a few lines of byte handling. Throws on output that breaks the format.
 */
export async function* journalEntries(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<JournalEntry> {
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0;
  let fields = new Map<string, string>();
  for await (const chunk of chunks) {
    // A view of the chunk, not a copy, when nothing is left over from the last one.
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    buf = pos < buf.length ? Buffer.concat([buf.subarray(pos), view]) : view;
    pos = 0;
    for (;;) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) break;
      if (nl === pos) {
        if (fields.size > 0) yield entryOf(fields);
        fields = new Map();
        pos = nl + 1;
        continue;
      }
      const eq = buf.indexOf(61, pos);
      if (eq >= 0 && eq < nl) {
        fields.set(buf.toString('latin1', pos, eq), buf.toString('latin1', eq + 1, nl));
        pos = nl + 1;
        continue;
      }
      // A binary field: its name, then the length and the bytes.
      if (buf.length < nl + 9) break;
      const size = Number(buf.readBigUInt64LE(nl + 1));
      if (size > MAX_FIELD) throw new Error(`journalctl printed a ${size}-byte field: not the export format`);
      const end = nl + 9 + size;
      if (buf.length < end + 1) break;
      if (buf[end] !== 10)
        throw new Error('journalctl printed a binary field without its newline: not the export format');
      fields.set(buf.toString('latin1', pos, nl), buf.toString('latin1', nl + 9, end));
      pos = end + 1;
    }
  }
  if (pos < buf.length && buf.subarray(pos).some((b) => b !== 10))
    throw new Error('journalctl output ends inside an entry');
  if (fields.size > 0) yield entryOf(fields);
}

/** Where to start in the journal. */
export type JournalStart = { after: string } | { since: number } | { all: true } | { boot: true };

/**
 * The saved cursor's entry is no longer in the journal (vacuumed, or rotated away with its file): the entries
 * written after it up to the first one the journal still holds were never read. Times in epoch ms; `from` is
 * the cursor's own time (null for a cursor without one), `to` the first entry's (null when it has none).
 */
export interface JournalGap {
  from: number | null;
  to: number | null;
}

/** The fields of a journal cursor (`s=SEQNUM-ID;i=SEQNUM;b=BOOT;m=MONOTONIC;t=REALTIME;x=HASH`), by name. */
function cursorFields(cursor: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of cursor.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

/**
 * Whether the entry whose `__CURSOR` is `entry` is the one the cursor `saved` names: every field `saved`
 * carries is the entry's (journalctl's own test, `sd_journal_test_cursor`). A cursor of no field names none.
 */
export function isCursorEntry(saved: string, entry: string): boolean {
  const want = cursorFields(saved);
  const have = cursorFields(entry);
  return want.size > 0 && [...want].every(([k, v]) => have.get(k) === v);
}

/** The time a journal cursor names (its `t=`, realtime in hex microseconds), in epoch ms, or null. */
export function cursorTime(cursor: string): number | null {
  const t = cursorFields(cursor).get('t');
  return t !== undefined && /^[0-9a-f]{1,15}$/i.test(t) ? Math.floor(Number.parseInt(t, 16) / 1000) : null;
}

/** ISO time (UTC) of epoch ms, without zero milliseconds. */
const isoMs = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * The reason of a JournalGap, as a `log-source` finding (problem `rotated`) says it: what the journal lost
 * and between which times.
 */
export function journalGapReason(gap: JournalGap): string {
  const between =
    gap.from !== null && gap.to !== null
      ? `between ${isoMs(gap.from)} and ${isoMs(gap.to)}`
      : gap.from !== null
        ? `after ${isoMs(gap.from)}`
        : gap.to !== null
          ? `before ${isoMs(gap.to)}`
          : 'after it';
  return `the journal no longer holds the entry of the saved cursor (vacuumed or rotated away): entries ${between} were not read`;
}

/**
 * Whether journalctl refused the cursor itself (`Failed to seek to cursor: Invalid argument`): a saved
 * cursor it cannot parse (a state file edited by hand, or written by another tool). A cursor whose entry was
 * vacuumed, or one of another machine's journal, it still seeks to by position and time, without a word.
 */
const CURSOR_REFUSED = /\bcursor\b/i;

/**
 * Reads the journal from `start`, reporting matching entries; returns the last cursor seen. A saved cursor
 * is resumed with `--cursor`, not `--after-cursor`: journalctl before systemd 255 skipped the first entry
 * `--after-cursor` lands on even when it is not the cursor's (the cursor's entry vacuumed: one entry never
 * read). `--cursor` lands on the cursor's entry when the journal still holds it (dropped here: the last run
 * read it), else on the first entry after the cursor's place, which is counted, and `gap` says what was lost
 * in between. A journalctl
 * without `--output-fields` (systemd before 236) fails before its first entry, naming the option: then the
 * read is made again without it. A saved cursor journalctl refuses before any entry is read is dropped: this boot is read
 * instead (`-b`) and `cursorLost` says why; any other failure is thrown (a JournalPartialError with the last
 * cursor read when entries were), so that the caller keeps the cursor and the next run reads what this one could not (falling back to this boot on an I/O error skipped
 * the entries of earlier boots after the cursor for good). (journalctl's own `--grep` was measured too: its
 * PCRE2 costs about what it saves on output.)
 */
export async function readJournal(opts: {
  runner: JournalRunner;
  /** A journal directory (`-D`), for a host tree under --root. */
  directory?: string;
  start: JournalStart;
  rules: RuleSet;
  signal?: AbortSignal;
  onHit(entry: JournalEntry, mask: number): void;
}): Promise<{ cursor: string | null; entries: number; cursorLost?: string; gap?: JournalGap }> {
  const base = [...JOURNAL_ARGS];
  if (opts.directory) base.push('-D', opts.directory);
  const startArgs = (s: JournalStart): string[] =>
    'after' in s
      ? ['--cursor', s.after]
      : 'since' in s
        ? ['--since', `@${Math.floor(s.since / 1000)}`]
        : 'boot' in s
          ? ['-b']
          : [];
  let cursor: string | null = null;
  let entries = 0;
  let gap: JournalGap | undefined;
  // `from`: the saved cursor `--cursor` resumes at. The first entry is its own (read last run: dropped) or,
  // when the journal no longer holds it, the next one (counted, and the gap said).
  const read = async (args: string[], from: string | null) => {
    let landing = from;
    for await (const e of journalEntries(opts.runner(args, opts.signal))) {
      if (landing !== null) {
        const saved = landing;
        landing = null;
        if (e.cursor !== null && isCursorEntry(saved, e.cursor)) {
          cursor = e.cursor;
          continue;
        }
        gap = { from: cursorTime(saved), to: e.time };
      }
      entries++;
      if (e.cursor) cursor = e.cursor;
      const mask = lineMask(opts.rules, e.text);
      if (mask) opts.onHit(e, mask);
    }
  };
  const readFrom = async (s: JournalStart) => {
    try {
      await read([...base, ...startArgs(s), FIELDS_ARG], 'after' in s ? s.after : null);
    } catch (err) {
      // Only journalctl's own word on the option (`unrecognized option '--output-fields=...'`): a retry on
      // any failure ran a stalled journalctl twice, the idle deadline twice over.
      if (entries > 0 || !/output-fields/.test((err as Error).message)) throw err;
      await read([...base, ...startArgs(s)], 'after' in s ? s.after : null);
    }
  };
  try {
    try {
      await readFrom(opts.start);
    } catch (err) {
      const e = err as Error;
      if (
        !('after' in opts.start) ||
        entries > 0 ||
        e.name === 'AbortError' ||
        !CURSOR_REFUSED.test(e.message)
      )
        throw err;
      await readFrom({ boot: true });
      return { cursor, entries, cursorLost: e.message };
    }
  } catch (err) {
    // Entries were read whole and reported before journalctl failed: the next run starts after them.
    if (cursor !== null && (err as Error).name !== 'AbortError')
      throw new JournalPartialError((err as Error).message, cursor, gap);
    throw err;
  }
  return gap ? { cursor, entries, gap } : { cursor, entries };
}
