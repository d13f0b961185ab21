import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Host, hostPath } from '../../core/host.ts';
import { lineMask, type RuleSet } from '../scan/rules.ts';

/**
 * The systemd journal through `journalctl -o json`, resumed after a saved cursor (`--after-cursor`).
 * Messages are bytes too: the JSON gives binary messages as arrays of byte values.
 */

/** Runs journalctl and yields its stdout lines; throws with journalctl's message when it fails. */
export type JournalRunner = (args: string[], signal?: AbortSignal) => AsyncIterable<string>;

/** The real journalctl (a deadline comes from `signal`). */
export const spawnJournalctl: JournalRunner = async function* (args, signal) {
  const child = spawn('journalctl', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(signal ? { signal } : {}),
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }))
    yield line;
  const code = await closed;
  if (code !== 0) throw new Error(stderr.trim().split('\n')[0] || `journalctl exited with code ${code}`);
};

/**
 * Where the journal of `host` is read from: journalctl's default on the live host, the tree's
 * /var/log/journal under --root (`-D`), or null when the tree has none.
 */
export function journalAt(host: Pick<Host, 'live' | 'root'>): { directory?: string } | null {
  if (host.live) return {};
  const directory = hostPath(host, '/var/log/journal');
  return existsSync(directory) ? { directory } : null;
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

function pidField(v: unknown): number | null {
  const s = field(v);
  return s !== null && /^\d{1,10}$/.test(s) ? Number(s) : null;
}

function field(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((b) => typeof b === 'number')) return Buffer.from(v).toString('latin1');
  return null;
}

/** Parses one line of `journalctl -o json`; null for a line that is not an entry. */
export function parseJournalLine(line: string): JournalEntry | null {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (!o || typeof o !== 'object') return null;
  const r = o as Record<string, unknown>;
  const msg = r.MESSAGE;
  // Text messages arrive as JSON strings (UTF-8 decoded): back to bytes so they scan like file lines.
  const text = typeof msg === 'string' ? Buffer.from(msg, 'utf8').toString('latin1') : (field(msg) ?? '');
  const us = field(r.__REALTIME_TIMESTAMP);
  return {
    text,
    program: field(r.SYSLOG_IDENTIFIER) ?? field(r._COMM),
    pid: pidField(r.SYSLOG_PID) ?? pidField(r._PID),
    host: field(r._HOSTNAME),
    time: us && /^\d+$/.test(us) ? Math.floor(Number(us) / 1000) : null,
    cursor: field(r.__CURSOR),
  };
}

/** Where to start in the journal. */
export type JournalStart = { after: string } | { since: number } | { all: true } | { boot: true };

/**
 * The fields parseJournalLine reads (`__CURSOR` and `__REALTIME_TIMESTAMP` always come with `-o json`). A
 * journal entry has twenty-odd fields (unit, command line, capabilities, cgroup...): asking for these only
 * halves journalctl's JSON (200,000 entries with the fields sshd-session's have: 190 → 92 MB, 6.4 → 3.9 s).
 */
export const JOURNAL_FIELDS = ['MESSAGE', 'SYSLOG_IDENTIFIER', '_COMM', 'SYSLOG_PID', '_PID', '_HOSTNAME'];

/**
 * Most keywords worth a `--grep`: journalctl's PCRE2 tries each alternative in turn, so its cost grows with
 * their number. On 200,000 entries (the attack benchmark's syslog as a journal), reading everything took
 * 2.4 s; with 12 keywords 0.9 s, the runbook's 21 1.3 s, 25 1.3 s, the attack anchors' 51 3.0 s.
 */
const MAX_GREP_KEYWORDS = 25;

/**
 * journalctl's `--grep` pattern for a keyword-only rule set of at most MAX_GREP_KEYWORDS keywords, else null
 * (user regexes must see every entry; more keywords cost journalctl more than they save). journalctl then
 * skips the entries without a keyword itself, before turning them into JSON, which is most of its time.
 * PCRE2 matching without case finds a superset of what tenken matches (it folds more than ASCII), and every
 * entry it passes is still tested by the rules.
 */
export function journalGrep(rules: RuleSet): string | null {
  const keywords = rules.keywordList;
  if (rules.perLine || !keywords?.length || keywords.length > MAX_GREP_KEYWORDS) return null;
  return keywords
    .map((k) =>
      Buffer.from(k.bytes, 'latin1')
        .toString('utf8')
        .replace(/[\\^$.|?*+()[\]{}]/g, '\\$&'),
    )
    .join('|');
}

/**
 * Reads the journal from `start`, reporting matching entries; returns the last cursor seen (with `--grep`,
 * the last matching entry's: the entries after it had no keyword, so reading them again changes nothing).
 * A journalctl without `--output-fields` (systemd before 236) or pattern support (built without PCRE2)
 * fails before its first line: then the read is made again with neither.
 */
export async function readJournal(opts: {
  runner: JournalRunner;
  /** A journal directory (`-D`), for a host tree under --root. */
  directory?: string;
  start: JournalStart;
  rules: RuleSet;
  signal?: AbortSignal;
  onHit(entry: JournalEntry, mask: number): void;
}): Promise<{ cursor: string | null; entries: number }> {
  const args = ['-o', 'json', '--no-pager', '-q'];
  if (opts.directory) args.push('-D', opts.directory);
  const s = opts.start;
  if ('after' in s) args.push('--after-cursor', s.after);
  else if ('since' in s) args.push('--since', `@${Math.floor(s.since / 1000)}`);
  else if ('boot' in s) args.push('-b');
  let cursor: string | null = null;
  let entries = 0;
  let lines = 0;
  const read = async (extra: string[]) => {
    for await (const line of opts.runner([...args, ...extra], opts.signal)) {
      lines++;
      const e = parseJournalLine(line);
      if (!e) continue;
      entries++;
      if (e.cursor) cursor = e.cursor;
      const mask = lineMask(opts.rules, e.text);
      if (mask) opts.onHit(e, mask);
    }
  };
  const grep = journalGrep(opts.rules);
  try {
    await read([
      `--output-fields=${JOURNAL_FIELDS.join(',')}`,
      ...(grep ? ['--grep', grep, '--case-sensitive=false'] : []),
    ]);
  } catch (err) {
    if (lines > 0 || (err as Error).name === 'AbortError') throw err;
    await read([]);
  }
  return { cursor, entries };
}
